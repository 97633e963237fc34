"""Same inputs, same answer or same error: the engine, compiled float code and compiled numpy
code run the same random programs (every op of the table), at points inside and outside the
ops' domains (zero, negatives, huge numbers, infinities, nan).

The engine is the reference: each point is run forward and backward on Values. Compiled code
must give its value and gradients (to about 1e-12, relative), or raise the engine's error:
the same type, the same op, the engine's message, and in a batch the index of the first
sample where the engine fails."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import require

from autograd import Value, engine, gradients, topological_order
from autograd.compile import compile
from autograd.testing import expression_graphs

np = require("numpy", "fast")

# How many random programs each test runs; raise it to search harder (the suite's figure is
# kept small enough for the 2-core machines the suite runs on).
EXAMPLES = int(os.environ.get("PARITY_EXAMPLES", "120"))

SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 40.0, 800.0, -800.0, 1e200, -1e200,
           math.inf, -math.inf, math.nan)


def points(draw, graph, count):
    """`count` points: near the graph's own (inside every domain), anywhere in [-4, 4], and
    special numbers, in a random mix."""
    out = []
    for _ in range(count):
        point = []
        for x in graph.inputs:
            kind = draw(st.sampled_from(("near", "near", "wide", "special")))
            if kind == "near":
                point.append(x + draw(st.floats(-1e-3, 1e-3)))
            elif kind == "wide":
                point.append(draw(st.floats(-4.0, 4.0)))
            else:
                point.append(draw(st.sampled_from(SPECIAL)))
        out.append(tuple(point))
    return out


def by_engine(graph, point):
    """('ok', value, gradients, scales) or ('error', the engine's error).

    `scales` are the sizes of the terms the engine added up, for the value and for the
    gradients: numpy code adds in another order (matrix products, sums over rows), so its
    rounding error is bounded by the terms' size, not by the result's."""
    leaves = [Value(x) for x in point]
    try:
        out = graph(*leaves)
        out.backward()
    except engine.OpError as error:
        return ("error", error)
    values, terms = [1.0], [1.0]
    for node in topological_order(out):
        values.append(abs(node.data))
        if node.op is None:
            continue
        parents = [p.data for p in node.parents]
        if node.op is engine.OPS["dot"]:
            n = len(parents) // 2
            values += [abs(w * x) for w, x in zip(parents[:n], parents[n:2 * n])]
        partials = node.op.derivative(*parents, node.data)
        partials = partials if isinstance(partials, (tuple, list)) else (partials,)
        terms += [abs(node.grad * d) for d in partials]
    finite = [x for x in values if math.isfinite(x)], [x for x in terms if math.isfinite(x)]
    return "ok", out.data, [leaf.grad for leaf in leaves], (max(finite[0]), max(finite[1]))


def close(a, b, tolerance=1e-12, scale=1.0):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tolerance * max(scale, abs(b))


def assert_same_error(raised, expected, sample=None):
    assert isinstance(raised, engine.OpError), raised
    assert type(raised) is type(expected), (raised, expected)
    assert raised.op is expected.op, (raised, expected)
    assert str(expected) in str(raised)
    assert raised.sample == sample
    if sample is not None:
        assert f"(sample {sample} of the batch)" in str(raised)


def first_error(results):
    for j, result in enumerate(results):
        if result[0] == "error":
            return j, result[1]
    return None


def check_batch(run, graph, pts, results, tolerance):
    """Run `run` (a compiled function over the whole batch) and compare with the engine."""
    failure = first_error(results)
    if failure is not None:
        with pytest.raises(engine.OpError) as caught:
            run()
        assert_same_error(caught.value, failure[1], failure[0])
        return
    values, grads = run()
    for j, (_, value, expected, (value_scale, gradient_scale)) in enumerate(results):
        assert close(values[j], value, tolerance, value_scale), (j, values[j], value)
        for i, e in enumerate(expected):
            assert close(grads[i][j], e, tolerance, gradient_scale), (j, i, grads[i][j], e)


@settings(max_examples=EXAMPLES)
@given(expression_graphs(max_ops=8), st.data())
def test_random_programs_agree_with_the_engine_in_every_mode(graph, data):
    pts = points(data.draw, graph, 6)
    results = [by_engine(graph, p) for p in pts]
    n = len(graph.inputs)

    # floats, one point per call (traced at the first point the engine can run)
    scalar = compile(graph)
    for point, result in zip(pts, results):
        if result[0] == "error":
            with pytest.raises(engine.OpError) as caught:
                scalar(*point)
            assert_same_error(caught.value, result[1])
        else:
            value, grads = scalar(*point)
            assert close(value, result[1]), (point, value, result[1])
            for g, e in zip(grads, result[2]):
                assert close(g, e), (point, g, e)

    # a batch, every input per sample: a loop over lists, and numpy arrays
    everything = tuple(range(n))
    columns = [list(c) for c in zip(*pts)]
    looped = compile(graph, batch_args=everything, argnums=everything)
    check_batch(lambda: looped(*columns), graph, pts, results, 1e-12)
    arrays = compile(graph, batch_args=everything, argnums=everything)
    check_batch(lambda: arrays(*[np.array(c) for c in columns]), graph, pts, results, 1e-12)


@settings(max_examples=EXAMPLES // 2)
@given(expression_graphs(min_inputs=2, max_ops=8), st.data())
def test_shared_inputs_sum_their_gradients_over_the_batch_or_fail_alike(graph, data):
    # the first input varies per sample; the others are shared (their gradients are summed)
    pts = points(data.draw, graph, 5)
    shared = pts[0][1:]
    pts = [(p[0], *shared) for p in pts]
    results = [by_engine(graph, p) for p in pts]
    firsts = np.array([p[0] for p in pts])
    # every gradient asked for: the engine differentiates every node of the graph, compiled
    # code only what flows to the gradients it returns
    compiled = compile(graph, batch_args=[0], argnums=tuple(range(len(pts[0]))))
    failure = first_error(results)
    if failure is not None:
        with pytest.raises(engine.OpError) as caught:
            compiled(firsts, *shared)
        assert_same_error(caught.value, failure[1], failure[0])
        return
    values, (per_sample, *grads) = compiled(firsts, *shared)
    for j, (_, value, expected, (value_scale, gradient_scale)) in enumerate(results):
        assert close(values[j], value, 1e-12, value_scale)
        assert close(per_sample[j], expected[0], 1e-12, gradient_scale)
    scale = sum(result[3][1] for result in results)  # and the sum over the batch
    for i in range(len(shared)):
        terms = [result[2][i + 1] for result in results]
        if not all(map(math.isfinite, terms)):
            # compiled code adds each term over the batch (B times a shared term), the engine
            # each sample's gradient: at the edge of the float range the order decides
            # between inf and nan
            assert not math.isfinite(grads[i]), (i, grads[i], terms)
            continue
        assert close(grads[i], math.fsum(terms), 1e-12, scale)


ACTIVATIONS = ("tanh", "log", "sqrt", "exp", "relu", "asin", "sigmoid")


@settings(max_examples=EXAMPLES // 2)
@given(st.data())
def test_layers_of_biased_dots_agree_as_matrix_products(data):
    # rows j: act_j(dot(w_j, x, bias=b_j)); in numpy code the layer is one product W @ X + b
    n_in = data.draw(st.integers(1, 3))
    n_out = data.draw(st.integers(1, 3))
    acts = [getattr(engine, data.draw(st.sampled_from(ACTIVATIONS))) for _ in range(n_out)]
    size = n_out * (n_in + 1)
    params = [data.draw(st.floats(-1.0, 1.0)) for _ in range(size)]

    def layer(w, x):
        rows = [engine.dot(w[j * (n_in + 1):j * (n_in + 1) + n_in], x,
                           bias=w[j * (n_in + 1) + n_in]) for j in range(n_out)]
        return engine.sum_values([act(z) for act, z in zip(acts, rows)]) * x[0]

    class Inputs:  # the inputs of the samples, for `points`
        inputs = (0.5,) * n_in

    xs = [list(p) for p in points(data.draw, Inputs, 5)]
    results = []
    for x in xs:
        leaves = [Value(p) for p in params]
        try:
            out = layer(leaves, [Value(v) for v in x])
            results.append(("ok", out.data, gradients(out, leaves)))
        except engine.OpError as error:
            results.append(("error", error))
    for kind in ("loop", "numpy"):
        compiled = compile(layer, batch_args=["x"])
        batch = np.array(xs) if kind == "numpy" else xs
        failure = first_error(results)
        if failure is not None:
            with pytest.raises(engine.OpError) as caught:
                compiled(params, batch)
            assert_same_error(caught.value, failure[1], failure[0])
            continue
        values, (grad,) = compiled(params, batch)
        if kind == "numpy":
            assert " @ " in compiled.source
        for j, result in enumerate(results):
            assert close(values[j], result[1], 1e-9), (kind, j)
        for i in range(size):
            terms = [result[2][i] for result in results]
            scale = sum(abs(t) for t in terms if math.isfinite(t)) + 1.0
            total = math.fsum(terms) if all(map(math.isfinite, terms)) else sum(terms)
            assert close(grad[i], total, 1e-9, scale), (kind, i, grad[i], total)
