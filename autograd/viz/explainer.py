"""A self-contained HTML page that steps through the forward and then the backward pass.

The page lays out the graph itself (layered, left to right or top to bottom) as inline
SVG, so it needs no renderer and fetches nothing from the network. Its script and style
ship with the package (`autograd/viz_assets/`) and are copied into the page.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = (x * x).tanh()
>>> page = to_html(y)
>>> page.startswith("<!DOCTYPE html>") and 'id="graph-data"' in page
True
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from autograd.engine import Hooks, Value, gradients, hooks
from autograd.viz.options import DiagramOptions
from autograd.viz.palette import GRADIENT_BANDS, KIND_COLOURS, ZERO_COLOUR, gradient_colour
from autograd.viz.view import GraphView, edge_gradients, number_formatter, view_of


def _h(text: str) -> str:
    return html.escape(text, quote=True)

__all__ = ["to_html"]

CHAR_WIDTH = 7.3  # px per character of the 12 px monospace font used in the page
LINE_HEIGHT = 17.0
LAYER_GAP = 46.0
NODE_GAP = 16.0
MARGIN = 20.0


@dataclass
class _Box:
    key: str
    main: float  # size along the layer axis
    cross: float  # size across it
    layer: int = 0
    at: float = 0.0  # centre across the layer axis
    preds: list[str] = field(default_factory=list)
    succs: list[str] = field(default_factory=list)


@dataclass
class _Page:
    """Everything the page shows, computed once in Python."""

    view: GraphView
    fmt: Callable[[float], str]
    steps: list[dict[str, Any]] = field(default_factory=list)
    grads: dict[Value, list[tuple[int, float]]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    flows: dict[int, tuple[int, list[float | None]]] = field(default_factory=dict)


def _display_name(view: GraphView, node: Value) -> str:
    name = view.name(node)
    return name if name is not None else f"v{view.index[node]}"


# ----------------------------------------------------------------------------------------------
# The steps: the forward pass in topological order, then the engine's own backward pass
# ----------------------------------------------------------------------------------------------


def _forward_steps(page: _Page) -> None:
    view, fmt = page.view, page.fmt
    leaves = [n for n in view.nodes if not n.parents]
    page.steps.append({
        "phase": "start", "node": None,
        "text": f"Start: {len(leaves)} leaves hold their values "
                "(inputs, parameters and constants).",
        "shows": [view.index[n] for n in leaves],
    })
    for node in view.nodes:
        if not node.parents:
            continue
        i = view.index[node]
        args = ", ".join(
            _display_name(view, p) if p in view.index and view.name(p) else fmt(p.data)
            for p in node.parents
        )
        name = _display_name(view, node)
        page.steps.append({
            "phase": "forward", "node": i,
            "text": f"Forward: {name} = {node.op.symbol}({args}) = {fmt(node.data)}",  # type: ignore[union-attr]
            "shows": [i],
        })


def _backward_steps(page: _Page) -> None:
    """Run a backward pass from the root (seed 1) and record what each step delivers.

    The engine's backward hook reports each node right after it has pushed its gradient to
    its parents; `gradients` leaves every `.grad` of the graph as it was.
    """
    view, fmt = page.view, page.fmt
    root = view.root
    seed_step = len(page.steps)
    page.steps.append({
        "phase": "seed", "node": view.index[root],
        "text": f"Backward starts: d{_display_name(view, root)}/d{_display_name(view, root)} = 1.",
        "shows": [],
    })
    page.grads[root] = [(seed_step, 1.0)]
    records: list[tuple[Value, list[float | None], list[float]]] = []

    class Record(Hooks):
        def on_backward_step(self, node: Value, root: Value) -> None:
            if node in view.index:
                flows = edge_gradients(node)
                records.append((node, flows, [float(p.grad) for p in node.parents]))

    try:
        with hooks(Record()):
            gradients(root, [])
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
        page.note = f"The backward pass stopped: {error}"
    for node, flows, totals in records:
        step = len(page.steps)
        i = view.index[node]
        name = _display_name(view, node)
        parts = []
        # A parent used twice (x * x) takes its flows one edge at a time: the running total
        # after an edge is the final one less the flows of its later edges to the same parent.
        later: dict[int, float] = {}
        running: list[float] = []
        for parent, flow, total in reversed(list(zip(node.parents, flows, totals))):
            pending = later.get(id(parent), 0.0)
            running.append(total - pending)
            later[id(parent)] = pending + (flow or 0.0)
        running.reverse()
        for parent, flow, total in zip(node.parents, flows, running):
            if parent not in view.index:
                continue
            page.grads.setdefault(parent, []).append((step, total))
            shown = "?" if flow is None else fmt(flow)
            parts.append(f"{_display_name(view, parent)}.grad += {shown} (now {fmt(total)})")
        page.flows[i] = (step, flows)
        op_name = node.op.symbol  # type: ignore[union-attr]
        page.steps.append({
            "phase": "backward", "node": i,
            "text": f"Backward through {op_name} at {name}: " + "; ".join(parts),
            "shows": [],
        })


# ----------------------------------------------------------------------------------------------
# Layout: layers by longest path, order by barycentres, then coordinates
# ----------------------------------------------------------------------------------------------


def _value_lines(page: _Page, node: Value) -> list[str]:
    view, fmt = page.view, page.fmt
    kind = view.kind(node)
    name = view.name(node)
    if kind == "constant":
        return [f"const {fmt(node.data)}"]
    head = f"{name if name is not None else 'v' + str(view.index[node])}"
    if kind in ("parameter", "input", "output"):
        head += f"  ({kind})"
    longest_grad = max((len(fmt(g)) for _, g in page.grads.get(node, [])), default=1)
    return [head, f"data {fmt(node.data)}", "grad " + "0" * max(longest_grad, 1)]


def _boxes(page: _Page, lr: bool) -> dict[str, _Box]:
    view = page.view
    boxes: dict[str, _Box] = {}

    def add(key: str, width: float, height: float) -> None:
        boxes[key] = _Box(key, width if lr else height, height if lr else width)

    for node in view.nodes:
        i = view.index[node]
        lines = _value_lines(page, node)
        add(f"v{i}", max(len(t) for t in lines) * CHAR_WIDTH + 18, LINE_HEIGHT * len(lines) + 8)
        if node.op is not None:
            add(f"v{i}_op", max(30.0, len(node.op.symbol) * CHAR_WIDTH + 16), 26.0)
    if view.hidden:
        add("more", 24 * CHAR_WIDTH, 2 * LINE_HEIGHT + 8)
    for edge in page.edges:
        boxes[edge["from"]].succs.append(edge["to"])
        boxes[edge["to"]].preds.append(edge["from"])
    return boxes


def _edges(page: _Page) -> None:
    view = page.view
    for node in view.nodes:
        if node.op is None:
            continue
        i = view.index[node]
        for k, parent in enumerate(node.parents):
            if parent in view.index:
                page.edges.append({"from": f"v{view.index[parent]}", "to": f"v{i}_op",
                                   "op": i, "operand": k})
        page.edges.append({"from": f"v{i}_op", "to": f"v{i}", "op": i, "operand": -1})
    for node in view.boundary:
        page.edges.append({"from": "more", "to": f"v{view.index[node]}_op",
                           "op": view.index[node], "operand": None})


def _edge_flows(page: _Page) -> None:
    """When each edge has carried its gradient back, and the colour of that gradient."""
    view = page.view
    done = page.flows
    for edge in page.edges:
        i, operand = edge["op"], edge["operand"]
        edge["flow"] = None
        if i not in done or operand is None:
            continue
        step, flows = done[i]
        if operand == -1:
            history = page.grads.get(view.nodes[i], [])
            if history:
                edge["flow"] = [history[-1][0], gradient_colour(history[-1][1])]
        elif flows[operand] is not None:
            edge["flow"] = [step, gradient_colour(flows[operand])]  # type: ignore[arg-type]


def _layers(boxes: dict[str, _Box], order: list[str]) -> None:
    """Longest path from the sources; then sources move next to their first consumer."""
    for key in order:  # `order` lists every box after its predecessors
        box = boxes[key]
        box.layer = max((boxes[p].layer + 1 for p in box.preds), default=0)
    for key in reversed(order):
        box = boxes[key]
        if not box.preds and box.succs:
            box.layer = min(boxes[s].layer for s in box.succs) - 1


def _order_layers(boxes: dict[str, _Box], order: list[str]) -> list[list[str]]:
    depth = max(b.layer for b in boxes.values()) + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for key in order:
        layers[boxes[key].layer].append(key)
    position = {key: k for layer in layers for k, key in enumerate(layer)}
    for sweep in range(6):  # barycentre heuristic, alternating direction
        forward = sweep % 2 == 0
        sequence = range(1, depth) if forward else range(depth - 2, -1, -1)
        for li in sequence:
            layer = layers[li]

            def centre(key: str, forward: bool = forward) -> float:
                box = boxes[key]
                near = box.preds if forward else box.succs
                if not near:
                    return float(position[key])
                return sum(position[n] for n in near) / len(near)

            layer.sort(key=lambda k: (centre(k), position[k]))
            for k, key in enumerate(layer):
                position[key] = k
    return layers


def _place(boxes: dict[str, _Box], layers: list[list[str]]) -> None:
    """Coordinates across the layers: each node near its neighbours, without overlaps."""
    for layer in layers:
        at = 0.0
        for key in layer:
            box = boxes[key]
            box.at = at + box.cross / 2
            at += box.cross + NODE_GAP
    for sweep in range(4):
        sequence = layers if sweep % 2 == 0 else list(reversed(layers))
        for layer in sequence:
            wanted = []
            for key in layer:
                box = boxes[key]
                near = box.preds + box.succs
                wanted.append(sum(boxes[n].at for n in near) / len(near) if near else box.at)
            placed: list[float] = []
            for k, key in enumerate(layer):
                box = boxes[key]
                centre = wanted[k]
                if k:
                    before = boxes[layer[k - 1]]
                    centre = max(centre, placed[-1] + before.cross / 2 + NODE_GAP + box.cross / 2)
                placed.append(centre)
            shift = sum(w - p for w, p in zip(wanted, placed)) / len(placed) if placed else 0.0
            for key, centre in zip(layer, placed):
                boxes[key].at = centre + shift


def _layout(page: _Page, lr: bool) -> tuple[dict[str, tuple[float, float, float, float]],
                                             float, float]:
    """Each box's (x, y, width, height) and the drawing's size."""
    boxes = _boxes(page, lr)
    order = (["more"] if "more" in boxes else []) + [
        key for node in page.view.nodes for key in (
            [f"v{page.view.index[node]}_op"] if node.op is not None else []
        ) + [f"v{page.view.index[node]}"]
    ]
    _layers(boxes, order)
    low = min(b.layer for b in boxes.values())
    for box in boxes.values():
        box.layer -= low
    layers = _order_layers(boxes, order)
    _place(boxes, layers)
    starts, main_at = [], MARGIN
    for layer in layers:
        starts.append(main_at)
        main_at += max((boxes[k].main for k in layer), default=0.0) + LAYER_GAP
    lowest = min(b.at - b.cross / 2 for b in boxes.values())
    spots: dict[str, tuple[float, float, float, float]] = {}
    far = 0.0
    for layer, start in zip(layers, starts):
        span = max((boxes[k].main for k in layer), default=0.0)
        for key in layer:
            box = boxes[key]
            main = start + (span - box.main) / 2
            cross = box.at - box.cross / 2 - lowest + MARGIN
            far = max(far, cross + box.cross)
            if lr:
                spots[key] = (main, cross, box.main, box.cross)
            else:
                spots[key] = (cross, main, box.cross, box.main)
    length = main_at - LAYER_GAP + MARGIN
    far += MARGIN
    return spots, (length if lr else far), (far if lr else length)


# ----------------------------------------------------------------------------------------------
# SVG and the page
# ----------------------------------------------------------------------------------------------


def _n(x: float) -> str:
    return f"{x:.1f}"


def _edge_path(a: tuple[float, ...], b: tuple[float, ...], lr: bool) -> str:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if lr:
        x1, y1, x2, y2 = ax + aw, ay + ah / 2, bx - 2, by + bh / 2
        mid = (x1 + x2) / 2
        return f"M{_n(x1)},{_n(y1)} C{_n(mid)},{_n(y1)} {_n(mid)},{_n(y2)} {_n(x2)},{_n(y2)}"
    x1, y1, x2, y2 = ax + aw / 2, ay + ah, bx + bw / 2, by - 2
    mid = (y1 + y2) / 2
    return f"M{_n(x1)},{_n(y1)} C{_n(x1)},{_n(mid)} {_n(x2)},{_n(mid)} {_n(x2)},{_n(y2)}"


def _svg(page: _Page, lr: bool) -> str:
    view = page.view
    spots, width, height = _layout(page, lr)
    out = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" '
        f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
        'aria-label="computational graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="context-stroke"/></marker></defs>',
    ]
    for k, edge in enumerate(page.edges):
        out.append(
            f'<path class="edge" id="e{k}" data-op="{edge["op"]}" '
            f'd="{_edge_path(spots[edge["from"]], spots[edge["to"]], lr)}" '
            'marker-end="url(#arrow)"/>'
        )
    for node in view.nodes:
        i = view.index[node]
        kind = view.kind(node)
        x, y, w, h = spots[f"v{i}"]
        lines = _value_lines(page, node)
        out.append(f'<g class="node value kind-{kind}" id="v{i}" data-index="{i}" tabindex="0">')
        out.append(f'<title>{_h(_display_name(view, node))}</title>')
        out.append(f'<rect class="box" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" '
                   f'height="{_n(h)}" rx="6" fill="{KIND_COLOURS[kind]}"/>')
        if kind == "constant":
            out.append(f'<text class="t-data" x="{_n(x + 9)}" y="{_n(y + 17)}">'
                       f"{_h(lines[0])}</text>")
        else:
            out.append(f'<text class="t-name" x="{_n(x + 9)}" y="{_n(y + 17)}">'
                       f"{_h(lines[0])}</text>")
            out.append(f'<text class="t-data" x="{_n(x + 9)}" y="{_n(y + 17 + LINE_HEIGHT)}">'
                       f"data {_h(page.fmt(node.data))}</text>")
            gy = y + 4 + 2 * LINE_HEIGHT
            out.append(f'<rect class="grad-cell" x="{_n(x + 3)}" y="{_n(gy)}" '
                       f'width="{_n(w - 6)}" height="{_n(LINE_HEIGHT)}" rx="3" '
                       f'fill="{ZERO_COLOUR}"/>')
            out.append(f'<text class="t-grad" x="{_n(x + 9)}" y="{_n(gy + 13)}">grad ?</text>')
        out.append("</g>")
        if node.op is not None:
            x, y, w, h = spots[f"v{i}_op"]
            out.append(f'<g class="node op" id="v{i}_op" data-index="{i}">')
            out.append(f"<title>{_h(node.op.symbol)}</title>")
            out.append(f'<rect class="op-shape" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" '
                       f'height="{_n(h)}" rx="{_n(h / 2)}"/>')
            out.append(f'<text class="t-op" x="{_n(x + w / 2)}" y="{_n(y + h / 2 + 4)}" '
                       f'text-anchor="middle">{_h(node.op.symbol)}</text>')
            out.append("</g>")
    if view.hidden:
        x, y, w, h = spots["more"]
        out.append(f'<g class="node more" id="more"><rect class="box" x="{_n(x)}" y="{_n(y)}" '
                   f'width="{_n(w)}" height="{_n(h)}" rx="2"/>')
        out.append(f'<text x="{_n(x + 8)}" y="{_n(y + 17)}">{view.hidden} more nodes</text>')
        out.append(f'<text x="{_n(x + 8)}" y="{_n(y + 17 + LINE_HEIGHT)}">not drawn</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def _node_data(page: _Page) -> list[dict[str, Any]]:
    view, fmt = page.view, page.fmt
    shown_at: dict[int, int] = {}
    for k, step in enumerate(page.steps):
        for i in step["shows"]:
            shown_at.setdefault(i, k)
    nodes = []
    for node in view.nodes:
        i = view.index[node]
        parents = ", ".join(
            _display_name(view, p) if p in view.index else "(not drawn)" for p in node.parents
        )
        op = f" = {node.op.symbol}({parents})" if node.op is not None else ", a leaf"
        history = page.grads.get(node, [])
        final = fmt(history[-1][1]) if history else "0"
        nodes.append({
            "key": f"v{i}",
            "name": _display_name(view, node),
            "kind": view.kind(node),
            "data": fmt(node.data),
            "shown": shown_at.get(i, 0),
            "grads": [[step, fmt(g), gradient_colour(g)] for step, g in history],
            "details": f"{_display_name(view, node)} ({view.kind(node)}){op}\n"
                       f"data {fmt(node.data)}; gradient after the whole pass {final}",
        })
    return nodes


def to_html(root: Value, options: DiagramOptions | None = None, **keywords: Any) -> str:
    """A self-contained page stepping through the forward pass, then the backward pass.

    The backward pass shown is a fresh one from `root` with seed 1 (every `.grad` of the
    graph is left as it was); each gradient appears when it arrives. Hovering a node shows
    its details. Works offline: nothing is fetched.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a")
    >>> "Backward through *" in to_html(a * a)
    True
    """
    options = DiagramOptions.of(options, **keywords)
    rankdir, title = options.rankdir, options.title
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"to_html: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    view = view_of(root, max_nodes=options.max_nodes, params=options.params)
    page = _Page(view, number_formatter(options.number_format))
    _forward_steps(page)
    _backward_steps(page)
    _edges(page)
    lr = rankdir == "LR"
    edges_by_op: dict[int, list[int]] = {}
    for k, edge in enumerate(page.edges):
        edges_by_op.setdefault(edge["op"], []).append(k)
    _edge_flows(page)
    for step in page.steps:
        if step["phase"] in ("forward", "backward"):
            step["edges"] = edges_by_op.get(step["node"], [])
        else:
            step["edges"] = []
    payload = {
        "steps": page.steps,
        "flows": [edge["flow"] for edge in page.edges],
        "nodes": _node_data(page),
        "note": page.note,
        "forward": sum(1 for s in page.steps if s["phase"] == "forward"),
        "backward": sum(1 for s in page.steps if s["phase"] == "backward"),
    }
    # Numbers travel as formatted text; <, > and & are escaped so no label can end the script.
    blob = (json.dumps(payload, separators=(",", ":"), allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    heading = title or f"Computational graph of {_display_name(view, root)}"
    assets = resources.files("autograd.viz") / "assets"
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{_h(text)} '
        for _, colour, text in GRADIENT_BANDS
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_h(heading)}</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<style>\n{(assets / 'viewer.css').read_text(encoding='utf-8')}</style>\n"
        "</head>\n<body>\n"
        f"<h1>{_h(heading)}</h1>\n"
        '<div id="controls">'
        '<button id="first" title="start (Home)">|&#x25C0;</button>'
        '<button id="prev" title="step back (Left)">&#x25C0;</button>'
        '<button id="play" title="play or pause (Space)">play</button>'
        '<button id="next" title="step forward (Right)">&#x25B6;</button>'
        '<button id="last" title="end (End)">&#x25B6;|</button>'
        f'<input id="slider" type="range" min="0" max="{len(page.steps) - 1}" value="0" '
        'aria-label="step">'
        '<span id="phase"></span></div>\n'
        '<p id="caption" aria-live="polite"></p>\n'
        f'<div id="stage">{_svg(page, lr)}</div>\n'
        '<pre id="details">Hover over a node to see its details.</pre>\n'
        f'<p class="legend">|gradient|, log scale: {legend}'
        f'<span class="swatch" style="background:{ZERO_COLOUR}"></span>zero</p>\n'
        f'<script type="application/json" id="graph-data">{blob}</script>\n'
        f"<script>\n{(assets / 'viewer.js').read_text(encoding='utf-8')}</script>\n"
        "</body>\n</html>\n"
    )

