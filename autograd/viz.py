"""Seeing the graph: DOT text, Graphviz rendering, text trees and rich display.

Every walk here is iterative, so graphs of any depth draw. Node ids come from the
walk order (never from memory addresses): the same graph gives the same DOT text,
byte for byte.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * x; y.backward()
>>> print(text_tree(y))
*  data 4  grad 1
├── x  data 2  grad 4  [#1]
└── x  (#1, shown above)
>>> 'v0 -> v1_op' in to_dot(y)
True
"""

from __future__ import annotations

import contextlib
import html
import math
import os
import shutil
import sys
import sysconfig
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd.engine import Value, topological_order
from autograd.files import write_bytes

__all__ = [
    "GRADIENT_BANDS",
    "RendererNotFound",
    "draw",
    "find_renderer",
    "gradient_colour",
    "groups_from_parameters",
    "render",
    "save",
    "text_tree",
    "to_dot",
]

DEFAULT_MAX_NODES = 300  # value nodes drawn before the rest collapses into a note

# Gradient magnitude bands on a log scale: (upper bound on |g|, colour, legend text).
# Blue is vanishing, green is healthy, red is exploding.
GRADIENT_BANDS: tuple[tuple[float, str, str], ...] = (
    (1e-6, "#3b4cc0", "< 1e-6 vanishing"),
    (1e-3, "#7aa6f0", "< 1e-3"),
    (1e-1, "#b9dcf2", "< 0.1"),
    (1e1, "#8fd18f", "0.1 to 10"),
    (1e3, "#f7c45e", "> 10"),
    (1e6, "#f0883e", "> 1e3"),
    (math.inf, "#d62728", "> 1e6 exploding"),
)
ZERO_COLOUR = "#d9d9d9"
NONFINITE_COLOUR = "#9b30d9"

# Fill of the name cell for each kind of node.
KIND_COLOURS: dict[str, str] = {
    "parameter": "#ffe9a8",
    "input": "#d6e6ff",
    "constant": "#f2f2f2",
    "intermediate": "#ffffff",
    "output": "#e8d9ff",
}

RENDER_HINT = (
    "install a renderer with pip install 'scalar-autograd[render]' "
    "(or install Graphviz so that `dot` is on PATH)"
)

ParamsArg = Mapping[str, Value] | Iterable[Any] | None
GroupsArg = Mapping[Value, Any] | bool | None
NumberFormat = str | Callable[[float], str]


# ----------------------------------------------------------------------------------------------
# Gradient colours
# ----------------------------------------------------------------------------------------------


def gradient_colour(g: float) -> str:
    """The colour of gradient magnitude |g| on the log scale of `GRADIENT_BANDS`.

    >>> gradient_colour(0.5), gradient_colour(1e-9), gradient_colour(1e9), gradient_colour(0.0)
    ('#8fd18f', '#3b4cc0', '#d62728', '#d9d9d9')
    """
    if not math.isfinite(g):
        return NONFINITE_COLOUR
    magnitude = abs(g)
    if magnitude == 0.0:
        return ZERO_COLOUR
    for upper, colour, _ in GRADIENT_BANDS:
        if magnitude < upper:
            return colour
    return GRADIENT_BANDS[-1][1]


def _pen_width(g: float) -> float:
    """Edge width growing with log10 |g|: 1 at 1e-3, 2 at 1, capped at 4."""
    if not math.isfinite(g):
        return 4.0
    if g == 0.0:
        return 0.5
    return round(min(4.0, max(0.5, 1.0 + 0.35 * (math.log10(abs(g)) + 3.0))), 2)


# ----------------------------------------------------------------------------------------------
# The walk: which nodes to draw, their ids, kinds, names and groups
# ----------------------------------------------------------------------------------------------


@dataclass
class GraphView:
    """The part of a graph to draw: nodes in topological order with ids from that order.

    >>> w = Value(2.0); v = view_of(w * Value(3.0, label="x"), params={"w": w})
    >>> v.kind(w), v.name(w), v.index[w]
    ('parameter', 'w', 0)
    """

    root: Value
    nodes: list[Value]
    index: dict[Value, int]
    hidden: int  # nodes collapsed by the size limit
    boundary: list[Value]  # drawn nodes with at least one collapsed parent
    names: dict[Value, str] = field(default_factory=dict)
    params: set[Value] = field(default_factory=set)

    def kind(self, node: Value) -> str:
        """'parameter', 'input', 'constant', 'intermediate' or 'output'."""
        if node in self.params:
            return "parameter"
        if node.parents:
            return "output" if node is self.root else "intermediate"
        return "input" if node.label is not None else "constant"

    def name(self, node: Value) -> str | None:
        """The parameter name given by the caller, else the node's label."""
        return self.names.get(node, node.label)


def grad_of(node: Value) -> float:
    """The node's gradient as a float (a Value gradient gives its data).

    >>> x = Value(3.0); (x * x).backward(create_graph=True); grad_of(x)
    6.0
    """
    g = node.grad
    if isinstance(g, Value):
        return g.data
    try:
        return float(g)
    except (TypeError, ValueError):
        return math.nan


def _parameters(params: ParamsArg) -> tuple[set[Value], dict[Value, str]]:
    if params is None:
        return set(), {}
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    members: set[Value] = set()
    names: dict[Value, str] = {}
    for item in items:
        if isinstance(item, Value):
            members.add(item)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Value):
            members.add(item[1])
            names.setdefault(item[1], str(item[0]))
        else:
            raise TypeError(
                "params: expected Values, (name, Value) pairs or a mapping of names to Values, "
                f"got {type(item).__name__}"
            )
    return members, names


def view_of(root: Value, *, max_nodes: int | None = DEFAULT_MAX_NODES,
            params: ParamsArg = None) -> GraphView:
    """Walk the graph ending at `root`, keeping the `max_nodes` nodes nearest to it.

    >>> x = Value(1.0, label="x"); v = view_of(x * 2 + 1)
    >>> [v.kind(n) for n in v.nodes]
    ['input', 'constant', 'intermediate', 'constant', 'output']
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
    order = topological_order(root)
    if max_nodes is None or len(order) <= max_nodes:
        nodes = order
        keep: set[Value] | None = None
    else:
        keep = {root}
        queue = deque([root])
        while queue and len(keep) < max_nodes:  # breadth first from the output
            for parent in queue.popleft().parents:
                if parent not in keep and len(keep) < max_nodes:
                    keep.add(parent)
                    queue.append(parent)
        nodes = [node for node in order if node in keep]
    index = {node: i for i, node in enumerate(nodes)}
    boundary = [] if keep is None else [
        node for node in nodes if any(parent not in index for parent in node.parents)
    ]
    members, names = _parameters(params)
    return GraphView(root, nodes, index, len(order) - len(nodes), boundary, names, members)


def groups_from_parameters(named: Mapping[str, Value] | Iterable[tuple[str, Value]]
                           ) -> dict[Value, tuple[str, ...]]:
    """Cluster paths from dotted parameter names, for `to_dot(..., groups=...)`.

    The parameter's own name (and its index) is dropped; each remaining name is paired with
    the index after it, so 'layers.0.neurons.1.w.2' belongs to ('layers.0', 'neurons.1').

    >>> w, b = Value(1.0), Value(0.0)
    >>> groups_from_parameters({"layers.0.neurons.1.w.2": w, "layers.0.neurons.1.b": b})[w]
    ('layers.0', 'neurons.1')
    """
    items = named.items() if isinstance(named, Mapping) else named
    groups: dict[Value, tuple[str, ...]] = {}
    for name, value in items:
        parts = str(name).split(".")
        while parts and parts[-1].isdigit():
            parts.pop()
        if parts:
            parts.pop()  # the parameter's own name: w, b, weight, ...
        path: list[str] = []
        for part in parts:
            if part.isdigit() and path:
                path[-1] = f"{path[-1]}.{part}"
            else:
                path.append(part)
        if path:
            groups[value] = tuple(path)
    return groups


def assign_groups(view: GraphView, groups: GroupsArg) -> dict[Value, tuple[str, ...]]:
    """The cluster path of each drawn node.

    Nodes named in `groups` take their group; a node made by an op joins the group of the
    parameters it consumes directly, or else the group shared by all its non-constant parents.

    >>> w = Value(2.0); y = (w * Value(3.0, label="x")).tanh()
    >>> sorted(assign_groups(view_of(y), {w: "neuron"}).values())
    [('neuron',), ('neuron',), ('neuron',)]
    """
    if groups is None or groups is False:
        return {}
    if groups is True:
        source: Mapping[Value, Any] = groups_from_parameters(
            {name: node for node, name in view.names.items()}
        )
    elif isinstance(groups, Mapping):
        source = groups
    else:
        raise TypeError(f"groups: expected a mapping of Values to group names, got {groups!r}")
    paths: dict[Value, tuple[str, ...]] = {}
    for node in view.nodes:
        if node in source:
            group = source[node]
            path = (group,) if isinstance(group, str) else tuple(str(g) for g in group)
            if path:
                paths[node] = path
            continue
        if not node.parents:
            continue
        direct = {paths[p] for p in node.parents if not p.parents and p in paths}
        if len(direct) == 1:
            paths[node] = direct.pop()
            continue
        if direct:
            continue
        relevant = [p for p in node.parents if view.kind(p) != "constant"]
        found = {paths.get(p) for p in relevant}
        if len(found) == 1 and None not in found:
            paths[node] = found.pop()  # type: ignore[assignment]
    return paths


# ----------------------------------------------------------------------------------------------
# Number formatting and local gradients along edges
# ----------------------------------------------------------------------------------------------


def number_formatter(number_format: NumberFormat) -> Callable[[float], str]:
    """A function writing floats with a format spec (e.g. '.4g', '.3f') or the callable itself.

    >>> number_formatter(".3f")(2.0), number_formatter(".4g")(0.123456)
    ('2.000', '0.1235')
    """
    if callable(number_format):
        return number_format
    try:
        format(1.5, number_format)
    except (ValueError, TypeError) as error:
        raise ValueError(f"number_format: {number_format!r} is not a float format ({error})"
                         ) from None
    return lambda x: format(x, number_format)


def edge_gradients(node: Value) -> list[float | None]:
    """The gradient each parent receives from `node`: node.grad times the local partial.

    >>> a, b = Value(2.0), Value(5.0); y = a * b; y.backward(); edge_gradients(y)
    [5.0, 2.0]
    """
    op = node.op
    if op is None:
        return []
    g = grad_of(node)
    try:
        partials = op.derivative(*[p.data for p in node.parents], node.data)
        if op.arity == 1:
            partials = (partials,)
        return [g * float(p.data if isinstance(p, Value) else p) for p in partials]
    except Exception:  # an op whose derivative cannot run on floats: draw it uncoloured
        return [None] * len(node.parents)


# ----------------------------------------------------------------------------------------------
# DOT text
# ----------------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _check_rankdir(rankdir: str) -> str:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    return rankdir


def dot_lines(
    root: Value,
    *,
    rankdir: str = "LR",
    number_format: NumberFormat = ".4g",
    show_grad: bool = True,
    params: ParamsArg = None,
    groups: GroupsArg = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    legend: bool = True,
    size_by_grad: bool = True,
    title: str | None = None,
) -> list[str]:
    """The body statements of the DOT graph, each a tab-indented line (see `to_dot`).

    >>> dot_lines(Value(1.0, label="x"))[0].strip()
    'rankdir=LR'
    """
    _check_rankdir(rankdir)
    fmt = number_formatter(number_format)
    view = view_of(root, max_nodes=max_nodes, params=params)
    grads = {node: grad_of(node) for node in view.nodes}
    colour = show_grad and any(g != 0.0 for g in grads.values())
    lines = [
        f"rankdir={rankdir}",
        'bgcolor="white"',
        'node [fontname="Helvetica" fontsize=11]',
        'edge [arrowsize=0.7 color="#555555"]',
    ]
    if title:
        lines += [f"label={_quote(title)}", "labelloc=t", "fontname=Helvetica"]
    value_grads = False
    paths = assign_groups(view, groups)
    for i, node in enumerate(view.nodes):
        kind = view.kind(node)
        name = _short_name(view.name(node), paths.get(node))
        g = grads[node]
        grad_text = fmt(g)
        if isinstance(node.grad, Value):
            value_grads = True
            grad_cell_label = f"grad* {grad_text}"
        else:
            grad_cell_label = f"grad {grad_text}"
        shown_grad = f", grad={grad_text}" if show_grad else ""
        tooltip = f"{view.name(node) or kind}: data={fmt(node.data)}{shown_grad} ({kind})"
        cells = []
        if kind == "constant":
            cells.append(f'<td bgcolor="{KIND_COLOURS["constant"]}">{_h(fmt(node.data))}</td>')
            style = ' style="rounded,dashed"'
            border = 1
        else:
            head = name if name is not None else ("out" if kind == "output" else "")
            if head or kind == "parameter":
                tag = " <i>param</i>" if kind == "parameter" else ""
                cells.append(
                    f'<td bgcolor="{KIND_COLOURS[kind]}"><b>{_h(head)}</b>{tag}</td>'
                )
            cells.append(f"<td>data {_h(fmt(node.data))}</td>")
            if show_grad:
                fill = f' bgcolor="{gradient_colour(g)}"' if colour else ""
                cells.append(f"<td{fill}>{_h(grad_cell_label)}</td>")
            style = ' style="rounded"'
            border = 2 if kind in ("parameter", "output") else 1
        table = (
            f'<table border="{border}" cellborder="0" cellspacing="0" cellpadding="4"{style}>'
            f"<tr>{''.join(cells)}</tr></table>"
        )
        lines.append(
            f'v{i} [id="v{i}" shape=plaintext tooltip={_quote(tooltip)} label=<{table}>]'
        )
        if node.op is not None:
            lines.append(
                f'v{i}_op [id="v{i}_op" shape=ellipse style=filled fillcolor="#f4f4f4" '
                f'margin="0.02,0.02" width=0.3 height=0.3 label={_quote(node.op.symbol)}]'
            )
    if view.hidden:
        lines.append(
            f'more [id="more" shape=note style=filled fillcolor="#fff8dc" '
            f'label={_quote(f"{view.hidden} more nodes not drawn (max_nodes={max_nodes})")}]'
        )
    # Edges: parent -> op -> node, coloured by the gradient flowing back along them.
    for i, node in enumerate(view.nodes):
        if node.op is None:
            continue
        flows = edge_gradients(node) if colour else [None] * len(node.parents)
        for parent, flow in zip(node.parents, flows):
            j = view.index.get(parent)
            if j is None:
                continue
            lines.append(f"v{j} -> v{i}_op{_edge_style(flow, fmt, size_by_grad)}")
        lines.append(
            f"v{i}_op -> v{i}{_edge_style(grads[node] if colour else None, fmt, size_by_grad)}"
        )
    for node in view.boundary:
        lines.append(f'more -> v{view.index[node]}_op [style=dashed color="#999999"]')
    lines += _cluster_lines(view, paths)
    if legend and (colour or view.params or value_grads):
        lines.append(_legend_line(view, colour, value_grads))
    return [f"\t{line}\n" for line in lines]


def _short_name(name: str | None, path: tuple[str, ...] | None) -> str | None:
    """Inside its cluster, 'layers.0.neurons.1.w.2' is drawn as 'w.2'."""
    if name is None or not path:
        return name
    prefix = ".".join(path) + "."
    return name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else name


def _edge_style(flow: float | None, fmt: Callable[[float], str], size_by_grad: bool) -> str:
    if flow is None:
        return ""
    attrs = [f'color="{gradient_colour(flow)}"', f"tooltip={_quote('gradient ' + fmt(flow))}"]
    if flow == 0.0:
        attrs.append("style=dotted")
    if size_by_grad:
        attrs.append(f"penwidth={_pen_width(flow)}")
    return f" [{' '.join(attrs)}]"


def _cluster_lines(view: GraphView, paths: dict[Value, tuple[str, ...]]) -> list[str]:
    """Nested `subgraph cluster_k` blocks holding each grouped node and its op node."""
    if not paths:
        return []
    tree: dict[tuple[str, ...], list[str]] = {}
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {(): []}
    for node in view.nodes:
        path = paths.get(node)
        if not path:
            continue
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in children:
                children[prefix] = []
                children[prefix[:-1]].append(prefix)
                tree[prefix] = []
        i = view.index[node]
        tree[path].append(f"v{i}")
        if node.op is not None:
            tree[path].append(f"v{i}_op")
    lines: list[str] = []
    counter = 0
    # Depth-first over the cluster tree with an explicit stack of (path, closing?).
    stack: list[tuple[tuple[str, ...], bool]] = [(p, False) for p in reversed(children[()])]
    while stack:
        path, closing = stack.pop()
        indent = "  " * (len(path) - 1)
        if closing:
            lines.append(f"{indent}}}")
            continue
        lines.append(
            f"{indent}subgraph cluster_{counter} {{ label={_quote(path[-1])} "
            'style="rounded,dashed" color="#888888" fontname=Helvetica fontsize=10'
        )
        counter += 1
        if tree[path]:
            lines.append(f"{indent}  {' '.join(tree[path])}")
        stack.append((path, True))
        stack.extend((child, False) for child in reversed(children[path]))
    return lines


def _ink(fill: str) -> str:
    """Black or white text, whichever reads better on the colour `fill` ('#rrggbb')."""
    r, g, b = (int(fill[k:k + 2], 16) for k in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"


def _legend_line(view: GraphView, colour: bool, value_grads: bool) -> str:
    """A compact two-row key: the gradient colour scale and the kinds of nodes."""
    rows = []
    if colour:
        cells = "".join(
            f'<td bgcolor="{fill}"><font color="{_ink(fill)}">{_h(text)}</font></td>'
            for _, fill, text in GRADIENT_BANDS
        )
        rows.append(f'<tr><td><b>|grad|, log scale</b></td>{cells}'
                    f'<td bgcolor="{ZERO_COLOUR}">0</td></tr>')
    kinds = ["parameter", "input", "constant"] if view.params else ["input", "constant"]
    cells = "".join(f'<td bgcolor="{KIND_COLOURS[kind]}">{kind}</td>' for kind in kinds)
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


def to_dot(root: Value, **options: Any) -> str:
    """The DOT text of the graph that ends at `root` (no Graphviz needed).

    Options: `rankdir` ('LR' or 'TB'), `number_format` (a format spec such as '.4g', or a
    function), `show_grad`, `params` (parameter Values, or a mapping of names to them),
    `groups` (a mapping of Values to cluster names or paths, or True to cluster by parameter
    names), `max_nodes` (the rest collapses into a note; None draws all), `legend`,
    `size_by_grad` (edge width grows with log |gradient|) and `title`. An unlabelled leaf
    not in `params` is drawn as a constant (a plain number and an unnamed weight look alike
    in the graph): pass `params` to show weights as parameters, as `text_tree` does.

    >>> a = Value(3.0, label="a"); y = a * 2.0; y.backward()
    >>> text = to_dot(y, rankdir="TB")
    >>> "rankdir=TB" in text and "v0 -> v2_op" in text and "v1 -> v2_op" in text
    True
    """
    return "digraph autograd {\n" + "".join(dot_lines(root, **options)) + "}\n"


# ----------------------------------------------------------------------------------------------
# Rendering through Graphviz (or the graphviz-pure program from the `render` extra)
# ----------------------------------------------------------------------------------------------


class RendererNotFound(ImportError):
    """No `dot`-compatible program was found; `.dot` holds the DOT text that was to be drawn.

    >>> error = RendererNotFound("digraph autograd {}")
    >>> "scalar-autograd[render]" in str(error), error.dot
    (True, 'digraph autograd {}')
    """

    def __init__(self, dot: str, dot_path: Path | None = None) -> None:
        saved = f"; the DOT text was saved to {dot_path}" if dot_path else ""
        super().__init__(f"cannot render: no Graphviz renderer found: {RENDER_HINT}{saved}")
        self.dot = dot
        self.dot_path = dot_path


def find_renderer() -> str | None:
    """The program that lays out DOT: `dot` on PATH, else `graphviz-pure`, else None.

    When only `graphviz-pure` is found, the `graphviz` package is pointed at it.

    >>> found = find_renderer()
    >>> found is None or found == "dot" or "graphviz-pure" in found
    True
    """
    if shutil.which("dot"):
        return "dot"
    candidates = [shutil.which("graphviz-pure")]
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder:
            candidates.append(os.path.join(folder, exe))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            _point_graphviz_at(candidate)
            return candidate
    return None


def _point_graphviz_at(program: str) -> None:
    try:
        from graphviz.backend import dot_command
    except ImportError:
        return
    dot_command.DOT_BINARY = Path(program)  # type: ignore[assignment]


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "drawing needs the graphviz package: pip install scalar-autograd (or pip install "
            "graphviz)"
        ) from error
    return graphviz


def draw(root: Value, *, format: str = "svg", **options: Any) -> Any:
    """A `graphviz.Digraph` of the graph ending at `root` (options as for `to_dot`).

    Render it with `.pipe()`, `.render()`, or display it in Jupyter. When no `dot` is on
    PATH, the `graphviz-pure` program of the `render` extra is used.

    >>> g = draw(Value(1.0, label="x") * 2)
    >>> g.source == to_dot(Value(1.0, label="x") * 2)
    True
    """
    graphviz = _import_graphviz()
    find_renderer()
    digraph = graphviz.Digraph("autograd", format=format)
    digraph.body.extend(dot_lines(root, **options))
    return digraph


def render(root: Value, format: str = "svg", **options: Any) -> bytes:
    """The graph drawn as `format` ('svg' or 'png') bytes; RendererNotFound without a renderer.

    >>> try:
    ...     svg = render(Value(1.0, label="x") + 1)
    ... except RendererNotFound as missing:  # no `dot` here: the DOT text is still at hand
    ...     svg = missing.dot.encode()
    >>> b"digraph" in svg or b"<svg" in svg
    True
    """
    dot = to_dot(root, **options)
    return _render_dot(dot, format)


def _render_dot(dot: str, format: str) -> bytes:
    graphviz = _import_graphviz()
    if find_renderer() is None:
        raise RendererNotFound(dot)
    try:
        data: bytes = graphviz.Source(dot).pipe(format=format, quiet=True)
    except graphviz.ExecutableNotFound:
        raise RendererNotFound(dot) from None
    return data


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename.

    >>> import tempfile, pathlib
    >>> write_atomic(pathlib.Path(tempfile.mkdtemp()) / "a.txt", b"hello").read_bytes()
    b'hello'
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        os.chmod(temporary, _file_mode(target))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target


def _file_mode(target: Path) -> int:
    """The mode of the file being replaced, else what a plain open() would give a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


SAVE_FORMATS = ("svg", "png", "dot", "gv", "html")


def diagram_format(path: str | os.PathLike[str]) -> str:
    """The diagram format `save` picks for `path` (its extension), or ValueError.

    >>> diagram_format("net.SVG"), diagram_format("graph.gv")
    ('svg', 'gv')
    >>> diagram_format(".svg")
    Traceback (most recent call last):
    ValueError: .svg: unknown diagram format '(none)'; use .svg, .png, .dot, .gv or .html
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension not in SAVE_FORMATS:
        raise ValueError(
            f"{target}: unknown diagram format {target.suffix or '(none)'!r}; "
            "use .svg, .png, .dot, .gv or .html"
        )
    return extension


def save(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the diagram to `path`, by its extension: .svg, .png, .dot/.gv or .html.

    Without a renderer, an .svg/.png request saves the DOT text beside it (same name,
    .dot) and raises RendererNotFound saying how to get one.

    >>> import tempfile, pathlib
    >>> folder = tempfile.mkdtemp()
    >>> save(Value(1.0, label="x") * 3, pathlib.Path(folder) / "g.dot").read_text()[:16]
    'digraph autograd'
    """
    target = Path(path)
    extension = diagram_format(target)
    if extension == "html":
        from autograd.viz_html import to_html

        html_options = {k: v for k, v in options.items()
                        if k in ("rankdir", "number_format", "params", "max_nodes", "title")}
        return write_bytes(target, to_html(root, **html_options).encode("utf-8"))
    dot = to_dot(root, **options)
    if extension in ("dot", "gv"):
        return write_bytes(target, dot.encode("utf-8"))
    try:
        data = _render_dot(dot, extension)
    except RendererNotFound:
        dot_path = write_bytes(target.with_suffix(".dot"), dot.encode("utf-8"))
        raise RendererNotFound(dot, dot_path) from None
    return write_bytes(target, data)


# ----------------------------------------------------------------------------------------------
# Text tree and rich display
# ----------------------------------------------------------------------------------------------


def text_tree(root: Value, *, number_format: NumberFormat = ".4g", show_grad: bool = True,
              max_lines: int | None = 500, ascii: bool = False, params: ParamsArg = None) -> str:
    """The graph as an indented tree, output first; a node reached twice is shown once.

    Later meetings of a shared node print a reference to the first. Attached to Value as
    `v.tree()`. `params` marks parameters as `to_dot` does (Values, (name, Value) pairs or
    a mapping such as `model.named_parameters()`): they read `NAME (param)`. Other leaves
    read their label, or `leaf` without one; a number written into an expression and a
    weight made with `Value(x)` look the same in the graph, so neither is called a constant.

    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b"); y = (a * b).tanh(); y.label = "y"
    >>> print(text_tree(y, number_format=".3f", show_grad=False))
    y = tanh  data -1.000
    └── *  data -6.000
        ├── a  data 2.000
        └── b  data -3.000
    >>> w = Value(0.5); z = w * a + 1; z.backward()
    >>> print(text_tree(z, params={"w": w}))
    +  data 2  grad 1
    ├── *  data 1  grad 1
    │   ├── w (param)  data 0.5  grad 2
    │   └── a  data 2  grad 0.5
    └── leaf  data 1  grad 0
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value, got {type(root).__name__}")
    fmt = number_formatter(number_format)
    members, names = _parameters(params)
    tee, elbow, pipe, gap = ("|-- ", "`-- ", "|   ", "    ") if ascii else (
        "├── ", "└── ", "│   ", "    ")
    uses: dict[Value, int] = {}
    for node in topological_order(root):
        for parent in node.parents:
            uses[parent] = uses.get(parent, 0) + 1
    tags: dict[Value, int] = {}
    lines: list[str] = []
    skipped = 0
    stack: list[tuple[Value, str, str]] = [(root, "", "")]
    while stack:
        node, lead, child_lead = stack.pop()
        full = max_lines is not None and len(lines) >= max_lines
        name = names.get(node, node.label)
        if node.op is not None:
            head = f"{name} = {node.op.symbol}" if name else node.op.symbol
        else:
            head = name if name is not None else ("param" if node in members else "leaf")
        if node in members and name is not None:
            head += " (param)"
        if node in tags:
            if full:
                skipped += 1
            else:
                lines.append(f"{lead}{head}  (#{tags[node]}, shown above)")
            continue
        if uses.get(node, 0) > 1:
            tags[node] = len(tags) + 1
        if full:
            skipped += 1
        else:
            text = f"{lead}{head}  data {fmt(node.data)}"
            if show_grad:
                star = "*" if isinstance(node.grad, Value) else ""
                text += f"  grad{star} {fmt(grad_of(node))}"
            if node in tags:
                text += f"  [#{tags[node]}]"
            lines.append(text)
        parents = node.parents
        for k in range(len(parents) - 1, -1, -1):
            if full:  # only counting now: no indentation to build
                stack.append((parents[k], "", ""))
                continue
            last = k == len(parents) - 1
            stack.append((parents[k], child_lead + (elbow if last else tee),
                          child_lead + (gap if last else pipe)))
    if skipped:
        lines.append(f"... {skipped} more lines (text_tree(..., max_lines=None) shows all)")
    return "\n".join(lines)


def value_mimebundle(value: Value, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """Jupyter's rich display of a Value: its diagram as SVG when a renderer exists,
    always with the text tree as plain text.

    >>> bundle = value_mimebundle(Value(1.0, label="x"))
    >>> bundle["text/plain"]
    'x  data 1  grad 0'
    >>> set(bundle) <= {"image/svg+xml", "text/plain"}
    True
    """
    bundle: dict[str, Any] = {"text/plain": text_tree(value, max_lines=60)}
    # Without a renderer, or when the layout fails, the text tree still shows.
    with contextlib.suppress(Exception):
        bundle["image/svg+xml"] = render(value, "svg").decode("utf-8")
    return bundle
