"""Graph shapes: reuse, diamonds, constants, repeated passes, deep chains."""

from __future__ import annotations

import gc
import math
import sys

import pytest

import autograd as ag
from autograd import Value


def test_a_node_used_twice_gets_both_paths():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0  # d(a^2)/da = 2a
    b = Value(3.0)
    (b + b).backward()
    assert b.grad == 2.0


def test_parents_are_ordered_and_keep_both_edges():
    a = Value(3.0)
    y = a * a
    assert y.parents == (a, a)


def test_diamond_sums_every_path():
    x = Value(0.5, "x")
    left = ag.sin(x)
    right = ag.exp(x)
    y = left * right  # d/dx [sin x e^x] = e^x (sin x + cos x)
    y.backward()
    assert math.isclose(x.grad, math.exp(0.5) * (math.sin(0.5) + math.cos(0.5)), rel_tol=1e-14)


def test_nested_diamonds():
    x = Value(1.3)
    a = x * x  # x^2
    b = a + a  # 2 x^2
    c = b * a  # 2 x^4
    d = c + b + a  # 2x^4 + 3x^2
    d.backward()
    assert math.isclose(x.grad, 8 * 1.3**3 + 6 * 1.3, rel_tol=1e-14)


def test_constants_on_either_side_are_leaves_without_labels():
    x = Value(2.0, "x")
    y = 3 * x + x * 4 - 1 / x + 2 - x / 5
    y.backward()
    assert math.isclose(y.data, 6 + 8 - 0.5 + 2 - 0.4)
    assert math.isclose(x.grad, 3 + 4 + 1 / 4 - 1 / 5)
    constants = [v for v in ag.topological_order(y) if v.is_leaf and v is not x]
    assert constants and all(c.label is None for c in constants)


def test_topological_order_puts_parents_first():
    x = Value(1.0)
    nodes = [x]
    for i in range(50):
        nodes.append(nodes[-1] * nodes[i // 2] + 1.0)
    order = ag.topological_order(nodes[-1])
    position = {id(v): i for i, v in enumerate(order)}
    assert len(position) == len(order)
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]
    assert order[-1] is nodes[-1]


def test_repeated_backward_accumulates_on_leaves_only():
    x = Value(2.0)
    h = x * x  # an inner node
    y = h * 3.0
    y.backward()
    y.backward()
    assert x.grad == 2 * 12.0  # twice dy/dx = 2 * 6x
    assert h.grad == 3.0  # inner nodes hold the latest pass, not a sum
    y.zero_grad()
    assert x.grad == 0.0 and h.grad == 0.0 and y.grad == 0.0


def test_two_outputs_sharing_an_inner_node_accumulate_on_leaves():
    x = Value(2.0)
    shared = x * x
    (shared * 2.0).backward()
    (shared + 5.0).backward()
    assert x.grad == 2 * 2.0 * 2.0 + 2 * 2.0  # 2*2x + 2x


def test_backward_with_a_seed_gradient():
    x = Value(2.0)
    (x * x).backward(0.5)
    assert x.grad == 2.0


def test_backward_on_a_leaf():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0


@pytest.mark.slow
def test_a_chain_of_a_million_nodes_backpropagates_without_recursion():
    depth = 1_000_000
    x = Value(0.5)
    v = x
    for _ in range(depth // 2):
        v = v * 1.000001
        v = v + 0.0001
    assert depth > sys.getrecursionlimit() * 100
    v.backward()
    assert math.isclose(x.grad, 1.000001 ** (depth // 2), rel_tol=1e-9)
    del v
    gc.collect()  # freeing the chain must not overflow the C stack either
