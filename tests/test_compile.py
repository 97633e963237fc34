"""autograd.compile: compiled code gives the dynamic engine's values and gradients, batched or
not, writes readable source, and refuses traces that would freeze the data."""

from __future__ import annotations

import itertools
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
    margins = [autograd.relu(1.0 + (-y) * model(x)) for x, y in zip(xs, ys)]
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
    import autograd._optional as optional

    def no_numpy(name):
        raise ImportError(name)

    monkeypatch.setattr(optional.importlib, "import_module", no_numpy)
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


# ----------------------------------------------------------------------------------------------
# The package: importable every way, callable as compile itself, loaded only when used
# ----------------------------------------------------------------------------------------------


def run_python(code):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": ""}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_compile_is_reached_every_way_and_only_loaded_when_used():
    out = run_python(
        "import sys, autograd\n"
        "print('autograd.compile' in sys.modules)\n"
        "print(autograd.compile(lambda x: x * x)(3.0))\n"
        "from autograd import compile\n"
        "print(compile(lambda x: x * x)(2.0))\n"
        "import autograd.compile\n"
        "print(autograd.compile(lambda x: x * x)(1.0), autograd.compile is compile)\n"
        "from autograd.compile import compile as function, CompiledFunction, TraceError\n"
        "print(isinstance(function(abs), CompiledFunction), issubclass(TraceError, ValueError))\n"
        "from autograd.compiled import compile as old, CompiledFunction as Old\n"
        "print(old is function, Old is CompiledFunction, autograd.TraceError is TraceError)\n")
    assert out.split("\n") == [
        "False", "(9.0, (6.0,))", "(4.0, (4.0,))", "(1.0, (2.0,)) True", "True True",
        "True True True", ""]


def test_the_package_imported_first_is_callable_too():
    out = run_python("import autograd.compile\nimport autograd\n"
                     "print(autograd.compile(lambda x: 2.0 * x)(1.0))\n")
    assert out == "(2.0, (2.0,))\n"


# ----------------------------------------------------------------------------------------------
# dot's bias operand, and networks written with it
# ----------------------------------------------------------------------------------------------


def test_dot_with_a_bias_compiles_in_every_mode():
    def affine(w, x, b):
        return autograd.dot(w, x, bias=b) * 2.0

    value, (dw, dx, db) = compile(affine)([1.0, 2.0], [3.0, 4.0], 0.5)
    assert value == 2.0 * (1.0 * 3.0 + 2.0 * 4.0 + 0.5)
    assert (dw, dx, db) == ([6.0, 8.0], [2.0, 4.0], 2.0)  # d/dw = 2x, d/dx = 2w, d/db = 2
    xs = [[3.0, 4.0], [-1.0, 0.5]]
    looped = compile(affine, batch_args=["x"])
    outputs, (dw, db) = looped([1.0, 2.0], xs, 0.5)
    assert outputs == [23.0, 2.0 * (-1.0 + 1.0 + 0.5)]
    assert (dw, db) == ([4.0, 9.0], 4.0)  # sums over the two samples
    np = require("numpy", "fast")
    arrays = compile(affine, batch_args=["x"])
    outputs, (dw, db) = arrays([1.0, 2.0], np.array(xs), 0.5)
    assert outputs.tolist() == [23.0, 1.0] and dw.tolist() == [4.0, 9.0] and db == 4.0


def test_a_one_element_dot_with_a_number_for_weight_runs_on_arrays():
    np = require("numpy", "fast")
    compiled = compile(lambda x, w: autograd.dot([w], [x]), batch_args=[0])
    outputs, (dw,) = compiled(np.array([1.0, 2.0]), 3.0)
    assert outputs.tolist() == [3.0, 6.0] and dw == 3.0  # d/dw = x, summed


def layered(params, x, sizes=(3, 4, 2)):
    """A small network written with dot(w, x, bias=b): tanh hidden layer, linear output."""
    k, h = 0, list(x)
    for depth, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        out = []
        for _ in range(n_out):
            w, b = params[k:k + n_in], params[k + n_in]
            k += n_in + 1
            z = autograd.dot(w, h, bias=b)
            out.append(autograd.tanh(z) if depth < len(sizes) - 2 else z)
        h = out
    return h


def layered_loss(params, x, t):
    z = layered(params, x)
    return logsumexp(z) - autograd.dot(t, z)


@pytest.mark.parametrize("kind", ["loop", "numpy"])
def test_a_network_with_biased_dots_agrees_with_the_engine(kind):
    rng = random.Random(7)
    params = [rng.uniform(-1, 1) for _ in range(3 * 4 + 4 + 4 * 2 + 2)]
    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(6)]
    ts = [[1.0, 0.0] if rng.random() < 0.5 else [0.0, 1.0] for _ in range(6)]
    compiled = compile(layered_loss, argnums=0, batch_args=["x", "t"])
    if kind == "numpy":
        np = require("numpy", "fast")
        losses, grad = compiled(params, np.array(xs), np.array(ts))
        assert "W @ x_rows + b" in compiled.source  # a layer, bias included, as one product
        assert "g_params[index1] += g_b" in compiled.source  # the biases' gradient, summed
        grad = grad.tolist()
    else:
        losses, grad = compiled(params, xs, ts)
    totals = [0.0] * len(params)
    for i, (x, t) in enumerate(zip(xs, ts)):
        leaves = [Value(p) for p in params]
        out = layered_loss(leaves, x, t)
        assert_close(float(losses[i]), out.data)
        for j, g in enumerate(gradients(out, leaves)):
            totals[j] += g
    for g, e in zip(grad, totals):
        assert_close(g, e, 1e-11)


# ----------------------------------------------------------------------------------------------
# Same inputs, same answer or same error, in every mode
# ----------------------------------------------------------------------------------------------


def engine_raises(f, *xs):
    leaves = [Value(x) for x in xs]
    with pytest.raises(engine.OpError) as caught:
        out = f(*leaves)
        gradients(out, leaves)
    return caught.value


@pytest.mark.parametrize("f, bad, kind", [
    (lambda w, x: w / x, 0.0, ZeroDivisionError),
    (lambda w, x: autograd.log(w * x), -1.0, ValueError),
    (lambda w, x: autograd.sqrt(w * x), -1.0, ValueError),
    (lambda w, x: autograd.sqrt(w * x), 0.0, ZeroDivisionError),  # backward: 1 / (2 sqrt 0)
    (lambda w, x: autograd.asin(w * x), 1.0, ValueError),
    (lambda w, x: (w * x) ** 0.5, -1.0, ValueError),
    (lambda w, x: (w * x) ** 0.5, 0.0, ZeroDivisionError),
    (lambda w, x: autograd.exp(w * x), 400.0, OverflowError),
    (lambda w, x: autograd.pow(x, w), -2.0, ValueError),  # a Value exponent: base > 0
], ids=["div", "log", "sqrt", "sqrt'", "asin", "root", "root'", "exp", "pow"])
@pytest.mark.parametrize("mode", ["scalar", "loop", "numpy"])
def test_the_engines_errors_in_every_mode_name_the_op_and_the_sample(f, bad, kind, mode):
    expected = engine_raises(f, 2.0, bad)
    assert isinstance(expected, kind)
    if mode == "scalar":
        compiled = compile(f)
        compiled(2.0, 0.25)
        with pytest.raises(kind) as caught:
            compiled(2.0, bad)
        sample = None
    else:
        compiled = compile(f, batch_args=["x"])
        xs = [0.25, 0.125, bad, bad]  # the first failing sample is 2
        if mode == "numpy":
            np = require("numpy", "fast")
            xs = np.array(xs)
        compiled(2.0, xs[:2])
        with pytest.raises(kind) as caught:
            compiled(2.0, xs)
        sample = 2
    error = caught.value
    assert type(error) is type(expected) and error.op is expected.op
    assert str(error) == f"compile(<lambda>): {expected}" + (
        f" (sample {sample} of the batch)" if sample is not None else "")
    assert error.sample == sample


def test_an_error_at_the_traced_sample_is_the_engines_too():
    np = require("numpy", "fast")
    compiled = compile(lambda x, w: w / x, batch_args=[0])
    with pytest.raises(ZeroDivisionError, match=r"compile\(<lambda>\): 3\.0 / 0\.0: division "
                                                r"by zero \(sample 0 of the batch\)"):
        compiled(np.array([0.0, 2.0]), 3.0)  # traced at sample 0
    assert compiled(np.array([1.0, 2.0]), 3.0)[0].tolist() == [3.0, 1.5]


def test_pow_with_a_value_exponent_refuses_a_negative_base_as_the_engine_does():
    with pytest.raises(ValueError, match=r"pow\(-3\.0, 2\.0\): operand outside the domain"):
        compile(lambda x: autograd.pow(x, 2.0))(-3.0)
    with pytest.raises(ValueError):
        autograd.pow(Value(-3.0), 2.0)


@pytest.mark.parametrize("mode", ["scalar", "loop", "numpy"])
def test_infinities_follow_ieee_in_every_mode(mode):
    def f(x, y):
        return autograd.sin(x) + x * y + autograd.tanh(x) - x

    points = [(math.inf, 2.0), (-math.inf, 0.0), (math.nan, 1.0), (1.0, 1e308)]
    expected = [dynamic(f, *p) for p in points]
    if mode == "scalar":
        compiled = compile(f, argnums=(0, 1))
        results = [compiled(*p) for p in points]
    else:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        if mode == "numpy":
            np = require("numpy", "fast")
            xs, ys = np.array(xs), np.array(ys)
        values, (gx, gy) = compile(f, batch_args=[0, 1], argnums=(0, 1))(xs, ys)
        results = [(values[j], (gx[j], gy[j])) for j in range(len(points))]
    for (value, grads), (want, want_grads) in zip(results, expected):
        for a, b in zip((value, *grads), (want, *want_grads)):
            assert (math.isnan(a) and math.isnan(b)) or a == b, (a, b)
