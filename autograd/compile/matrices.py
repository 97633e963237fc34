"""Numpy mode: per-sample values that are rows of one matrix, computed by one statement.

A layer of `dot` nodes sharing their inputs (a `DotGroup`) is one matrix product, `W @ X + b`,
whose rows are the layer's outputs for every sample at once. Values computed from such rows
by one elementwise op (the activation of a layer, its derivative) are rows of a matrix too:
*lanes*. `find_lanes` groups them; `Matrices` writes their statements for the writer.

>>> from autograd import Value, tanh
>>> from autograd.compile.arguments import Argument
>>> from autograd.compile.graph import Program
>>> x = Argument("x", (None, None), True, False, [Value(1.0), Value(2.0)])
>>> ys = [tanh(leaf) for leaf in x.leaves]
>>> program = Program(ys[0] + ys[1], None, None, [x], set())
>>> lanes = find_lanes(ys + [program.output], program, set(ys) | set(x.leaves))
>>> [lanes[y][1] for y in ys]                    # rows 0 and 1 of one matrix, tanh(X)
[0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from autograd.compile.adjoint import GRAD_BIAS, GRAD_WEIGHTS
from autograd.compile.graph import DotGroup, Program
from autograd.compile.spelling import ADD, ATOM, MUL, Expr, elementwise
from autograd.engine import Value

__all__ = ["Lanes", "Matrices", "find_lanes"]


class _Writes(Protocol):
    """What `Matrices` uses of the writer that owns it."""

    program: Program
    lines: dict[str, list[tuple[bool, str]]]  # statements by place: (forward?, text)
    forward: set[Value]
    exprs: dict[Value, Expr]
    depth: dict[Value, int]
    group_of: dict[Value, DotGroup]
    constants: dict[str, Any]

    def fresh(self, stem: str) -> str:
        """An unused name starting with `stem`."""
    def read(self, node: Value) -> Expr:
        """The expression of a value, noted as read."""
    def section(self, node: Value) -> str:
        """Where a value is computed: before, inside or after the loop."""
    def emit(self, node: Value | None, text: str) -> None:
        """A statement in the place of `node`."""
    def spelled(self, node: Value, args: list[Expr]) -> Expr:
        """The source of `node`'s op on `args`."""
    def small(self, node: Value) -> bool:
        """Whether `node`'s value is known to be small."""


@dataclass(eq=False)
class Lanes:
    """Values that are the rows of one matrix: `members[j]` is row `offset + j` of `matrix`.

    >>> Lanes([]).exact
    True
    """

    members: list[Value]
    matrix: str = ""        # its name in the generated code, once written
    offset: int = 0
    exact: bool = True      # the matrix has no other rows
    through: tuple[bool, ...] = ()  # which operands are matrices of lanes (the others: rows)

    def text(self) -> str:
        """The matrix (or the block of its rows) holding exactly the members."""
        if self.exact:
            return self.matrix
        return f"{self.matrix}[{self.offset}:{self.offset + len(self.members)}]"


def find_lanes(order: list[Value], program: Program, batched: set[Value]
               ) -> dict[Value, tuple[Lanes, int]]:
    """Per-sample values grouped into lanes: the members of each dot group, the rows of each
    group's input gradient, the per-sample list arguments, and, grown from those, any values
    computed by one elementwise op from the same lanes.

    >>> from autograd import Value, relu
    >>> from autograd.compile.arguments import Argument
    >>> x = Argument("x", (None, None, None), True, False, [Value(1.0) for _ in range(3)])
    >>> rows = [relu(leaf) for leaf in x.leaves]
    >>> lanes = find_lanes(rows, Program(rows[0], None, None, [x], set()), set(rows))
    >>> len(lanes[rows[2]][0].members), lanes[rows[2]][1]   # relu(X): 3 rows, this one row 2
    (3, 2)
    """
    seeds: list[Lanes] = [Lanes(list(g.members)) for g in program.groups]
    for argument in program.arguments:
        if argument.batched and argument.shape is not None:
            seeds.append(Lanes(list(argument.leaves)))
    rows: dict[Value, dict[int, Value]] = {}
    for node in order:
        if node.op is not None and node.op.family == "row":
            rows.setdefault(node.parents[0], {})[node.op.parameter] = node  # type: ignore[index]
    for by_index in rows.values():
        indices = sorted(by_index)
        if indices == list(range(indices[0], indices[-1] + 1)):
            seeds.append(Lanes([by_index[i] for i in indices], offset=indices[0], exact=False))
    blocked: set[tuple[int, ...]] = set()
    while True:
        lane_of: dict[Value, tuple[Lanes, int]] = {}
        for lanes in seeds:
            for j, node in enumerate(lanes.members):
                lane_of.setdefault(node, (lanes, j))
        candidates: dict[tuple[int, ...], dict[int, Value]] = {}
        sizes: dict[tuple[int, ...], int] = {}
        for node in order:
            if node in lane_of or not elementwise(node.op) or node not in batched:
                continue
            key: list[int] = [id(node.op)]  # identities: == on Values compares their data
            lane = size = None
            for parent in node.parents:
                if parent in lane_of:
                    lanes, j = lane_of[parent]
                    if lane is not None and (j != lane or len(lanes.members) != size):
                        break  # operands from different rows, or matrices of other heights
                    lane, size = j, len(lanes.members)
                    key.append(id(lanes))
                else:
                    key.append(id(parent))  # the same for every lane
            else:
                if lane is None:
                    continue
                signature = tuple(key)
                if signature in blocked:
                    continue
                candidates.setdefault(signature, {})[lane] = node
                sizes[signature] = size  # type: ignore[assignment]
        new = [s for s, found in candidates.items()
               if len(found) == sizes[s] and sorted(found) == list(range(sizes[s]))]
        blocked.update(s for s in candidates if s not in new)
        if not new:
            return lane_of
        for s in new:
            members = [candidates[s][j] for j in range(sizes[s])]
            # an operand that becomes a lane later is still read here as one row per sample
            through = tuple(p in lane_of for p in members[0].parents)
            seeds.append(Lanes(members, through=through))


class Matrices:
    """The numpy statements of a writer that act on whole matrices: layers as matrix
    products, lanes, sums over lanes, the groups' gradients.

    >>> import numpy as np, autograd
    >>> f = autograd.compile(lambda w, x: autograd.tanh(autograd.dot(w, x)), batch_args=["x"])
    >>> _ = f([0.5, -1.0], np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> "T = W @ x_rows" in f.source
    True
    """

    def __init__(self, writer: _Writes, lanes: dict[Value, tuple[Lanes, int]]) -> None:
        self.writer = writer
        self.lanes = lanes
        self.arrays: dict[str, str] = {}  # argument -> its numpy array
        self.weights: dict[int, tuple[str, str]] = {}  # group -> weight matrix, its index
        self.biases: dict[int, tuple[str, str]] = {}  # group -> bias column, its index
        self.stacked: dict[tuple[str, str], str] = {}  # stacked matrices, by text and place

    def rows_of(self, values: Sequence[Value]) -> str:
        """Source for the matrix whose rows are `values` (using whole lanes where it can)."""
        w = self.writer
        parts: list[str] = []
        blocks = 0  # parts that are blocks of rows
        i = 0
        while i < len(values):
            lane = self.lanes.get(values[i])
            if lane is not None and lane[0].matrix:
                lanes, j = lane
                k = 0
                while i + k < len(values) and j + k < len(lanes.members) and \
                        values[i + k] is lanes.members[j + k]:
                    k += 1
                start = lanes.offset + j
                whole = lanes.exact and j == 0 and k == len(lanes.members)
                parts.append(lanes.matrix if whole else f"{lanes.matrix}[{start}:{start + k}]")
                blocks += 1
                i += k
            else:
                parts.append(w.read(values[i]).text)
                i += 1
        if len(parts) == 1 and blocks == 1:
            return parts[0]
        text = f"_rows(({', '.join(parts)},), B)"
        sections = {w.section(v) for v in values}
        where = next(s for s in ("after", "loop", "before") if s in sections)
        key = (text, where)
        if key not in self.stacked:
            self.stacked[key] = w.fresh("R")
            w.lines[where].append((all(v in w.forward for v in values),
                                   f"{self.stacked[key]} = {text}"))
        return self.stacked[key]

    def whole_lanes(self, values: Sequence[Value]) -> str | None:
        """The matrix whose rows are exactly `values`, if they are one lane group in order."""
        lane = self.lanes.get(values[0]) if values else None
        if lane is None or lane[1] != 0 or not lane[0].matrix:
            return None
        lanes = lane[0]
        if len(values) != len(lanes.members) or any(a is not b for a, b in
                                                      zip(values, lanes.members)):
            return None
        return lanes.text()

    def reduction(self, node: Value, dot: bool) -> Expr | None:
        """sum or dot over whole lanes, as one sum over the rows of matrices."""
        if not dot:
            matrix = self.whole_lanes(node.parents)
            return None if matrix is None else Expr(f"{matrix}.sum(axis=0)")
        n = len(node.parents) // 2
        weights, inputs = node.parents[:n], node.parents[n:2 * n]
        left, right = self.whole_lanes(weights), self.whole_lanes(inputs)
        if left is None and right is None:
            return None
        text = (f"np.einsum('ij,ij->j', {left or self.rows_of(weights)}, "
                f"{right or self.rows_of(inputs)})")
        if len(node.parents) % 2 == 0:
            return Expr(text)
        return Expr(f"{text} + {self.writer.read(node.parents[-1]).wrapped(MUL)}", ADD)

    def array_of(self, argument_name: str) -> str:
        """The name of an argument's numbers as one flat numpy array."""
        if argument_name not in self.arrays:
            self.arrays[argument_name] = name = self.writer.fresh(f"{argument_name}_array")
            self.writer.lines["before"].append(
                (False, f"{name} = np.asarray({argument_name}, dtype=float).reshape(-1)"))
        return self.arrays[argument_name]

    def _picked(self, argument_name: str, index: Any, stem: str, suffix: str) -> tuple[str,
                                                                                        str]:
        w = self.writer
        name = w.fresh(stem)
        index_name = w.fresh("index")
        w.constants[index_name] = index
        w.lines["before"].append((True, f"{name} = {self.array_of(argument_name)}"
                                        f"[{index_name}]{suffix}"))
        return name, index_name

    def weights_of(self, group: DotGroup) -> str:
        """The name of a group's weight matrix (one row per member)."""
        if id(group) not in self.weights:
            self.weights[id(group)] = self._picked(group.argument.name, group.index, "W", "")
        return self.weights[id(group)][0]

    def bias_of(self, group: DotGroup) -> str:
        """The name of a group's biases, as a column (one per member)."""
        if id(group) not in self.biases:
            self.biases[id(group)] = self._picked(
                group.bias_argument.name, group.bias_index, "b",  # type: ignore[union-attr]
                "[:, None]")
        return self.biases[id(group)][0]

    def write_lane(self, node: Value) -> None:
        """The matrix of `node`'s lanes (written once, for the first member), and its row."""
        w = self.writer
        lanes, j = self.lanes[node]
        if not lanes.matrix:
            first = lanes.members[0]
            group = w.group_of.get(first)
            stem = "t" if first in w.forward else "g"
            if group is not None:
                expr = f"{self.weights_of(group)} @ {self.rows_of(group.inputs)}"
                if group.bias_argument is not None:
                    expr += f" + {self.bias_of(group)}"
            elif first.op is not None and first.op.family == "row":
                lanes.matrix = w.exprs[first.parents[0]].text
            else:
                args = []
                for parent, whole in zip(first.parents, lanes.through):
                    lane = self.lanes[parent][0] if whole else None
                    args.append(w.read(parent) if lane is None else
                                Expr(lane.text(), small=w.small(lane.members[0])))
                spelled = w.spelled(first, args)
                if spelled.level == ATOM and spelled.text.isidentifier():
                    lanes.matrix = spelled.text  # 1.0 * X is X: no new matrix
                expr = spelled.text
            if not lanes.matrix:
                lanes.matrix = w.fresh("T" if stem == "t" else "G")
                w.emit(first, f"{lanes.matrix} = {expr}")
        w.exprs[node] = Expr(f"{lanes.matrix}[{lanes.offset + j}]", small=w.small(node))
        w.depth[node] = 0

    def write_group_gradient(self, node: Value) -> None:
        """A dot group's gradient: G X^T (weights), W^T G (inputs), or G's row sums (biases)."""
        w = self.writer
        group = next(g for g in w.program.groups if any(node is x for x in g.gradients()))
        m = len(group.members)
        g_rows = self.rows_of(node.parents[:m])
        if node.op is GRAD_WEIGHTS:
            name = w.fresh("g_W")
            w.emit(node, f"{name} = {g_rows} @ {self.rows_of(group.inputs)}.T")
        elif node.op is GRAD_BIAS:
            name = w.fresh("g_b")
            w.emit(node, f"{name} = {g_rows}.sum(axis=1)")
        else:
            name = w.fresh("g_inputs")
            w.emit(node, f"{name} = {self.weights_of(group)}.T @ {g_rows}")
        w.exprs[node] = Expr(name)
        w.depth[node] = 0

    def gradient_lines(self, argument_name: str, size: int) -> tuple[str, list[str]] | None:
        """For an argument whose weights (or biases) some groups read: the name of its
        gradient array and the lines adding the groups' matrices into it."""
        w = self.writer
        parts = []
        for group in w.program.groups:
            if group.argument.name == argument_name and group.grad_weights is not None:
                parts.append((self.weights[id(group)][1], group.grad_weights, group.index))
            if group.bias_argument is not None and group.bias_argument.name == argument_name \
                    and group.grad_bias is not None:
                parts.append((self.biases[id(group)][1], group.grad_bias, group.bias_index))
        if not parts:
            return None
        name = w.fresh(f"g_{argument_name}")
        lines = [f"{name} = np.zeros({size})"]
        for index_name, gradient, index in parts:
            positions = [p for row in index for p in row] if index and \
                isinstance(index[0], list) else list(index)
            matrix = w.exprs[gradient].text
            if len(set(positions)) == len(positions):  # each once: += adds each
                lines.append(f"{name}[{index_name}] += {matrix}")
            else:  # a weight met twice: add.at adds it twice
                lines.append(f"np.add.at({name}, {index_name}, {matrix})")
        return name, lines
