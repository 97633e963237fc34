"""The diagram as Graphviz DOT text: a box per value, a small node per op, gradients coloured.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * x; y.backward()
>>> text = to_dot(y)
>>> text.startswith("digraph autograd {") and 'v0 -> v1_op' in text
True
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from autograd.engine import Constant, Value
from autograd.viz.options import DiagramOptions
from autograd.viz.palette import (
    GRADIENT_BANDS,
    KIND_COLOURS,
    ZERO_COLOUR,
    gradient_colour,
    ink,
    pen_width,
)
from autograd.viz.view import (
    GraphView,
    GroupPath,
    edge_gradients,
    grad_of,
    group_summary,
    op_label,
    short_name,
    view_of,
)

__all__ = ["dot_lines", "to_dot"]


def quote(text: str) -> str:
    """A DOT string literal.

    >>> print(quote('say "hi"'))
    "say \\"hi\\""
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def diagram_view(root: Value, options: DiagramOptions) -> GraphView:
    """The view of `root` that `options` asks for (groups, collapse, size limit).

    >>> diagram_view(Value(1.0, label="x"), DiagramOptions()).nodes[0].label
    'x'
    """
    return view_of(root, max_nodes=options.max_nodes, params=options.params,
                   groups=options.groups, collapse=options.collapse)


def dot_lines(root: Value, options: DiagramOptions | None = None, **keywords: Any) -> list[str]:
    """The body statements of the DOT graph, each a tab-indented line (see `to_dot`).

    >>> dot_lines(Value(1.0, label="x"))[0].strip()
    'rankdir=LR'
    """
    options = DiagramOptions.of(options, **keywords)
    fmt = options.fmt
    view = diagram_view(root, options)
    grads = {node: grad_of(node) for node in view.nodes}
    colour = options.show_grad and any(
        g != 0.0 for node, g in grads.items() if not isinstance(node, Constant))
    lines = [
        f"rankdir={options.rankdir}",
        'bgcolor="white"',
        'node [fontname="Helvetica" fontsize=11]',
        "nodesep=0.18",
        "ranksep=0.3",
        'edge [arrowsize=0.7 color="#555555"]',
    ]
    if options.title:
        lines += [f"label={quote(options.title)}", "labelloc=t", "fontname=Helvetica"]
    value_grads = False
    groups = {path: k for k, path in enumerate(sorted(view.collapsed))}
    stacks = _parameter_stacks(view)
    stacked = {node: (k, row) for k, members in enumerate(stacks.values())
               for row, node in enumerate(members)}

    def at(node: Value) -> str:
        group = view.hidden_in(node)
        if group:
            return f"g{groups[group]}"
        if node in stacked:
            return "ps{}:p{}".format(*stacked[node])
        return f"v{view.index[node]}"

    def op_at(node: Value) -> str:
        group = view.hidden_in(node)
        return f"g{groups[group]}" if group else f"v{view.index[node]}_op"

    for k, members in enumerate(stacks.values()):
        lines.append(_stack_line(view, members, k, fmt, options.show_grad, colour))
    for i, node in enumerate(view.nodes):
        if view.hidden_in(node) or node in stacked:
            continue
        lines.append(_value_line(view, node, i, fmt, options.show_grad, colour, grads[node]))
        value_grads = value_grads or isinstance(node.grad, Value)
        if node.op is not None:
            lines.append(
                f'v{i}_op [id="v{i}_op" shape=ellipse style=filled fillcolor="#f4f4f4" '
                f'margin="0.02,0.02" width=0.3 height=0.3 label={quote(op_label(node))}]'
            )
    for group, k in groups.items():
        if view.members(group):
            lines.append(_group_line(view, group, k, fmt, options.show_grad and colour))
    if view.hidden:
        lines.append(
            f'more [id="more" shape=note style=filled fillcolor="#fff8dc" '
            f'label={quote(f"{view.hidden} more nodes not drawn (max_nodes={options.max_nodes})")}]'
        )
    # Edges: parent -> op -> node, coloured by the gradient flowing back along them. Edges
    # into or out of a collapsed group are drawn once per pair of ends.
    merged: dict[tuple[str, str], int] = {}
    for i, node in enumerate(view.nodes):
        if node.op is None:
            continue
        flows = edge_gradients(node) if colour else [None] * len(node.parents)
        target = op_at(node)
        for parent, flow in zip(node.parents, flows):
            if parent not in view.index:
                continue
            source = at(parent)
            if source == target:
                continue
            if source.startswith("g") or target.startswith("g"):
                merged[(source, target)] = merged.get((source, target), 0) + 1
                continue
            constant = isinstance(parent, Constant)
            style = _edge_style(flow, fmt, options.size_by_grad, constant, bool(parent.parents))
            lines.append(f"{source} -> {target}{style}")
        if not view.hidden_in(node):
            flow = grads[node] if colour else None
            lines.append(f"v{i}_op -> v{i}"
                         f"{_edge_style(flow, fmt, options.size_by_grad, main=True)}")
    for (source, target), count in merged.items():
        tip = f"{count} edges" if count > 1 else "1 edge"
        lines.append(f'{source} -> {target} [color="#888888" tooltip={quote(tip)}'
                     f'{" penwidth=2" if count > 1 else ""}]')
    seen: set[str] = set()
    for node in view.boundary:
        target = op_at(node)
        if target not in seen:
            seen.add(target)
            lines.append(f'more -> {target} [style=dashed color="#999999"]')
    lines += _cluster_lines(view, groups, stacks)
    if options.legend and (colour or view.params or value_grads or groups):
        lines.append(_legend_line(view, colour, value_grads))
    return [f"\t{line}\n" for line in lines]


def to_dot(root: Value, options: DiagramOptions | None = None, **keywords: Any) -> str:
    """The DOT text of the graph that ends at `root` (no Graphviz needed).

    Options are the fields of `DiagramOptions`, given as an object or as keywords:
    `rankdir`, `number_format`, `show_grad`, `params`, `groups`, `collapse`, `max_nodes`,
    `legend`, `size_by_grad` and `title`. Leaves are drawn by kind: parameters (pass
    `params` to name them), inputs, and constants (plain numbers, which take no gradient).

    >>> a = Value(3.0, label="a"); y = a * 2.0; y.backward()
    >>> text = to_dot(y, rankdir="TB")
    >>> "rankdir=TB" in text and "v0 -> v2_op" in text and "v1 -> v2_op" in text
    True
    """
    return "digraph autograd {\n" + "".join(dot_lines(root, options, **keywords)) + "}\n"


def _value_line(view: GraphView, node: Value, i: int, fmt: Callable[[float], str],
                show_grad: bool, colour: bool, g: float) -> str:
    kind = view.kind(node)
    name = view.name(node)
    path = view.group_of(node)
    if kind == "constant":
        tooltip = f"constant {fmt(node.data)} (takes no gradient)"
        table = (f'<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
                 f'style="rounded,dashed"><tr><td bgcolor="{KIND_COLOURS["constant"]}">'
                 f"{_h(fmt(node.data))}</td></tr></table>")
        return (f'v{i} [id="v{i}" shape=plaintext tooltip={quote(tooltip)} '
                f"label=<{table}>]")
    grad_text = fmt(g)
    star = "*" if isinstance(node.grad, Value) else ""
    shown_grad = f", grad={grad_text}" if show_grad else ""
    tooltip = f"{name}: data={fmt(node.data)}{shown_grad} ({kind})"
    root = node is view.root
    fill = KIND_COLOURS["output" if root else kind]
    shown_name = _h(short_name(name, path))
    head = (f"<b>{shown_name}</b>" if view.given_name(node) is not None
            else f'<font color="#666666">{shown_name}</font>')
    cells = [f'<td bgcolor="{fill}">{head}</td>', f"<td>data {_h(fmt(node.data))}</td>"]
    if show_grad:
        back = f' bgcolor="{gradient_colour(g)}"' if colour else ""
        cells.append(f"<td{back}>{_h(f'grad{star} {grad_text}')}</td>")
    border = 2 if kind == "parameter" or root else 1
    table = (f'<table border="{border}" cellborder="0" cellspacing="0" cellpadding="4" '
             f'style="rounded"><tr>{"".join(cells)}</tr></table>')
    return f'v{i} [id="v{i}" shape=plaintext tooltip={quote(tooltip)} label=<{table}>]'


def _group_line(view: GraphView, group: GroupPath, k: int, fmt: Callable[[float], str],
                colour: bool) -> str:
    """A collapsed group: its name, what it holds and its largest parameter gradient."""
    summary = group_summary(view, group)
    rows = [f"<tr><td><b>{_h(group[-1])}</b></td></tr>",
            f'<tr><td><font point-size="9">{_h(summary)}</font></td></tr>']
    grads = [abs(grad_of(n)) for n in view.members(group) if view.kind(n) == "parameter"]
    if colour and grads:
        top = max(grads)
        rows.append(f'<tr><td bgcolor="{gradient_colour(top)}"><font point-size="9">'
                    f"largest |grad| {_h(fmt(top))}</font></td></tr>")
    table = ('<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
             f'style="rounded" bgcolor="#f6f3ea">{"".join(rows)}</table>')
    tooltip = f"{'.'.join(group)}: {summary} (collapse=False draws every node)"
    return f'g{k} [id="g{k}" shape=plaintext tooltip={quote(tooltip)} label=<{table}>]'


def _edge_style(flow: float | None, fmt: Callable[[float], str], size_by_grad: bool,
                constant: bool = False, main: bool = False) -> str:
    if constant:
        return ' [style=dashed color="#aaaaaa" arrowhead=none]'
    # Edges between the results of ops are the spine of the computation: dot keeps them
    # short and straight, and the leaves gather around them.
    spine = ["weight=4"] if main else []
    if flow is None:
        return f" [{spine[0]}]" if spine else ""
    attrs = [*spine, f'color="{gradient_colour(flow)}"',
             f"tooltip={quote('gradient ' + fmt(flow))}"]
    if flow == 0.0:
        attrs.append("style=dotted")
    if size_by_grad:
        attrs.append(f"penwidth={pen_width(flow)}")
    return f" [{' '.join(attrs)}]"


def _parameter_stacks(view: GraphView) -> dict[GroupPath, list[Value]]:
    """The parameters of each drawn group with several, to draw as one table (a neuron's
    weights and bias, row by row, in name order)."""
    stacks: dict[GroupPath, list[Value]] = {}
    for node in view.nodes:
        path = view.group_of(node)
        if path and view.kind(node) == "parameter" and not view.hidden_in(node):
            stacks.setdefault(path, []).append(node)
    return {path: sorted(members, key=lambda n: _natural(view.name(n)))
            for path, members in stacks.items() if len(members) > 1}


def _natural(name: str) -> tuple[tuple[int, str], ...]:
    """The sort key of a parameter name: 'w.10' after 'w.2', and 'b' after the weights."""
    return tuple((1, part.zfill(12)) if part.isdigit() else (2 if part == "b" else 0, part)
                 for part in name.split("."))


def _stack_line(view: GraphView, members: list[Value], k: int, fmt: Callable[[float], str],
                show_grad: bool, colour: bool) -> str:
    """A group's parameters as one table, a row (and an edge port) per parameter."""
    path = view.group_of(members[0])
    fill = KIND_COLOURS["parameter"]
    rows = []
    for row, node in enumerate(members):
        g = grad_of(node)
        name = _h(short_name(view.name(node), path))
        cells = [f'<td align="left" bgcolor="{fill}"><b>{name}</b></td>',
                 f'<td align="right">{_h(fmt(node.data))}</td>']
        if show_grad:
            back = f' bgcolor="{gradient_colour(g)}"' if colour else ""
            star = "*" if isinstance(node.grad, Value) else ""
            cells.append(f'<td align="right"{back}>{_h(f"grad{star} {fmt(g)}")}</td>')
        cells[-1] = cells[-1].replace("<td ", f'<td port="p{row}" ', 1)
        rows.append(f"<tr>{''.join(cells)}</tr>")
    names = ", ".join(view.name(n) for n in members)
    tooltip = f"parameters: {names}"
    table = ('<table border="2" cellborder="0" cellspacing="0" cellpadding="3" '
             f'style="rounded">{"".join(rows)}</table>')
    return f'ps{k} [id="ps{k}" shape=plaintext tooltip={quote(tooltip)} label=<{table}>]'


def _cluster_lines(view: GraphView, collapsed: dict[GroupPath, int],
                   stacks: dict[GroupPath, list[Value]] | None = None) -> list[str]:
    """Nested `subgraph cluster_k` blocks holding each grouped node and its op node."""
    tree: dict[GroupPath, list[str]] = {}
    children: dict[GroupPath, list[GroupPath]] = {(): []}

    def enter(path: GroupPath) -> None:
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in children:
                children[prefix] = []
                children[prefix[:-1]].append(prefix)
                tree[prefix] = []

    stacks = stacks or {}
    stacked = {node for members in stacks.values() for node in members}
    for k, path in enumerate(stacks):
        enter(path)
        tree[path].append(f"ps{k}")
    for node in view.nodes:
        path = view.group_of(node)
        if not path or view.hidden_in(node):
            continue
        enter(path)
        i = view.index[node]
        if node not in stacked:
            tree[path].append(f"v{i}")
        if node.op is not None:
            tree[path].append(f"v{i}_op")
    for group, k in collapsed.items():
        if group[:-1] and view.members(group):
            enter(group[:-1])
            tree[group[:-1]].append(f"g{k}")
    lines: list[str] = []
    counter = 0
    # Depth-first over the cluster tree with an explicit stack of (path, closing?).
    stack: list[tuple[GroupPath, bool]] = [(p, False) for p in reversed(children[()])]
    while stack:
        path, closing = stack.pop()
        indent = "  " * (len(path) - 1)
        if closing:
            lines.append(f"{indent}}}")
            continue
        lines.append(
            f"{indent}subgraph cluster_{counter} {{ label={quote(path[-1])} "
            'style="rounded,dashed" color="#888888" fontname=Helvetica fontsize=10'
        )
        counter += 1
        if tree[path]:
            lines.append(f"{indent}  {' '.join(tree[path])}")
        stack.append((path, True))
        stack.extend((child, False) for child in reversed(children[path]))
    return lines


def _legend_line(view: GraphView, colour: bool, value_grads: bool) -> str:
    """A compact two-row key: the gradient colour scale and the kinds of nodes."""
    rows = []
    if colour:
        cells = "".join(
            f'<td bgcolor="{fill}"><font color="{ink(fill)}">{_h(text)}</font></td>'
            for _, fill, text in GRADIENT_BANDS
        )
        rows.append(f'<tr><td><b>|grad|, log scale</b></td>{cells}'
                    f'<td bgcolor="{ZERO_COLOUR}">0</td></tr>')
    present = {view.kind(node) for node in view.nodes}
    kinds = [kind for kind in ("parameter", "input", "constant", "intermediate")
             if kind in present]
    cells = "".join(f'<td bgcolor="{KIND_COLOURS[kind]}">{kind}</td>' for kind in kinds)
    if view.collapsed:
        cells += '<td bgcolor="#f6f3ea">group (collapse=False draws every node)</td>'
    if value_grads:
        cells += "<td>grad* : the gradient is a Value (create_graph=True)</td>"
    rows.append(f"<tr><td><b>nodes</b></td>{cells}</tr>")
    inner = "".join(
        f'<tr><td><table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
        f'color="#bbbbbb">{row}</table></td></tr>'
        for row in rows
    )
    table = f'<table border="0" cellborder="0" cellspacing="2" cellpadding="0">{inner}</table>'
    return f'legend [id="legend" shape=plaintext fontsize=9 label=<{table}>]'
