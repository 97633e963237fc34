"""The graph as the diagrams see it: which nodes to draw, their kinds, names and groups.

Every walk here is iterative, so graphs of any depth draw. Node ids come from the walk order
(never from memory addresses): the same graph gives the same diagram, byte for byte.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * 3.0 + x
>>> v = view_of(y)
>>> [(v.name(n), v.kind(n)) for n in v.nodes]
[('x', 'input'), ('3', 'constant'), ('mul1', 'intermediate'), ('add1', 'intermediate')]
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Constant, Value, dot, neg, topological_order

__all__ = [
    "COLLAPSE_ABOVE",
    "DEFAULT_MAX_NODES",
    "GraphView",
    "GroupPath",
    "GroupsArg",
    "NumberFormat",
    "ParamsArg",
    "assign_groups",
    "check_max_nodes",
    "edge_gradients",
    "grad_of",
    "group_summary",
    "groups_from_parameters",
    "number_formatter",
    "op_label",
    "outer_groups",
    "path_key",
    "short_name",
    "view_of",
]

DEFAULT_MAX_NODES = 300  # value nodes drawn at once (a collapsed group counts as one)
COLLAPSE_ABOVE = 150  # graphs with more value nodes than this start with their groups collapsed

ParamsArg = Mapping[str, Value] | Iterable[Any] | None
GroupsArg = Mapping[Value, Any] | bool | None
NumberFormat = str | Callable[[float], str]
GroupPath = tuple[str, ...]


@dataclass
class GraphView:
    """The part of a graph to draw: nodes in topological order with ids from that order.

    Kinds are one vocabulary everywhere: 'parameter' (given in `params`), 'input' (any
    other leaf that takes a gradient), 'constant' (a leaf that takes none: a plain number in
    an expression) and 'intermediate' (made by an op; the root is one too). Every node has a
    name: the parameter's name, else its label, else the op and a short index (`mul1`,
    `tanh2`), `input1`/`param1` for unnamed leaves, and its number for a constant.

    >>> w = Value(2.0); v = view_of(w * Value(3.0, label="x"), params={"w": w})
    >>> v.kind(w), v.name(w), v.index[w], v.name(v.root)
    ('parameter', 'w', 0, 'mul1')
    """

    root: Value
    nodes: list[Value]
    index: dict[Value, int]
    hidden: int  # nodes collapsed by the size limit
    boundary: list[Value]  # drawn nodes with at least one parent left out
    names: dict[Value, str] = field(default_factory=dict)
    params: set[Value] = field(default_factory=set)
    paths: dict[Value, GroupPath] = field(default_factory=dict)  # the group of each grouped node
    collapsed: frozenset[GroupPath] = frozenset()  # groups drawn as one summary box
    generated: dict[Value, str] | None = None  # made on first use by `name`

    def kind(self, node: Value) -> str:
        """'parameter', 'input', 'constant' or 'intermediate'."""
        if node.parents:
            return "intermediate"
        if isinstance(node, Constant):
            return "constant"
        return "parameter" if node in self.params else "input"

    def given_name(self, node: Value) -> str | None:
        """The parameter name given by the caller, else the node's label, else None."""
        return self.names.get(node, node.label)

    def name(self, node: Value) -> str:
        """The name diagrams and captions use for `node` (given, or generated)."""
        given = self.names.get(node, node.label)
        if given is not None:
            return given
        if self.generated is None:
            self.generated = _generated_names(self)
        generated = self.generated.get(node)
        return generated if generated is not None else f"v{self.index.get(node, '?')}"

    def group_of(self, node: Value) -> GroupPath | None:
        """The group path of a drawn node, or None."""
        return self.paths.get(node)

    def hidden_in(self, node: Value) -> GroupPath | None:
        """The collapsed group that hides `node`, or None when it is drawn itself."""
        path = self.paths.get(node)
        if not path or not self.collapsed:
            return None
        for depth in range(1, len(path) + 1):
            if path[:depth] in self.collapsed:
                return path[:depth]
        return None

    def members(self, group: GroupPath) -> list[Value]:
        """The drawn nodes inside `group` (at any depth), in topological order."""
        n = len(group)
        return [node for node in self.nodes if self.paths.get(node, ())[:n] == group]


def _generated_names(view: GraphView) -> dict[Value, str]:
    """`mul1`, `tanh2`, `input1`, `param1`: the op (or kind) and a count, skipping any name
    the user already gave; constants are named by their number."""
    taken = {view.given_name(node) for node in view.nodes} - {None}
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in view.nodes:
        if view.given_name(node) is not None:
            continue
        if isinstance(node, Constant) and not node.parents:
            names[node] = f"{node.data:g}"
            continue
        if node.op is not None:
            prefix = node.op.family or node.op.name
        else:
            prefix = "param" if node in view.params else "input"
        k = counts.get(prefix, 0) + 1
        while f"{prefix}{k}" in taken:
            k += 1
        counts[prefix] = k
        names[node] = f"{prefix}{k}"
    return names


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


def parameters(params: ParamsArg) -> tuple[set[Value], dict[Value, str]]:
    """The parameter Values and their given names, from any of the forms `params` takes.

    >>> w = Value(1.0); members, names = parameters([("layer.w", w)]); names[w]
    'layer.w'
    """
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


def _check_root(root: Any) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value to draw, got {type(root).__name__}")
    return root


def check_max_nodes(max_nodes: int | None) -> None:
    """Refuse a `max_nodes` that is not None or a whole number of at least 1.

    >>> check_max_nodes(0)
    Traceback (most recent call last):
    ValueError: max_nodes must be at least 1, got 0
    """
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int)):
        raise TypeError(f"max_nodes must be a whole number or None, got {max_nodes!r}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")


def view_of(root: Value, *, max_nodes: int | None = DEFAULT_MAX_NODES,
            params: ParamsArg = None, groups: GroupsArg = False,
            collapse: bool | None = False) -> GraphView:
    """Walk the graph ending at `root`, keeping the `max_nodes` nodes nearest to it.

    With `groups` (see `assign_groups`; None means: by parameter names when the graph has
    more than `COLLAPSE_ABOVE` nodes) and `collapse` (True: the outer groups are drawn as
    one box each; None: when the graph has more than `COLLAPSE_ABOVE` nodes), a collapsed
    group counts as one node against `max_nodes`.

    >>> x = Value(1.0, label="x"); v = view_of(x * 2 + 1)
    >>> [v.kind(n) for n in v.nodes]
    ['input', 'constant', 'intermediate', 'constant', 'intermediate']
    """
    _check_root(root)
    check_max_nodes(max_nodes)
    order = topological_order(root)
    members, names = parameters(params)
    whole = GraphView(root, order, {node: i for i, node in enumerate(order)}, 0, [], names,
                      members)
    large = len(order) > COLLAPSE_ABOVE
    if groups is None:  # by the dotted parameter names, when large or asked to collapse
        groups = (large or collapse is True) and any("." in name for name in names.values())
    paths = assign_groups(whole, groups)
    collapsed: frozenset[GroupPath] = frozenset()
    if paths and (collapse or (collapse is None and large)):
        collapsed = frozenset(outer_groups(paths.values()))
    whole.paths, whole.collapsed = paths, collapsed

    def unit(node: Value) -> Any:
        return whole.hidden_in(node) or node

    units = {unit(node) for node in order}
    if max_nodes is None or len(units) <= max_nodes:
        nodes: list[Value] = order
        keep: set[Value] | None = None
    else:
        keep = {root}
        counted = {unit(root)}
        queue = deque([root])
        while queue:  # breadth first from the output
            for parent in queue.popleft().parents:
                if parent in keep:
                    continue
                u = unit(parent)
                if u not in counted:
                    if len(counted) >= max_nodes:
                        continue
                    counted.add(u)
                keep.add(parent)
                queue.append(parent)
        nodes = [node for node in order if node in keep]
    index = {node: i for i, node in enumerate(nodes)}
    boundary = [] if keep is None else [
        node for node in nodes if any(parent not in index for parent in node.parents)
    ]
    kept_paths = {node: path for node, path in paths.items() if node in index}
    return GraphView(root, nodes, index, len(order) - len(nodes), boundary, names, members,
                     kept_paths, collapsed)


def outer_groups(paths: Iterable[GroupPath]) -> list[GroupPath]:
    """The groups that collapse first: the first level of the group tree with more than one
    group (a lone outer group such as 'model' is looked through).

    >>> outer_groups([("model", "layers.0", "n.0"), ("model", "layers.1", "n.0")])
    [('model', 'layers.0'), ('model', 'layers.1')]
    """
    all_paths = {path[:d] for path in paths for d in range(1, len(path) + 1)}
    prefix: GroupPath = ()
    while True:
        level = sorted({p for p in all_paths if len(p) == len(prefix) + 1 and
                        p[:len(prefix)] == prefix}, key=path_key)
        if len(level) != 1 or not any(len(p) > len(level[0]) and p[:len(level[0])] == level[0]
                                      for p in all_paths):
            return level
        prefix = level[0]


def path_key(path: GroupPath) -> tuple[Any, ...]:
    """The sort key of a group path: 'layers.10' after 'layers.2'.

    >>> sorted([("layers.10",), ("layers.2",)], key=path_key)
    [('layers.2',), ('layers.10',)]
    """
    key: list[Any] = []
    for part in path:
        head, _, tail = part.rpartition(".")
        key.append((head, int(tail)) if tail.isdigit() and head else (part, -1))
    return tuple(key)


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
    parameters it consumes directly, or else the group shared by all its parents (so a
    neuron's activation joins the neuron, and a loss that compares its output with a number
    stays outside); a constant used by one op only joins that op's group.
    `groups=True` takes the groups from the dotted parameter names (`groups_from_parameters`).

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
        found = {paths.get(p) for p in node.parents}  # a constant is in no group
        if len(found) == 1 and None not in found:
            paths[node] = found.pop()  # type: ignore[assignment]
    # A constant used by one op only (a number written into a neuron's expression) belongs
    # with that op.
    consumers: dict[Value, list[Value]] = {}
    for node in view.nodes:
        for parent in node.parents:
            if isinstance(parent, Constant) and not parent.parents:
                consumers.setdefault(parent, []).append(node)
    for constant, users in consumers.items():
        if len(users) == 1 and users[0] in paths and constant not in paths:
            paths[constant] = paths[users[0]]
    return paths


def short_name(name: str, path: GroupPath | None) -> str:
    """Inside its cluster, 'layers.0.neurons.1.w.2' is drawn as 'w.2'.

    >>> short_name("layers.0.neurons.1.w.2", ("layers.0", "neurons.1"))
    'w.2'
    """
    if not path:
        return name
    prefix = ".".join(path) + "."
    return name[len(prefix):] if name.startswith(prefix) and len(name) > len(prefix) else name


def group_summary(view: GraphView, group: GroupPath) -> str:
    """One line saying what a collapsed group holds: its sub-groups, parameters and nodes.

    >>> from autograd import nn
    >>> model = nn.MLP(2, [3, 1], seed=0); y = model([1.0, 2.0])
    >>> v = view_of(y, params=model.named_parameters(), groups=True, collapse=True)
    >>> group_summary(v, ("layers.0",))
    '3 neurons · 9 parameters · 15 nodes'
    """
    inside = view.members(group)
    depth = len(group)
    subgroups = sorted({view.paths[n][:depth + 1] for n in inside
                        if len(view.paths[n]) > depth})
    parts = []
    if subgroups:
        kind = subgroups[0][-1].rpartition(".")[0] or "group"
        same = all(p[-1].rpartition(".")[0] == subgroups[0][-1].rpartition(".")[0]
                   for p in subgroups)
        noun = (kind if len(subgroups) > 1 else kind.removesuffix("s")) if same else "groups"
        parts.append(f"{len(subgroups)} {noun}")
    n_params = sum(1 for n in inside if view.kind(n) == "parameter")
    if n_params:
        parts.append(f"{n_params} parameter{'s' if n_params != 1 else ''}")
    parts.append(f"{len(inside)} node{'s' if len(inside) != 1 else ''}")
    return " · ".join(parts)


# ----------------------------------------------------------------------------------------------
# Number formatting, op labels and the gradients along edges
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

    def write(x: float) -> str:
        text = format(x, number_format)
        return "0" if text in ("-0", "-0.0") else text  # no signed zeros in captions

    return write


_DOT_OP = dot([1.0], [Value(1.0)]).op  # the dot primitive, compared by identity


def op_label(node: Value) -> str:
    """How the op that made `node` is drawn: its symbol, `w·x + b` for a neuron's dot
    product, `neg` for a negation.

    >>> from autograd import dot
    >>> x = Value(1.0)
    >>> op_label(x * 2), op_label(-x), op_label(dot([x], [2.0], bias=1.0))
    ('*', 'neg', 'w·x + b')
    """
    op = node.op
    if op is None:
        return ""
    if op is _DOT_OP:
        return "w·x + b" if len(node.parents) % 2 else "w·x"
    if op is neg:
        return "neg"
    return op.symbol


def edge_gradients(node: Value) -> list[float | None]:
    """The gradient each parent receives from `node`: node.grad times the local partial
    (None for a constant, which takes none, or where the partial cannot be computed).

    >>> a, b = Value(2.0), Value(5.0); y = a * b; y.backward(); edge_gradients(y)
    [5.0, 2.0]
    >>> edge_gradients(a * 3.0)
    [0.0, None]
    """
    g = grad_of(node)
    partials = local_partials(node)
    return [None if partial is None or isinstance(parent, Constant) else g * partial
            for parent, partial in zip(node.parents, partials)]


def local_partials(node: Value) -> list[float | None]:
    """The local partial derivative of `node` with respect to each parent, as floats.

    >>> x = Value(0.5); local_partials(x * 4.0)
    [4.0, 0.5]
    """
    op = node.op
    if op is None:
        return []
    try:
        partials = op.derivative(*[p.data for p in node.parents], node.data)
        if op.arity == 1:
            partials = (partials,)
        return [float(p.data if isinstance(p, Value) else p) for p in partials]
    except Exception:  # an op whose derivative cannot run here: drawn without numbers
        return [None] * len(node.parents)
