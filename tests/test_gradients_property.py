"""Property tests: backprop on random expression DAGs equals central finite differences."""

from __future__ import annotations

import math

from hypothesis import given, settings

from autograd import Value, gradients
from autograd.testing import OP_NAMES, ExpressionGraph, expression_graphs

EPS = 1e-6


def central_differences(f, point: tuple[float, ...]) -> list[float]:
    """(f(x + h e_i) - f(x - h e_i)) / 2h for each input i."""
    result = []
    for i in range(len(point)):
        up = list(point)
        down = list(point)
        up[i] += EPS
        down[i] -= EPS
        result.append((f(*up) - f(*down)) / (2 * EPS))
    return result


def assert_close(got: float, want: float, rel: float, absolute: float) -> None:
    assert math.isfinite(got), got
    assert abs(got - want) <= absolute + rel * abs(want), (got, want)


@settings(max_examples=150)
@given(expression_graphs(min_inputs=1, max_inputs=3, min_ops=2, max_ops=12))
def test_first_derivatives_match_central_differences(graph: ExpressionGraph):
    leaves = graph.leaves()
    out = graph.build(leaves)
    out.backward()
    numerical = central_differences(graph.evaluate, graph.inputs)
    for leaf, want in zip(leaves, numerical):
        assert_close(leaf.grad, want, rel=1e-6, absolute=1e-6)


@settings(max_examples=60)
@given(expression_graphs(min_inputs=1, max_inputs=2, min_ops=2, max_ops=8))
def test_second_derivatives_match_differences_of_first_derivatives(graph: ExpressionGraph):
    n = len(graph.inputs)

    def first_derivatives(*point: float) -> list[float]:
        leaves = [Value(x) for x in point]
        return gradients(graph(*leaves), leaves)

    leaves = graph.leaves()
    first = gradients(graph.build(leaves), leaves, create_graph=True)
    for i in range(n):
        row = gradients(first[i], leaves)
        numerical = central_differences(lambda *p, i=i: first_derivatives(*p)[i], graph.inputs)
        for got, want in zip(row, numerical):
            assert_close(got, want, rel=1e-5, absolute=1e-5)


@settings(max_examples=40)
@given(expression_graphs(min_ops=6, max_ops=14))
def test_values_and_floats_give_the_same_forward_result(graph: ExpressionGraph):
    # the same function run on floats and on Values must agree to the last bit
    assert graph.build().data == graph.evaluate()


def test_the_strategy_covers_every_op_and_reuse():
    seen: set[str] = set()
    reused = []

    @settings(max_examples=400, database=None)
    @given(expression_graphs(min_ops=4, max_ops=12))
    def collect(graph: ExpressionGraph) -> None:
        seen.update(graph.ops)
        if graph.reused:
            reused.append(graph)

    collect()
    assert set(OP_NAMES) <= seen, sorted(set(OP_NAMES) - seen)
    assert len(reused) > 50
