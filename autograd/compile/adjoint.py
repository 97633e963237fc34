"""The adjoint: the chain rule applied once, at trace time, to build the gradient graph.

Each node's local partials come from the op table (`op.derivative`), called on Values, so
every gradient is itself a graph of primitives that the writer can write out like the
forward pass. A few marker ops exist only in compiled code: `TOTAL` (a per-sample value summed
over the batch) and the matrix gradients of a layer of `dot` nodes (numpy mode).

>>> from autograd import Value
>>> from autograd.compile.arguments import Argument
>>> from autograd.compile.graph import Program
>>> x = Value(3.0)
>>> program = Program(x * x, None, None, [Argument("x", None, False, True, [x])], set())
>>> differentiate(program, "f")
>>> program.gradients[x].data                    # d x^2/dx = 2x
6.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from autograd import engine
from autograd.compile.arguments import Argument, array_dimensions
from autograd.compile.graph import DotGroup, Program, depends_on, nodes_above
from autograd.compile.trace import Tracer
from autograd.engine import Primitive, Value, hooks

__all__ = [
    "GRAD_BIAS",
    "GRAD_INPUTS",
    "GRAD_WEIGHTS",
    "TOTAL",
    "differentiate",
    "dot_groups",
    "is_marker",
    "row",
]

DOT = engine.OPS["dot"]


def _marker(name: str, doc: str) -> Primitive:
    """An op that exists only in compiled code (never evaluated by the engine)."""
    return Primitive(name, lambda *xs: 0.0, lambda *xs: 0.0, 0, doc=doc)


# A value shared by all samples gets, as its gradient, the sum over the batch of the per-sample
# terms: `TOTAL` marks that sum (a loop accumulator, or numpy's sum over the batch).
TOTAL = Primitive("total", lambda x: x, lambda x, out: 1.0, 1,
                  doc="The sum over the batch of a per-sample value.")
# A dot group's gradients, as matrices: G X^T for the weights, W^T G for the inputs, and the
# row sums of G for the biases.
GRAD_WEIGHTS = _marker("grad_weights", "G X^T: the weights' gradient, summed over the batch.")
GRAD_INPUTS = _marker("grad_inputs", "W^T G: the inputs' gradient, one column per sample.")
GRAD_BIAS = _marker("grad_bias", "G summed along each row: the biases' gradient.")


@functools.cache
def row(i: int) -> Primitive:
    """Row i of a matrix value (one input's gradient, from a dot group).

    >>> row(2).family, row(2).parameter
    ('row', 2)
    """
    op = _marker(f"row{i}", "One row of a matrix value.")
    op.family, op.parameter = "row", i
    return op


def is_marker(op: Primitive | None) -> bool:
    """Whether `op` exists only in compiled code.

    >>> is_marker(TOTAL), is_marker(engine.add)
    (True, False)
    """
    return op is not None and (op in _MARKERS or op.family == "row")


_MARKERS = frozenset({TOTAL, GRAD_WEIGHTS, GRAD_INPUTS, GRAD_BIAS})


def dot_groups(order: list[Value], arguments: list[Argument], batched: set[Value]
               ) -> list[DotGroup]:
    """Per-sample `dot` nodes whose weights (and biases) are leaves of shared list arguments,
    grouped by their identical inputs: each group is one matrix product.

    >>> from autograd import dot
    >>> w = Argument("w", (None, None, None), False, True, [Value(1.0) for _ in range(3)])
    >>> x = Argument("x", (None, None), True, False, [Value(2.0), Value(3.0)])
    >>> d = dot(w.leaves[:2], x.leaves, bias=w.leaves[2])
    >>> (group,) = dot_groups([d], [w, x], {d})
    >>> group.index, group.bias_index
    ([[0, 1]], [2])
    """
    where: dict[Value, tuple[Argument, int]] = {}
    for argument in arguments:
        # weights come as a list or an array (a number, or ragged lists, is no matrix)
        if not argument.batched and argument.shape is not None and \
                array_dimensions(argument.shape) is not None:
            for i, leaf in enumerate(argument.leaves):
                where.setdefault(leaf, (argument, i))
    groups: dict[tuple[int, ...], DotGroup] = {}
    for node in order:
        if node.op is not DOT or node not in batched:
            continue
        n = len(node.parents) // 2
        weights, inputs = node.parents[:n], node.parents[n:2 * n]
        bias = node.parents[2 * n] if len(node.parents) % 2 else None
        places = [where.get(w) for w in weights]
        if not places or any(p is None for p in places) or len(set(weights)) != n:
            continue
        argument = places[0][0]  # type: ignore[index]
        if any(p[0] is not argument for p in places):  # type: ignore[index]
            continue
        bias_place = None
        if bias is not None:
            bias_place = where.get(bias)
            if bias_place is None or bias in set(weights):
                continue
        bias_argument = bias_place[0] if bias_place else None
        key = (id(argument), id(bias_argument), *map(id, inputs))
        group = groups.get(key)
        if group is None:
            group = groups[key] = DotGroup([], inputs, argument, [], bias_argument)
        group.members.append(node)
        group.index.append([p[1] for p in places])  # type: ignore[index]
        if bias_place is not None:
            group.bias_index.append(bias_place[1])
    return list(groups.values())


def differentiate(program: Program, name: str, vectorize: bool = False) -> None:
    """Fill `program.gradients` with d output / d leaf for the leaves of the wanted arguments
    (summed over the batch for arguments shared by every sample). With `vectorize`, layers of
    dot nodes become `DotGroup`s, differentiated as matrices.

    >>> x, y = Value(2.0), Value(5.0)
    >>> arguments = [Argument("x", None, False, True, [x]), Argument("y", None, True, False, [y])]
    >>> program = Program(x * y, None, None, arguments, set())
    >>> differentiate(program, "f")
    >>> program.gradients[x].op is TOTAL         # summed over the batch of y
    True
    """
    wanted = {leaf for a in program.arguments if a.wanted for leaf in a.leaves}
    order = nodes_above([program.output, *(program.aux or ())])
    active = depends_on(order, wanted)
    batched = depends_on(order, {leaf for a in program.arguments if a.batched
                                 for leaf in a.leaves})
    if vectorize:
        program.groups = dot_groups(order, program.arguments, batched)
    group_of = {m: g for g in program.groups for m in g.members}
    finished: dict[int, dict[Value, Value]] = {id(g): {} for g in program.groups}
    tracer = Tracer(name)
    with hooks(tracer), engine.enable_grad():
        seed = Value(1.0)
        if any(a.batched for a in program.arguments) and program.output not in batched:
            seed = TOTAL(seed)  # an output the same for every sample: B times 1
        terms: dict[Value, list[Value]] = {program.output: [seed]}

        def add_term(parent: Value, term: Value, per_sample: bool) -> None:
            if per_sample and parent not in batched:
                term = TOTAL(term)
            terms.setdefault(parent, []).append(term)

        for node in reversed(order):
            pending = terms.pop(node, None)
            g = None
            if pending is not None and node in active:
                g = pending[0]
                for term in pending[1:]:
                    g = g + term
                program.adjoint_of.setdefault(g, node)
            group = group_of.get(node)
            if group is not None:
                finished[id(group)][node] = g if g is not None else Value(0.0)
                if len(finished[id(group)]) == len(group.members):
                    _group_adjoint(group, finished[id(group)], active, add_term)
                continue
            if g is None:
                continue
            if not node.parents:
                program.gradients[node] = g
                continue
            _node_adjoint(node, g, active, batched, add_term, name)
    program.made |= tracer.made


def _node_adjoint(node: Value, g: Value, active: set[Value], batched: set[Value],
                  add_term: Callable[[Value, Value, bool], None], name: str) -> None:
    """parent's gradient += g * (d node / d parent), for each active parent, as Values."""
    op: Primitive = node.op  # type: ignore[assignment]
    try:
        partials: Any = op.derivative(*node.parents, node)
    except TypeError as error:
        raise TypeError(f"compile({name}): the derivative of {op.name} must be written "
                        f"with autograd's functions to be compiled ({error})") from error
    if op.arity == 1:
        partials = (partials,)
    for parent, partial in zip(node.parents, partials):
        if parent not in active:
            continue
        if isinstance(partial, Value):
            term = g * partial
        else:  # a number: 1 passes g on; 0 is kept (g * 0 is nan where g is inf or nan)
            term = g if partial == 1.0 else g * float(partial)
        add_term(parent, term, node in batched)


def _group_adjoint(group: DotGroup, grads: dict[Value, Value], active: set[Value],
                   add_term: Callable[[Value, Value, bool], None]) -> None:
    """The table's dot partials (d/dw = x, d/dx = w, d/db = 1) for a whole group at once."""
    g = tuple(grads[m] for m in group.members)
    if group.argument.wanted:
        group.grad_weights = GRAD_WEIGHTS.apply(g + group.inputs)
    if group.bias_argument is not None and group.bias_argument.wanted:
        group.grad_bias = GRAD_BIAS.apply(g)
    if any(x in active for x in group.inputs):
        group.grad_inputs = GRAD_INPUTS.apply(g)
        for i, x in enumerate(group.inputs):
            if x in active:
                add_term(x, row(i).apply((group.grad_inputs,)), False)
