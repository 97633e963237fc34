"""Forward mode (jvp, linearize, Dual), jacobian and hvp: against reverse mode and closed forms."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import (
    Dual,
    Value,
    count_ops,
    exp,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    linearize,
    log,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd.functional import tangent_hook
from autograd.testing import expression_graphs, op_cases


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    """a and b agree to `rel` relative (with the same floor near zero)."""
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) or abs(a - b) <= 1e-300


def one_hot(n: int, j: int) -> list[float]:
    return [1.0 if k == j else 0.0 for k in range(n)]


# -- user primitives: forward mode reads their declared partials like backward does ------------


@primitive(lambda x: 3.0 * x * x)
def cube(x):
    return x**3


@primitive(lambda a, b: b * exp(a * b), lambda a, b: a * exp(a * b))
def exp_product(a, b):
    return math.exp(a * b)


@primitive(lambda a, b, c: b * c, lambda a, b, c: a * c, lambda a, b, c: a * b)
def triple(a, b, c):
    return a * b * c


# -- forward mode equals reverse mode ----------------------------------------------------------


@settings(max_examples=150)
@given(expression_graphs(max_inputs=3, max_ops=12))
def test_forward_mode_equals_reverse_mode_on_random_graphs(graph):
    n = len(graph.inputs)
    reverse = grad(graph, argnums=tuple(range(n)))(*graph.inputs)
    for j in range(n):
        value, forward = jvp(graph)(*graph.inputs, tangents=one_hot(n, j))
        assert value == graph.evaluate()
        assert close(forward, reverse[j]), (j, forward, reverse[j])


@settings(max_examples=60)
@given(expression_graphs(max_inputs=3, max_ops=10), st.data())
def test_a_directional_derivative_is_the_gradient_dotted_with_the_direction(graph, data):
    n = len(graph.inputs)
    v = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n))
    reverse = grad(graph, argnums=tuple(range(n)))(*graph.inputs)
    _, forward = jvp(graph)(*graph.inputs, tangents=v)
    terms = [g * t for g, t in zip(reverse, v)]
    assert abs(forward - math.fsum(terms)) <= 1e-12 * max(1.0, sum(map(abs, terms)))


@settings(max_examples=100)
@given(op_cases())
def test_every_built_in_op_in_forward_mode(case):
    n = len(case.operands)
    reverse = grad(case.function, argnums=tuple(range(n)))(*case.operands)
    for j in range(n):
        _, forward = jvp(case.function)(*case.operands, tangents=one_hot(n, j))
        assert close(forward, reverse[j]), (case, j)


@pytest.mark.parametrize("f, point", [
    (cube, (-1.3,)),
    (exp_product, (0.4, -0.7)),
    (triple, (1.5, -2.0, 0.25)),
    (lambda x, y: triple(cube(x), exp_product(x, y), y) + sin(x), (0.3, 0.9)),
])
def test_user_primitives_in_forward_mode(f, point):
    n = len(point)
    reverse = grad(f, argnums=tuple(range(n)))(*point)
    numerical = autograd.numerical_grad(f, *point)
    for j in range(n):
        _, forward = jvp(f)(*point, tangents=one_hot(n, j))
        assert close(forward, reverse[j])
        assert forward == pytest.approx(numerical[j], rel=1e-6, abs=1e-8)


def test_closed_forms():
    assert jvp(sin)(0.3, tangents=1.0) == (math.sin(0.3), math.cos(0.3))
    value, d = jvp(lambda x, y: x * exp(y))(2.0, 0.5, tangents=(0.5, -1.0))
    assert value == 2.0 * math.exp(0.5)
    assert d == pytest.approx(0.5 * math.exp(0.5) - 2.0 * math.exp(0.5), rel=1e-15)
    # argnums: only y moves
    assert jvp(lambda x, y: x * y * y, argnums=1)(3.0, 2.0, tangents=1.0) == (12.0, 12.0)


def test_kinked_ops_use_the_engine_convention():
    # relu's derivative at its kink is 0 in both modes
    assert jvp(relu)(0.0, tangents=1.0)[1] == grad(relu)(0.0) == 0.0
    assert jvp(relu)(2.0, tangents=3.0)[1] == 3.0
    assert jvp(lambda x: autograd.maximum(x, 1.0))(1.0, tangents=1.0)[1] == 1.0  # ties go to x


def test_vector_outputs_and_constant_outputs():
    values, tangents = jvp(lambda x, y: [x * y, 2.0, x])(3.0, 4.0, tangents=(1.0, 0.0))
    assert values == [12.0, 2.0, 3.0]
    assert tangents == [4.0, 0.0, 1.0]
    assert jvp(lambda x: 5.0)(1.0, tangents=1.0) == (5.0, 0.0)


def test_top_level_results_are_floats():
    value, d = jvp(lambda x: x * x)(3, tangents=1)
    assert (type(value), type(d)) == (float, float)


def test_linearize_pushes_many_tangents_through_one_recording():
    with count_ops() as counts:
        value, derivative = linearize(lambda x, y: sin(x) * y)(0.5, 2.0)
        recorded = counts.forward
        d_x, d_y = derivative(1.0, 0.0), derivative(0.0, 1.0)
    assert recorded == 2  # sin and * evaluated once
    assert counts.forward == recorded and counts.tangent == 4  # two passes of two nodes each
    assert value == math.sin(0.5) * 2.0
    assert d_x == pytest.approx(math.cos(0.5) * 2.0, rel=1e-15) and d_y == math.sin(0.5)


def test_tangent_hook_sees_each_node_of_a_pass():
    seen = []
    with tangent_hook(seen.append):
        jvp(lambda x: tanh(x * x))(0.5, tangents=1.0)
    assert [node.op.name for node in seen] == ["mul", "tanh"]


# -- composing with reverse mode ---------------------------------------------------------------


@pytest.mark.parametrize("x", [-1.2, 0.0, 0.7, 2.0])
def test_grad_of_a_jvp_is_the_second_derivative(x):
    def f(t):
        return sin(t) * exp(t)

    def slope(t):
        return jvp(f)(t, tangents=1.0)[1]

    # f'' = 2 e^t cos t
    assert grad(slope)(x) == pytest.approx(2 * math.exp(x) * math.cos(x), rel=1e-13, abs=1e-15)


@pytest.mark.parametrize("x", [-0.8, 0.4, 1.7])
def test_jvp_of_a_grad_is_the_second_derivative(x):
    def f(t):
        return log(1.0 + t * t) + cube(t)

    # f'' = 2 (1 - t²) / (1 + t²)² + 6 t
    expected = 2 * (1 - x * x) / (1 + x * x) ** 2 + 6 * x
    assert jvp(grad(f))(x, tangents=1.0)[1] == pytest.approx(expected, rel=1e-13)


def test_gradient_with_respect_to_the_tangent():
    # d/dv [f'(x) v] = f'(x)
    def along(v):
        return jvp(lambda t: t**3)(2.0, tangents=v)[1]

    assert grad(along)(0.5) == 12.0


def test_value_primals_and_tangents_record_a_graph():
    x, v = Value(0.5, label="x"), Value(2.0, label="v")
    value, d = jvp(lambda t: exp(t) * t)(x, tangents=v)
    assert isinstance(value, Value) and isinstance(d, Value)
    # d = (e^x x + e^x) v
    assert d.data == pytest.approx(math.exp(0.5) * 1.5 * 2.0, rel=1e-15)
    dx, dv = autograd.gradients(d, [x, v])
    assert dx == pytest.approx(math.exp(0.5) * 2.5 * 2.0, rel=1e-14)  # (e^x x + 2 e^x) v
    assert dv == pytest.approx(math.exp(0.5) * 1.5, rel=1e-15)


@settings(max_examples=60)
@given(expression_graphs(max_inputs=3, max_ops=8))
def test_forward_over_reverse_equals_reverse_over_reverse(graph):
    n = len(graph.inputs)
    h = hessian(graph)(*graph.inputs)
    gradient = grad(graph, argnums=tuple(range(n)))
    for j in range(n):
        _, column = jvp(gradient)(*graph.inputs, tangents=one_hot(n, j))
        for i in range(n):
            assert abs(column[i] - h[i][j]) <= 1e-10 * max(1.0, abs(h[i][j])), (i, j)


@settings(max_examples=60)
@given(expression_graphs(max_inputs=3, max_ops=8), st.data())
def test_hvp_equals_the_hessian_times_v(graph, data):
    n = len(graph.inputs)
    v = data.draw(st.lists(st.floats(-2.0, 2.0), min_size=n, max_size=n))
    h = hessian(graph)(*graph.inputs)
    product = hvp(graph)(graph.inputs, v)
    for i in range(n):
        terms = [h[i][j] * v[j] for j in range(n)]
        assert abs(product[i] - math.fsum(terms)) <= 1e-10 * max(1.0, sum(map(abs, terms)))
    # reverse over forward gives it too: the gradient of x ↦ ∇f(x) · v
    over = grad(lambda *x: jvp(graph)(*x, tangents=v)[1], argnums=tuple(range(n)))
    for a, b in zip(over(*graph.inputs), product):
        assert abs(a - b) <= 1e-10 * max(1.0, abs(b))


def test_hvp_closed_forms():
    def rosenbrock(x, y):
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    assert hvp(rosenbrock)([0.5, -0.3], [1.0, 2.0]) == pytest.approx(
        [(2 - 400 * -0.3 + 1200 * 0.25) * 1.0 - 400 * 0.5 * 2.0, -400 * 0.5 + 200 * 2.0],
        rel=1e-14)
    assert hvp(lambda x: x**4)(2.0, 0.5) == 24.0


def test_hvp_makes_one_backward_pass_where_the_hessian_makes_n():
    def f(*x):
        return autograd.sum(xi * xi * xj for xi, xj in zip(x, x[1:]))

    x = [0.1 * k for k in range(1, 11)]
    with count_ops() as one_gradient:
        grad(f, argnums=tuple(range(10)))(*x)
    with count_ops() as product:
        hvp(f)(x, [1.0] * 10)
    with count_ops() as matrix:
        hessian(f)(*x)
    # hvp: one (recorded) backward pass over f's graph (and the ten nodes that wrap the
    # inputs), then one tangent pass; the Hessian: one more backward pass per input
    assert product.backward == one_gradient.backward + 10
    assert matrix.backward > product.backward
    assert product.tangent > 0 and matrix.tangent == 0


# -- jacobian ----------------------------------------------------------------------------------


def vector_function(graph):
    """R^n -> R^3 built from one random graph."""

    def f(*xs):
        y = graph(*xs)
        return [y, y * xs[0], sin(y) + xs[-1]]

    return f


@settings(max_examples=60)
@given(expression_graphs(max_inputs=3, max_ops=8))
def test_jacobian_forward_equals_reverse(graph):
    f = vector_function(graph)
    forward = jacobian(f, mode="forward")(*graph.inputs)
    reverse = jacobian(f, mode="reverse")(*graph.inputs)
    auto = jacobian(f)(*graph.inputs)
    assert len(forward) == 3 and all(len(row) == len(graph.inputs) for row in forward)
    for row_f, row_r, row_a in zip(forward, reverse, auto):
        for a, b, c in zip(row_f, row_r, row_a):
            assert close(a, b) and c in (a, b)


def test_auto_picks_forward_mode_when_there_are_fewer_inputs():
    def wide(x):  # R^1 -> R^3
        return [x, x * x, sin(x)]

    def narrow(x, y, z):  # R^3 -> R^1
        return [x * y * z]

    with count_ops() as counts:
        assert jacobian(wide)(0.5) == [[1.0], [1.0], [math.cos(0.5)]]
    assert counts.tangent > 0 and counts.backward == 0
    with count_ops() as counts:
        assert jacobian(narrow)(1.0, 2.0, 3.0) == [[6.0, 3.0, 2.0]]
    assert counts.backward > 0 and counts.tangent == 0


def test_jacobian_shapes():
    assert jacobian(lambda x, y: x * y)(2.0, 3.0) == [3.0, 2.0]  # one output: one row
    assert jacobian(lambda x, y: [x * y, x], argnums=0)(2.0, 3.0) == [3.0, 1.0]  # a column
    assert jacobian(lambda x, y: [x * y, 7.0], mode="forward")(2.0, 3.0) == [[3.0, 2.0],
                                                                           [0.0, 0.0]]
    with pytest.raises(ValueError, match="jacobian: mode must be"):
        jacobian(sin, mode="sideways")


def test_jacobian_inside_grad():
    # d/dx of the (0, 0) entry of the Jacobian of y ↦ [x y², y] at y = 2: d/dx (4 x) = 4
    def entry(x):
        return jacobian(lambda y: [x * y * y, y], mode="forward")(2.0)[0][0]

    assert grad(entry)(3.0) == 4.0


def test_hessian_is_exactly_symmetric():
    def f(x, y, z):
        return sin(x * y) * exp(z) + sigmoid(x * z) * y

    h = hessian(f)(0.3, -1.1, 0.7)
    assert all(h[i][j] == h[j][i] for i in range(3) for j in range(3))
    numerical = [autograd.numerical_grad(lambda *p, i=i: grad(f, argnums=i)(*p), 0.3, -1.1, 0.7)
                 for i in range(3)]
    for row, expected in zip(h, numerical):
        assert row == pytest.approx(expected, rel=1e-6, abs=1e-8)


# -- dual numbers ------------------------------------------------------------------------------


def test_dual_arithmetic():
    x = Dual(3.0, 1.0)
    for result, value, tangent in [
        (x + 2.0, 5.0, 1.0), (2.0 + x, 5.0, 1.0), (x - 1.0, 2.0, 1.0), (1.0 - x, -2.0, -1.0),
        (x * x, 9.0, 6.0), (2.0 * x, 6.0, 2.0), (x / 2.0, 1.5, 0.5), (6.0 / x, 2.0, -6.0 / 9.0),
        (x**2, 9.0, 6.0), (-x, -3.0, -1.0), (+x, 3.0, 1.0),
        (2.0**x, 8.0, 8.0 * math.log(2.0)), (x ** Dual(2.0, 0.0), 9.0, 6.0),
    ]:
        assert result.value == pytest.approx(value, rel=1e-15)
        assert result.tangent == pytest.approx(tangent, rel=1e-15)


def test_dual_apply_reads_any_primitive():
    assert Dual.apply(cube, Dual(2.0, 0.5)).tangent == 6.0  # 3 x² * 0.5
    d = Dual.apply(triple, Dual(1.0, 1.0), 2.0, Dual(3.0, 0.0))
    assert (d.value, d.tangent) == (6.0, 6.0)  # only a moves: d/da = b c
    d = Dual.apply(autograd.engine.dot_, Dual(1.0, 1.0), Dual(2.0, 0.0), 3.0, 4.0)
    assert (d.value, d.tangent) == (11.0, 3.0)


def test_duals_of_values_record_a_graph():
    x = Value(0.5)
    d = Dual.apply(sqrt, Dual(x, 1.0))  # tangent 1 / (2 sqrt x), a Value of x
    assert isinstance(d.tangent, Value)
    (slope_of_slope,) = autograd.gradients(d.tangent, [x])
    assert slope_of_slope == pytest.approx(-0.25 * 0.5**-1.5, rel=1e-14)


def test_dual_rejects_other_things():
    with pytest.raises(TypeError, match="Dual: the tangent must be a real number or a Value"):
        Dual(1.0, "fast")


# -- errors --------------------------------------------------------------------------------------


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"jvp: 1 tangent\(s\) given for 2 differentiated"):
        jvp(lambda x, y: x * y)(1.0, 2.0, tangents=[1.0])
    with pytest.raises(ValueError, match="jvp: one tangent given for 2"):
        jvp(lambda x, y: x * y)(1.0, 2.0, tangents=1.0)
    with pytest.raises(TypeError, match="jvp: tangent 1 must be a real number or a Value"):
        jvp(lambda x, y: x * y)(1.0, 2.0, tangents=[1.0, "a"])
    with pytest.raises(TypeError, match="jvp: <lambda> must return a number, a Value or a list"):
        jvp(lambda x: {"y": x})(1.0, tangents=1.0)
    with pytest.raises(TypeError, match="jvp: with an int argnums the tangent is one number"):
        jvp(lambda x, y: x * y, argnums=0)(1.0, 2.0, tangents=[1.0])
    with pytest.raises(ZeroDivisionError, match=r"jvp: forward mode through sqrt\(0.0\)"):
        jvp(sqrt)(0.0, tangents=1.0)
    with pytest.raises(ValueError, match="hvp: v must be a sequence of 2 numbers"):
        hvp(lambda x, y: x * y)([1.0, 2.0], [1.0])


def test_a_derivative_written_with_math_is_named_when_recorded():
    @primitive(lambda x: math.cos(x))  # math on a Value fails once the pass is recorded
    def my_sin(x):
        return math.sin(x)

    assert jvp(my_sin)(0.0, tangents=1.0) == (0.0, 1.0)  # on floats it is fine
    with pytest.raises(TypeError, match="autograd's functions, not math's"):
        grad(lambda x: jvp(my_sin)(x, tangents=1.0)[1])(0.0)


def test_the_checks_stay_importable_from_functional():
    from autograd import checking, functional

    for name in ("numerical_grad", "gradcheck", "gradgradcheck", "GradcheckEntry",
                 "GradcheckReport", "GradcheckError"):
        assert getattr(functional, name) is getattr(checking, name)
    for name in ("jvp", "jacobian", "hvp", "linearize", "Dual", "explain", "count_ops"):
        assert name in autograd.__all__ and hasattr(autograd, name)
