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

# Regions where each op is smooth, with margins of at least 0.1 from edges and kinks and
# values and slopes of at most about 10.
_WIDE: Domain = ((-2.0, 2.0),)
_AWAY_FROM_ZERO: Domain = ((-2.0, -0.1), (0.1, 2.0))
_DIVISOR: Domain = ((-2.0, -0.5), (0.5, 2.0))
_POSITIVE: Domain = ((0.5, 2.0),)
_KINK_MARGIN = 0.125  # max and min: the two operands differ by at least 0.1 after rounding

# exponents of `power(n)` and the bases where x ** n is tame
_POWERS: dict[float, Domain] = {
    2.0: _WIDE,
    3.0: ((-1.5, 1.5),),
    -1.0: _DIVISOR,
    -2.0: _DIVISOR,
    0.5: _POSITIVE,
    1.5: _POSITIVE,
    -0.5: _POSITIVE,
}
_SLOPES = (0.01, 0.1, 0.3)  # negative slopes of leaky_relu


@dataclass(frozen=True)
class _Spec:
    """How to apply an op (to floats or Values) and where its operands may lie."""

    arity: int  # 0: any number (sum) or pairs (dot)
    apply: Callable[..., Any]  # apply(param, *operands)
    domains: tuple[Domain, ...]  # one per operand (the last repeats for n-ary ops)
    params: tuple[float, ...] = ()  # choices for a constant of the op (power n, leaky slope)
    param_domains: dict[float, Domain] | None = None  # a narrower domain for some constants

    def domain(self, k: int, param: float | None) -> Domain:
        if self.param_domains is not None and param in self.param_domains:
            return self.param_domains[param]
        return self.domains[min(k, len(self.domains) - 1)]


def _unary(function: Callable[[Any], Any], domain: Domain = _WIDE) -> _Spec:
    return _Spec(1, lambda param, x: function(x), (domain,))


_SPECS: dict[str, _Spec] = {
    # arithmetic (sub and neg are compositions of the primitives add and mul)
    "add": _Spec(2, lambda p, a, b: a + b, (_WIDE, _WIDE)),
    "sub": _Spec(2, lambda p, a, b: a - b, (_WIDE, _WIDE)),
    "mul": _Spec(2, lambda p, a, b: a * b, (_WIDE, _WIDE)),
    "div": _Spec(2, lambda p, a, b: a / b, (_WIDE, _DIVISOR)),
    "neg": _unary(lambda x: -x),
    "pow": _Spec(2, lambda p, a, b: engine.pow_(a, b), (_POSITIVE, ((-1.5, 1.5),))),
    "power": _Spec(1, lambda n, x: engine.power(n)(x), (_POSITIVE,), tuple(_POWERS), _POWERS),
    "maximum": _Spec(2, lambda p, a, b: engine.maximum(a, b), (_WIDE, _WIDE)),
    "minimum": _Spec(2, lambda p, a, b: engine.minimum(a, b), (_WIDE, _WIDE)),
    # exponentials and logarithms
    "exp": _unary(engine.exp, ((-1.5, 1.5),)),
    "log": _unary(engine.log, ((0.5, 3.0),)),
    "log1p": _unary(engine.log1p, ((-0.5, 2.0),)),
    "expm1": _unary(engine.expm1, ((-1.5, 1.5),)),
    "sqrt": _unary(engine.sqrt, ((0.25, 3.0),)),
    # trigonometric and hyperbolic
    "sin": _unary(engine.sin, ((-3.0, 3.0),)),
    "cos": _unary(engine.cos, ((-3.0, 3.0),)),
    "tan": _unary(engine.tan, ((-1.0, 1.0),)),
    "asin": _unary(engine.asin, ((-0.8, 0.8),)),
    "acos": _unary(engine.acos, ((-0.8, 0.8),)),
    "atan": _unary(engine.atan),
    "sinh": _unary(engine.sinh, ((-1.5, 1.5),)),
    "cosh": _unary(engine.cosh, ((-1.5, 1.5),)),
    "tanh": _unary(engine.tanh),
    # activations and the rest
    "sigmoid": _unary(engine.sigmoid, ((-3.0, 3.0),)),
    "softplus": _unary(engine.softplus, ((-3.0, 3.0),)),
    "relu": _unary(engine.relu, _AWAY_FROM_ZERO),
    "leaky_relu": _Spec(1, lambda s, x: engine.leaky_relu(x, s), (_AWAY_FROM_ZERO,), _SLOPES),
    "abs": _unary(engine.abs_, _AWAY_FROM_ZERO),
    "erf": _unary(engine.erf),
    # indicators (the derivatives of the kinked ops): flat away from their jumps
    "step": _unary(engine.step, _AWAY_FROM_ZERO),
    "sign": _unary(engine.sign, _AWAY_FROM_ZERO),
    "greater_equal": _Spec(2, lambda p, a, b: engine.greater_equal(a, b), (_WIDE, _WIDE)),
    "sum_values": _Spec(0, lambda p, *xs: engine.sum_values(xs), (_WIDE,)),
    "dot": _Spec(0, lambda p, *xs: engine.dot(xs[: len(xs) // 2], xs[len(xs) // 2:]), (_WIDE,)),
}

OP_NAMES: tuple[str, ...] = tuple(_SPECS)
"""The names of every op the strategies cover: all of the engine's primitives (the indicators
step, sign and greater_equal included) plus the compositions sub and neg."""

_BINARY_NAMES = {"+": "add", "*": "mul", "max": "maximum", "min": "minimum", "pow": "pow",
                 ">=": "greater_equal", "sum": "sum_values", "dot": "dot"}
_APART = ("maximum", "minimum", "greater_equal")  # two operands kept away from a tie


def _resolve(op: str | Primitive | Callable[..., Any]) -> tuple[str, float | None]:
    """The op's name in this table and its constant, from a name or a primitive."""
    if isinstance(op, str):
        if op in _SPECS:
            return op, None
        raise ValueError(f"unknown op {op!r}; known ops: {', '.join(OP_NAMES)}")
    name = getattr(op, "name", None) or getattr(op, "__name__", None)
    if isinstance(name, str):
        if name in _SPECS:
            return name, None
        if name in _BINARY_NAMES:
            return _BINARY_NAMES[name], None
        if name.startswith("**"):
            return "power", float(name[2:])
        if name.startswith("leaky_relu("):
            return "leaky_relu", float(name[len("leaky_relu("):-1])
    raise ValueError(f"no domain is known for {op!r}; known ops: {', '.join(OP_NAMES)}")


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
        return OP_NAMES
    names = tuple(ops)
    unknown = [n for n in names if n not in _SPECS]
    if unknown or not names:
        raise ValueError(
            f"unknown or no ops {unknown or names!r}; known ops: {', '.join(OP_NAMES)}"
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
    `min_ops` and `max_ops` op nodes (plus one `sum_values` joining the nodes nothing uses).
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
        steps.append(Step("sum_values", unused, (None,) * len(unused)))
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
