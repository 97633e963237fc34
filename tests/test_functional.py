"""grad, value_and_grad and hessian: closed forms, composition, and finite differences."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from support import require

import autograd
from autograd import Value, cos, exp, grad, hessian, log, no_grad, sin, value_and_grad
from autograd.testing import expression_graphs

POINTS = [-2.0, -0.7, 0.0, 0.3, 1.0, 2.5]


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_hessian(x: float, y: float) -> list[list[float]]:
    # d²/dx² = 2 - 400 (y - x²) + 800 x², d²/dxdy = -400 x, d²/dy² = 200
    return [[2 - 400 * y + 1200 * x * x, -400 * x], [-400 * x, 200.0]]


# -- first derivatives ------------------------------------------------------------------------


class TestGrad:
    def test_one_argument_gives_one_float(self):
        d = grad(lambda x, y: x * x * y)(3.0, 2.0)
        assert type(d) is float
        assert d == 12.0  # 2 x y

    def test_argnums_picks_the_argument(self):
        assert grad(lambda x, y: x * x * y, argnums=1)(3.0, 2.0) == 9.0  # x²
        assert grad(lambda x, y: x * x * y, argnums=-1)(3.0, 2.0) == 9.0

    def test_tuple_argnums_gives_a_tuple(self):
        d = grad(lambda x, y, z: x * y + sin(z), argnums=(2, 0))(2.0, 5.0, 0.4)
        assert isinstance(d, tuple)
        assert d == pytest.approx((math.cos(0.4), 5.0), rel=1e-15)

    @pytest.mark.parametrize("x", POINTS)
    def test_closed_forms(self, x):
        assert grad(sin)(x) == pytest.approx(math.cos(x), rel=1e-14, abs=1e-15)
        assert grad(lambda t: t * exp(-t * t))(x) == pytest.approx(
            (1 - 2 * x * x) * math.exp(-x * x), rel=1e-13, abs=1e-15
        )

    def test_integer_arguments_are_accepted(self):
        assert grad(lambda x: x**3)(2) == 12.0

    def test_any_real_number_is_accepted(self):
        assert grad(lambda x: x**3)(Fraction(1, 2)) == 0.75  # 3 x²
        value, d = value_and_grad(lambda x: x * x)(Fraction(3))
        assert (type(value), type(d)) == (float, float)

    def test_numpy_scalars_are_accepted(self):
        np = require("numpy", "fast")
        d = grad(lambda x, y: x * x * y, argnums=(0, 1))(np.float32(3), np.int64(2))
        assert d == (12.0, 9.0)  # (2 x y, x²)
        assert all(type(v) is float for v in d)
        assert hessian(lambda x: x**3)(np.float64(2.0)) == [[12.0]]  # 6 x

    def test_bools_are_rejected(self):
        with pytest.raises(TypeError, match="argument 0 must be a real number"):
            grad(lambda x: x * x)(True)

    def test_keyword_arguments_pass_through_undifferentiated(self):
        def scaled(x, *, k):
            return k * x * x

        assert grad(scaled)(3.0, k=2.0) == 12.0

    def test_constant_function_has_zero_gradient(self):
        assert grad(lambda x: 4.0)(1.0) == 0.0
        assert grad(lambda x, y: y * 2, argnums=(0, 1))(1.0, 3.0) == (0.0, 2.0)

    def test_works_inside_no_grad(self):
        with no_grad():
            assert grad(lambda x: x * x)(3.0) == 6.0

    def test_leaves_other_gradients_alone(self):
        w = Value(2.0)
        w.grad = 5.0
        assert grad(lambda x: w * x * x)(3.0) == 12.0
        assert w.grad == 5.0

    def test_called_with_values_returns_values(self):
        x = Value(3.0)
        d = grad(lambda t: t * t)(x)
        assert isinstance(d, Value)
        assert d.data == 6.0
        (dd,) = autograd.gradients(d, [x])
        assert dd == 2.0

    def test_bad_arguments_are_named(self):
        with pytest.raises(ValueError, match="argnums 2 is out of range for 2"):
            grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
        with pytest.raises(ValueError, match="repeats"):
            grad(lambda x, y: x * y, argnums=(0, 0))(1.0, 2.0)
        with pytest.raises(TypeError, match="argnums must be"):
            grad(lambda x: x, argnums="0")
        with pytest.raises(TypeError, match="argument 0 must be a real number"):
            grad(lambda x: x)("3")
        with pytest.raises(TypeError, match="must return one number or Value, got list"):
            grad(lambda x: [x])(1.0)


class TestValueAndGrad:
    @pytest.mark.parametrize("x", [0.5, 1.0, 3.0])
    def test_value_and_gradient_of_x_log_x(self, x):
        value, d = value_and_grad(lambda t: t * log(t))(x)
        assert type(value) is float
        assert value == pytest.approx(x * math.log(x), rel=1e-15)
        assert d == pytest.approx(1 + math.log(x), rel=1e-14)

    def test_tuple_argnums(self):
        value, (dx, dy) = value_and_grad(lambda x, y: x * cos(y), argnums=(0, 1))(2.0, 0.3)
        assert value == pytest.approx(2 * math.cos(0.3), rel=1e-15)
        assert (dx, dy) == pytest.approx((math.cos(0.3), -2 * math.sin(0.3)), rel=1e-14)

    def test_constant_function(self):
        assert value_and_grad(lambda x: 3)(2.0) == (3.0, 0.0)


# -- higher derivatives by composition ----------------------------------------------------------


class TestComposition:
    @pytest.mark.parametrize("x", POINTS)
    def test_second_derivative_of_sin_is_minus_sin(self, x):
        assert grad(grad(sin))(x) == pytest.approx(-math.sin(x), rel=1e-13, abs=1e-15)

    @pytest.mark.parametrize("x", POINTS)
    def test_third_and_fourth_derivatives_of_exp_are_exp(self, x):
        assert grad(grad(grad(exp)))(x) == pytest.approx(math.exp(x), rel=1e-13)
        assert grad(grad(grad(grad(exp))))(x) == pytest.approx(math.exp(x), rel=1e-13)

    @pytest.mark.parametrize("x", [0.3, 1.0, 4.0])
    def test_derivatives_of_log(self, x):
        assert grad(grad(log))(x) == pytest.approx(-1 / x**2, rel=1e-13)
        assert grad(grad(grad(log)))(x) == pytest.approx(2 / x**3, rel=1e-13)

    def test_mixed_partials_by_nesting_argnums(self):
        d_dy_d_dx = grad(grad(rosenbrock, argnums=0), argnums=1)
        d_dx_d_dy = grad(grad(rosenbrock, argnums=1), argnums=0)
        assert d_dy_d_dx(0.5, -0.3) == pytest.approx(-400 * 0.5, rel=1e-14)
        assert d_dx_d_dy(0.5, -0.3) == pytest.approx(-400 * 0.5, rel=1e-14)

    def test_inner_and_outer_variables_are_not_confused(self):
        # d/dx [ x * (d/dy (x + y) at y = 1) ] = d/dx [x] = 1
        assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(3.0) == 1.0

    def test_same_value_in_two_positions_is_two_arguments(self):
        # the inner derivative d(a b)/da = b is x; its derivative in x is 1, not 2
        assert grad(lambda x: grad(lambda a, b: a * b)(x, x))(3.0) == 1.0

    def test_value_and_grad_composes(self):
        def derivative(x):
            return value_and_grad(lambda t: t**3)(x)[1]

        assert grad(derivative)(2.0) == pytest.approx(12.0, rel=1e-15)  # 6 x


class TestClosures:
    """An inner transform called on floats whose function closes over an outer variable."""

    def test_grad_of_a_grad_that_closes_over_x(self):
        # d/dy (x y²) at y = 1 is 2 x; its derivative in x is 2
        assert grad(lambda x: grad(lambda y: x * y * y)(1.0))(3.0) == 2.0

    def test_grad_of_a_value_that_closes_over_x(self):
        # value of x y at y = 2 is 2 x; its derivative in x is 2
        assert grad(lambda x: value_and_grad(lambda y: x * y)(2.0)[0])(3.0) == 2.0

    def test_hessian_of_a_grad_that_closes_over_both_arguments(self):
        # d/dt (x t² y) at t = 2 is 4 x y: Hessian [[0, 4], [4, 0]]
        h = hessian(lambda x, y: grad(lambda t: x * t * t * y)(2.0))(1.0, 1.0)
        assert h == [[0.0, 4.0], [4.0, 0.0]]

    @pytest.mark.parametrize("x", [-1.5, 0.4, 2.0])
    def test_three_levels_deep(self, x):
        # g(x) = d/dy [ d/dz (x² y² z²) at z = 1 ] at y = 1 = 4 x², so g'(x) = 8 x
        def g(x):
            return grad(lambda y: grad(lambda z: x * x * y * y * z * z)(1.0))(1.0)

        assert grad(g)(x) == pytest.approx(8 * x, rel=1e-14)

    def test_gradcheck_sees_through_an_inner_grad(self):
        # backprop and central differences of x ↦ d/dy (x y²) at y = 1.5, i.e. 3 x
        report = autograd.gradcheck(lambda x: grad(lambda y: x * y * y)(1.5), 0.7)
        assert report.entries[0].analytic == pytest.approx(3.0, rel=1e-15)

    def test_top_level_calls_still_return_floats(self):
        def inner(x):
            return grad(lambda y: x * y * y)(1.0)

        assert type(inner(3.0)) is float
        assert inner(3.0) == 6.0
        value, d = value_and_grad(lambda y: 3.0 * y * y)(1.0)
        assert (type(value), type(d)) == (float, float)

    def test_inner_transform_under_no_grad_is_a_constant(self):
        # no_grad around the inner call: its result is a number the outer graph cannot see
        def f(x):
            with no_grad():
                inner = grad(lambda y: x * y * y)(1.0)  # 2 x, as a constant
            assert type(inner) is float
            return x * inner

        assert grad(f)(3.0) == 6.0  # d/dx (x * 6) with 6 held fixed


class TestHessian:
    @pytest.mark.parametrize("x, y", [(1.0, 1.0), (0.0, 0.0), (-1.2, 1.0), (0.5, -0.3), (2.0, 3.5)])
    def test_rosenbrock(self, x, y):
        h = hessian(rosenbrock)(x, y)
        expected = rosenbrock_hessian(x, y)
        assert len(h) == 2 and all(len(row) == 2 for row in h)
        for row, expected_row in zip(h, expected):
            assert row == pytest.approx(expected_row, rel=1e-13, abs=1e-12)

    def test_entries_are_floats(self):
        h = hessian(rosenbrock)(0.5, 0.5)
        assert all(type(v) is float for row in h for v in row)

    def test_three_variables(self):
        def f(x, y, z):
            return x * y * z + sin(x) * z * z

        x, y, z = 0.7, -1.3, 2.0
        expected = [
            [-math.sin(x) * z * z, z, y + 2 * z * math.cos(x)],
            [z, 0.0, x],
            [y + 2 * z * math.cos(x), x, 2 * math.sin(x)],
        ]
        for row, expected_row in zip(hessian(f)(x, y, z), expected):
            assert row == pytest.approx(expected_row, rel=1e-13, abs=1e-14)

    def test_argnums_selects_a_block(self):
        h = hessian(lambda x, y: x * x * y, argnums=(1,))(3.0, 2.0)
        assert h == [[0.0]]
        assert hessian(lambda x, y: x * x * y, argnums=0)(3.0, 2.0) == [[4.0]]  # 2 y

    def test_constant_function(self):
        assert hessian(lambda x, y: 2.0)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]

    def test_hessian_of_a_quadratic_form_is_its_symmetric_matrix(self):
        # f = 3 x² + 2 x y - y² has Hessian [[6, 2], [2, -2]] everywhere
        h = hessian(lambda x, y: 3 * x * x + 2 * x * y - y * y)(0.3, 4.0)
        assert h == [[6.0, 2.0], [2.0, -2.0]]


# -- random graphs against finite differences ----------------------------------------------------


def central_second_difference(f, point, i, j, h=1e-4):
    """(f(+h e_i + h e_j) - f(+h e_i - h e_j) - f(-h e_i + h e_j) + f(-h e_i - h e_j)) / 4h²."""

    def at(di, dj):
        p = list(point)
        p[i] += di
        p[j] += dj
        return f(*p)

    return (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)


@settings(max_examples=60)
@given(expression_graphs(max_inputs=3, max_ops=8))
def test_grad_matches_central_differences_on_random_graphs(graph):
    n = len(graph.inputs)
    value, gradient = value_and_grad(graph, argnums=tuple(range(n)))(*graph.inputs)
    assert value == graph.evaluate()
    eps = 1e-6
    for i in range(n):
        above, below = list(graph.inputs), list(graph.inputs)
        above[i] += eps
        below[i] -= eps
        numerical = (graph(*above) - graph(*below)) / (above[i] - below[i])
        assert gradient[i] == pytest.approx(numerical, rel=1e-6, abs=1e-6)


@settings(max_examples=40)
@given(expression_graphs(max_inputs=3, max_ops=6))
def test_hessian_matches_second_differences_on_random_graphs(graph):
    h = hessian(graph)(*graph.inputs)
    n = len(graph.inputs)
    for i in range(n):
        for j in range(n):
            numerical = central_second_difference(graph, graph.inputs, i, j)
            assert h[i][j] == pytest.approx(numerical, rel=1e-4, abs=1e-4)
    # nesting grad gives the same matrix
    for i in range(n):
        row = grad(grad(graph, argnums=i), argnums=tuple(range(n)))(*graph.inputs)
        assert list(row) == pytest.approx(h[i], rel=1e-12, abs=1e-12)
