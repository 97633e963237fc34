"""The backprop explainer: a self-contained HTML page that steps through the forward pass and
then the backward pass, explaining every number it shows.

Each forward step shows the op as written (`v = x1 * x2 = 100 * 2 = 200`); each backward step
shows, for every edge it handles, the local derivative as a formula and as numbers, the
chain-rule product, and the running sum of a node used several times, typeset with MathML.
Clicking a node shows its whole gradient and its paths to the output; a quiz mode asks for
each gradient before showing it. Positions come from Graphviz's `dot` when the page is built
(see `layout`), so the page works offline; groups (layers, neurons) open and close on click.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = (x * x).tanh()
>>> page = to_html(y)
>>> page.startswith("<!DOCTYPE html>") and 'id="ag-data"' in page
True
"""

from __future__ import annotations

import base64
import html
import json
import zlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from autograd.engine import Constant, Hooks, Value, gradients, hooks
from autograd.viz.explain import Explainer, Line, constant_note
from autograd.viz.layout import Box, Cluster, Graph, Placed, lay_out
from autograd.viz.options import DiagramOptions
from autograd.viz.palette import GRADIENT_BANDS, KIND_COLOURS, ZERO_COLOUR, gradient_colour
from autograd.viz.view import (
    GraphView,
    GroupPath,
    grad_of,
    group_summary,
    local_partials,
    op_label,
    outer_groups,
    path_key,
    short_name,
    view_of,
)

__all__ = ["pack", "page_data", "to_html", "unpack", "viewer_assets"]

CHAR = 7.3  # px per character of the page's 12 px monospace font
LINE = 16.0
FULL_LIMIT = 2500  # an 'open every group' view is offered up to this many nodes


def _h(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass
class _Record:
    """What one backward step delivered: its node's gradient, its local partials, the
    gradient each edge carried and each parent's total just after."""

    node: Value
    g: float
    partials: list[float | None]
    flows: list[float | None]
    totals: list[float]


@dataclass
class _Build:
    view: GraphView
    options: DiagramOptions
    say: Explainer
    steps: list[dict[str, Any]] = field(default_factory=list)
    grads: dict[Value, list[tuple[int, float]]] = field(default_factory=dict)
    arrivals: dict[Value, list[tuple[int, float]]] = field(default_factory=dict)
    uses: dict[Value, list[tuple[Value, int, float | None, float]]] = field(default_factory=dict)
    back: dict[Value, tuple[int, list[str | None]]] = field(default_factory=dict)
    note: str = ""


# ----------------------------------------------------------------------------------------------
# The steps
# ----------------------------------------------------------------------------------------------


def _kind_counts(view: GraphView, nodes: list[Value]) -> str:
    counts: dict[str, int] = {}
    for node in nodes:
        counts[view.kind(node)] = counts.get(view.kind(node), 0) + 1
    parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind in ("input", "parameter", "constant")
             if (n := counts.get(kind, 0))]
    return ", ".join(parts) or "no leaves"


def _in(group: GroupPath | None) -> str:
    return f" in {_h('.'.join(group))}" if group else ""


def _forward_steps(build: _Build) -> None:
    view, say = build.view, build.say
    leaves = [n for n in view.nodes if not n.parents]
    build.steps.append({
        "phase": "start", "node": None,
        "html": "<p>The leaves hold their values: " + _h(_kind_counts(view, leaves)) +
                ". Step forward (&#x25B6; or the right arrow key) to compute the graph.</p>",
    })
    for node in view.nodes:
        if not node.parents:
            continue
        group = say.within(node)
        line = say.forward(node)
        build.steps.append({
            "phase": "forward", "node": view.index[node],
            "html": f'<p class="lead">Forward: compute {_h(view.name(node))}{_in(group)}</p>'
                    f'<div class="eq">{line.block()}</div>',
        })
    say.within(None)


def _record_backward(build: _Build) -> list[_Record]:
    """Run a backward pass from the root (seed 1), noting what each step delivers.

    The engine's backward hook reports each node right after it has pushed its gradient to
    its parents; `gradients` leaves every `.grad` of the graph as it was.
    """
    view = build.view
    records: list[_Record] = []

    class Record(Hooks):
        def on_backward_step(self, node: Value, root: Value) -> None:
            if node in view.index:
                g = grad_of(node)
                partials = local_partials(node)
                flows = [None if p is None or isinstance(parent, Constant) else g * p
                         for parent, p in zip(node.parents, partials)]
                records.append(_Record(node, g, partials, flows,
                                       [grad_of(p) for p in node.parents]))

    try:
        with hooks(Record()):
            gradients(view.root, [])
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
        build.note = f"The backward pass stopped: {error}"
    return records


def _backward_steps(build: _Build) -> None:
    view, say, fmt = build.view, build.say, build.options.fmt
    root = view.root
    seed_step = len(build.steps)
    say.within(None)
    build.steps.append({
        "phase": "seed", "node": view.index[root],
        "html": f'<p class="lead">Backward starts at the output {_h(view.name(root))}: '
                "its gradient with respect to itself is 1.</p>"
                f'<div class="eq">{say.seed(root).block()}</div>',
    })
    build.grads[root] = [(seed_step, 1.0)]
    records = _record_backward(build)
    edges_in: dict[Value, int] = {}
    for node in view.nodes:
        for parent in node.parents:
            if parent in view.index and not isinstance(parent, Constant):
                edges_in[parent] = edges_in.get(parent, 0) + 1
    for record in records:
        node = record.node
        step = len(build.steps)
        group = say.within(node)
        rows, asks = [], []
        # A parent used twice by this op (x * x) takes its flows one edge at a time: the
        # running total after an edge is the final one less the flows of its later edges.
        later: dict[Value, float] = {}
        running: list[float] = []
        for parent, flow, total in reversed(list(zip(node.parents, record.flows,
                                                     record.totals))):
            pending = later.get(parent, 0.0)
            running.append(total - pending)
            later[parent] = pending + (flow or 0.0)
        running.reverse()
        notes = []
        for k, parent in enumerate(node.parents):
            if parent not in view.index:
                continue
            if isinstance(parent, Constant):
                notes.append(constant_note(fmt, parent))
                continue
            flow, partial = record.flows[k], record.partials[k]
            build.grads.setdefault(parent, []).append((step, running[k]))
            build.arrivals.setdefault(parent, []).append((step, flow or 0.0))
            build.uses.setdefault(parent, []).append((node, k, partial, record.g))
            chain = say.product(node, k, record.g, partial, flow).block()
            if edges_in.get(parent, 0) > 1 and len(build.arrivals[parent]) > 1:
                terms = [t for _, t in build.arrivals[parent]]
                chain += f'<div class="sum">{say.running(parent, terms, running[k]).block()}</div>'
            row = len(rows)
            rows.append(f'<tr class="row" data-row="{row}"><td class="local">'
                        f'{say.local(node, k, partial).block()}</td>'
                        f'<td class="chain">{chain}</td></tr>')
            if flow is not None:
                asks.append({"row": row, "value": flow, "shown": fmt(flow),
                             "q": _question(say, node, k).block()})
        made = Line(f"{say.name(node).ml}<mo>=</mo>{say.symbolic(node).ml}",
                    f"{say.name(node).text} = {say.symbolic(node).text}")
        head = (f'<p class="lead">Backward through {made.block()}{_in(group)}: its gradient '
                f"{_h(fmt(record.g))} flows back to "
                f"{'its operand' if len(node.parents) == 1 else 'each operand'}, times the "
                "local derivative.</p>")
        build.back[node] = (step, [None if f is None else gradient_colour(f)
                                   for f in record.flows])
        table = f'<table class="rows">{"".join(rows)}</table>' if rows else ""
        aside = "".join(f'<p class="note">{_h(n)}.</p>' for n in notes)
        build.steps.append({"phase": "backward", "node": view.index[node],
                            "html": head + table + aside, "asks": asks})


def _question(say: Explainer, node: Value, k: int) -> Line:
    """`x1.grad += ?`: what the quiz asks for an edge."""
    parent = node.parents[k]
    return Line(f"{say.grad_of(parent).ml}<mo>+=</mo><mi>?</mi>",
                f"{say.grad_of(parent).text} += ?")


# ----------------------------------------------------------------------------------------------
# Scenes: the graph with some groups collapsed, laid out once each
# ----------------------------------------------------------------------------------------------


def _group_table(view: GraphView) -> tuple[list[GroupPath], dict[GroupPath, int]]:
    every = {path[:d] for path in view.paths.values() for d in range(1, len(path) + 1)}
    ordered = sorted(every, key=path_key)
    return ordered, {path: k for k, path in enumerate(ordered)}


def _value_box(build: _Build, node: Value) -> Box:
    view, fmt = build.view, build.options.fmt
    i = view.index[node]
    if view.kind(node) == "constant":
        return Box(f"v{i}", max(30.0, len(fmt(node.data)) * CHAR + 14), 24.0)
    name = short_name(view.name(node), view.group_of(node))
    grads = [fmt(g) for _, g in build.grads.get(node, [])] or ["0"]
    longest = max(len(name), len("data " + fmt(node.data)), max(len("grad " + g) for g in grads))
    return Box(f"v{i}", max(56.0, longest * CHAR + 16), 3 * LINE + 8)


def _scene(build: _Build, collapsed: frozenset[GroupPath], index: dict[GroupPath, int],
           ) -> tuple[Graph, list[list[Any]]]:
    """The graph to lay out with the groups of `collapsed` drawn as one box each, and, for
    each edge, the (op node, operand) pairs it carries (-1: the op's edge to its result)."""
    view, options = build.view, build.options

    def hidden(node: Value) -> GroupPath | None:
        path = view.group_of(node)
        if not path:
            return None
        for depth in range(1, len(path) + 1):
            if path[:depth] in collapsed:
                return path[:depth]
        return None

    def at(node: Value, op: bool = False) -> str:
        group = hidden(node)
        if group is not None:
            return f"g{index[group]}"
        return f"{'o' if op else 'v'}{view.index[node]}"

    boxes: list[Box] = []
    members: dict[GroupPath, list[str]] = {}
    shown_groups: dict[GroupPath, None] = {}
    for node in view.nodes:
        group = hidden(node)
        if group is not None:
            shown_groups.setdefault(group)
            continue
        boxes.append(_value_box(build, node))
        keys = [f"v{view.index[node]}"]
        if node.op is not None:
            label = op_label(node)
            boxes.append(Box(f"o{view.index[node]}", max(30.0, len(label) * CHAR + 18), 24.0))
            keys.append(f"o{view.index[node]}")
        path = view.group_of(node)
        if path:
            members.setdefault(path, []).extend(keys)
    for group in shown_groups:
        summary = group_summary(view, group)
        width = max(len(group[-1]) * 8.0, len(summary) * 6.4) + 28
        boxes.append(Box(f"g{index[group]}", max(120.0, width), 58.0))
        if group[:-1]:
            members.setdefault(group[:-1], []).append(f"g{index[group]}")
    if view.hidden:
        boxes.append(Box("more", 26 * CHAR, 2 * LINE + 8))
    edges: list[tuple[str, str]] = []
    carried: list[list[Any]] = []
    merged: dict[tuple[str, str], int] = {}
    for node in view.nodes:
        if node.op is None:
            continue
        i = view.index[node]
        target = at(node, op=True)
        for k, parent in enumerate(node.parents):
            if parent not in view.index:
                continue
            source = at(parent)
            if source == target:
                continue
            if source[0] == "g" or target[0] == "g":
                if (source, target) in merged:
                    carried[merged[(source, target)]].append([i, k])
                    continue
                merged[(source, target)] = len(edges)
            edges.append((source, target))
            carried.append([[i, k]])
        if hidden(node) is None:
            edges.append((f"o{i}", f"v{i}"))
            carried.append([[i, -1]])
    for node in view.boundary:
        pair = ("more", at(node, op=True))
        if pair not in merged:
            merged[pair] = len(edges)
            edges.append(pair)
            carried.append([])
    clusters = []
    every = {path[:d] for path in members for d in range(1, len(path) + 1)}
    for path in sorted(every, key=path_key):
        clusters.append(Cluster(f"c{index[path]}", path[-1], tuple(members.get(path, [])),
                                f"c{index[path[:-1]]}" if path[:-1] else None))
    return Graph(boxes, edges, clusters, options.rankdir), carried


def _placed_json(placed: Placed, carried: list[list[Any]], graph: Graph) -> dict[str, Any]:
    def r(rect: tuple[float, float, float, float]) -> list[float]:
        return [round(v, 1) for v in rect]

    return {
        "width": round(placed.width, 1), "height": round(placed.height, 1),
        "boxes": {key: r(rect) for key, rect in placed.boxes.items()},
        "edges": [[s, t, path, ops] for (s, t), path, ops in zip(graph.edges, placed.edges,
                                                                  carried)],
        "clusters": {key[1:]: r(rect) for key, rect in placed.clusters.items()},
    }


def _scenes(build: _Build) -> tuple[list[dict[str, Any]], list[GroupPath], int, str]:
    """Every view the page can show, laid out: the overview (outer groups collapsed), one
    per outer group (that group open), and every group open; and which one starts."""
    view = build.view
    ordered, index = _group_table(view)
    outer = outer_groups(view.paths.values()) if view.paths else []
    specs: list[tuple[str, frozenset[GroupPath], int]] = []
    if outer:
        specs.append(("overview", frozenset(outer), -1))
        if len(outer) > 1:
            specs += [(".".join(g), frozenset(outer) - {g}, index[g]) for g in outer]
    if not outer or len(view.nodes) <= FULL_LIMIT:
        specs.append(("all", frozenset(), -1))
    graphs = [_scene(build, collapsed, index) for _, collapsed, _ in specs]
    placed = lay_out([graph for graph, _ in graphs])
    scenes = []
    for (name, _, opens), (graph, carried), where in zip(specs, graphs, placed):
        scene = _placed_json(where, carried, graph)
        scene.update(name=name, opens=opens)
        scenes.append(scene)
    start = 0 if view.collapsed or not any(s["name"] == "all" for s in scenes) else len(
        scenes) - 1
    return scenes, ordered, start, placed[0].note if placed else ""


# ----------------------------------------------------------------------------------------------
# The page
# ----------------------------------------------------------------------------------------------


def _node_table(build: _Build, groups: dict[GroupPath, int]) -> list[dict[str, Any]]:
    view, fmt, say = build.view, build.options.fmt, build.say
    shown_at: dict[Value, int] = {}
    for k, step in enumerate(build.steps):
        if step["phase"] == "forward":
            shown_at[view.nodes[step["node"]]] = k
    nodes = []
    say.within(None)
    for node in view.nodes:
        kind = view.kind(node)
        path = view.group_of(node)
        entry: dict[str, Any] = {
            "name": view.name(node),
            "short": short_name(view.name(node), path),
            "given": view.given_name(node) is not None,
            "kind": kind,
            "data": fmt(node.data),
            "parents": [view.index.get(p, -1) for p in node.parents],  # -1: not drawn
            "group": groups[path] if path else -1,
            "shown": shown_at.get(node, 0),
        }
        if node.op is not None:
            entry["op"] = op_label(node)
            entry["formula"] = say.symbolic(node).text
            if node in build.back:
                entry["back"] = list(build.back[node])
        if kind != "constant":
            entry["grads"] = [[s, fmt(g), gradient_colour(g)]
                              for s, g in build.grads.get(node, [])]
            head, lines, total = say.expansion(node, build.uses.get(node, []))
            text = f'<div class="eq">{head.block()}</div>'
            if total is not None:
                count = len(lines)
                text += (f'<p class="ag-dim">the sum over the {count} edge'
                         f'{"s" if count != 1 else ""} from {_h(view.name(node))} into the ops '
                         "that use it:</p>" if count else
                         '<p class="ag-dim">no op uses it on the way to the output:</p>')
                text += '<table class="ag-terms">' + "".join(
                    f'<tr><td>{"+" if k else ""}</td><td>{line.block()}</td></tr>'
                    for k, line in enumerate(lines)) + "</table>"
                text += f'<div class="eq">{total.block()}</div>'
            entry["expansion"] = text
        nodes.append(entry)
    return nodes


def page_data(root: Value, options: DiagramOptions | None = None, **keywords: Any
              ) -> dict[str, Any]:
    """Everything the explainer shows, computed here once: steps with their maths, nodes,
    groups and the laid-out scenes. The HTML page and the notebook widget both show it.

    >>> from autograd import Value
    >>> data = page_data(Value(2.0, label="x") * 3.0)
    >>> [step["phase"] for step in data["steps"]]
    ['start', 'forward', 'seed', 'backward']
    """
    options = DiagramOptions.of(options, **keywords)
    view = view_of(root, max_nodes=options.max_nodes, params=options.params,
                   groups=options.groups, collapse=options.collapse)
    build = _Build(view, options, Explainer(view, options.fmt))
    _forward_steps(build)
    _backward_steps(build)
    scenes, ordered, start, layout_note = _scenes(build)
    groups = {path: k for k, path in enumerate(ordered)}
    outer = set(outer_groups(view.paths.values())) if view.paths else set()
    root_name = view.name(view.root)
    return {
        "title": options.title or f"How the gradient of {root_name} is computed",
        "root": view.index[view.root],
        "quiz": bool(options.quiz),
        "note": build.note,
        "layoutNote": layout_note,
        "hidden": view.hidden,
        "rankdir": options.rankdir,
        "steps": build.steps,
        "forward": sum(1 for s in build.steps if s["phase"] == "forward"),
        "backward": sum(1 for s in build.steps if s["phase"] == "backward"),
        "nodes": _node_table(build, groups),
        "groups": [{"name": path[-1], "path": ".".join(path),
                    "parent": groups[path[:-1]] if path[:-1] else -1,
                    "outer": path in outer,
                    "summary": group_summary(view, path)} for path in ordered],
        "scenes": scenes,
        "start": start,
        "bands": [[colour, text] for _, colour, text in GRADIENT_BANDS] + [[ZERO_COLOUR, "0"]],
        "kinds": {kind: KIND_COLOURS[kind] for kind in
                  ("parameter", "input", "constant", "intermediate", "output")},
    }


def viewer_assets() -> tuple[str, str]:
    """The viewer's style sheet and script (an ES module), as shipped with the package.

    >>> css, js = viewer_assets()
    >>> "ag-explainer" in css and "export default" in js
    True
    """
    folder = resources.files("autograd.viz") / "assets"
    return ((folder / "viewer.css").read_text(encoding="utf-8"),
            (folder / "viewer.js").read_text(encoding="utf-8"))


def pack(data: Any) -> str:
    """The page data as the page carries it: JSON, deflated, in base64 (the maths is
    verbose and repetitive, so a real network's page shrinks about twelve times).

    >>> unpack(pack({"a": [1, "<x>"]}))
    {'a': [1, '<x>']}
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")


def unpack(packed: str) -> Any:
    """The page data back from `pack`.

    >>> unpack(pack([1.5, "x"]))
    [1.5, 'x']
    """
    return json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8"))


def to_html(root: Value, options: DiagramOptions | None = None, **keywords: Any) -> str:
    """A self-contained page that explains the forward pass, then the backward pass.

    The backward pass shown is a fresh one from `root` with seed 1 (every `.grad` of the
    graph is left as it was); each gradient appears when it arrives, with the arithmetic
    that made it. Options are those of every diagram (`DiagramOptions`), `quiz=True`
    included. Works offline: nothing is fetched.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a")
    >>> page = to_html(a * a)
    >>> packed = page.split('id="ag-data">')[1].split("<")[0]
    >>> "a.grad += mul1.grad * dmul1/da = 1 * 3 = 3" in str(unpack(packed))
    True
    """
    data = page_data(root, options, **keywords)
    css, js = viewer_assets()
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_h(data['title'])}</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<style>\n{css}</style>\n</head>\n<body class=\"ag-page\">\n"
        '<div id="ag-root" class="ag-explainer"><noscript>This page needs JavaScript to step '
        "through the graph.</noscript></div>\n"
        f'<script type="application/octet-stream" id="ag-data">{pack(data)}</script>\n'
        f'<script type="module">\n{js}\n'
        'unpack(document.getElementById("ag-data").textContent)'
        '.then((data) => mount(document.getElementById("ag-root"), data, { page: true }));\n'
        "</script>\n</body>\n</html>\n"
    )
