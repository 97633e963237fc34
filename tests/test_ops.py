"""Every op: its value matches `math`, its derivative matches the closed form."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

import autograd as ag
from autograd import Value

SQRT_PI = math.sqrt(math.pi)

# name, op on Values/floats, reference float function, closed-form derivative, sample points
Op = Callable[[float], float]
UNARY: list[tuple[str, Callable, Op, Op, list[float]]] = [
    ("exp", ag.exp, math.exp, math.exp, [-3.0, 0.0, 0.7, 5.0]),
    ("log", ag.log, math.log, lambda x: 1 / x, [0.01, 0.5, 1.0, 42.0]),
    ("log1p", ag.log1p, math.log1p, lambda x: 1 / (1 + x), [-0.9, 0.0, 1e-9, 3.0]),
    ("expm1", ag.expm1, math.expm1, math.exp, [-2.0, 1e-9, 0.0, 1.5]),
    ("sqrt", ag.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x), [1e-4, 0.25, 2.0, 100.0]),
    ("sin", ag.sin, math.sin, math.cos, [-2.0, 0.0, 1.0, 10.0]),
    ("cos", ag.cos, math.cos, lambda x: -math.sin(x), [-2.0, 0.0, 1.0, 10.0]),
    ("tan", ag.tan, math.tan, lambda x: 1 / math.cos(x) ** 2, [-1.2, 0.0, 0.5, 1.0]),
    ("asin", ag.asin, math.asin, lambda x: 1 / math.sqrt(1 - x * x), [-0.9, 0.0, 0.3, 0.99]),
    ("acos", ag.acos, math.acos, lambda x: -1 / math.sqrt(1 - x * x), [-0.9, 0.0, 0.3, 0.99]),
    ("atan", ag.atan, math.atan, lambda x: 1 / (1 + x * x), [-5.0, 0.0, 0.3, 7.0]),
    ("sinh", ag.sinh, math.sinh, math.cosh, [-2.0, 0.0, 0.5, 3.0]),
    ("cosh", ag.cosh, math.cosh, math.sinh, [-2.0, 0.0, 0.5, 3.0]),
    ("tanh", ag.tanh, math.tanh, lambda x: 1 / math.cosh(x) ** 2, [-3.0, 0.0, 0.5, 2.0]),
    ("sigmoid", ag.sigmoid, lambda x: 1 / (1 + math.exp(-x)),
     lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-30.0, -1.0, 0.0, 2.0, 30.0]),
    ("softplus", ag.softplus, lambda x: math.log(1 + math.exp(x)),
     lambda x: 1 / (1 + math.exp(-x)), [-20.0, -1.0, 0.0, 3.0, 20.0]),
    ("relu", ag.relu, lambda x: max(x, 0.0), lambda x: 1.0 if x > 0 else 0.0,
     [-2.0, -1e-9, 0.5, 3.0]),
    ("abs", ag.abs, abs, lambda x: math.copysign(1.0, x), [-2.0, -1e-9, 0.5, 3.0]),
    ("erf", ag.erf, math.erf, lambda x: 2 / SQRT_PI * math.exp(-x * x), [-2.0, 0.0, 0.4, 1.5]),
    ("square", ag.square, lambda x: x * x, lambda x: 2 * x, [-3.0, 0.0, 1.5]),
    ("neg", lambda v: -v, lambda x: -x, lambda x: -1.0, [-3.0, 0.0, 1.5]),
    ("leaky_relu", lambda v: ag.leaky_relu(v, 0.1), lambda x: x if x > 0 else 0.1 * x,
     lambda x: 1.0 if x > 0 else 0.1, [-3.0, -0.5, 0.5, 2.0]),
    ("silu", ag.silu, lambda x: x / (1 + math.exp(-x)),
     lambda x: (1 + math.exp(-x) + x * math.exp(-x)) / (1 + math.exp(-x)) ** 2, [-3.0, 0.0, 2.0]),
    ("gelu", ag.gelu, lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2))),
     lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))) + x * math.exp(-x * x / 2) / math.sqrt(
         2 * math.pi), [-2.0, 0.0, 0.7]),
    ("pow 3", lambda v: v**3, lambda x: x**3, lambda x: 3 * x * x, [-2.0, 0.0, 1.5]),
    ("pow -2", lambda v: v**-2, lambda x: x**-2, lambda x: -2 * x**-3, [-2.0, 0.5, 1.5]),
    ("pow 0.5", lambda v: v**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.25, 4.0]),
    ("reciprocal", lambda v: 1 / v, lambda x: 1 / x, lambda x: -1 / x**2, [-2.0, 0.5, 3.0]),
    ("2 ** x", lambda v: 2**v, lambda x: 2**x, lambda x: math.log(2) * 2**x, [-1.0, 0.0, 3.5]),
]


def close(a: float, b: float, rel: float = 1e-12, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize(("name", "op", "ref", "deriv", "points"), UNARY, ids=[u[0] for u in UNARY])
class TestUnary:
    def test_value_matches_math(self, name, op, ref, deriv, points):
        for x in points:
            assert close(op(Value(x)).data, ref(x)), (name, x)

    def test_derivative_matches_closed_form(self, name, op, ref, deriv, points):
        for x in points:
            v = Value(x)
            out = op(v)
            out.backward()
            assert close(v.grad, deriv(x), rel=1e-10), (name, x, v.grad, deriv(x))


def test_functions_work_on_plain_floats_too():
    for name, op, ref, _, points in UNARY:
        for x in points:
            result = op(x)
            assert isinstance(result, float), name
            assert close(result, ref(x)), (name, x)


BINARY = [
    ("add", lambda a, b: a + b, lambda x, y: (1.0, 1.0)),
    ("sub", lambda a, b: a - b, lambda x, y: (1.0, -1.0)),
    ("mul", lambda a, b: a * b, lambda x, y: (y, x)),
    ("div", lambda a, b: a / b, lambda x, y: (1 / y, -x / y**2)),
    ("pow", lambda a, b: a**b, lambda x, y: (y * x ** (y - 1), x**y * math.log(x))),
    ("maximum", ag.maximum, lambda x, y: (1.0, 0.0) if x >= y else (0.0, 1.0)),
    ("minimum", ag.minimum, lambda x, y: (1.0, 0.0) if x <= y else (0.0, 1.0)),
]
PAIRS = [(1.5, 2.0), (3.0, -0.5), (0.25, 4.0), (7.0, 7.5)]


@pytest.mark.parametrize(("name", "op", "partials"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_value_and_partials(name, op, partials):
    for x, y in PAIRS:
        if name == "pow" and x <= 0:
            continue
        a, b = Value(x), Value(y)
        out = op(a, b)
        assert close(out.data, op(x, y)), (name, x, y)
        out.backward()
        da, db = partials(x, y)
        assert close(a.grad, da, rel=1e-10) and close(b.grad, db, rel=1e-10), (name, x, y)


@pytest.mark.parametrize(("name", "op", "partials"), BINARY, ids=[b[0] for b in BINARY])
def test_constants_on_either_side(name, op, partials):
    x, y = 1.5, 2.0
    left, right = Value(x), Value(y)
    op(left, y).backward()
    op(x, right).backward()
    da, db = partials(x, y)
    assert close(left.grad, da, rel=1e-10)
    assert close(right.grad, db, rel=1e-10)


def test_sum_values_and_dot_are_single_nodes_with_correct_partials():
    xs = [Value(float(i), f"x{i}") for i in range(1, 6)]
    total = ag.sum_values([*xs, 10.0])
    assert total.op.name == "sum" and len(total.parents) == 6
    assert total.data == 25.0
    total.backward()
    assert [x.grad for x in xs] == [1.0] * 5

    ws = [Value(0.5 * i) for i in range(5)]
    ins = [Value(1.0 - i) for i in range(5)]
    d = ag.dot(ws, ins)
    assert len(d.parents) == 10
    assert close(d.data, sum(w.data * x.data for w, x in zip(ws, ins)))
    d.backward()
    assert [w.grad for w in ws] == [x.data for x in ins]
    assert [x.grad for x in ins] == [w.data for w in ws]


def test_mean():
    xs = [Value(1.0), Value(2.0), Value(6.0)]
    m = ag.mean(xs)
    assert close(m.data, 3.0)
    m.backward()
    assert all(close(x.grad, 1 / 3) for x in xs)


def test_methods_match_functions():
    for method in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos"):
        v = Value(0.7)
        assert getattr(v, method)().data == getattr(ag, method)(0.7)


def test_comparisons_compare_data_and_sets_use_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and not a > 1.5
    twin = Value(1.0)
    assert a == twin and a == 1.0 and a != b  # == compares numbers, as for a 0-dim tensor
    assert len({a, twin}) == 2  # ... while sets and dicts keep nodes apart by identity
    assert {a: "a", twin: "twin"}[twin] == "twin"
