"""autograd.testing: points stay inside each op's domain; random graphs are tame and shared."""

from __future__ import annotations

import importlib
import math
import sys

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Primitive, Value, engine, gradients, numerical_grad, topological_order
from autograd.testing import (
    OP_NAMES,
    ExpressionGraph,
    Step,
    domain_values,
    expression_graphs,
    op_cases,
    operands_for,
)

# Independent statements of where each op is smooth, with a margin: edges of the domain and
# kinks stay at least 0.05 away, and |x| stays small.
SMOOTH = {
    "log": lambda x: x >= 0.05,
    "sqrt": lambda x: x >= 0.05,
    "log1p": lambda x: x >= -0.95,
    "asin": lambda x: abs(x) <= 0.95,
    "acos": lambda x: abs(x) <= 0.95,
    "tan": lambda x: abs(x) <= math.pi / 2 - 0.05,
    "relu": lambda x: abs(x) >= 0.05,
    "abs": lambda x: abs(x) >= 0.05,
    "leaky_relu": lambda x: abs(x) >= 0.05,
    "step": lambda x: abs(x) >= 0.05,
    "sign": lambda x: abs(x) >= 0.05,
}
UNARY = [
    "neg", "power", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "asin",
    "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "relu", "leaky_relu", "abs",
    "erf", "step", "sign",
]

ENGINE_NAMES: dict[str, str] = {}  # the engine's op names are the table's canonical names


# -- the table covers the library --------------------------------------------------------------


def test_every_builtin_primitive_is_covered():
    # every Primitive the engine defines (the families under their family name)
    primitives = {
        obj.family or obj.name
        for obj in vars(engine).values()
        if isinstance(obj, Primitive)
    }
    primitives |= {"power", "leaky_relu"}
    assert primitives == set(OP_NAMES), primitives ^ set(OP_NAMES)
    assert set(OP_NAMES) == set(engine.OPS)


def engine_op_name(node: Value) -> str:
    return node.op.family or node.op.name


# -- points inside one op's domain ------------------------------------------------------------


@pytest.mark.parametrize("name", UNARY)
def test_domain_values_are_finite_bounded_and_away_from_edges(name):
    smooth = SMOOTH.get(name, lambda x: True)

    @settings(max_examples=30)
    @given(domain_values(name))
    def check(x):
        assert math.isfinite(x) and abs(x) <= 3.0
        assert smooth(x)

    check()


@pytest.mark.parametrize(
    "op, smooth",
    [
        (autograd.log, SMOOTH["log"]),
        (autograd.asin, SMOOTH["asin"]),
        (autograd.relu, SMOOTH["relu"]),
        (autograd.power(0.5), lambda x: x >= 0.05),
        (autograd.power(-1.0), lambda x: abs(x) >= 0.05),
        (autograd.engine.leaky(0.2), SMOOTH["leaky_relu"]),
    ],
)
def test_domain_values_accepts_the_primitive_itself(op, smooth):
    @settings(max_examples=30)
    @given(domain_values(op))
    def check(x):
        assert smooth(x)

    check()


def test_domain_values_rejects_what_it_cannot_serve():
    with pytest.raises(ValueError, match="use operands_for"):
        domain_values("maximum")
    with pytest.raises(ValueError, match="unknown op 'lgamma'"):
        domain_values("lgamma")
    with pytest.raises(ValueError, match="no domain is known"):
        domain_values(autograd.primitive(lambda x: 1.0)(lambda x: x))


@settings(max_examples=50)
@given(st.data())
def test_operands_for_binary_ops_respect_joint_domains(data):
    a, b = data.draw(operands_for("maximum"))
    assert abs(a - b) >= 0.1
    a, b = data.draw(operands_for(autograd.minimum))
    assert abs(a - b) >= 0.1
    a, b = data.draw(operands_for(engine.greater_equal))
    assert abs(a - b) >= 0.1
    base, _ = data.draw(operands_for(autograd.pow))
    assert base >= 0.05
    _, divisor = data.draw(operands_for("div"))
    assert abs(divisor) >= 0.05
    ws_and_xs = data.draw(operands_for("dot"))
    assert len(ws_and_xs) % 2 == 0 and ws_and_xs


@settings(max_examples=100)
@given(op_cases())
def test_op_cases_evaluate_finitely_on_floats_and_values_alike(case):
    on_floats = case.function(*case.operands)
    on_values = case.function(*[Value(x) for x in case.operands])
    assert math.isfinite(on_floats)
    # floats divide directly, Values multiply by a reciprocal: equal up to rounding
    assert on_values.data == pytest.approx(on_floats, rel=1e-15, abs=1e-300)


def test_op_cases_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown or no ops"):
        find(op_cases(ops=["exp", "nope"]), lambda case: True)


# -- random expression graphs ---------------------------------------------------------------


@settings(max_examples=100)
@given(expression_graphs())
def test_backprop_matches_central_differences_tightly(graph):
    # the documented promise: eps = 1e-6 differences within 1e-6 * max(1, |estimate|)
    leaves = graph.leaves()
    analytic = gradients(graph.build(leaves), leaves)
    numerical = numerical_grad(graph, *graph.inputs, eps=1e-6)
    for a, n in zip(analytic, numerical):
        assert abs(a - n) <= 1e-6 * max(1.0, abs(n))


@settings(max_examples=100)
@given(expression_graphs())
def test_every_op_stays_smooth_and_every_node_bounded(graph):
    out = graph.build()
    for node in topological_order(out):
        assert abs(node.data) <= 50.0
        if node.op is None:
            continue
        name = engine_op_name(node)
        operands = [p.data for p in node.parents]
        if name in SMOOTH:
            assert SMOOTH[name](operands[0]), (name, operands)
        if name in ("maximum", "minimum", "greater_equal"):
            assert abs(operands[0] - operands[1]) >= 0.1
        if name == "pow":
            assert operands[0] >= 0.05
        if name == "power" and node.op.name in ("**-1", "**-2", "**0.5", "**-0.5", "**1.5"):
            assert abs(operands[0]) >= 0.05


@settings(max_examples=60)
@given(expression_graphs())
def test_floats_and_values_run_the_same_graph(graph):
    leaves = graph.leaves()
    out = graph.build(leaves)
    # floats divide directly, Values multiply by a reciprocal: equal up to rounding
    assert out.data == pytest.approx(graph(*graph.inputs), rel=1e-14, abs=1e-300)
    assert graph(*graph.inputs) == graph.evaluate()
    assert [leaf.label for leaf in leaves] == list(graph.names)
    assert all(0 <= i < len(graph.inputs) + len(graph.steps) for i in graph.reused)
    assert out.label == f"n{len(graph.inputs) + len(graph.steps) - 1}"
    assert all(-2.0 <= x <= 2.0 for x in graph.inputs)


@settings(max_examples=40)
@given(expression_graphs(min_inputs=2, max_inputs=2, min_ops=3, max_ops=3, ops=["mul", "exp"]))
def test_size_and_op_limits_are_kept(graph):
    assert len(graph.inputs) == 2
    op_steps = [s for s in graph.steps if s.op != "sum"]
    assert len(op_steps) == 3
    assert graph.ops <= {"mul", "exp", "sum"}


def test_default_graphs_use_every_op_and_share_nodes():
    seen: set[str] = set()
    sharing: list[ExpressionGraph] = []

    @settings(max_examples=200)
    @given(expression_graphs(max_ops=8))
    def collect(graph):
        seen.update(graph.ops)
        if any(i >= len(graph.inputs) for i in graph.reused):  # an op node used twice
            sharing.append(graph)

    collect()
    assert seen == set(OP_NAMES)
    assert len(sharing) >= 20
    # the shared node really has several children in the built graph
    graph = sharing[0]
    shared = next(i for i in sorted(graph.reused) if i >= len(graph.inputs))
    order = topological_order(graph.build())
    node = next(n for n in order if n.label == f"n{shared}")
    assert sum(any(p is node for p in n.parents) for n in order) >= 2


def test_a_graph_written_by_hand():
    graph = ExpressionGraph(
        (0.5, -1.0),
        (
            Step("mul", (0, 1), (None, None)),
            Step("log", (2,), ((-1.0, 1.0),)),  # log(1 - x0 x1)
            Step("maximum", (3, 0), (None, (1.0, 0.25))),  # max(n3, x0 + 0.25)
        ),
    )
    x0, x1 = graph.inputs
    assert graph.evaluate() == max(math.log(1 - x0 * x1), x0 + 0.25)
    assert graph.names == ("x0", "x1")
    assert graph.reused == frozenset({0})
    assert "n3 = log(-1.0*n2 + 1.0)" in str(graph)
    with pytest.raises(TypeError, match="takes 2 input"):
        graph(1.0)


def test_signature_names_the_inputs_for_reports():
    graph = ExpressionGraph((0.5, 0.25), (Step("mul", (0, 1), (None, None)),))
    report = autograd.gradcheck(graph, *graph.inputs)
    assert [e.name for e in report.entries] == ["d/dx0 (input 0)", "d/dx1 (input 1)"]


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="min_inputs"):
        find(expression_graphs(min_inputs=0), lambda g: True)
    with pytest.raises(ValueError, match="min_ops"):
        find(expression_graphs(min_ops=5, max_ops=2), lambda g: True)


def test_import_without_hypothesis_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "autograd.testing")
    with pytest.raises(ImportError, match=r"scalar-autograd\[test\]"):
        importlib.import_module("autograd.testing")
