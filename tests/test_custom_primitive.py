"""Primitives declared from outside the engine with `autograd.primitive`."""

from __future__ import annotations

import math

import pytest

import autograd as ag
from autograd import Value


@ag.primitive(lambda x: ag.sigmoid(x))
def my_softplus(x: float) -> float:
    """log(1 + e^x)."""
    return math.log1p(math.exp(x))


@ag.primitive(lambda x, y: 1.0 / y, lambda x, y: -x / (y * y))
def divide(x: float, y: float) -> float:
    return x / y


@ag.primitive(lambda x: math.cos(x))  # written with math: fine for first derivatives only
def sin_with_math(x: float) -> float:
    return math.sin(x)


def test_declared_unary_primitive_backpropagates():
    x = Value(0.3, "x")
    y = my_softplus(x)
    assert y.op.name == "my_softplus" and y.parents == (x,)
    assert y.data == pytest.approx(math.log1p(math.exp(0.3)), rel=1e-15)
    y.backward()
    assert x.grad == pytest.approx(1 / (1 + math.exp(-0.3)), rel=1e-15)


def test_declared_primitive_works_on_floats():
    assert my_softplus(0.0) == pytest.approx(math.log(2.0))


def test_declared_primitive_gives_higher_order_derivatives():
    x = Value(0.3)
    (first,) = ag.gradients(my_softplus(x), [x], create_graph=True)
    (second,) = ag.gradients(first, [x])
    s = 1 / (1 + math.exp(-0.3))
    assert second == pytest.approx(s * (1 - s), rel=1e-14)


def test_declared_binary_primitive_inside_a_larger_graph():
    a, b = Value(3.0), Value(4.0)
    y = divide(a * a, b) + divide(1.0, b)
    y.backward()
    assert a.grad == pytest.approx(2 * 3.0 / 4.0)
    assert b.grad == pytest.approx(-9.0 / 16.0 - 1.0 / 16.0)


def test_a_math_only_derivative_refuses_create_graph_with_a_clear_error():
    x = Value(0.5)
    y = sin_with_math(x)
    y.backward()
    assert x.grad == pytest.approx(math.cos(0.5))
    with pytest.raises(TypeError, match=r"sin_with_math.*autograd's functions"):
        y.backward(create_graph=True)


def test_primitive_needs_partials():
    with pytest.raises(TypeError, match="one partial derivative per operand"):
        ag.primitive()


def test_declared_primitive_checks_operand_count():
    with pytest.raises(TypeError, match=r"divide: takes 2 operands, got 1"):
        divide(Value(1.0))


def test_declared_primitive_appears_in_diagrams_and_compiles():
    x = Value(0.3, "x")
    y = my_softplus(x * 2.0)
    y.backward()
    assert "my_softplus" in ag.to_dot(y)
    compiled = ag.compile(lambda v: my_softplus(v * 2.0))
    value, (dx,) = compiled(0.3)
    assert value == y.data
    assert dx == pytest.approx(x.grad, rel=1e-12)
