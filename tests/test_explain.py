"""explain: it names the node whose local derivative is wrong, and blames nothing healthy."""

from __future__ import annotations

import math
import random
import time

import pytest
from hypothesis import given, settings

import autograd
from autograd import (
    ExplainReport,
    Value,
    abs,
    explain,
    greater_equal,
    leaky_relu,
    log,
    maximum,
    minimum,
    primitive,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    step,
    tanh,
)
from autograd.testing import expression_graphs

# -- user primitives, right and wrong -----------------------------------------------------------


@primitive(lambda x: 3.0 * x * x * step(x))  # (x³)' = 3x²: right for x > 0, 0 below
def bad_cube(x):
    return x**3


@primitive(lambda a, b: b / (1.0 + a * a) - 2.0 * a * a * b / (1.0 + a * a) ** 2,
           lambda a, b: a / (1.0 + a * a))
def squashed_product(a, b):  # a b / (1 + a²), with both partials right
    return a * b / (1.0 + a * a)


@primitive(lambda a, b: b, lambda a, b: a + 1.0)  # d(ab)/db is a, not a + 1
def wrong_in_b(a, b):
    return a * b


def _partial(k: int, wrong: bool):
    def partial(*xs):
        others = [x for j, x in enumerate(xs) if j != k]
        product = others[0]
        for x in others[1:]:
            product = product * x
        return product * 2.0 if wrong else product

    return partial


# the product of six operands, whose partial for operand 3 is doubled
product6 = primitive(*[_partial(k, wrong=(k == 3)) for k in range(6)], name="product6")(
    lambda *xs: math.prod(xs))


# -- a graph of thousands of nodes ---------------------------------------------------------------


def big_graph(n_nodes: int = 2000, seed: int = 0, plant: bool = True):
    """A random graph of at least `n_nodes` nodes over smooth and kinked ops and a correct user
    primitive; with `plant`, `bad_cube` is applied once, about halfway, to a negative operand.
    Returns (output, inputs, planted node or None)."""
    rng = random.Random(seed)
    inputs = [Value(rng.uniform(-1.0, 1.0), label=f"x{i}") for i in range(8)]
    nodes = list(inputs)
    planted = None
    made = 0
    while made < n_nodes:
        a = nodes[-1 - rng.randrange(min(6, len(nodes)))]
        b = nodes[rng.randrange(len(nodes))]
        choice = rng.randrange(8)
        if choice == 0:
            out = tanh(a * 0.9 + b * 0.5)
        elif choice == 1:
            out = sin(a) * 0.8 + 0.1 * b
        elif choice == 2:
            out = relu(a) - 0.3 * b
        elif choice == 3:
            out = abs(a - b) * 0.5
        elif choice == 4:
            out = maximum(a, b) * 0.7 + minimum(a, 0.2 * b) * 0.2
        elif choice == 5:
            out = sigmoid(a) - 0.5 + leaky_relu(b, 0.1) * 0.2
        elif choice == 6:
            out = squashed_product(a, b)
        else:
            out = tanh(a * b + 0.2)
        made += 4  # about four nodes per step
        if plant and planted is None and made >= n_nodes // 2:
            planted = bad_cube(-(a * a) - 0.3)  # negative: where bad_cube is wrong
            out = out + planted * 0.5
        nodes.append(out)
    # every node reaches the output: the last ones directly, the others through a small sum
    output = autograd.sum(nodes[-5:]) + autograd.sum(nodes[:-5]) * 0.01
    output.label = "output"
    return output, inputs, planted


def test_a_planted_wrong_derivative_is_named_and_nothing_else():
    output, inputs, planted = big_graph()
    n_nodes = len(autograd.topological_order(output))
    assert n_nodes >= 2000
    start = time.perf_counter()
    report = explain(output, of=inputs)
    elapsed = time.perf_counter() - start
    assert elapsed < 10.0, f"explain took {elapsed:.1f} s on {n_nodes} nodes"
    assert report.n_nodes == n_nodes
    assert len(report.checks) > n_nodes  # every op node, most with two operands
    # exactly one wrong local derivative, at the planted node
    assert [check.node for check in report.wrong] == [planted]
    first = report.first_wrong
    assert first.op == "bad_cube" and first.operand == 0
    (x,) = first.operands
    assert x < 0 and first.operands == (planted.parents[0].data,)
    assert first.analytic == 0.0  # what the wrong derivative says below 0
    assert first.numerical == pytest.approx(3 * x * x, rel=1e-6)
    # nothing else is blamed: no nan or inf, every input used
    assert report.nonfinite == () and report.unused == ()
    assert not report.ok
    text = str(report)
    assert "✗ first wrong local derivative, in backward order" in text
    assert text.count("✗ first") == 1 and "also wrong" not in text
    assert "bad_cube(" in text and f"{first.numerical:.15g}" in text


def test_the_same_graph_without_the_plant_is_healthy():
    output, inputs, planted = big_graph(plant=False, seed=1)
    assert planted is None
    report = explain(output, of=inputs)
    assert report.wrong == () and report.nonfinite == ()
    assert report.gradient is not None and report.gradient.ok, str(report)
    assert report.ok


@settings(max_examples=80)
@given(expression_graphs(max_inputs=3, max_ops=12))
def test_explain_blames_nothing_on_healthy_random_graphs(graph):
    report = explain(graph, *graph.inputs)
    assert report.ok, str(report)
    assert report.wrong == () and report.nonfinite == ()
    leaves = graph.leaves()
    reached = set(autograd.topological_order(graph.build(leaves)))
    assert report.unused == tuple(f"{x.label} (input {k})" for k, x in enumerate(leaves)
                                  if x not in reached)
    checked = len(report.gradient.entries) + sum(s.op == "input" for s in report.skipped)
    assert checked == len(graph.inputs) - len(report.unused)


# -- kinks, jumps and domain edges: skipped and said so, never blamed ----------------------------


@pytest.mark.parametrize("f, point", [
    (relu, (0.0,)),
    (relu, (1e-9,)),
    (abs, (0.0,)),
    (lambda x: leaky_relu(x, 0.1), (-1e-8,)),
    (step, (1e-8,)),
    (sign, (0.0,)),
    (lambda x, y: maximum(x, y), (1.0, 1.0)),
    (lambda x, y: minimum(x, y), (0.5, 0.5 + 1e-9)),
    (lambda x, y: greater_equal(x, y) * x, (2.0, 2.0)),
    (sqrt, (1e-12,)),
    (log, (1e-9,)),
])
def test_kinks_and_domain_edges_are_skipped_not_blamed(f, point):
    report = explain(f, *point)
    assert report.wrong == (), str(report)
    assert report.skipped, "the check next to the kink or edge should be skipped"
    reasons = " ".join(s.reason for s in report.skipped)
    assert any(word in reasons for word in ("kink", "switch", "domain edge", "jump"))
    assert "skipped" in str(report)


def test_kinked_ops_away_from_their_kinks_are_checked():
    report = explain(lambda x, y: relu(x) * abs(y) + maximum(x, y), 0.7, -1.3)
    assert report.ok and not report.skipped
    assert {c.op for c in report.checks} >= {"relu", "abs"}


# -- what explain says --------------------------------------------------------------------------


def test_a_wrong_second_partial_is_named_by_operand():
    report = explain(lambda x, y: sin(wrong_in_b(x, y)), 0.4, 1.5)
    (wrong,) = report.wrong
    assert (wrong.op, wrong.operand, wrong.operands) == ("wrong_in_b", 1, (0.4, 1.5))
    assert wrong.analytic == pytest.approx(1.4) and wrong.numerical == pytest.approx(0.4)


def test_many_operands_are_checked_at_once_then_one_by_one():
    xs = (0.5, -1.2, 0.8, 1.1, -0.6, 0.9)
    report = explain(product6, *xs)
    (wrong,) = report.wrong
    assert (wrong.op, wrong.operand) == ("product6", 3)
    healthy = explain(lambda *v: autograd.dot(v[:3], v[3:]), *xs)
    assert healthy.ok
    (along,) = healthy.checks  # one directional check covers all six partials
    assert along.operand is None and along.name == "all operands along one direction"


def test_unused_inputs_are_listed():
    report = explain(lambda x, y, z: x * y, 1.0, 2.0, 3.0)
    assert report.unused == ("z (input 2)",)
    assert "inputs the output does not depend on: z (input 2)" in str(report)
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    out = x * 3.0
    assert explain(out, of=[x, y]).unused == ("y",)


def test_nan_and_inf_are_found_where_they_appear():
    report = explain(lambda x: sqrt(x) * 2.0 + x, 0.0)
    (backward,) = report.nonfinite
    assert (backward.phase, backward.op) == ("backward", "sqrt")
    assert "ZeroDivisionError" in backward.detail and not report.ok
    report = explain(lambda x: (x * 1e200) * (x * 1e200) - x, 1.0)
    forward = report.nonfinite[0]
    assert (forward.phase, forward.op, forward.operands) == ("forward", "mul", (1e200, 1e200))
    assert "nan or inf, forward: first at" in str(report)
    x = Value(math.nan, label="x")
    assert explain(x * 2.0).nonfinite[0].detail == "this input is not finite"


def test_a_built_graph_checks_every_leaf_by_default():
    a, b = Value(0.3, label="a"), Value(-0.8, label="b")
    loss = tanh(a * b) + a
    loss.label = "loss"
    report = explain(loss)
    assert report.function == "loss" and report.ok
    names = [e.name for e in report.gradient.entries]
    assert names == ["d/da", "d/db"]


def test_many_inputs_are_sampled_for_the_total_gradient():
    leaves = [Value(0.01 * k, label=f"w{k}") for k in range(100)]
    out = autograd.sum(tanh(w) for w in leaves)
    report = explain(out, max_inputs=8)
    assert len(report.gradient.entries) == 8
    assert "checked for 8 of 100 inputs" in str(report)


def test_a_constant_output():
    report = explain(lambda x: 2.0, 1.0)
    assert report.unused == ("x (input 0)",) and report.n_nodes == 0
    assert "constant" in str(report)


def test_report_reads_like_gradchecks():
    report = explain(lambda x: bad_cube(x) + x, -0.5)
    text = str(report)
    assert text.startswith("explain(<lambda>):")
    assert "1 wrong" in text and "total gradient: backprop vs central differences" in text
    assert isinstance(report, ExplainReport) and not report


def test_bad_arguments():
    with pytest.raises(TypeError, match="explain: give either a function and its inputs"):
        explain(Value(1.0), 2.0)
    with pytest.raises(TypeError, match="explain: expected a function or a Value"):
        explain("x * x")
    with pytest.raises(ValueError, match="explain: max_inputs must be a positive int"):
        explain(sin, 1.0, max_inputs=0)
    with pytest.raises(TypeError, match=r"explain: of\[0\] must be a Value"):
        explain(Value(1.0) * 2.0, of=[1.0])
    with pytest.raises(ValueError, match="explain: eps must be a positive finite number"):
        explain(sin, 1.0, eps=0.0)
