"""`compile(f)`: a function of Values written out as straight-line Python, forward and backward.

`compile` runs `f` once on Values (a trace) and writes the recorded graph out as Python
source: one statement per value that is read more than once, then the backward pass, the chain
rule applied node by node with the local derivatives of the engine's primitive table (the
*adjoint program*). The source is there to read (`.source`). Compiled by Python, it runs at the
speed of hand-written float code, because it *is* float code: no Value is made when it runs.

>>> import autograd
>>> from autograd.compiled import compile
>>> f = compile(lambda x, y: autograd.tanh(x * y + 1.0))
>>> value, (dx, dy) = f(0.5, -2.0)
>>> value, dx, dy                                # d/dx = y (1 - tanh^2), tanh(0) = 0
(0.0, -2.0, 0.5)
>>> print(f.source)
def f(x, y):
    # forward
    t = math.tanh(x * y + 1.0)
    # backward: g_v is d(output)/d(v)
    g = 1.0 - math.pow(t, 2.0)
    g_x = g * y
    g_y = g * x
    return t, (g_x, g_y)

A branch in the traced function would be frozen at the trace's data, so comparing a Value
while tracing (`if x > 0: ...`) always raises `TraceError`. Reading a Value's `.data` and using
it as a number freezes that number too; `compile` traces a second time at a nearby point and
refuses a function whose code changes there, but a branch on `.data` whose threshold lies far
from the traced inputs cannot be seen that way, so never branch on `.data` in a function you
compile: compare the Values themselves, or use the kinked ops. Kinked ops (relu, abs,
maximum, minimum, leaky_relu) are primitives: they compile to conditional expressions,
evaluated afresh at every call.

Batched: the arguments named in `batch_args` hold one entry per sample. Given lists, the
generated function loops over the samples; given numpy arrays (the `fast` extra), every
statement runs on all samples at once, and a layer of `dot` nodes that share their inputs
becomes one matrix product. Either way one call returns the per-sample outputs and the
gradients summed over the batch.

>>> g = compile(lambda w, x: (w * x - 1.0) * (w * x - 1.0), batch_args=["x"])
>>> outputs, (dw,) = g(2.0, [1.0, 0.0])          # sum of d/dw (wx - 1)^2 = 2 (wx - 1) x
>>> outputs, dw
([1.0, 1.0], 2.0)
"""

from __future__ import annotations

import builtins
import functools
import importlib
import inspect
import keyword
import math
import numbers
import operator
import re
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import engine
from autograd.engine import Hooks, Primitive, Value, hooks, topological_order
from autograd.functional import _MATH_ON_A_VALUE  # what math says when given a Value

__all__ = ["CompiledFunction", "TraceError", "compile"]


class TraceError(ValueError):
    """The traced function's graph depends on its data, so compiled code would freeze it."""


# ----------------------------------------------------------------------------------------------
# Arguments: a scalar has shape None; a sequence, the tuple of its items' shapes.
# ----------------------------------------------------------------------------------------------

Shape = Any


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _shape_of(x: Any, where: str) -> Shape:
    if isinstance(x, Value) or _is_number(x):
        return None
    if hasattr(x, "shape") and hasattr(x, "tolist"):  # a numpy array or scalar
        shape: Shape = None
        for n in reversed(x.shape):
            shape = (shape,) * n
        return shape
    if isinstance(x, (list, tuple)):
        return tuple(_shape_of(item, f"{where}[{i}]") for i, item in enumerate(x))
    raise _not_a_number(x, where)


def _not_a_number(x: Any, where: str) -> TypeError:
    return TypeError(f"{where}: expected a number, a Value or a list of them, got "
                     f"{type(x).__name__} {x!r}")


def _flat(x: Any, shape: Shape) -> list[Any]:
    """The numbers (or Values) of `x` in order."""
    if shape is None:
        return [x]
    return [item for part, sub in zip(x, shape) for item in _flat(part, sub)]


def _nest(items: Sequence[Any], shape: Shape) -> Any:
    """`items`, in order, put back into the nested lists of `shape`."""
    position = 0

    def build(sub: Shape) -> Any:
        nonlocal position
        if sub is None:
            position += 1
            return items[position - 1]
        return [build(s) for s in sub]

    return build(shape)


def _quick_shape(x: Any) -> Any:
    """A cheap key for the structure of an argument: lengths along the first items."""
    if isinstance(x, (list, tuple)) or getattr(x, "ndim", 0):
        return (len(x), _quick_shape(x[0]) if len(x) else None)
    return None


class _NotANumber(Exception):
    """A leaf of an argument that is no number; `path` leads to it (innermost index first)."""

    def __init__(self, leaf: Any) -> None:
        super().__init__()
        self.leaf = leaf
        self.path: list[int] = []


_MISMATCH: Any = object()  # an argument shaped otherwise than the program's


@functools.lru_cache(maxsize=256)
def _array_dimensions(shape: Shape) -> tuple[int, ...] | None:
    """The numpy shape holding `shape`, or None if `shape` is ragged (no array holds it)."""
    dimensions = _dimensions(shape)
    rebuilt: Shape = None
    for n in reversed(dimensions):
        rebuilt = (rebuilt,) * n
    return dimensions if rebuilt == shape else None


@functools.lru_cache(maxsize=256)
def _is_flat(shape: Shape) -> bool:
    return all(s is None for s in shape)


def _checked(x: Any, shape: Shape) -> Any:
    """`x` with its Values replaced by their data, so the compiled code only ever sees numbers;
    `_MISMATCH` if `x` is not of `shape`. A leaf that is no number raises `_NotANumber`."""
    if shape is None:
        if type(x) is float:
            return x
        if isinstance(x, Value):
            return x.data
        if _is_number(x) or getattr(x, "shape", None) == ():
            return x
        if isinstance(x, (list, tuple)) or hasattr(x, "shape"):
            return _MISMATCH
        raise _NotANumber(x)
    if hasattr(x, "shape") and hasattr(x, "tolist"):  # a numpy array
        return x if x.shape == _array_dimensions(shape) else _MISMATCH
    if not isinstance(x, (list, tuple)):
        if isinstance(x, Value) or _is_number(x):
            return _MISMATCH
        raise _NotANumber(x)
    if len(x) != len(shape):
        return _MISMATCH
    if set(map(type, x)) <= {float} and _is_flat(shape):
        return x
    out = []
    changed = False
    for i, (item, sub) in enumerate(zip(x, shape)):
        try:
            y = item if sub is None and type(item) is float else _checked(item, sub)
        except _NotANumber as error:
            error.path.append(i)
            raise
        if y is _MISMATCH:
            return _MISMATCH
        changed = changed or y is not item
        out.append(y)
    return out if changed else x


def _checked_batch(x: Any, shape: Shape) -> Any:
    """`_checked` for an argument holding samples of `shape` (a list, or an array)."""
    if hasattr(x, "shape") and hasattr(x, "tolist"):
        return x if x.shape[1:] == _array_dimensions(shape) else _MISMATCH
    if shape is None and set(map(type, x)) <= {float}:
        return x
    out = []
    for i, item in enumerate(x):
        try:
            y = _checked(item, shape)
        except _NotANumber as error:
            error.path.append(i)
            raise
        if y is _MISMATCH:
            return _MISMATCH
        out.append(y)
    return out


def _describe(shape: Shape) -> str:
    """A shape in words, for error messages."""
    if shape is None:
        return "a number"
    if all(s is None for s in shape):
        return f"a list of {len(shape)} number{'' if len(shape) == 1 else 's'}"
    dimensions = _array_dimensions(shape)
    if dimensions is not None:
        return f"nested lists of shape {dimensions}"

    def outline(s: Shape) -> str:
        return "x" if s is None else "[" + ", ".join(outline(t) for t in s) + "]"

    return f"ragged lists {reprlib.repr(outline(shape))}"


def _numbers(x: Any) -> Any:
    """`x` with Values and numpy numbers turned into floats (for tracing)."""
    if isinstance(x, Value):
        return x.data
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [_numbers(item) for item in x]
    return float(x)


def _perturbed(x: Any) -> Any:
    """Other numbers of the same shape, for the second trace."""
    if isinstance(x, list):
        return [_perturbed(item) for item in x]
    return x + (abs(x) + 1.0) * 2.0 ** -10


@dataclass
class _Argument:
    name: str        # the parameter's name in the generated function
    shape: Shape     # of one sample, for a batched argument
    batched: bool
    wanted: bool     # its gradient is returned
    leaves: list[Value] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Tracing: run f on Values while a hook hears of every comparison and every leaf made.
# ----------------------------------------------------------------------------------------------


class _Tracer(Hooks):
    """The hooks installed while tracing: compiled code cannot follow a branch."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: set[Value] = set()  # leaves made while tracing: constants

    def on_leaf(self, leaf: Value) -> None:
        self.made.add(leaf)

    def on_compare(self, a: Value, b: Any, how: str) -> None:
        other = b.data if isinstance(b, Value) else b
        raise TraceError(
            f"compile({self.name}): the function compares a Value with data "
            f"({a.data!r} {how} {other!r}), so the branch it takes would be frozen into the "
            "compiled code. Write the choice with relu, maximum, minimum or abs (compiled "
            "without branches), or run this function with the dynamic engine."
        )


@dataclass
class _DotGroup:
    """`dot` nodes sharing their inputs, with weights from one argument: a matrix product."""

    members: list[Value]             # the dot nodes, one per row of the weight matrix
    inputs: tuple[Value, ...]        # shared by every member
    argument: _Argument              # where the weights come from
    index: list[list[int]]           # weight (row, column) -> position in the argument
    grad_weights: Value | None = None  # d output / d weights, summed over the batch (a matrix)
    grad_inputs: Value | None = None   # d output / d inputs, per sample (a matrix)


@dataclass
class _Trace:
    output: Value
    aux: Any
    aux_shape: Shape
    arguments: list[_Argument]
    made: set[Value]
    gradients: dict[Value, Value] = field(default_factory=dict)  # d output / d leaf
    adjoint_of: dict[Value, Value] = field(default_factory=dict)  # gradient -> its node
    groups: list[_DotGroup] = field(default_factory=list)


def _trace(f: Callable[..., Any], name: str, arguments: list[_Argument], samples: Sequence[Any],
           has_aux: bool, forward_only: bool = False) -> _Trace:
    """Run f on leaves holding `samples` (one sample of each argument).

    An argument given as leaf Values is traced as those very Values (a model's parameters, say,
    which the function may also reach on its own); numbers become fresh leaves.
    """
    tracer = _Tracer(name)
    seen: set[Value] = set()
    with hooks(tracer), engine.enable_grad():
        values = []
        for argument, sample in zip(arguments, samples):
            leaves = []
            for x in _flat(sample, argument.shape):
                if isinstance(x, Value) and not x.parents and x not in seen:
                    seen.add(x)
                    leaves.append(x)
                else:
                    leaves.append(Value(x.data if isinstance(x, Value) else x))
            argument.leaves = leaves
            values.append(_nest(leaves, argument.shape))
        tracer.made.clear()  # the arguments' leaves are inputs, not constants
        try:
            result = f(*values)
        except TypeError as error:
            message = str(error)
            if "not math's" in message or not _MATH_ON_A_VALUE.search(message):
                raise
            raise TypeError(f"compile({name}): the function failed on Values ({error}); write "
                            "it with autograd's functions (autograd.exp, ...), not math's"
                            ) from error
        aux: Any = None
        aux_shape: Shape = None
        if forward_only:  # no gradients: any numbers or lists of them, kept as `aux`
            result = (0.0, result)
        if has_aux or forward_only:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(f"compile({name}): with has_aux=True the function must return "
                                "(output, aux)")
            result, aux = result
            aux_shape = _shape_of(aux, f"compile({name}): aux")
            aux = [x if isinstance(x, Value) else Value(float(x))
                   for x in _flat(aux, aux_shape)]
        if _is_number(result) and not isinstance(result, Value):
            result = Value(float(result))
        if not isinstance(result, Value):
            raise TypeError(f"compile({name}): the function must return one Value or number, "
                            f"got {type(result).__name__}")
    return _Trace(result, aux, aux_shape, arguments, tracer.made)


# ----------------------------------------------------------------------------------------------
# The adjoint: the chain rule applied once, at trace time, with the table's derivatives called
# on Values, so that every gradient is itself a graph that can be written out.
# ----------------------------------------------------------------------------------------------


def _marker(name: str, doc: str) -> Primitive:
    """An op that exists only in compiled code (never evaluated by the engine)."""
    return Primitive(name, lambda *xs: 0.0, lambda *xs: 0.0, 0, doc=doc)


# A value shared by all samples gets, as its gradient, the sum over the batch of the per-sample
# terms: `total` marks that sum (a loop accumulator, or numpy's sum over the batch).
_TOTAL = Primitive("total", lambda x: x, lambda x, out: 1.0, 1,
                   doc="The sum over the batch of a per-sample value.")
# A dot group's gradients, as matrices: G I^T for the weights, W^T G for the inputs.
_GRAD_WEIGHTS = _marker("grad_weights", "G I^T: the weights' gradient, summed over the batch.")
_GRAD_INPUTS = _marker("grad_inputs", "W^T G: the inputs' gradient, one column per sample.")


@functools.cache
def _row(i: int) -> Primitive:
    """Row i of a matrix value (one input's gradient, from a dot group)."""
    op = _marker(f"row{i}", "One row of a matrix value.")
    op.family, op.parameter = "row", i
    return op


def _merge_duplicates(trace: _Trace) -> None:
    """Common subexpressions: nodes with the same op on the same operands (and constants of
    the same value) become one node, computed once. The result is the same, to the bit."""
    roots = [trace.output, *(trace.aux or ()), *trace.gradients.values()]
    roots += [g for group in trace.groups for g in (group.grad_weights, group.grad_inputs) if g is not None]
    anchor = Value(0.0)
    anchor.parents = tuple(roots)
    kept: dict[Any, Value] = {}
    same: dict[Value, Value] = {}
    grouped = {m for group in trace.groups for m in group.members}
    for node in topological_order(anchor)[:-1]:
        if node.parents:
            parents = tuple(same.get(p, p) for p in node.parents)
            if parents != node.parents:
                node.parents = parents
            key: Any = (node.op, parents)
        elif node in trace.made:
            key = repr(node.data)
        else:
            continue
        first = kept.setdefault(key, node)
        if first is not node and node not in grouped:
            same[node] = first
    if not same:
        return
    trace.output = same.get(trace.output, trace.output)
    if trace.aux is not None:
        trace.aux = [same.get(x, x) for x in trace.aux]
    trace.gradients = {leaf: same.get(g, g) for leaf, g in trace.gradients.items()}
    trace.adjoint_of = {same.get(g, g): node for g, node in trace.adjoint_of.items()}


def _depends_on(order: list[Value], sources: set[Value]) -> set[Value]:
    """The nodes of `order` (parents first) that `sources` reach, sources included."""
    reached = set(sources)
    for node in order:
        if node.parents and any(p in reached for p in node.parents):
            reached.add(node)
    return reached


def _dot_groups(order: list[Value], arguments: list[_Argument], batched: set[Value]
                ) -> list[_DotGroup]:
    """Per-sample `dot` nodes whose weights are leaves of one shared argument, grouped by
    their (identical) inputs: each group is one matrix product."""
    where: dict[Value, tuple[_Argument, int]] = {}
    for argument in arguments:
        if not argument.batched:
            for i, leaf in enumerate(argument.leaves):
                where.setdefault(leaf, (argument, i))
    groups: dict[tuple[int, tuple[Value, ...]], _DotGroup] = {}
    for node in order:
        if node.op is not engine.dot_ or node not in batched:
            continue
        n = len(node.parents) // 2
        weights, inputs = node.parents[:n], node.parents[n:]
        places = [where.get(w) for w in weights]
        if any(p is None for p in places) or len(set(weights)) != n:
            continue
        argument = places[0][0]  # type: ignore[index]
        if any(p[0] is not argument for p in places):  # type: ignore[index]
            continue
        key = (id(argument), inputs)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _DotGroup([], inputs, argument, [])
        group.members.append(node)
        group.index.append([p[1] for p in places])  # type: ignore[index]
    return list(groups.values())


def _differentiate(trace: _Trace, name: str, vectorize: bool) -> None:
    """Fill `trace.gradients` with d output / d leaf for the leaves of the wanted arguments."""
    wanted = {leaf for a in trace.arguments if a.wanted for leaf in a.leaves}
    anchor = Value(0.0)  # one root above the output and the aux values
    anchor.parents = (trace.output, *(trace.aux or ()))
    order = topological_order(anchor)[:-1]
    active = _depends_on(order, wanted)
    batched = _depends_on(order, {leaf for a in trace.arguments if a.batched for leaf in a.leaves})
    if vectorize:
        trace.groups = _dot_groups(order, trace.arguments, batched)
    group_of = {m: g for g in trace.groups for m in g.members}
    finished: dict[int, dict[Value, Value]] = {id(g): {} for g in trace.groups}
    tracer = _Tracer(name)
    with hooks(tracer), engine.enable_grad():
        seed = Value(1.0)
        if any(a.batched for a in trace.arguments) and trace.output not in batched:
            seed = _TOTAL(seed)  # an output the same for every sample: B times 1
        terms: dict[Value, list[Value]] = {trace.output: [seed]}

        def add_term(parent: Value, term: Value, per_sample: bool) -> None:
            if per_sample and parent not in batched:
                term = _TOTAL(term)
            terms.setdefault(parent, []).append(term)

        for node in reversed(order):
            pending = terms.pop(node, None)
            if pending is not None and node in active:
                g = pending[0]
                for term in pending[1:]:
                    g = g + term
                trace.adjoint_of.setdefault(g, node)
            else:
                g = None
            group = group_of.get(node)
            if group is not None:
                finished[id(group)][node] = g if g is not None else Value(0.0)
                if len(finished[id(group)]) == len(group.members):
                    _group_adjoint(group, finished[id(group)], active, add_term)
                continue
            if g is None:
                continue
            if not node.parents:
                trace.gradients[node] = g
                continue
            op: Primitive = node.op  # type: ignore[assignment]
            try:
                partials = op.derivative(*node.parents, node)
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
                elif partial == 0.0:
                    continue
                else:
                    term = g if partial == 1.0 else g * partial
                add_term(parent, term, node in batched)
    trace.made |= tracer.made


def _group_adjoint(group: _DotGroup, grads: dict[Value, Value], active: set[Value],
                   add_term: Callable[[Value, Value, bool], None]) -> None:
    """The table's dot partials (d/dw = x, d/dx = w) for a whole group at once."""
    g = tuple(grads[m] for m in group.members)
    if group.argument.wanted:
        group.grad_weights = _GRAD_WEIGHTS.apply(g + group.inputs)
    if any(x in active for x in group.inputs):
        group.grad_inputs = _GRAD_INPUTS.apply(g)
        for i, x in enumerate(group.inputs):
            if x in active:
                add_term(x, _row(i).apply((group.grad_inputs,)), False)


# ----------------------------------------------------------------------------------------------
# Spelling each op as Python source, for floats and for numpy arrays.
# ----------------------------------------------------------------------------------------------

# How tightly an expression binds, loosest first.
COND, ADD, MUL, NEG, ATOM = range(5)

Expr = tuple[str, int]  # source text and its precedence
Spelling = Callable[[list[Expr], Primitive], Expr]


def _wrap(expr: Expr, need: int) -> str:
    text, precedence = expr
    return text if precedence >= need else f"({text})"


def _infix(symbol: str, level: int) -> Spelling:
    # The right operand must bind tighter: x - (y - z) keeps its parentheses, and so does
    # x + (y + z), since floating-point addition is not associative.
    def spell(args: list[Expr], op: Primitive) -> Expr:
        left, right = args
        return f"{_wrap(left, level)} {symbol} {_wrap(right, level + 1)}", level
    return spell


def _call(function: str) -> Spelling:
    def spell(args: list[Expr], op: Primitive) -> Expr:
        return f"{function}({', '.join(text for text, _ in args)})", ATOM
    return spell


def _pattern(text: str, precedence: int) -> Spelling:
    """Source with {0}, {1} for the operands and {p} for the op's parameter."""
    def spell(args: list[Expr], op: Primitive) -> Expr:
        return text.format(*[_wrap(a, ATOM) for a in args], p=repr(op.parameter)), precedence
    return spell


def _fsum(args: list[Expr], op: Primitive) -> Expr:
    return f"_fsum(({', '.join(text for text, _ in args)},))", ATOM


def _product(w: Expr, x: Expr) -> str:
    if x == ("1.0", ATOM):  # w 1 = w, exactly (a bias on its constant input)
        return w[0]
    return f"{_wrap(w, MUL)} * {_wrap(x, NEG)}"


def _fsum_of_products(args: list[Expr], op: Primitive) -> Expr:
    n = len(args) // 2
    products = [_product(w, x) for w, x in zip(args[:n], args[n:])]
    return f"_fsum(({', '.join(products)},))", ATOM


def _array_sum(args: list[Expr], op: Primitive) -> Expr:
    return f"_add_all(({', '.join(text for text, _ in args)},))", ATOM


def _array_dot(args: list[Expr], op: Primitive) -> Expr:
    n = len(args) // 2
    ws = ", ".join(text for text, _ in args[:n])
    xs = ", ".join(text for text, _ in args[n:])
    return f"_dot(({ws},), ({xs},))", ATOM


# op -> (spelling for floats, spelling for arrays, how many times each operand is written)
Entry = tuple[Spelling, Spelling, tuple[int, ...]]


def _spelled(op: Primitive) -> Entry:
    """How the table's entry says the op is written, for floats and for arrays."""
    scalar, array = op.spelling  # type: ignore[misc]
    if op.infix:
        level = ADD if op.symbol in "+-" else MUL
        return _infix(op.symbol, level), _infix(op.symbol, level), ()

    def precedence(text: str) -> int:
        if " if " in text:
            return COND
        if text.startswith("-"):
            return NEG
        if text.endswith("* 1.0"):
            return MUL
        return ATOM

    def spelling(text: str) -> Spelling:
        # a plain call such as math.exp({0}) writes its operand without extra parentheses
        head, _, rest = text.partition("(")
        if rest == "{0})" and head.replace(".", "").replace("_", "").isalnum():
            return _call(head)
        return _pattern(text, precedence(text))

    uses = tuple(scalar.count("{%d}" % i) for i in range(max(op.arity, 1)))
    repeated = uses if any(n > 1 for n in uses) else ()
    return (spelling(scalar), spelling(array), repeated)


def _spellings() -> dict[Primitive, Entry]:
    table = {op: _spelled(op) for op in engine.OPS.values()
             if op.family is None and op.arity in (1, 2)}
    table[engine.sum_] = (_fsum, _array_sum, ())
    table[engine.dot_] = (_fsum_of_products, _array_dot, ())
    return table


_SPELLINGS = _spellings()
_FAMILIES: dict[str, Entry] = {
    name: _spelled(engine.OPS[name]) for name in ("power", "leaky_relu")}


def _elementwise(op: Primitive | None) -> bool:
    """Ops that act on each number alone, so that on a matrix they act entry by entry."""
    if op is None:
        return False
    return (op in _SPELLINGS and op.arity in (1, 2)) or op.family in _FAMILIES


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ImportError("compiled functions on numpy arrays need numpy: "
                          "pip install 'scalar-autograd[fast]'") from None


def _namespace(array: bool, helpers: dict[str, Primitive], constants: dict[str, Any]
               ) -> dict[str, Any]:
    names: dict[str, Any] = {"math": math, "_fsum": engine._fsum,
                             "_sign": engine._sign, "_sigmoid": engine._sigmoid,
                             "_softplus": engine._softplus, "__builtins__": builtins}
    if not array:
        names.update((name, op.forward) for name, op in helpers.items())
        return names
    np = _numpy()

    def rows(parts: Sequence[Any], n: int) -> Any:
        # Stack rows (per-sample arrays, numbers, or 2-D blocks of rows) into one matrix.
        blocks = [p if getattr(p, "ndim", 0) == 2 else None for p in parts]
        out = np.empty((sum(1 if b is None else len(b) for b in blocks), n))
        i = 0
        for part, block in zip(parts, blocks):
            if block is None:
                out[i] = part
                i += 1
            else:
                out[i:i + len(block)] = block
                i += len(block)
        return out

    names.update(
        np=np,
        _add_all=lambda xs: functools.reduce(operator.add, xs),
        _dot=lambda ws, xs: functools.reduce(operator.add, map(operator.mul, ws, xs)),
        # 1 / (1 + e^-x) = e^-log(1 + e^-x), and log(1 + e^x): stable at both ends
        _sigmoid_array=lambda x: np.exp(-np.logaddexp(0.0, -x)),
        _softplus_array=lambda x: np.logaddexp(0.0, x),
        _erf_array=np.vectorize(math.erf, otypes=[float]),
        _columns=lambda a, n: np.ascontiguousarray(np.asarray(a, dtype=float).reshape(
            len(a), n).T),
        _per_sample=lambda x, n: np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy(),
        _floats=lambda xs: np.asarray(xs, dtype=float).tolist(),
        _rows=rows,
    )
    names.update((name, getattr(op, "array_forward", None) or
                  np.vectorize(op.forward, otypes=[float])) for name, op in helpers.items())
    names.update((name, np.asarray(value)) for name, value in constants.items())
    return names


# ----------------------------------------------------------------------------------------------
# Lanes (numpy mode): per-sample values that are rows of one matrix, computed by one op.
# ----------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Lanes:
    """Values that are the rows of one matrix: `members[j]` is row `offset + j` of `matrix`."""

    members: list[Value]
    matrix: str = ""        # its name in the generated code, once written
    offset: int = 0
    exact: bool = True      # the matrix has no other rows


def _find_lanes(order: list[Value], trace: _Trace, batched: set[Value]
                ) -> dict[Value, tuple[_Lanes, int]]:
    """Per-sample values grouped into lanes: the members of each dot group, the inputs' rows of
    each group's input gradient, the per-sample vector arguments, and, grown from those, any
    values computed by one op from the same lanes (relu of a layer, its derivative, ...)."""
    seeds: list[_Lanes] = [_Lanes(list(g.members)) for g in trace.groups]
    for argument in trace.arguments:
        if argument.batched and argument.shape is not None:
            seeds.append(_Lanes(list(argument.leaves)))
    rows: dict[Value, dict[int, Value]] = {}
    for node in order:
        if node.op is not None and node.op.family == "row":
            rows.setdefault(node.parents[0], {})[node.op.parameter] = node  # type: ignore[index]
    for by_index in rows.values():
        indices = sorted(by_index)
        if indices == list(range(indices[0], indices[-1] + 1)):
            seeds.append(_Lanes([by_index[i] for i in indices], offset=indices[0], exact=False))
    blocked: set[tuple[Any, ...]] = set()
    while True:
        lane_of: dict[Value, tuple[_Lanes, int]] = {}
        for lanes in seeds:
            for j, node in enumerate(lanes.members):
                lane_of.setdefault(node, (lanes, j))
        candidates: dict[tuple[Any, ...], dict[int, Value]] = {}
        sizes: dict[tuple[Any, ...], int] = {}
        for node in order:
            if node in lane_of or not _elementwise(node.op) or node not in batched:
                continue
            key: list[Any] = [node.op]
            lane = size = None
            for parent in node.parents:
                if parent in lane_of:
                    lanes, j = lane_of[parent]
                    if lane is not None and (j != lane or len(lanes.members) != size):
                        break  # operands from different rows, or matrices of other heights
                    lane, size = j, len(lanes.members)
                    key.append(lanes)
                else:
                    key.append(parent)  # the same for every lane (a number, or one per sample)
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
        for s in candidates:
            if s not in new:
                blocked.add(s)
        if not new:
            return lane_of
        for s in new:
            seeds.append(_Lanes([candidates[s][j] for j in range(sizes[s])]))


# ----------------------------------------------------------------------------------------------
# Writing the program out.
# ----------------------------------------------------------------------------------------------

_RESERVED = {"math", "np", "B", "outputs", "extras", "__builtins__"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_DEPTH = 40  # the longest chain of operators written as one expression


def _literal(x: float) -> Expr:
    if math.isnan(x):
        return "math.nan", ATOM
    if math.isinf(x):
        return ("math.inf", ATOM) if x > 0 else ("-math.inf", NEG)
    return repr(x), NEG if math.copysign(1.0, x) < 0 else ATOM


def _is_literal(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Writer:
    """Writes a traced graph and its gradients as one Python function.

    Modes: "scalar" (floats, no batch), "loop" (a for loop over the batch) and "array" (numpy,
    all samples at once). Statements go to three places: before the loop (values shared by all
    samples), inside it (per-sample values), and after it (sums over the batch and what
    depends on them).
    """

    def __init__(self, trace: _Trace, mode: str, function_name: str, name: str,
                 many: bool, forward_only: bool = False) -> None:
        self.trace = trace
        self.forward_only = forward_only  # return the outputs only, no gradients
        self.outputs = ""  # what a forward-only function returns
        self.mode = mode
        self.array = mode == "array"
        self.function_name = function_name
        self.name = name
        self.many = many  # return a tuple of gradients even for one argument
        self.exprs: dict[Value, Expr] = {}
        self.depth: dict[Value, int] = {}
        self.names: dict[Value, str] = {}
        self.used: set[str] = set(_RESERVED) | {a.name for a in trace.arguments}
        self.counters: dict[str, int] = {}
        self.helpers: dict[str, Primitive] = {}
        self.constants: dict[str, Any] = {}
        self.negated: dict[Value, Expr] = {}  # y for a value written -y
        self.weight_arrays: dict[str, str] = {}  # argument -> its numpy array
        self.weight_matrices: dict[int, tuple[str, str]] = {}  # group -> matrix, index names
        self.stacked: dict[tuple[str, str], str] = {}  # stacked matrices, by source and place
        self.reads: set[Value] = set()  # values read one by one (not only as matrix rows)
        self.lines: dict[str, list[tuple[bool, str]]] = {"before": [], "loop": [], "after": []}

    def fresh(self, stem: str) -> str:
        """An unused variable name starting with `stem`."""
        name = stem
        while name in self.used or keyword.iskeyword(name) or hasattr(builtins, name):
            self.counters[stem] = k = self.counters.get(stem, 0) + 1
            name = f"{stem}{k}"
        self.used.add(name)
        return name

    def emit(self, node: Value | None, text: str) -> None:
        where = "before" if node is None else self.section(node)
        self.lines[where].append((node is not None and node in self.forward, text))

    # -- the graph -----------------------------------------------------------------------------

    def write(self) -> str:
        trace = self.trace
        wanted = [leaf for a in trace.arguments if a.wanted for leaf in a.leaves]
        roots = [trace.output, *(trace.aux or ())]
        roots += [trace.gradients[x] for x in wanted if x in trace.gradients]
        roots += [g.grad_weights for g in trace.groups if g.grad_weights is not None]
        anchor = Value(0.0)
        anchor.parents = tuple(roots)
        order = topological_order(anchor)[:-1]
        self.forward = set(topological_order(trace.output))
        for x in trace.aux or ():
            self.forward |= set(topological_order(x))

        # Per-sample values depend on a batched argument other than through a sum over the
        # batch; values after the loop depend on such a sum.
        self.batched = {leaf for a in trace.arguments if a.batched for leaf in a.leaves}
        self.after: set[Value] = set()
        for node in order:
            if node.op in (_TOTAL, _GRAD_WEIGHTS):
                self.after.add(node)
            elif node.parents:
                if any(p in self.batched for p in node.parents):
                    self.batched.add(node)
                if any(p in self.after for p in node.parents):
                    self.after.add(node)
        self.lanes = _find_lanes(order, trace, self.batched) if self.array else {}
        self.group_of = {m: g for g in trace.groups for m in g.members}
        entries = {node: self.entry(node) for node in order if node.parents}

        # How often each node is read, and which nodes must be held in a variable.
        uses = dict.fromkeys(order, 0)
        held = set(roots)
        for node in order:
            if node.parents and node not in self.lanes:
                counts = entries[node][2]
                for i, parent in enumerate(node.parents):
                    uses[parent] += counts[i] if i < len(counts) else 1
                    if node.op is _TOTAL or self.section(parent) != self.section(node):
                        held.add(parent)
            for parent in node.parents:  # a lane's operand is read by the whole matrix
                if node in self.lanes and parent not in self.lanes:
                    held.add(parent)

        for argument in trace.arguments:
            if self.array and argument.batched and argument.shape is not None:
                matrix = self.fresh(f"{argument.name}_rows")
                self.lanes[argument.leaves[0]][0].matrix = matrix
                for i, leaf in enumerate(argument.leaves):
                    self.exprs[leaf] = (f"{matrix}[{i}]", ATOM)
                continue
            for i, leaf in enumerate(argument.leaves):
                if argument.shape is not None:
                    name = f"{argument.name}_{i}"
                else:  # one sample of a batched argument x is x_s
                    name = f"{argument.name}_s" if argument.batched else argument.name
                self.used.add(name)
                self.names[leaf] = name
                self.exprs[leaf] = (name, ATOM)
        self.gradient_of = {g: leaf for leaf, g in trace.gradients.items()}

        for node in order:
            if node in self.exprs:
                continue
            if not node.parents:
                if node not in trace.made:
                    raise TraceError(
                        f"compile({self.name}): the function reads a Value that is not one of "
                        f"its arguments ({engine._describe(node)}); pass it as an argument, or "
                        "its value at trace time would be frozen into the compiled code")
                self.exprs[node] = _literal(node.data)
                continue
            if node in self.lanes:
                self.write_lane(node)
                continue
            if node.op is _TOTAL:
                self.write_total(node)
                continue
            if node.op in (_GRAD_WEIGHTS, _GRAD_INPUTS):
                self.write_group_gradient(node)
                continue
            expr, depth = self.expression(node, entries[node])
            if (uses[node] != 1 or node in held or depth > _MAX_DEPTH) and \
                    not _IDENTIFIER.match(expr[0]) and not _is_literal(expr[0]):
                target = self.fresh(self.stem(node))
                self.emit(node, f"{target} = {expr[0]}")
                self.names[node] = target
                expr, depth = (target, ATOM), 0
            self.exprs[node] = expr
            self.depth[node] = depth
        return self.assemble()

    def section(self, node: Value) -> str:
        if self.mode == "scalar":
            return "before"
        if node in self.batched:
            return "loop"
        return "after" if node in self.after else "before"

    def stem(self, node: Value) -> str:
        """A variable name: t for forward values, g_name for the gradient of a named one."""
        if node in self.forward:
            label = node.label
            return label if label and _IDENTIFIER.match(label) else "t"
        leaf = self.gradient_of.get(node)
        if leaf is not None:
            return "g_" + self.names[leaf]
        owner = self.trace.adjoint_of.get(node)
        if owner is not None and owner in self.names:
            return "g_" + self.names[owner]
        return "g"

    def entry(self, node: Value) -> Entry:
        op: Primitive = node.op  # type: ignore[assignment]
        entry = _SPELLINGS.get(op)
        if entry is None and op.family in _FAMILIES:
            entry = _FAMILIES[op.family]  # type: ignore[index]
        if entry is None:
            if op in (_TOTAL, _GRAD_WEIGHTS, _GRAD_INPUTS) or op.family == "row":
                return (_call("_"), _call("_"), ())
            # an op from outside the table: call its float function (in numpy mode, its
            # `array_forward` if it has one, else the float function sample by sample)
            function = self.fresh("op_" + (re.sub(r"\W+", "_", op.name).strip("_") or "f"))
            self.helpers[function] = op
            entry = (_call(function), _call(function), ())
        return entry

    def read(self, node: Value) -> Expr:
        """The expression for `node`, noting that the program reads it as a number."""
        self.reads.add(node)
        return self.exprs[node]

    def expression(self, node: Value, entry: Entry) -> tuple[Expr, int]:
        parents = node.parents
        args = [self.read(p) for p in parents]
        depth = 1 + max((self.depth.get(p, 0) for p in parents), default=0)
        op = node.op
        if op is engine.mul:
            for mine, other, its in ((args[0], args[1], parents[1]),
                                     (args[1], args[0], parents[0])):
                if mine == ("1.0", ATOM):  # 1 x = x, exactly
                    return other, self.depth.get(its, 0)
                if mine == ("-1.0", NEG):  # -1 x = -x, exactly
                    self.negated[node] = other
                    return (f"-{_wrap(other, NEG)}", NEG), depth
        if op is engine.add:
            # x + (-y) = x - y, exactly, for a negated value or a negative number
            right = parents[1]
            if right in self.negated and self.exprs[right][1] == NEG:
                return (f"{_wrap(args[0], ADD)} - {_wrap(self.negated[right], MUL)}", ADD), depth
            if _is_literal(args[1][0]) and args[1][0].startswith("-"):
                return (f"{_wrap(args[0], ADD)} - {args[1][0][1:]}", ADD), depth
        if self.array and op in (engine.sum_, engine.dot_):
            reduced = self.reduction(node)
            if reduced is not None:
                return (reduced, ATOM), depth
        spell = entry[1] if self.array else entry[0]
        return spell(args, op), depth  # type: ignore[arg-type]

    def reduction(self, node: Value) -> str | None:
        """sum or dot over whole lane groups, as one sum over the rows of matrices."""
        if node.op is engine.sum_:
            matrix = self.whole_lanes(node.parents)
            return None if matrix is None else f"{matrix}.sum(axis=0)"
        n = len(node.parents) // 2
        left, right = self.whole_lanes(node.parents[:n]), self.whole_lanes(node.parents[n:])
        if left is None and right is None:
            return None
        left = left or self.rows_of(node.parents[:n])
        right = right or self.rows_of(node.parents[n:])
        return f"np.einsum('ij,ij->j', {left}, {right})"

    def write_total(self, node: Value) -> None:
        """The sum over the batch of a per-sample value."""
        (operand,) = node.parents
        text = self.read(operand)[0]
        if self.mode == "loop":
            name = self.fresh("total")
            self.lines["before"].append((False, f"{name} = 0.0"))
            self.lines["loop"].append((False, f"{name} += {text}"))
            self.exprs[node] = (name, ATOM)
        elif operand in self.batched:
            self.exprs[node] = (f"np.sum({text})", ATOM)
        else:
            self.exprs[node] = (f"{_wrap(self.exprs[operand], MUL)} * B", MUL)
        self.depth[node] = 0

    # -- numpy mode: matrices --------------------------------------------------------------

    def rows_of(self, values: Sequence[Value]) -> str:
        """Source for the matrix whose rows are `values` (using whole lanes where it can)."""
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
                parts.append(self.read(values[i])[0])
                i += 1
        if len(parts) == 1 and blocks == 1:
            return parts[0]
        text = f"_rows(({', '.join(parts)},), B)"
        sections = {self.section(v) for v in values}
        where = next(w for w in ("after", "loop", "before") if w in sections)
        key = (text, where)
        if key not in self.stacked:
            self.stacked[key] = self.fresh("R")
            self.lines[where].append((all(v in self.forward for v in values),
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
        if lanes.exact:
            return lanes.matrix
        return f"{lanes.matrix}[{lanes.offset}:{lanes.offset + len(values)}]"

    def weights_of(self, group: _DotGroup) -> str:
        name = group.argument.name
        if name not in self.weight_arrays:
            self.weight_arrays[name] = self.fresh(f"{name}_array")
            self.lines["before"].append((False, f"{self.weight_arrays[name]} = "
                                                f"np.asarray({name}, dtype=float)"))
        if id(group) not in self.weight_matrices:
            index = self.fresh("index")
            self.constants[index] = group.index
            matrix = self.fresh("W")
            self.lines["before"].append((True, f"{matrix} = {self.weight_arrays[name]}[{index}]"))
            self.weight_matrices[id(group)] = (matrix, index)
        return self.weight_matrices[id(group)][0]

    def write_lane(self, node: Value) -> None:
        lanes, j = self.lanes[node]
        if not lanes.matrix:
            first = lanes.members[0]
            group = self.group_of.get(first)
            if group is not None:
                expr = f"{self.weights_of(group)} @ {self.rows_of(group.inputs)}"
                stem = "t"
            elif first.op is not None and first.op.family == "row":
                lanes.matrix = self.exprs[first.parents[0]][0]
                stem = ""
            else:
                args = []
                for parent in first.parents:
                    lane = self.lanes.get(parent)
                    if lane is not None:
                        base = lane[0]
                        size = len(base.members)
                        text = base.matrix if base.exact else \
                            f"{base.matrix}[{base.offset}:{base.offset + size}]"
                        args.append((text, ATOM))
                    else:
                        args.append(self.read(parent))
                if first.op is engine.mul and ("1.0", ATOM) in args:  # 1 X = X
                    other = args[1] if args[0] == ("1.0", ATOM) else args[0]
                    if _IDENTIFIER.match(other[0]):
                        lanes.matrix = other[0]
                spelled = self.entry(first)[1](args, first.op)  # type: ignore[arg-type]
                if first.op is engine.mul and ("-1.0", NEG) in args:  # -1 X = -X
                    other = args[1] if args[0] == ("-1.0", NEG) else args[0]
                    spelled = (f"-{_wrap(other, NEG)}", NEG)
                expr = spelled[0]
                stem = "t" if first in self.forward else "g"
            if not lanes.matrix:
                lanes.matrix = self.fresh(stem.upper() if stem == "t" else "G")
                self.emit(first, f"{lanes.matrix} = {expr}")
        self.exprs[node] = (f"{lanes.matrix}[{lanes.offset + j}]", ATOM)
        self.depth[node] = 0

    def write_group_gradient(self, node: Value) -> None:
        group = next(g for g in self.trace.groups
                     if node is g.grad_weights or node is g.grad_inputs)
        m = len(group.members)
        g_rows = self.rows_of(node.parents[:m])
        if node.op is _GRAD_WEIGHTS:
            # d/dW: sum over samples of g_j x_l, i.e. G I^T
            name = self.fresh("g_W")
            self.emit(node, f"{name} = {g_rows} @ {self.rows_of(group.inputs)}.T")
        else:
            # d/dx: sum over rows of g_j W_jl, i.e. W^T G
            name = self.fresh("g_inputs")
            self.emit(node, f"{name} = {self.weights_of(group)}.T @ {g_rows}")
        self.exprs[node] = (name, ATOM)
        self.depth[node] = 0

    # -- the function around the statements -------------------------------------------------

    def assemble(self) -> str:
        arguments = self.trace.arguments
        batch = [a for a in arguments if a.batched]
        out = self.read(self.trace.output)[0]
        body: list[str] = []
        for a in arguments:
            # (numpy mode reads weights as matrices: it unpacks only what it reads one by one)
            if not a.batched and a.shape is not None and \
                    (not self.array or any(leaf in self.reads for leaf in a.leaves)):
                body.append(f"{self.unpack_target(a)} = {a.name}")
        if self.mode == "scalar":
            body += self.statements("before", "# forward", "# backward: g_v is d(output)/d(v)")
            value = f"({out}, {self.aux_source()})" if self.trace.aux is not None else out
            self.outputs = self.aux_source() if self.forward_only else ""
            return self.function(body, value, [self.gradient(a) for a in arguments if a.wanted])
        body.append(f"B = len({batch[0].name})")
        per_sample_grads = [a for a in batch if a.wanted]
        if self.mode == "loop":
            body += self.statements("before", "# shared by every sample")
            body.append("outputs = []")
            if self.trace.aux is not None:
                body.append("extras = []")
            for a in per_sample_grads:
                body.append(f"g_{a.name} = []")
            names = ", ".join(f"{a.name}_s" for a in batch)
            sources = ", ".join(a.name for a in batch)
            head = f"for {names} in zip({sources}):" if len(batch) > 1 else \
                f"for {names} in {sources}:"
            loop = [f"{self.unpack_target(a)} = {a.name}_s" for a in batch if a.shape is not None]
            loop += self.statements("loop", "# forward, one sample",
                                    "# backward, one sample: g_v is d(output)/d(v)")
            loop.append(f"outputs.append({out})")
            if self.trace.aux is not None:
                loop.append(f"extras.append({self.aux_source()})")
            loop += [f"g_{a.name}.append({self.gradient(a)})" for a in per_sample_grads]
            results = [f"g_{a.name}" if a.batched else self.gradient(a)
                       for a in arguments if a.wanted]
            body += ["# the samples", head] + ["    " + line for line in loop]
            body += self.statements("after", "# sums over the batch")
            value = "(outputs, extras)" if self.trace.aux is not None else "outputs"
            self.outputs = "extras"
            return self.function(body, value, results)
        for a in batch:
            if a.shape is None:
                body.append(f"{a.name}_s = np.asarray({a.name}, dtype=float)")
            else:
                matrix = self.lanes[a.leaves[0]][0].matrix
                body.append(f"{matrix} = _columns({a.name}, {len(a.leaves)})")
        results = [f"_per_sample({self.gradient(a)}, B)" if a.batched else self.gradient(a)
                   for a in arguments if a.wanted]
        body += self.statements("before", "# shared by every sample")
        body += self.statements("loop", "# forward, all samples at once",
                                "# backward, all samples at once")
        body += self.statements("after", "# sums over the batch")
        value = f"_per_sample({out}, B)"
        if self.trace.aux is not None:
            value = f"({value}, {self.aux_source()})"
            self.outputs = self.aux_source() if self.forward_only else ""
        return self.function(body, value, results)

    def aux_source(self) -> str:
        if self.array and self.trace.aux_shape is not None and \
                len(self.trace.aux_shape) == len(self.trace.aux):
            matrix = self.whole_lanes(self.trace.aux)
            if matrix is not None:  # one row of aux per sample
                return f"{matrix}.T"
        items = [self.read(x)[0] for x in self.trace.aux]
        if self.array:
            items = [f"_per_sample({text}, B)" for text in items]
        if self.trace.aux_shape is None:
            return items[0]
        text = repr(_nest(items, self.trace.aux_shape)).replace("'", "")
        return f"np.stack({text}, axis=-1)" if self.array else text

    def statements(self, where: str, forward_header: str, backward_header: str | None = None
                   ) -> list[str]:
        out: list[str] = []
        part = None
        for forward, text in self.lines[where]:
            header = forward_header if forward or backward_header is None else backward_header
            if header != part:
                out.append(header)
                part = header
            out.append(text)
        return out

    def function(self, body: list[str], value: str, gradients: list[str]) -> str:
        result = ", ".join(gradients)
        if len(gradients) != 1 or self.many:
            result = f"({result}{',' if len(gradients) == 1 else ''})"
        if self.forward_only:
            body.append(f"return {self.outputs}")
        else:
            body.append(f"return {value}, {result}")
        names = ", ".join(a.name for a in self.trace.arguments)
        return "\n".join([f"def {self.function_name}({names}):"] +
                         ["    " + line for line in body])

    def unpack_target(self, argument: _Argument) -> str:
        names = iter([self.names[leaf] for leaf in argument.leaves])

        def target(shape: Shape) -> str:
            if shape is None:
                return next(names)
            inner = ", ".join(target(s) for s in shape)
            return f"({inner},)" if len(shape) == 1 else f"({inner})"

        text = target(argument.shape)
        return text[1:-1] if text.startswith("(") else text

    def gradient(self, argument: _Argument) -> str:
        """The source of an argument's gradient, in the argument's shape."""
        def one(leaf: Value) -> str:
            g = self.trace.gradients.get(leaf)
            return "0.0" if g is None else self.read(g)[0]

        groups = [g for g in self.trace.groups
                  if g.argument is argument and g.grad_weights is not None]
        if groups:  # the weights' gradients are matrices: add them into one array
            name = self.fresh(f"g_{argument.name}")
            lines = [f"{name} = np.zeros({len(argument.leaves)})"]
            for group in groups:  # a group's weights are distinct: += adds each once
                lines.append(f"{name}[{self.weight_matrices[id(group)][1]}] += "
                             f"{self.exprs[group.grad_weights][0]}")
            for i, leaf in enumerate(argument.leaves):
                if leaf in self.trace.gradients:
                    lines.append(f"{name}[{i}] += {one(leaf)}")
            self.lines["after"] += [(False, line) for line in lines]
            return f"{name}.reshape({_dimensions(argument.shape)})"
        items = [one(leaf) for leaf in argument.leaves]
        if argument.shape is None:
            text = items[0]
            return f"float({text})" if self.array and not argument.batched else text
        text = repr(_nest(items, argument.shape)).replace("'", "")
        return f"np.array({text}, dtype=float)" if self.array and not argument.batched else text


# ----------------------------------------------------------------------------------------------
# The public face.
# ----------------------------------------------------------------------------------------------


@dataclass
class _Program:
    source: str
    function: Callable[..., Any]
    shapes: list[Shape]    # of each argument (of one sample, for a batched argument)
    batched: set[int]
    names: list[str]       # the arguments' names in the generated function


class CompiledFunction:
    """A function of Values compiled to Python source; see `compile`.

    Calling it returns `(value, gradients)`. `source` is the source written for the latest
    call's argument shapes.
    """

    def __init__(self, f: Callable[..., Any], argnums: int | tuple[int, ...] | None,
                 batch_args: Sequence[int | str], has_aux: bool) -> None:
        self.f = f
        self.name = getattr(f, "__name__", None) or type(f).__name__
        # the generated function keeps f's name unless that would hide a name its code uses
        self.function_name = self.name if _IDENTIFIER.match(self.name) and \
            self.name not in _RESERVED and not keyword.iskeyword(self.name) and \
            not hasattr(builtins, self.name) and not self.name.startswith("_") else "f"
        self.parameters = _parameter_names(f)
        self.batch_positions = tuple(sorted({self._position(b) for b in batch_args}))
        self.argnums = argnums
        self.has_aux = has_aux
        self._programs: dict[Any, _Program] = {}        # by the exact shapes of the arguments
        self._by_quick_shape: dict[Any, _Program] = {}  # the latest, by a cheap key
        self._latest: _Program | None = None

    def _position(self, which: int | str) -> int:
        if isinstance(which, str):
            if self.parameters is None or which not in self.parameters:
                raise ValueError(f"compile({self.name}): batch_args names {which!r}, which is "
                                 "not a parameter of the function")
            return self.parameters.index(which)
        if isinstance(which, bool) or not isinstance(which, int) or which < 0:
            raise TypeError(f"compile({self.name}): batch_args must hold parameter names or "
                            f"positions, got {which!r}")
        return which

    @property
    def source(self) -> str:
        """The Python source of the compiled function (after a call or `trace`)."""
        if self._latest is None:
            raise ValueError(f"compile({self.name}): not traced yet; call it, or call "
                             ".trace(*example_arguments), first")
        return self._latest.source

    def trace(self, *args: Any) -> CompiledFunction:
        """Trace and compile for arguments shaped like `args`, without running; returns self.

        >>> import autograd
        >>> print(compile(autograd.relu).trace(1.0).source)
        def relu(x):
            # forward
            t = 0.0 if x <= 0.0 else x
            # backward: g_v is d(output)/d(v)
            g_x = 1.0 if x > 0.0 else 0.0
            return t, (g_x,)
        """
        self._program(args)
        return self

    def __call__(self, *args: Any) -> Any:
        program, plain = self._program(args)
        try:
            return program.function(*plain)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise self._explained(error, args) from error

    def _program(self, args: Sequence[Any]) -> tuple[_Program, list[Any]]:
        """The program for arguments shaped like `args` (compiled if new), and the arguments
        as it reads them."""
        self._check_batch(args)
        array = any(hasattr(args[i], "shape") for i in self.batch_positions if i < len(args))
        # a batched argument's shape is that of one sample: any batch size runs the same code
        quick = (array, tuple(_quick_shape(a[0] if i in self.batch_positions and len(a) else a)
                              for i, a in enumerate(args)))
        program = self._by_quick_shape.get(quick)
        plain = None if program is None else self._arguments_for(program, args)
        if plain is None:  # the cheap key follows first items only: look up the exact shapes
            key = (array, self._exact_shapes(args))
            program = self._programs.get(key)
            if program is None:
                program = self._compile(args, array)
                self._programs[key] = program
            self._by_quick_shape[quick] = program
            plain = self._arguments_for(program, args)
            if plain is None:  # pragma: no cover - the exact shapes are the program's
                raise AssertionError(f"compile({self.name}): arguments do not fit their program")
        self._latest = program
        return program, plain

    def _check_batch(self, args: Sequence[Any]) -> None:
        """Batched arguments are sequences of samples, all of one length."""
        lengths: dict[int, int] = {}
        for i in self.batch_positions:
            if i >= len(args):
                continue
            x = args[i]
            if not isinstance(x, (list, tuple)) and getattr(x, "ndim", 0) < 1:
                name = _argument_names(self.parameters, len(args))[i]
                raise TypeError(f"compile({self.name}): batched argument {name!r} must be a list "
                                f"or an array with one entry per sample, got "
                                f"{type(x).__name__} {reprlib.repr(x)}")
            lengths[i] = len(x)
        if len(set(lengths.values())) > 1:
            names = _argument_names(self.parameters, len(args))
            raise ValueError(
                f"compile({self.name}): the batched arguments "
                f"{', '.join(repr(names[i]) for i in lengths)} differ in length "
                f"({' and '.join(str(n) for n in lengths.values())})")

    def _arguments_for(self, program: _Program, args: Sequence[Any]) -> list[Any] | None:
        """`args` with Values replaced by their data, or None if they do not fit `program`."""
        if len(args) != len(program.shapes):
            return None
        plain = []
        for i, (x, shape) in enumerate(zip(args, program.shapes)):
            try:
                y = _checked_batch(x, shape) if i in program.batched else _checked(x, shape)
            except _NotANumber as error:
                where = "".join(f"[{j}]" for j in reversed(error.path))
                raise _not_a_number(error.leaf, f"compile({self.name}): argument "
                                                f"{program.names[i]!r}{where}") from None
            if y is _MISMATCH:
                return None
            plain.append(y)
        return plain

    def _exact_shapes(self, args: Sequence[Any]) -> tuple[Shape, ...]:
        """The shape of each argument (of one sample, for a batched argument)."""
        names = _argument_names(self.parameters, len(args))
        shapes: list[Shape] = []
        for i, x in enumerate(args):
            where = f"compile({self.name}): argument {names[i]!r}"
            if i not in self.batch_positions:
                shapes.append(_shape_of(x, where))
                continue
            if not len(x):
                shapes.append("empty")  # refused when compiled
                continue
            first = _shape_of(x[0], f"{where}[0]")
            if not hasattr(x, "shape"):
                for j, sample in enumerate(x):
                    shape = _shape_of(sample, f"{where}[{j}]")
                    if shape != first:
                        raise ValueError(
                            f"{where}: sample {j} is {_describe(shape)}, but sample 0 is "
                            f"{_describe(first)}; the samples of a batched argument must all "
                            "have one shape")
            shapes.append(first)
        return tuple(shapes)

    def _explained(self, error: Exception, args: Sequence[Any]) -> Exception:
        """An error of the maths raised by compiled code, told as the dynamic engine tells it
        (which op, which operand), else with the inputs."""
        kind = next(k for k in (ZeroDivisionError, OverflowError, ValueError)
                    if isinstance(error, k))
        batched = [i for i in self.batch_positions if i < len(args)]
        size = len(args[batched[0]]) if batched else 1
        for j in range(min(size, 1000)):  # the dynamic engine, sample by sample
            sample = [a[j] if i in batched else a for i, a in enumerate(args)]
            message = self._engine_error(sample)
            if message is not None:
                where = f" (sample {j} of the batch)" if batched else ""
                return kind(f"compile({self.name}): {message}{where}")
        names = _argument_names(self.parameters, len(args))
        inputs = ", ".join(f"{name}={reprlib.repr(a)}" for name, a in zip(names, args))
        return kind(f"compile({self.name}): {error}, at these inputs: {inputs}")

    def _engine_error(self, args: Sequence[Any]) -> str | None:
        """What the dynamic engine says running f on `args`, if it fails in its maths."""
        def leaves(x: Any) -> Any:
            if isinstance(x, Value):
                return x
            if hasattr(x, "tolist"):
                x = x.tolist()
            if isinstance(x, (list, tuple)):
                return [leaves(item) for item in x]
            return Value(float(x))

        try:
            with engine.no_grad():
                self.f(*[leaves(a) for a in args])
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            return str(error)
        except Exception:  # another failure: not the one compiled code met
            return None
        return None

    def _compile(self, args: Sequence[Any], array: bool) -> _Program:
        n = len(args)
        if any(p >= n for p in self.batch_positions):
            raise ValueError(f"compile({self.name}): batch_args points past the {n} argument(s)")
        batched = set(self.batch_positions)
        wanted = _wanted(self.argnums, n, batched, self.name)
        names = _argument_names(self.parameters, n)
        samples: list[Any] = []
        others: list[Any] = []
        size = None
        for i, arg in enumerate(args):
            if i not in batched:
                samples.append(arg)
                others.append(_perturbed(_numbers(arg)))
                continue
            if size is None:
                size = len(arg)
            elif len(arg) != size:
                raise ValueError(f"compile({self.name}): the batched arguments differ in "
                                 f"length ({size} and {len(arg)})")
            if len(arg) == 0:
                raise ValueError(f"compile({self.name}): batched argument {names[i]!r} is empty")
            samples.append(_numbers(arg[0]))
            others.append(_numbers(arg[1]) if len(arg) > 1 else _perturbed(samples[-1]))
        mode = "array" if array else ("loop" if batched else "scalar")
        many = not isinstance(self.argnums, int)
        source, writer = self._write(names, samples, batched, wanted, mode, many)
        try:
            again, _ = self._write(names, others, batched, wanted, mode, many)
        except (ValueError, ZeroDivisionError, OverflowError):
            again = source  # the other data left some op's domain: nothing to compare
        if again != source:
            raise TraceError(
                f"compile({self.name}): traced at two points, the function gave different "
                "programs, so it uses the data of its arguments as constants (e.g. reads "
                "`.data`, or draws random numbers); compiled code would freeze them. First "
                f"difference:\n  {_first_difference(source, again)}")
        namespace = _namespace(array, writer.helpers, writer.constants)
        code = builtins.compile(source, f"<compiled {self.name}>", "exec")
        exec(code, namespace)
        shapes = [a.shape for a in writer.trace.arguments]
        return _Program(source, namespace[self.function_name], shapes, batched, names)

    def _write(self, names: list[str], samples: list[Any], batched: set[int], wanted: set[int],
               mode: str, many: bool) -> tuple[str, _Writer]:
        arguments = [
            _Argument(name, _shape_of(sample, f"compile({self.name}): argument {name!r}"),
                      i in batched, i in wanted)
            for i, (name, sample) in enumerate(zip(names, samples))
        ]
        trace = _trace(self.f, self.name, arguments, samples, self.has_aux, not wanted)
        _merge_duplicates(trace)
        _differentiate(trace, self.name, vectorize=mode == "array")
        _merge_duplicates(trace)
        writer = _Writer(trace, mode, self.function_name, self.name, many, not wanted)
        return writer.write(), writer

    def __repr__(self) -> str:
        return f"<compiled {self.name}>"


def _parameter_names(f: Callable[..., Any]) -> list[str] | None:
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    names = []
    for p in signature.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return names or None
        names.append(p.name)
    return names


def _argument_names(parameters: list[str] | None, n: int) -> list[str]:
    names = []
    for i in range(n):
        name = parameters[i] if parameters and i < len(parameters) else f"a{i}"
        if name in _RESERVED or not _IDENTIFIER.match(name) or keyword.iskeyword(name) \
                or name.startswith("_") or hasattr(builtins, name) or name in names:
            name = f"a{i}"
        names.append(name)
    return names


def _wanted(argnums: int | tuple[int, ...] | None, n: int, batched: set[int],
            name: str) -> set[int]:
    if argnums is None:
        wanted = {i for i in range(n) if i not in batched}
        if not wanted and batched:
            raise ValueError(f"compile({name}): every argument is batched; say which gradients "
                             "to return with argnums")
        return wanted
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for p in positions:  # () asks for no gradient: the outputs alone
        if isinstance(p, bool) or not isinstance(p, int) or not -n <= p < n:
            raise ValueError(f"compile({name}): argnums {argnums!r} does not fit {n} "
                             "argument(s)")
    return {p % n for p in positions}


def _dimensions(shape: Shape) -> tuple[int, ...]:
    """The numpy shape of nested lists of `shape`."""
    dimensions = []
    while shape is not None:
        dimensions.append(len(shape))
        shape = shape[0] if shape else None
    return tuple(dimensions)


def _first_difference(a: str, b: str) -> str:
    for line_a, line_b in zip(a.splitlines(), b.splitlines()):
        if line_a != line_b:
            return f"{line_a.strip()}  <->  {line_b.strip()}"
    return "(the programs differ in length)"


def compile(f: Callable[..., Any], *, argnums: int | tuple[int, ...] | None = None,
            batch_args: Sequence[int | str] = (), has_aux: bool = False) -> CompiledFunction:
    """Compile `f`, a function of Values returning one Value, to straight-line Python.

    The result returns `(value, gradients)`: with `argnums` an int, the gradient for that
    argument; otherwise a tuple with one gradient per argument in `argnums` (default: every
    argument not in `batch_args`). A gradient has the shape of its argument (a float, or
    lists of floats). Arguments may be numbers, Values or (nested) lists of them; leaf Values
    are traced as themselves, so `f` may reach them on its own (a model's parameters).

    `batch_args` names the arguments (by name or position) that hold one entry per sample;
    then the value is the list (or, for numpy input, the array) of per-sample outputs, and
    the gradients are summed over the samples (for numpy input, a list argument's gradient is
    a numpy array of its shape). The first call for each shape of arguments traces and
    compiles; pass leaf Values that `f` reaches on its own (a model's parameters) in that
    call, numbers or arrays of the same shape after. With `has_aux=True`, `f` returns
    `(output, aux)` and the value is `(output, aux)` (aux: numbers or lists of them, per
    sample when batched), with gradients of the output only.

    >>> import autograd
    >>> loss = compile(lambda w, x, y: (w[0] * x + w[1] - y) ** 2, argnums=0,
    ...                batch_args=["x", "y"])
    >>> losses, dw = loss([2.0, 1.0], [0.0, 1.0], [1.0, 2.0])
    >>> losses, dw                       # residuals 0 and 1: d/dw = 2 r (x, 1), summed
    ([0.0, 1.0], [2.0, 2.0])
    """
    if not callable(f):
        raise TypeError(f"compile: expected a function, got {type(f).__name__}")
    if isinstance(batch_args, (str, int)):
        batch_args = [batch_args]
    return CompiledFunction(f, argnums, batch_args, has_aux)
