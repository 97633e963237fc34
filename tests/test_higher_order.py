"""Gradients of gradients: backward(create_graph=True) records the backward pass as Values."""

from __future__ import annotations

import math

import pytest

import autograd as ag
from autograd import Value


def nth_derivative(f, x0: float, n: int) -> float:
    """d^n f / dx^n at x0, by differentiating the recorded gradient n times."""
    x = Value(x0, "x")
    current = f(x)
    for _ in range(n - 1):
        (current,) = ag.gradients(current, [x], create_graph=True)
    (last,) = ag.gradients(current, [x])
    return last


@pytest.mark.parametrize("x0", [-1.2, 0.0, 0.3, 2.0])
def test_derivatives_of_sin_cycle(x0):
    assert nth_derivative(ag.sin, x0, 1) == pytest.approx(math.cos(x0), abs=1e-14)
    assert nth_derivative(ag.sin, x0, 2) == pytest.approx(-math.sin(x0), abs=1e-14)
    assert nth_derivative(ag.sin, x0, 3) == pytest.approx(-math.cos(x0), abs=1e-14)
    assert nth_derivative(ag.sin, x0, 4) == pytest.approx(math.sin(x0), abs=1e-14)


@pytest.mark.parametrize("x0", [-1.0, 0.5, 2.0])
def test_third_derivative_of_exp_and_polynomials(x0):
    assert nth_derivative(ag.exp, x0, 3) == pytest.approx(math.exp(x0), rel=1e-14)
    assert nth_derivative(lambda x: x**5, x0, 3) == pytest.approx(60 * x0**2, rel=1e-12)


@pytest.mark.parametrize(
    ("f", "second"),
    [
        (ag.tanh, lambda x: -2 * math.tanh(x) / math.cosh(x) ** 2),
        (ag.sigmoid, lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s)),
        (ag.log, lambda x: -1 / x**2),
        (ag.sqrt, lambda x: -0.25 * x**-1.5),
        (lambda x: 1 / x, lambda x: 2 / x**3),
        (ag.atan, lambda x: -2 * x / (1 + x * x) ** 2),
        (ag.softplus, lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s)),
        (lambda x: 2**x, lambda x: math.log(2) ** 2 * 2**x),
        (ag.erf, lambda x: -4 * x / math.sqrt(math.pi) * math.exp(-x * x)),
    ],
)
def test_second_derivatives_match_closed_forms(f, second):
    for x0 in (0.3, 1.1, 2.5):
        assert nth_derivative(f, x0, 2) == pytest.approx(second(x0), rel=1e-10, abs=1e-14)


def test_hessian_of_a_two_variable_function():
    # f = x^2 y + sin(x y);  H = [[2y - y^2 sin(xy), 2x + cos(xy) - xy sin(xy)], [.., -x^2 sin(xy)]]
    x0, y0 = 0.7, -1.3
    x, y = Value(x0, "x"), Value(y0, "y")
    f = x * x * y + ag.sin(x * y)
    dx, dy = ag.gradients(f, [x, y], create_graph=True)
    hessian = [ag.gradients(dx, [x, y]), ag.gradients(dy, [x, y])]
    s, c = math.sin(x0 * y0), math.cos(x0 * y0)
    cross = 2 * x0 + c - x0 * y0 * s
    expected = [[2 * y0 - y0 * y0 * s, cross], [cross, -x0 * x0 * s]]
    for got_row, want_row in zip(hessian, expected):
        assert got_row == pytest.approx(want_row, rel=1e-12)


def test_backward_create_graph_sets_value_grads_that_differentiate_again():
    x = Value(1.5)
    y = ag.exp(x * x)  # y' = 2x e^{x^2}, y'' = (2 + 4x^2) e^{x^2}
    y.backward(create_graph=True)
    first = x.grad
    assert isinstance(first, Value)
    assert first.data == pytest.approx(2 * 1.5 * math.exp(2.25), rel=1e-14)
    y.zero_grad()
    first.backward()
    assert x.grad == pytest.approx((2 + 4 * 2.25) * math.exp(2.25), rel=1e-14)


def test_gradients_leaves_existing_grads_alone():
    x = Value(2.0)
    y = x * x
    y.backward()
    assert x.grad == 4.0
    assert ag.gradients(y * 3.0, [x]) == [12.0]
    assert x.grad == 4.0 and y.grad == 1.0


def test_gradients_of_an_input_outside_the_graph_is_zero():
    x, unrelated = Value(1.0), Value(5.0)
    assert ag.gradients(x * 2.0, [x, unrelated]) == [2.0, 0.0]


def test_kinked_ops_have_zero_second_derivative():
    assert nth_derivative(ag.relu, 1.5, 2) == 0.0
    assert nth_derivative(ag.abs, -1.5, 2) == 0.0


def test_polynomials_differentiate_to_the_end_at_zero():
    # x^0 is flat, so d/dx x^2 -> 2x -> 2 -> 0 all exist at 0
    assert nth_derivative(lambda x: x**2, 0.0, 1) == 0.0
    assert nth_derivative(lambda x: x**2, 0.0, 2) == 2.0
    assert nth_derivative(lambda x: x**2, 0.0, 3) == 0.0
    assert nth_derivative(lambda x: x**3, 0.0, 3) == 6.0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
