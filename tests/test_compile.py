"""autograd.compile: compiled code gives the dynamic engine's values and gradients, batched or
not, writes readable source, and refuses traces that would freeze the data."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import require

import autograd
from autograd import Value, engine, gradients
from autograd.compile import TraceError, compile
from autograd.compile.spelling import spelling_of
from autograd.losses import logsumexp
from autograd.nn import MLP
from autograd.testing import OP_NAMES, expression_graphs, op_cases


def dynamic(f, *xs):
    """f's value and gradient at xs by the dynamic engine."""
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    return out.data, gradients(out, leaves)


def assert_close(a, b, tolerance=1e-12):
    assert abs(a - b) <= tolerance * max(1.0, abs(b)), (a, b)


def nearby(point, k, size=1e-7):
    """Another point within 1e-6 of `point` (the strategies keep every op tame there)."""
    return tuple(x + size * ((k * 7 + i * 3) % 5 - 2) for i, x in enumerate(point))


# ----------------------------------------------------------------------------------------------
# Agreement with the dynamic engine
# ----------------------------------------------------------------------------------------------


@settings(max_examples=60)
@given(expression_graphs(max_ops=8))
def test_random_graphs_agree_with_the_dynamic_engine(graph):
    compiled = compile(graph)
    for k in range(3):  # traced once, run at several points
        point = nearby(graph.inputs, k)
        value, grads = compiled(*point)
        expected, expected_grads = dynamic(graph, *point)
        assert_close(value, expected)
        for g, e in zip(grads, expected_grads):
            assert_close(g, e)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=8)
@given(data=st.data())
def test_every_op_agrees_with_the_dynamic_engine(name, data):
    case = data.draw(op_cases([name]))
    f = case.function
    value, grads = compile(f)(*case.operands)
    expected, expected_grads = dynamic(f, *case.operands)
    assert_close(value, expected)
    assert len(grads) == len(expected_grads)
    for g, e in zip(grads, expected_grads):
        assert_close(g, e)


def test_every_op_of_the_table_is_written_from_its_entry():
    # every unary and binary op of the table has a spelling in float code and in numpy code
    # (its template, or its own float function where the template would disagree)
    for op in engine.OPS.values():
        if op.arity in (1, 2):
            for array in (False, True):
                assert spelling_of(op, array) is not None, (op.name, array)
    assert "x ** 3" in compile(lambda x: x ** 3).trace(2.0).source
    assert "0.1 * x" in compile(lambda x: autograd.leaky_relu(x, 0.1)).trace(2.0).source
    assert "math.exp(x)" in compile(autograd.exp).trace(2.0).source
    # math.sin refuses infinity where the engine gives nan: the engine's own sin is called
    assert "_sin(x)" in compile(autograd.sin).trace(2.0).source


def test_a_square_is_a_product_only_where_it_cannot_overflow():
    # tanh's derivative 1 - out**2: |out| <= 1
    assert "1.0 - t * t" in compile(autograd.tanh).trace(0.5).source
    # x ** 2 of any number stays a power: the engine raises OverflowError at 1e200 ** 2
    square = compile(lambda x: x ** 2)
    assert "x ** 2" in square.trace(3.0).source
    with pytest.raises(OverflowError, match=r"compile\(<lambda>\): .*overflow"):
        square(1e200)
    with pytest.raises(OverflowError):
        (Value(1e200) ** 2)


@pytest.mark.parametrize("f", [
    autograd.relu, abs, lambda x: autograd.leaky_relu(x, 0.2), autograd.engine.step,
    autograd.engine.sign, lambda x: autograd.maximum(x, 0.5), lambda x: autograd.minimum(0.5, x),
], ids=["relu", "abs", "leaky_relu", "step", "sign", "maximum", "minimum"])
def test_kinked_ops_compile_without_a_frozen_branch(f):
    compiled = compile(f).trace(3.0)  # traced on one side of the kink
    for x in (3.0, 0.75, -0.25, -2.0):  # and right on both sides
        value, (grad,) = compiled(x)
        expected, (expected_grad,) = dynamic(f, x)
        assert (value, grad) == (expected, expected_grad)


def test_a_user_primitive_compiles_by_calling_its_float_function():
    @autograd.primitive(lambda x: autograd.cos(x) * 2.0)
    def twice_sin(x):
        return 2.0 * math.sin(x)

    compiled = compile(lambda x: twice_sin(x) * x)
    value, (grad,) = compiled(0.5)
    assert value == 2.0 * math.sin(0.5) * 0.5
    assert_close(grad, 2.0 * math.sin(0.5) + 0.5 * 2.0 * math.cos(0.5))  # product rule
    assert "op_twice_sin(x)" in compiled.source


# ----------------------------------------------------------------------------------------------
# The MLP step
# ----------------------------------------------------------------------------------------------

POINTS = [[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9], [0.1, 0.1], [-1.1, -0.6]]
LABELS = [1.0, -1.0, 1.0, -1.0, 1.0]


def svm_loss(model, xs, ys):
    """mean(relu(1 - y * score)) + 1e-4 * sum of squared parameters."""
    margins = [autograd.relu(1.0 + (-y) * model(x)[0]) for x, y in zip(xs, ys)]
    penalty = autograd.sum_values([p * p for p in model.parameters()])
    return autograd.sum_values(margins) * (1.0 / len(margins)) + 1e-4 * penalty


def test_the_mlp_step_agrees_with_the_dynamic_engine():
    model = MLP(2, [6, 6, 1], seed=3)
    params = model.parameters()
    compiled = compile(lambda ps, xs, ys: svm_loss(model, xs, ys), argnums=0)
    value, grads = compiled(params, POINTS, LABELS)
    loss = svm_loss(model, POINTS, LABELS)
    loss.backward()
    assert_close(value, loss.data)
    assert len(grads) == len(params) > 50
    for g, p in zip(grads, params):
        assert_close(g, p.grad)
    # after an SGD step on plain numbers, the same compiled code gives the new gradients
    stepped = [p.data - 0.1 * g for p, g in zip(params, grads)]
    value, grads = compiled(stepped, POINTS, LABELS)
    for p, x in zip(params, stepped):
        p.data, p.grad = x, 0.0
    loss = svm_loss(model, POINTS, LABELS)
    loss.backward()
    assert_close(value, loss.data)
    for g, p in zip(grads, params):
        assert_close(g, p.grad)


# ----------------------------------------------------------------------------------------------
# Batches: per-sample outputs, gradients summed over the samples
# ----------------------------------------------------------------------------------------------


def per_sample_sums(f, shared, samples):
    """The dynamic engine's per-sample outputs and the gradients summed over the samples."""
    outputs, totals = [], [0.0] * len(shared)
    for sample in samples:
        params = [Value(x) for x in shared]
        out = f(params, *sample)
        outputs.append(out.data)
        for i, g in enumerate(gradients(out, params)):
            totals[i] += g
    return outputs, totals


def squared_error(w, x, y):
    return (w[0] * x[0] + w[1] * autograd.tanh(x[1]) + w[2] - y) ** 2


SAMPLES = [([0.5, -1.0], 1.0), ([2.0, 0.25], -0.5), ([-1.5, 0.75], 0.0), ([0.0, 2.0], 2.0)]
WEIGHTS = [0.3, -0.8, 0.1]


def test_a_batch_as_lists_equals_the_sum_of_per_sample_results():
    compiled = compile(squared_error, batch_args=["x", "y"])
    outputs, (grad,) = compiled(WEIGHTS, [x for x, _ in SAMPLES], [y for _, y in SAMPLES])
    expected, totals = per_sample_sums(squared_error, WEIGHTS, SAMPLES)
    assert outputs == pytest.approx(expected, rel=1e-12)
    assert grad == pytest.approx(totals, rel=1e-12)
    assert "for x_s, y_s in zip(x, y):" in compiled.source


def test_a_batch_as_numpy_arrays_equals_the_sum_of_per_sample_results():
    np = require("numpy", "fast")
    compiled = compile(squared_error, batch_args=["x", "y"])
    xs = np.array([x for x, _ in SAMPLES])
    ys = np.array([y for _, y in SAMPLES])
    outputs, (grad,) = compiled(WEIGHTS, xs, ys)
    expected, totals = per_sample_sums(squared_error, WEIGHTS, SAMPLES)
    assert outputs.shape == (4,)
    assert outputs.tolist() == pytest.approx(expected, rel=1e-12)
    assert np.asarray(grad).tolist() == pytest.approx(totals, rel=1e-12)
    assert "for " not in compiled.source  # one statement for all samples


@settings(max_examples=25)
@given(expression_graphs(min_inputs=2, max_ops=6), st.sampled_from(["loop", "numpy"]))
def test_batched_random_graphs_equal_the_sum_of_per_sample_results(graph, kind):
    points = [nearby(graph.inputs, k) for k in range(3)]
    # the first input varies per sample; the others are shared
    compiled = compile(lambda x0, rest: graph(x0, *rest), batch_args=[0], argnums=1)
    firsts = [p[0] for p in points]
    if kind == "numpy":
        np = require("numpy", "fast")
        firsts = np.array(firsts)
    shared = list(points[0][1:])
    outputs, grads = compiled(firsts, shared)
    for k, point in enumerate(points):
        expected, _ = dynamic(graph, point[0], *shared)
        assert_close(float(outputs[k]), expected, 1e-11)
    totals = [0.0] * len(shared)
    for point in points:
        _, expected_grads = dynamic(graph, point[0], *shared)
        for i, g in enumerate(expected_grads[1:]):
            totals[i] += g
    for g, e in zip(list(grads), totals):
        assert_close(float(g), e, 1e-11)


def cross_entropy_one(params, x, onehot, model):
    z = model(x)
    return logsumexp(z) - autograd.dot(onehot, z), z


def test_a_batched_network_becomes_matrix_products_and_agrees():
    np = require("numpy", "fast")
    rng = random.Random(5)
    model = MLP(6, [5, 3], seed=2)
    params = model.parameters()
    xs = [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(7)]
    labels = [rng.randrange(3) for _ in range(7)]
    onehots = np.eye(3)[labels]
    compiled = compile(lambda ps, x, t: cross_entropy_one(ps, x, t, model), argnums=0,
                       batch_args=["x", "t"], has_aux=True)
    (losses, scores), grad = compiled(params, np.array(xs), onehots)
    assert " @ " in compiled.source  # layers as matrix products
    for i, (x, t) in enumerate(zip(xs, onehots.tolist())):
        out, z = cross_entropy_one(params, x, t, model)
        out.backward()
        assert_close(losses[i], out.data)
        assert scores[i].tolist() == pytest.approx([v.data for v in z], rel=1e-12)
    assert grad.shape == (len(params),)
    for g, p in zip(grad.tolist(), params):
        assert_close(g, p.grad)


def test_the_forward_pass_alone_returns_any_outputs():
    np = require("numpy", "fast")
    model = MLP(3, [4, 2], seed=1)
    params = model.parameters()
    points = [[0.5, -1.0, 2.0], [0.0, 0.25, -0.5], [1.5, 1.0, 0.0]]
    expected = [[v.data for v in model(x)] for x in points]
    scores = compile(lambda ps, x: model(x), argnums=())
    assert scores(params, points[0]) == expected[0]
    batched = compile(lambda ps, x: model(x), argnums=(), batch_args=["x"])
    assert batched(params, points) == expected
    array = batched(params, np.array(points))
    assert array.shape == (3, 2)
    for row, want in zip(array.tolist(), expected):
        assert row == pytest.approx(want, rel=1e-12)
    assert "backward" not in batched.source


def test_without_numpy_the_error_names_the_extra(monkeypatch):
    np = require("numpy", "fast")
    import autograd.compile.spelling as spelling

    def no_numpy(name):
        raise ImportError(name)

    monkeypatch.setattr(spelling.importlib, "import_module", no_numpy)
    compiled = compile(squared_error, batch_args=["x", "y"])
    with pytest.raises(ImportError, match=r"scalar-autograd\[fast\]"):
        compiled(WEIGHTS, np.array([[1.0, 2.0]]), np.array([1.0]))


def test_batched_arguments_must_have_the_same_length():
    compiled = compile(squared_error, batch_args=["x", "y"])
    with pytest.raises(ValueError, match="differ in length"):
        compiled(WEIGHTS, [[1.0, 2.0]], [1.0, 2.0])


# ----------------------------------------------------------------------------------------------
# The source
# ----------------------------------------------------------------------------------------------

GOLDEN = """\
def f(x, y):
    # forward
    t = math.tanh(x * y + 1.0)
    t1 = (0.0 if t <= 0.0 else t) / y
    t2 = x - t1
    # backward: g_v is d(output)/d(v)
    g = -1.0 / y * (1.0 if t > 0.0 else 0.0) * (1.0 - t * t)
    g_x = 1.0 + g * y
    g_y = t1 / y + g * x
    return t2, (g_x, g_y)"""


def test_the_source_of_a_small_expression_is_stable_and_readable():
    def f(x, y):
        return x - autograd.relu(autograd.tanh(x * y + 1.0)) / y

    compiled = compile(f)
    value, (dx, dy) = compiled(0.5, 2.0)
    assert compiled.source == GOLDEN
    t = math.tanh(2.0)
    assert_close(value, 0.5 - t / 2.0)
    assert_close(dx, 1.0 - (1.0 - t * t) * 2.0 / 2.0)   # d/dx: 1 - tanh' * y / y
    assert_close(dy, t / 4.0 - (1.0 - t * t) * 0.5 / 2.0)  # d/dy: t / y^2 - tanh' x / y


def test_the_compiled_code_holds_no_values():
    compiled = compile(lambda x: autograd.exp(x) * x).trace(1.0)
    assert "Value" not in compiled.source
    assert isinstance(compiled(1.0)[0], float)


# ----------------------------------------------------------------------------------------------
# Traces that depend on the data are refused
# ----------------------------------------------------------------------------------------------


def test_a_comparison_while_tracing_is_reported():
    def absolute(x):
        return x if x > 0 else -x

    with pytest.raises(TraceError, match=r"compares a Value with data \(2.0 > 0\)"):
        compile(absolute)(2.0)


def test_a_value_read_as_a_number_is_reported():
    with pytest.raises(TraceError, match="different programs"):
        compile(lambda x: x * Value(x.data))(2.0)


def test_a_value_from_outside_is_reported_unless_passed_as_an_argument():
    w = Value(3.0)
    with pytest.raises(TraceError, match="not one of its arguments"):
        compile(lambda x: w * x)(2.0)
    compiled = compile(lambda ws, x: w * x)  # w passed in: traced as itself
    value, (grad_ws, grad_x) = compiled([w], 2.0)
    assert (value, grad_ws, grad_x) == (6.0, [2.0], 3.0)


def test_argnums_and_results():
    compiled = compile(lambda x, y: x * y * y, argnums=1)
    assert compiled(3.0, 2.0) == (12.0, 12.0)  # d/dy = 2xy
    with pytest.raises(ValueError, match="argnums"):
        compile(lambda x: x, argnums=3)(1.0)
    with pytest.raises(TypeError, match="one Value or number"):
        compile(lambda x: [x, x])(1.0)
    with pytest.raises(ValueError, match="not traced yet"):
        _ = compile(lambda x: x).source


# ----------------------------------------------------------------------------------------------
# Later calls: arguments of another shape, bad numbers, errors of the maths
# ----------------------------------------------------------------------------------------------


def total_of_rows(m):
    return autograd.sum_values([v * v for row in m for v in row])


def test_a_later_call_with_ragged_lists_is_compiled_for_its_own_shape():
    compiled = compile(total_of_rows)
    assert compiled([[1.0, 2.0], [3.0, 4.0]]) == (30.0, ([[2.0, 4.0], [6.0, 8.0]],))
    # same first row, shorter second row: d/dv sum v^2 = 2v
    assert compiled([[1.0, 2.0], [3.0]]) == (14.0, ([[2.0, 4.0], [6.0]],))
    assert compiled([[1.0, 2.0], [3.0, 5.0]]) == (39.0, ([[2.0, 4.0], [6.0, 10.0]],))


def test_batched_samples_of_different_shapes_are_named():
    compiled = compile(squared_error, batch_args=["x", "y"])
    with pytest.raises(ValueError, match=r"compile\(squared_error\): argument 'x'.*sample 1"):
        compiled(WEIGHTS, [[1.0, 2.0], [3.0]], [1.0, 2.0])  # first call
    compiled(WEIGHTS, [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"compile\(squared_error\): argument 'x'.*sample 2.*"
                                         r"3 numbers.*2 numbers"):
        compiled(WEIGHTS, [[1.0, 2.0], [3.0, 4.0], [1.0, 2.0, 3.0]], [1.0, 2.0, 3.0])


def test_batched_lists_of_different_lengths_on_a_later_call_are_refused():
    compiled = compile(squared_error, batch_args=["x", "y"])
    compiled(WEIGHTS, [[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"compile\(squared_error\).*'x'.*'y'.*differ in length "
                                         r"\(2 and 1\)"):
        compiled(WEIGHTS, [[1.0, 2.0], [3.0, 4.0]], [1.0])


def test_batched_arrays_of_different_lengths_on_a_later_call_are_refused():
    np = require("numpy", "fast")
    compiled = compile(squared_error, batch_args=["x", "y"])
    compiled(WEIGHTS, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"compile\(squared_error\).*differ in length \(3 and 2\)"):
        compiled(WEIGHTS, np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]]), np.array([1.0, 2.0]))


def test_errors_of_the_maths_on_a_later_call_name_the_compiled_function_and_the_op():
    root = compile(autograd.sqrt)
    assert root(4.0) == (2.0, (0.25,))  # d sqrt(x)/dx = 1 / (2 sqrt x)
    with pytest.raises(ValueError, match=r"compile\(sqrt\): sqrt\(-1\.0\): operand outside"):
        root(-1.0)
    ratio = compile(lambda x, y: x / y)
    ratio(1.0, 2.0)
    with pytest.raises(ZeroDivisionError, match=r"compile\(<lambda>\): .*1\.0 / 0\.0"):
        ratio(1.0, 0.0)
    grow = compile(autograd.exp)
    grow(1.0)
    with pytest.raises(OverflowError, match=r"compile\(exp\): exp\(1000\.0\)"):
        grow(1000.0)


def test_an_error_of_the_maths_in_a_batch_names_the_sample():
    compiled = compile(lambda w, x: autograd.log(w * x), batch_args=["x"])
    compiled(1.0, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"compile\(<lambda>\): log\(-3\.0\).*sample 2"):
        compiled(1.0, [1.0, 2.0, -3.0])


@pytest.mark.parametrize("bad", [None, 1j, True, "2.0"])
def test_an_argument_that_is_not_a_number_is_named_on_a_later_call(bad):
    compiled = compile(lambda x, y: x * y)
    compiled(1.0, 2.0)
    with pytest.raises(TypeError, match=r"compile\(<lambda>\): argument 'y': expected a number"):
        compiled(1.0, bad)
    rows = compile(lambda w: w[0] * w[1])
    rows([1.0, 2.0])
    with pytest.raises(TypeError, match=r"compile\(<lambda>\): argument 'w'\[1\]: expected"):
        rows([1.0, bad])


def test_a_list_mixing_values_and_numbers_is_read_item_by_item():
    t = math.tanh(2.0)
    compiled = compile(lambda w: autograd.tanh(w[0] * w[1]))
    for w in ([1.0, Value(2.0)], [Value(1.0), 2.0], [1.0, 2.0]):
        value, (grad,) = compiled(w)
        assert_close(value, t)
        assert_close(grad[0], (1.0 - t * t) * 2.0)  # d tanh(ab)/da = (1 - tanh^2) b
        assert_close(grad[1], (1.0 - t * t) * 1.0)
    nested = compile(lambda m: m[0][0] * m[1][0])
    assert nested([[3.0], [Value(2.0)]]) == (6.0, ([[2.0], [3.0]],))
    assert nested([[Value(3.0)], [2.0]]) == (6.0, ([[2.0], [3.0]],))
