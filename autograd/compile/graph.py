"""The traced program as a graph of Values: what the trace recorded and the adjoint added.

A `Program` holds the traced function's output (and aux values), its arguments, the
constants met on the way, and, once differentiated, the gradient of every wanted leaf as
another node of the same graph. Numpy mode adds `DotGroup`s: layers of `dot` nodes written as
one matrix product.

>>> from autograd import Value
>>> x = Value(2.0)
>>> y = x * x + x * x            # the two products are the same node, computed once
>>> program = Program(y, None, None, [], set())
>>> merge_duplicates(program)
>>> program.output.parents[0] is program.output.parents[1]
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from autograd.compile.arguments import Argument, Shape
from autograd.engine import Value, topological_order

__all__ = ["DotGroup", "Program", "depends_on", "merge_duplicates", "nodes_above"]


@dataclass
class DotGroup:
    """`dot` nodes sharing their inputs, with weights (and biases, if any) from arguments
    shared by every sample: one matrix product, `W @ X + b`.

    >>> group = DotGroup([], (), Argument("w", (None,), False, True), [])
    >>> group.bias_argument is None
    True
    """

    members: list[Value]             # the dot nodes, one per row of the weight matrix
    inputs: tuple[Value, ...]        # shared by every member
    argument: Argument               # where the weights come from
    index: list[list[int]]           # weight (row, column) -> position in the argument
    bias_argument: Argument | None = None  # where the biases come from, if the dots have one
    bias_index: list[int] = field(default_factory=list)  # row -> position in bias_argument
    grad_weights: Value | None = None  # d output / d weights, summed over the batch (a matrix)
    grad_inputs: Value | None = None   # d output / d inputs, per sample (a matrix)
    grad_bias: Value | None = None     # d output / d biases, summed over the batch (a vector)

    def gradients(self) -> list[Value]:
        """The group's gradient nodes that exist."""
        return [g for g in (self.grad_weights, self.grad_inputs, self.grad_bias)
                if g is not None]


@dataclass
class Program:
    """A traced function: its output node, aux values, arguments and constants, and after
    `adjoint.differentiate`, its gradients.

    >>> Program(Value(1.0), None, None, [], set()).gradients
    {}
    """

    output: Value
    aux: list[Value] | None
    aux_shape: Shape
    arguments: list[Argument]
    made: set[Value]  # leaves made while tracing: constants
    gradients: dict[Value, Value] = field(default_factory=dict)  # leaf -> d output / d leaf
    adjoint_of: dict[Value, Value] = field(default_factory=dict)  # gradient -> its node
    groups: list[DotGroup] = field(default_factory=list)

    def roots(self) -> list[Value]:
        """Every node the compiled code returns or needs at its end."""
        roots = [self.output, *(self.aux or ()), *self.gradients.values()]
        return roots + [g for group in self.groups for g in group.gradients()]


def nodes_above(roots: Iterable[Value]) -> list[Value]:
    """Every node the roots depend on, parents first (the roots included).

    >>> x = Value(1.0); y = x * 2.0
    >>> len(nodes_above([y, x]))
    3
    """
    anchor = Value(0.0)  # one node above all the roots, dropped from the order
    anchor.parents = tuple(roots)
    return topological_order(anchor)[:-1]


def depends_on(order: list[Value], sources: set[Value]) -> set[Value]:
    """The nodes of `order` (parents first) that `sources` reach, sources included.

    >>> x, y = Value(1.0), Value(2.0); z = x * y; w = y + 1.0
    >>> depends_on(nodes_above([z, w]), {x}) == {x, z}
    True
    """
    reached = set(sources)
    for node in order:
        if node.parents and any(p in reached for p in node.parents):
            reached.add(node)
    return reached


def merge_duplicates(program: Program) -> None:
    """Common subexpressions: nodes with the same op on the same operands (and constants of
    the same value) become one node, computed once. The result is the same, to the bit.

    >>> x = Value(1.0)
    >>> program = Program(x.exp() * x.exp(), None, None, [], set())
    >>> merge_duplicates(program); a, b = program.output.parents; a is b
    True
    """
    kept: dict[Any, Value] = {}
    same: dict[Value, Value] = {}
    grouped = {m for group in program.groups for m in group.members}
    for node in nodes_above(program.roots()):
        if node.parents:
            parents = tuple(same.get(p, p) for p in node.parents)
            if any(a is not b for a, b in zip(parents, node.parents)):
                node.parents = parents
            key: Any = (node.op, *map(id, parents))  # identity: == on Values compares data
        elif node in program.made:
            key = repr(node.data)
        else:
            continue
        first = kept.setdefault(key, node)
        if first is not node and node not in grouped:
            same[node] = first
    if not same:
        return
    program.output = same.get(program.output, program.output)
    if program.aux is not None:
        program.aux = [same.get(x, x) for x in program.aux]
    program.gradients = {leaf: same.get(g, g) for leaf, g in program.gradients.items()}
    program.adjoint_of = {same.get(g, g): node for g, node in program.adjoint_of.items()}
