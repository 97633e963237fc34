"""Hypothesis strategies for testing derivatives: points inside each op's domain, and random
expression graphs over every op of the library.

Every built-in op is described once here by the region where it is smooth and tame: away from
the edges of its domain (log away from 0, asin inside (-1, 1)), away from kinks (relu, abs,
max and min away from their switching points) and where its values and derivatives stay
moderate (inputs in [-2, 2], values and slopes of each op within about ±10), so that
central differences with a step of 1e-6 agree with backprop within 1e-6 * max(1, |estimate|)
(in practice within about 1e-9).

>>> from hypothesis import given, settings
>>> from autograd import Value, gradients
>>> from autograd.functional import numerical_grad
>>> @settings(max_examples=20, derandomize=True)
... @given(expression_graphs(max_ops=6))
... def test_backprop_matches_finite_differences(graph):
...     leaves = graph.leaves()
...     analytic = gradients(graph.build(leaves), leaves)
...     numerical = numerical_grad(graph, *graph.inputs)
...     for a, n in zip(analytic, numerical):
...         assert abs(a - n) <= 1e-6 * max(1.0, abs(n))
>>> test_backprop_matches_finite_differences()

Needs hypothesis (`pip install 'scalar-autograd[test]'`).
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "autograd.testing needs hypothesis: pip install 'scalar-autograd[test]'"
    ) from error

import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import engine
from autograd.engine import Primitive, Value

__all__ = [
    "OP_NAMES",
    "ExpressionGraph",
    "OpCase",
    "Step",
    "domain_values",
    "expression_graphs",
    "op_cases",
    "operands_for",
]

Interval = tuple[float, float]
Domain = tuple[Interval, ...]  # a union of closed intervals

# Where tests draw operands comes from each entry of the op table (`sample`, kept away from
# the entry's `kinks` by a margin); the few choices below are the constants the families
# power(n) and leaky_relu(slope) are tested with.
_WIDE: Domain = ((-2.0, 2.0),)
_KINK_GAP = 0.1  # operands stay this far from a kink
_KINK_MARGIN = 0.125  # max and min: the two operands differ by at least 0.1 after rounding
_POWERS = (2.0, 3.0, -1.0, -2.0, 0.5, 1.5, -0.5)  # exponents of power(n)
_SLOPES = (0.01, 0.1, 0.3)  # negative slopes of leaky_relu
_FACTORIES: dict[str, tuple[Callable[[float], Primitive], tuple[float, ...]]] = {
    "power": (engine.power, _POWERS), "leaky_relu": (engine.leaky, _SLOPES)}


def _away_from(domain: Domain, kinks: Sequence[float]) -> Domain:
    """`domain` with a gap of _KINK_GAP cut around every kink."""
    pieces = list(domain)
    for kink in kinks:
        cut: list[Interval] = []
        for lo, hi in pieces:
            if lo < kink - _KINK_GAP:
                cut.append((lo, min(hi, kink - _KINK_GAP)))
            if hi > kink + _KINK_GAP:
                cut.append((max(lo, kink + _KINK_GAP), hi))
        pieces = cut
    return tuple(pieces)


def _intersection(a: Domain, b: Domain) -> Domain:
    pieces = [(max(lo, lo2), min(hi, hi2)) for lo, hi in a for lo2, hi2 in b]
    return tuple(piece for piece in pieces if piece[0] < piece[1])


def _regions(op: Primitive) -> tuple[Domain, ...]:
    """One region per operand (the last repeats for n-ary ops), from the table's entry."""
    sample = op.sample
    per_operand = sample and isinstance(sample[0][0], tuple)
    domains = sample if per_operand else (sample,)
    return tuple(_away_from(d, op.kinks) for d in domains)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Spec:
    """How to apply an op (to floats or Values) and where its operands may lie."""

    arity: int  # 0: any number (sum) or pairs (dot)
    apply: Callable[..., Any]  # apply(param, *operands)
    domains: tuple[Domain, ...]  # one per operand (the last repeats for n-ary ops)
    params: tuple[float, ...] = ()  # choices for a constant of the op (power n, leaky slope)
    factory: Callable[[float], Primitive] | None = None

    def domain(self, k: int, param: float | None) -> Domain:
        if self.factory is not None and param is not None:
            return _regions(self.factory(param))[0]
        return self.domains[min(k, len(self.domains) - 1)]


def _spec(name: str, op: Primitive) -> _Spec:
    if name in _FACTORIES:
        factory, params = _FACTORIES[name]
        common = _regions(factory(params[0]))[0]  # the region that suits every constant
        for param in params[1:]:
            common = _intersection(common, _regions(factory(param))[0])
        return _Spec(1, lambda param, x: factory(param)(x), (common,), params, factory)
    if name == "sum":
        return _Spec(0, lambda p, *xs: engine.sum_values(xs), (_WIDE,))
    if name == "dot":
        return _Spec(0, lambda p, *xs: engine.dot(xs[: len(xs) // 2], xs[len(xs) // 2:]),
                     (_WIDE,))
    return _Spec(op.arity, lambda param, *xs: op(*xs), _regions(op))


class _Specs(dict):  # type: ignore[type-arg]
    """The table's specs by name, brought up to date with `engine.OPS` when an op is added."""

    def refresh(self) -> None:
        if len(self) != len(engine.OPS) or any(not dict.__contains__(self, n)
                                               for n in engine.OPS):
            self.clear()
            self.update((name, _spec(name, op)) for name, op in engine.OPS.items())

    def __missing__(self, name: str) -> _Spec:
        self.refresh()
        return dict.__getitem__(self, name)

    def __contains__(self, name: object) -> bool:
        self.refresh()
        return dict.__contains__(self, name)


_SPECS = _Specs()
_SPECS.refresh()


def __getattr__(name: str) -> Any:
    if name == "OP_NAMES":  # the names of every op the strategies cover: the whole table
        return _op_names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _op_names() -> tuple[str, ...]:
    """The names of every op the strategies cover: every primitive of the op table
    (`autograd.engine.OPS`), under its canonical name, including ops declared later."""
    _SPECS.refresh()
    return tuple(_SPECS)

_ALIASES = {"sum_values": "sum", "max": "maximum", "min": "minimum", "+": "add", "*": "mul",
            "-": "sub", "/": "div", ">=": "greater_equal", "abs_": "abs", "pow_": "pow"}
_APART = tuple(name for name, op in engine.OPS.items() if op.apart)  # kept away from a tie


def _resolve(op: str | Primitive | Callable[..., Any]) -> tuple[str, float | None]:
    """The op's name in this table and its constant, from a name or a primitive."""
    if isinstance(op, Primitive):
        if op.family is not None:
            return op.family, op.parameter
        if op.name in _SPECS and engine.OPS[op.name] is op:
            return op.name, None
    if isinstance(op, str):
        name = _ALIASES.get(op, op)
        if name in _SPECS:
            return name, None
        raise ValueError(f"unknown op {op!r}; known ops: {', '.join(_op_names())}")
    name = getattr(op, "name", None) or getattr(op, "__name__", None)
    if isinstance(name, str):
        name = _ALIASES.get(name, name)
        if name in _SPECS:
            return name, None
    raise ValueError(f"no domain is known for {op!r}; known ops: {', '.join(_op_names())}")


def _in(domain: Domain, x: float) -> bool:
    return any(lo <= x <= hi for lo, hi in domain)


def _floats_in(domain: Domain) -> st.SearchStrategy[float]:
    return st.one_of(*[
        st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
        for lo, hi in domain
    ])


# ----------------------------------------------------------------------------------------------
# Points inside one op's domain.
# ----------------------------------------------------------------------------------------------


def domain_values(op: str | Primitive | Callable[..., Any]) -> st.SearchStrategy[float]:
    """Floats where a one-operand op is smooth and tame (named, or given as the primitive).

    For `power` by name the region suits every exponent drawn here; `power(n)` itself gets
    the region for its n.

    >>> from hypothesis import given, settings
    >>> import autograd
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(domain_values(autograd.log))
    ... def test_log_away_from_zero(x):
    ...     assert 0.5 <= x <= 3.0
    >>> test_log_away_from_zero()
    """
    name, param = _resolve(op)
    spec = _SPECS[name]
    if spec.arity != 1:
        raise ValueError(
            f"{name} takes {spec.arity or 'many'} operands: use operands_for({name!r})"
        )
    return _floats_in(spec.domain(0, param))


@dataclass(frozen=True)
class OpCase:
    """An op with its constant fixed and operands in its domain: `case.function(*case.operands)`.

    >>> case = OpCase("power", 2.0, (3.0,))
    >>> case.function(*case.operands), case
    (9.0, OpCase(power[2.0](3.0)))
    """

    name: str
    param: float | None
    operands: tuple[float, ...]

    @property
    def function(self) -> Callable[..., Any]:
        """The op as a function of its operands, on floats or Values."""
        apply, param = _SPECS[self.name].apply, self.param

        def op(*operands: Any) -> Any:
            return apply(param, *operands)

        op.__name__ = self.name
        return op

    def __repr__(self) -> str:
        constant = f"[{self.param!r}]" if self.param is not None else ""
        return f"OpCase({self.name}{constant}({', '.join(map(repr, self.operands))}))"


@st.composite
def _operands(draw: st.DrawFn, name: str, param: float | None) -> tuple[float, ...]:
    spec = _SPECS[name]
    if name in _APART:
        first = draw(_floats_in(_WIDE))
        gap = draw(st.floats(_KINK_MARGIN, 1.5)) * draw(st.sampled_from((1.0, -1.0)))
        return (first, first + gap)
    if spec.arity == 0:
        count = draw(st.integers(1, 3)) * (2 if name == "dot" else 1)
        return tuple(draw(_floats_in(_WIDE)) for _ in range(count))
    return tuple(draw(_floats_in(spec.domain(k, param))) for k in range(spec.arity))


def operands_for(op: str | Primitive | Callable[..., Any]) -> st.SearchStrategy[tuple[float, ...]]:
    """Tuples of operands inside an op's domain, for ops of any number of operands.

    `maximum`, `minimum` and `greater_equal` get operands at least 0.1 apart (away from the
    switch).

    >>> from hypothesis import given, settings
    >>> import autograd
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(operands_for(autograd.maximum))
    ... def test_apart(operands):
    ...     a, b = operands
    ...     assert abs(a - b) >= 0.1
    >>> test_apart()
    """
    name, param = _resolve(op)
    if param is None and _SPECS[name].params:
        param = _SPECS[name].params[0] if name == "leaky_relu" else None
    return _operands(name, param)


@st.composite
def op_cases(draw: st.DrawFn, ops: Iterable[str] | None = None) -> OpCase:
    """An op of the library (all of `OP_NAMES` by default) with operands inside its domain.

    >>> from hypothesis import given, settings
    >>> from autograd.functional import gradcheck
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(op_cases())
    ... def test_every_op(case):
    ...     gradcheck(case.function, *case.operands)
    >>> test_every_op()
    """
    names = _checked_names(ops)
    name = draw(st.sampled_from(names))
    spec = _SPECS[name]
    param = draw(st.sampled_from(spec.params)) if spec.params else None
    return OpCase(name, param, draw(_operands(name, param)))


def _checked_names(ops: Iterable[str] | None) -> tuple[str, ...]:
    if ops is None:
        return _op_names()
    names = tuple(ops)
    unknown = [n for n in names if n not in _SPECS]
    if unknown or not names:
        raise ValueError(
            f"unknown or no ops {unknown or names!r}; known ops: {', '.join(_op_names())}"
        )
    return names


# ----------------------------------------------------------------------------------------------
# Random expression graphs.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One node of an `ExpressionGraph`: `op` applied to earlier nodes.

    Each operand is node `operands[k]`, optionally moved into the op's domain by an affine map
    `scale * node + shift` (`adapters[k]`), which is part of the graph too. Nodes are numbered
    inputs first.
    """

    op: str
    operands: tuple[int, ...]
    adapters: tuple[tuple[float, float] | None, ...]
    param: float | None = None


@dataclass(frozen=True)
class ExpressionGraph:
    """A random expression DAG over the library's ops, together with the point it was made for.

    `inputs` are the input values, `names` their labels (x0, x1, ...). Calling the graph runs
    it on floats or on Values (the same code, with the library's functions): `graph(*floats)`
    gives a float, `graph.build(leaves)` the output node of a fresh graph, with every node
    labelled. Nodes may be shared by several later nodes; every op stays inside its smooth,
    tame region at `inputs` (and within 1e-6 of it).

    >>> g = ExpressionGraph((0.5,), (Step("exp", (0,), (None,)), Step("mul", (0, 1), (None, None))))
    >>> print(g)
    x0 = 0.5
    n1 = exp(x0)
    n2 = mul(x0, n1)
    >>> g(0.5) == 0.5 * math.exp(0.5)
    True
    >>> out = g.build(); out.backward(); out.label
    'n2'
    """

    inputs: tuple[float, ...]
    steps: tuple[Step, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The inputs' labels: x0, x1, ..."""
        return tuple(f"x{i}" for i in range(len(self.inputs)))

    @property
    def ops(self) -> frozenset[str]:
        """The names of the ops used (from `OP_NAMES`)."""
        return frozenset(step.op for step in self.steps)

    @property
    def reused(self) -> frozenset[int]:
        """Indices of nodes that feed more than one later node (shared subexpressions)."""
        uses: dict[int, int] = {}
        for step in self.steps:
            for i in set(step.operands):
                uses[i] = uses.get(i, 0) + 1
        return frozenset(i for i, n in uses.items() if n > 1)

    @property
    def __signature__(self) -> inspect.Signature:
        """Parameters named after the inputs, so checks can name them."""
        return inspect.Signature([
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in self.names
        ])

    def leaves(self) -> list[Value]:
        """Fresh input Values at `inputs`, labelled x0, x1, ..."""
        return [Value(x, label=name) for x, name in zip(self.inputs, self.names)]

    def __call__(self, *xs: Any) -> Any:
        """Run the graph on floats (gives a float) or Values (gives the output node)."""
        return self._run(xs, label=False)

    def evaluate(self, *xs: float) -> float:
        """The output for plain float inputs (at `inputs` when none are given)."""
        out = self._run(xs or self.inputs, label=False)
        return out.data if isinstance(out, Value) else float(out)

    def build(self, leaves: Sequence[Value] | None = None) -> Value:
        """The output node of the graph on `leaves` (fresh ones from `leaves()` by default)."""
        out = self._run(self.leaves() if leaves is None else leaves, label=True)
        if not isinstance(out, Value):
            raise TypeError("build: give Values as leaves (floats give a float: call the graph)")
        return out

    def _run(self, xs: Sequence[Any], label: bool) -> Any:
        if len(xs) != len(self.inputs):
            raise TypeError(f"the graph takes {len(self.inputs)} input(s), got {len(xs)}")
        nodes = list(xs)
        for step in self.steps:
            args = []
            for i, adapter in zip(step.operands, step.adapters):
                x = nodes[i]
                if adapter is not None:
                    scale, shift = adapter
                    x = x * scale + shift
                args.append(x)
            out = _SPECS[step.op].apply(step.param, *args)
            if label and isinstance(out, Value):
                out.label = f"n{len(nodes)}"
            nodes.append(out)
        return nodes[-1]

    def __str__(self) -> str:
        names = list(self.names)
        lines = [f"{n} = {x!r}" for n, x in zip(names, self.inputs)]
        for step in self.steps:
            args = []
            for i, adapter in zip(step.operands, step.adapters):
                if adapter is None:
                    args.append(names[i])
                else:
                    scale, shift = adapter
                    args.append(f"{scale!r}*{names[i]} + {shift!r}")
            constant = f"[{step.param!r}]" if step.param is not None else ""
            names.append(f"n{len(names)}")
            lines.append(f"{names[-1]} = {step.op}{constant}({', '.join(args)})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "ExpressionGraph(\n    " + str(self).replace("\n", "\n    ") + "\n)"


_SCALES = (1.0, -1.0, 0.5, -0.5)


@st.composite
def _operand_into(draw: st.DrawFn, value: float, domain: Domain,
                  target: float | None = None) -> tuple[tuple[float, float] | None, float]:
    """Use a node as it is when it lies in `domain` (and no target is set), or map it there."""
    if target is None and _in(domain, value) and draw(st.booleans()):
        return None, value
    if target is None:
        target = draw(_floats_in(domain))
    scale = draw(st.sampled_from(_SCALES))
    shift = target - scale * value
    return (scale, shift), value * scale + shift


@st.composite
def expression_graphs(
    draw: st.DrawFn,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_ops: int = 1,
    max_ops: int = 10,
    ops: Iterable[str] | None = None,
) -> ExpressionGraph:
    """Random expression DAGs over `ops` (every op of `OP_NAMES` by default).

    Each graph has between `min_inputs` and `max_inputs` inputs in [-2, 2] and between
    `min_ops` and `max_ops` op nodes (plus one `sum` joining the nodes nothing uses).
    Operands are drawn from all earlier nodes, so subexpressions are shared. An operand outside
    its op's smooth, tame region is mapped into it by an affine node `s * x + b`.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, derandomize=True)
    ... @given(expression_graphs(max_ops=4, ops=["log", "mul"]))
    ... def test_output_is_finite(graph):
    ...     assert math.isfinite(graph.evaluate())
    >>> test_output_is_finite()
    """
    if not 1 <= min_inputs <= max_inputs:
        raise ValueError(f"need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}")
    if not 1 <= min_ops <= max_ops:
        raise ValueError(f"need 1 <= min_ops <= max_ops, got {min_ops}, {max_ops}")
    names = _checked_names(ops)
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    inputs = tuple(draw(_floats_in(_WIDE)) for _ in range(n_inputs))
    values: list[float] = list(inputs)  # every node's value at `inputs`
    used: set[int] = set()
    steps: list[Step] = []
    for _ in range(draw(st.integers(min_ops, max_ops))):
        name = draw(st.sampled_from(names))
        spec = _SPECS[name]
        param = draw(st.sampled_from(spec.params)) if spec.params else None
        count = spec.arity or draw(st.integers(1, 3)) * (2 if name == "dot" else 1)
        # prefer recent nodes, so graphs grow deep as well as wide
        recent = max(0, len(values) - 3)
        operands = tuple(
            draw(st.one_of(st.integers(recent, len(values) - 1), st.integers(0, len(values) - 1)))
            for _ in range(count)
        )
        adapters: list[tuple[float, float] | None] = []
        args: list[float] = []
        for k, i in enumerate(operands):
            target = None
            if name in _APART and k == 1:
                gap = draw(st.floats(_KINK_MARGIN, 1.5)) * draw(st.sampled_from((1.0, -1.0)))
                target = args[0] + gap
            adapter, arg = draw(_operand_into(values[i], spec.domain(k, param), target))
            adapters.append(adapter)
            args.append(arg)
        step = Step(name, operands, tuple(adapters), param)
        steps.append(step)
        used.update(operands)
        values.append(float(_run_step(step, values)))
    unused = tuple(i for i in range(n_inputs, len(values)) if i not in used)
    if len(unused) > 1:
        steps.append(Step("sum", unused, (None,) * len(unused)))
    return ExpressionGraph(inputs, tuple(steps))


def _run_step(step: Step, values: Sequence[float]) -> float:
    args = []
    for i, adapter in zip(step.operands, step.adapters):
        x = values[i]
        if adapter is not None:
            x = x * adapter[0] + adapter[1]
        args.append(x)
    out = _SPECS[step.op].apply(step.param, *args)
    if not math.isfinite(out):  # pragma: no cover - the domains above rule this out
        raise AssertionError(f"{step.op} left its tame region: {out!r}")
    return out
