"""The worked examples of the source articles, rebuilt from Values (see SEEDS.md)."""

from __future__ import annotations

import math

import pytest

import autograd as ag
from autograd import Value


def test_chain_rule_on_z_equals_t_squared():
    # z = t^2, t = x + y  =>  dz/dx = dz/dy = 2 (x + y)
    x, y = Value(1.5, "x"), Value(-4.0, "y")
    t = x + y
    z = t**2
    z.backward()
    assert x.grad == y.grad == 2 * (1.5 - 4.0)


def test_add_and_multiply_gates():
    x1, x2, x3 = Value(100.0, "x1"), Value(2.0, "x2"), Value(300.0, "x3")
    y = x1 * x2 + x3
    y.backward()
    assert y.data == 500.0
    # the multiply gate swaps its inputs, the add gate passes the gradient through
    assert (x1.grad, x2.grad, x3.grad) == (2.0, 100.0, 1.0)


def test_gates_elementwise_over_arrays():
    x1s, x2s, x3s = [100.0, 101.0, 102.0], [2.0, 3.0, 4.0], [300.0, 301.0, 302.0]
    results = []
    for a, b, c in zip(x1s, x2s, x3s):
        x1, x2, x3 = Value(a), Value(b), Value(c)
        y = x1 * x2 + x3
        y.backward()
        results.append((y.data, x1.grad, x2.grad, x3.grad))
    assert [r[0] for r in results] == [500.0, 604.0, 710.0]
    assert [r[1] for r in results] == x2s
    assert [r[2] for r in results] == x1s
    assert [r[3] for r in results] == [1.0, 1.0, 1.0]


def softmax_with_loss(logits: list[list[Value]], one_hot: list[list[float]]):
    """Softmax (shifted by the row max) then mean cross-entropy, from Values only."""
    rows = []
    losses = []
    for row, target in zip(logits, one_hot):
        top = max(v.data for v in row)
        exps = [ag.exp(v - top) for v in row]
        total = ag.sum_values(exps)
        probs = [e / total for e in exps]
        rows.append(probs)
        losses.append(-ag.sum_values([t * ag.log(p) for t, p in zip(target, probs) if t]))
    return rows, ag.sum_values(losses) / len(logits)


SEED_LOGITS = [[1.0, 2.0, 0.5], [0.0, 1.0, 1.0]]
SEED_TARGETS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
SEED_SOFTMAX = [[0.2312239, 0.62853172, 0.14024438], [0.1553624, 0.4223188, 0.4223188]]
SEED_LOSS_PRINTED = 1.1631814594485623  # with the article's 1e-7 inside the log
SEED_LOSS_EXACT = 1.1631817940830982
SEED_GRADIENT = [[-0.38438805, 0.31426586, 0.07012219], [0.0776812, -0.2888406, 0.2111594]]


def test_softmax_with_loss_worked_example():
    logits = [[Value(a) for a in row] for row in SEED_LOGITS]
    probs, loss = softmax_with_loss(logits, SEED_TARGETS)
    for got_row, want_row in zip(probs, SEED_SOFTMAX):
        for got, want in zip(got_row, want_row):
            assert got.data == pytest.approx(want, abs=1e-6)
    assert loss.data == pytest.approx(SEED_LOSS_EXACT, abs=1e-12)
    assert loss.data == pytest.approx(SEED_LOSS_PRINTED, abs=1e-6)
    loss.backward()
    batch = len(logits)
    for row, prob_row, target_row, want_row in zip(logits, probs, SEED_TARGETS, SEED_GRADIENT):
        for v, p, t, want in zip(row, prob_row, target_row, want_row):
            assert v.grad == pytest.approx(want, abs=1e-6)
            assert v.grad == pytest.approx((p.data - t) / batch, abs=1e-12)  # (y - t) / batch


def test_one_neuron_chain_without_bias():
    # y_hat = w2 (w1 x), L = 1/2 (y - y_hat)^2
    x, y = 1.5, 2.0
    w1, w2 = Value(0.8, "w1"), Value(-0.3, "w2")
    y_hat = w2 * (w1 * x)
    loss = 0.5 * (y - y_hat) ** 2
    loss.backward()
    residual = y - y_hat.data
    assert w2.grad == pytest.approx(-residual * w1.data * x, rel=1e-14)
    assert w1.grad == pytest.approx(-residual * w2.data * x, rel=1e-14)


def test_sigmoid_derivative_identity():
    for x in (-3.0, 0.0, 0.4, 5.0):
        v = Value(x)
        s = ag.sigmoid(v)
        s.backward()
        assert v.grad == pytest.approx(s.data * (1 - s.data), rel=1e-14)
        assert s.data == pytest.approx(1 / (1 + math.exp(-x)), rel=1e-14)
