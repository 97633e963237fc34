"""Positions for the HTML page, computed when the page is built: Graphviz's `dot` lays the
graph out (boxes of given sizes, clusters, spline edges) and its JSON output is read back, so
the page itself needs no layout code and works offline. Without a `dot` program, a simple
layered layout stands in, and says so.

>>> g = Graph([Box("a", 60, 30), Box("b", 60, 30)], [("a", "b")])
>>> placed = lay_out([g])[0]
>>> placed.boxes["a"][0] < placed.boxes["b"][0]  # left to right
True
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from autograd.viz import renderer
from autograd.viz.renderer import RENDER_HINT, RendererNotFound

__all__ = ["Box", "Cluster", "Graph", "Placed", "lay_out"]

Rect = tuple[float, float, float, float]  # x, y of the top left corner, width, height

LAYER_GAP = 40.0
NODE_GAP = 14.0
MARGIN = 12.0
FALLBACK_NOTE = ("Laid out without Graphviz (no `dot` program found), so groups are not "
                 "boxed; for the full layout " + RENDER_HINT + ".")


@dataclass(frozen=True)
class Box:
    """A node to place: its key and size in pixels.

    >>> Box("v0", 80, 40).width
    80
    """

    key: str
    width: float
    height: float


@dataclass(frozen=True)
class Cluster:
    """A group drawn as a frame around its members (keys) and its sub-clusters.

    >>> Cluster("c0", "layers.0", ("v1", "v2")).members
    ('v1', 'v2')
    """

    key: str
    label: str
    members: tuple[str, ...]
    parent: str | None = None


@dataclass
class Graph:
    """What to lay out: boxes, edges between their keys, nested clusters, a direction.

    >>> Graph([Box("a", 10, 10)], []).rankdir
    'LR'
    """

    boxes: list[Box]
    edges: list[tuple[str, str]]
    clusters: list[Cluster] = field(default_factory=list)
    rankdir: str = "LR"


@dataclass
class Placed:
    """Where everything went: boxes and clusters as rectangles, edges as SVG paths.

    >>> Placed({"a": (0.0, 0.0, 10.0, 10.0)}, [], {}, 10.0, 10.0).boxes["a"][2]
    10.0
    """

    boxes: dict[str, Rect]
    edges: list[str]
    clusters: dict[str, Rect]
    width: float
    height: float
    note: str = ""


def lay_out(graphs: list[Graph]) -> list[Placed]:
    """Lay out each graph with `dot` (several at once), or with the fallback without one.

    >>> lay_out([Graph([Box("x", 40, 20)], [])])[0].width > 0
    True
    """
    if renderer.find_renderer() is None:
        return [_fallback(graph) for graph in graphs]
    with ThreadPoolExecutor(max_workers=max(1, min(len(graphs), 4))) as pool:
        outputs = list(pool.map(_run, graphs))
    return [placed if placed is not None else _fallback(graph)
            for graph, placed in zip(graphs, outputs)]


def _run(graph: Graph) -> Placed | None:
    try:
        out = renderer.run_dot(to_layout_dot(graph), "json0", timeout=120)
    except RendererNotFound:
        return None
    return read_layout(graph, json.loads(out))


def _inches(px: float) -> str:
    return f"{px / 72.0:.4f}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_layout_dot(graph: Graph) -> str:
    """The DOT text that asks `dot` for positions only: plain boxes of fixed sizes.

    >>> print(to_layout_dot(Graph([Box("a", 72, 36)], [])).splitlines()[3])
    a [width=1.0000 height=0.5000]
    """
    lines = [
        "digraph layout {",
        f"graph [rankdir={graph.rankdir} nodesep=0.22 ranksep=0.42 fontsize=12 "
        'fontname="Helvetica"]',
        'node [shape=box fixedsize=true label=""]',
    ]
    for box in graph.boxes:
        lines.append(f"{box.key} [width={_inches(box.width)} height={_inches(box.height)}]")
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    # Nested clusters, depth first with an explicit stack of (cluster, closing?).
    stack: list[tuple[Cluster, bool]] = [(c, False) for c in reversed(children.get(None, []))]
    while stack:
        cluster, closing = stack.pop()
        if closing:
            lines.append("}")
            continue
        lines.append(f"subgraph cluster_{cluster.key} {{ label={_quote(cluster.label)} "
                     "margin=10")
        if cluster.members:
            lines.append(" ".join(cluster.members))
        stack.append((cluster, True))
        stack.extend((c, False) for c in reversed(children.get(cluster.key, [])))
    for source, target in graph.edges:
        lines.append(f"{source} -> {target}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


def read_layout(graph: Graph, data: dict[str, object]) -> Placed:
    """Rectangles and edge paths from `dot -Tjson0` output, in page pixels (y down).

    >>> g = Graph([Box("a", 72, 36)], [])
    >>> read_layout(g, {"bb": "0,0,80,44", "objects": [
    ...     {"name": "a", "pos": "40,22", "width": "1", "height": "0.5"}]}).boxes["a"]
    (4.0, 4.0, 72.0, 36.0)
    """
    _, _, right, top = _floats(str(data["bb"]))
    height = top

    def flip(x: float, y: float) -> tuple[float, float]:
        return x, height - y

    boxes: dict[str, Rect] = {}
    clusters: dict[str, Rect] = {}
    names: dict[int, str] = {}
    objects = data.get("objects", [])
    assert isinstance(objects, list)
    for item in objects:
        name = str(item.get("name", ""))
        if "bb" in item and name.startswith("cluster_"):
            x0, y0, x1, y1 = _floats(item["bb"])
            clusters[name.removeprefix("cluster_")] = (x0, height - y1, x1 - x0, y1 - y0)
            continue
        if "pos" not in item:
            continue
        x, y = flip(*_floats(item["pos"]))
        w, h = float(item["width"]) * 72.0, float(item["height"]) * 72.0
        boxes[name] = (x - w / 2, y - h / 2, w, h)
        if "_gvid" in item:
            names[int(item["_gvid"])] = name
    paths: dict[tuple[str, str], list[str]] = {}
    edges = data.get("edges", [])
    assert isinstance(edges, list)
    for edge in edges:
        key = (names.get(int(edge["tail"]), ""), names.get(int(edge["head"]), ""))
        paths.setdefault(key, []).append(_spline_path(str(edge.get("pos", "")), flip))
    ordered = []
    for source, target in graph.edges:
        found = paths.get((source, target))
        ordered.append(found.pop(0) if found else _straight(boxes, source, target))
    return Placed(boxes, ordered, clusters, right, top)


def _spline_path(pos: str, flip: Callable[[float, float], tuple[float, float]]) -> str:
    """An SVG path from a Graphviz spline: 'e,x,y' (arrow tip), then 3n + 1 control points."""
    end = None
    points = []
    for part in pos.split():
        if part.startswith("e,"):
            end = flip(*_floats(part[2:]))
        elif part.startswith("s,"):
            continue
        else:
            points.append(flip(*_floats(part)))
    if not points:
        return ""
    out = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
    for k in range(1, len(points) - 2, 3):
        (ax, ay), (bx, by), (cx, cy) = points[k:k + 3]
        out.append(f"C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {cx:.1f},{cy:.1f}")
    if end is not None:
        out.append(f"L{end[0]:.1f},{end[1]:.1f}")
    return " ".join(out)


def _straight(boxes: dict[str, Rect], source: str, target: str) -> str:
    if source not in boxes or target not in boxes:
        return ""
    ax, ay, aw, ah = boxes[source]
    bx, by, bw, bh = boxes[target]
    return (f"M{ax + aw / 2:.1f},{ay + ah / 2:.1f} L{bx + bw / 2:.1f},{by + bh / 2:.1f}")


# ----------------------------------------------------------------------------------------------
# Without a renderer: layers by longest path, order by barycentres, then coordinates
# ----------------------------------------------------------------------------------------------


def _fallback(graph: Graph) -> Placed:
    lr = graph.rankdir in ("LR", "RL")
    keys = [box.key for box in graph.boxes]
    size = {box.key: ((box.width, box.height) if lr else (box.height, box.width))
            for box in graph.boxes}  # (along the layers, across them)
    preds: dict[str, list[str]] = {key: [] for key in keys}
    succs: dict[str, list[str]] = {key: [] for key in keys}
    for source, target in graph.edges:
        if source in preds and target in preds:
            succs[source].append(target)
            preds[target].append(source)
    layer = dict.fromkeys(keys, 0)
    for key in _topological(keys, preds, succs):
        layer[key] = max((layer[p] + 1 for p in preds[key]), default=0)
    for key in reversed(_topological(keys, preds, succs)):  # sources next to their consumer
        if not preds[key] and succs[key]:
            layer[key] = min(layer[s] for s in succs[key]) - 1
    low = min(layer.values(), default=0)
    depth = max(layer.values(), default=0) - low + 1
    layers: list[list[str]] = [[] for _ in range(depth)]
    for key in keys:
        layers[layer[key] - low].append(key)
    position = {key: k for row in layers for k, key in enumerate(row)}
    for sweep in range(6):  # barycentre ordering, alternating direction
        forward = sweep % 2 == 0
        for row in layers[1:] if forward else list(reversed(layers))[1:]:
            def centre(key: str, forward: bool = forward) -> float:
                near = preds[key] if forward else succs[key]
                return sum(position[n] for n in near) / len(near) if near else position[key]

            row.sort(key=lambda k: (centre(k), position[k]))
            for k, key in enumerate(row):
                position[key] = k
    across: dict[str, float] = {}
    for row in layers:
        at = 0.0
        for key in row:
            across[key] = at + size[key][1] / 2
            at += size[key][1] + NODE_GAP
    starts, main_at = [], MARGIN
    for row in layers:
        starts.append(main_at)
        main_at += max((size[k][0] for k in row), default=0.0) + LAYER_GAP
    lowest = min((across[k] - size[k][1] / 2 for k in keys), default=0.0)
    boxes: dict[str, Rect] = {}
    far = 0.0
    for row, start in zip(layers, starts):
        for key in row:
            along, wide = size[key]
            a = start
            c = across[key] - wide / 2 - lowest + MARGIN
            far = max(far, c + wide)
            boxes[key] = (a, c, along, wide) if lr else (c, a, wide, along)
    length = main_at - LAYER_GAP + MARGIN
    width, height = (length, far + MARGIN) if lr else (far + MARGIN, length)
    paths = []
    for source, target in graph.edges:
        if source not in boxes or target not in boxes:
            paths.append("")
            continue
        ax, ay, aw, ah = boxes[source]
        bx, by, bw, bh = boxes[target]
        if lr:
            x1, y1, x2, y2 = ax + aw, ay + ah / 2, bx, by + bh / 2
            mid = (x1 + x2) / 2
            paths.append(f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} "
                         f"{x2:.1f},{y2:.1f}")
        else:
            x1, y1, x2, y2 = ax + aw / 2, ay + ah, bx + bw / 2, by
            mid = (y1 + y2) / 2
            paths.append(f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} "
                         f"{x2:.1f},{y2:.1f}")
    return Placed(boxes, paths, {}, max(width, 1.0), max(height, 1.0), FALLBACK_NOTE)


def _topological(keys: list[str], preds: dict[str, list[str]],
                 succs: dict[str, list[str]]) -> list[str]:
    waiting = {key: len(preds[key]) for key in keys}
    ready = [key for key in keys if waiting[key] == 0]
    order: list[str] = []
    while ready:
        key = ready.pop()
        order.append(key)
        for s in succs[key]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    seen = set(order)
    return order + [key for key in keys if key not in seen]  # cycles cannot occur; be safe


