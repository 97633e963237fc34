"""Losses: values and gradients against the seeds' worked example, closed forms and differences."""

from __future__ import annotations

import math
import random

import pytest
from support import require

from autograd import Value, losses

# The seeds' SoftmaxWithLoss example (article 000).
LOGITS = [[1.0, 2.0, 0.5], [0.0, 1.0, 1.0]]
ONE_HOT = [[1, 0, 0], [0, 1, 0]]
SEED_SOFTMAX = [[0.2312239, 0.62853172, 0.14024438], [0.1553624, 0.4223188, 0.4223188]]
SEED_LOSS = 1.1631814594485623  # printed with 1e-7 added inside the log
EXACT_LOSS = 1.1631817940830982
SEED_GRADIENT = [[-0.38438805, 0.31426586, 0.07012219], [0.0776812, -0.2888406, 0.2111594]]


def _rows_of_values(rows: list[list[float]]) -> list[list[Value]]:
    return [[Value(x) for x in row] for row in rows]


def _exact_cross_entropy(rows: list[list[float]], classes: list[int]) -> float:
    # -log(e^{z_k} / sum_j e^{z_j}) averaged over rows, straight from the definition
    total = 0.0
    for row, k in zip(rows, classes):
        total += -math.log(math.exp(row[k]) / sum(math.exp(z) for z in row))
    return total / len(rows)


def _central_difference(f, xs: list[float], i: int, h: float = 1e-6) -> float:
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


class TestSeedsWorkedExample:
    def test_softmax_matches_the_printed_probabilities(self):
        for row, printed in zip(LOGITS, SEED_SOFTMAX):
            assert losses.softmax(row) == pytest.approx(printed, abs=1e-8)

    def test_loss_matches_the_printed_value(self):
        loss = losses.cross_entropy(_rows_of_values(LOGITS), ONE_HOT)
        assert loss.data == pytest.approx(SEED_LOSS, abs=1e-6)
        assert loss.data == pytest.approx(EXACT_LOSS, abs=1e-12)
        assert loss.data == pytest.approx(_exact_cross_entropy(LOGITS, [0, 1]), abs=1e-12)

    def test_gradient_is_y_minus_t_over_batch_as_printed(self):
        logits = _rows_of_values(LOGITS)
        losses.cross_entropy(logits, ONE_HOT).backward()
        got = [[z.grad for z in row] for row in logits]
        for got_row, printed in zip(got, SEED_GRADIENT):
            assert got_row == pytest.approx(printed, abs=1e-6)

    def test_class_indices_give_the_same_loss_and_gradient_as_one_hot_rows(self):
        by_index, by_row = _rows_of_values(LOGITS), _rows_of_values(LOGITS)
        a = losses.cross_entropy(by_index, [0, 1])
        b = losses.cross_entropy(by_row, ONE_HOT)
        a.backward()
        b.backward()
        assert a.data == pytest.approx(b.data, abs=1e-15)
        for ra, rb in zip(by_index, by_row):
            assert [z.grad for z in ra] == pytest.approx([z.grad for z in rb], abs=1e-15)


class TestCrossEntropy:
    def test_stable_for_huge_logits(self):
        logits = [[Value(1000.0), Value(-1000.0), Value(999.0)]]
        loss = losses.cross_entropy(logits, [2])
        # -log softmax = log(1 + e^1 + e^-1999) exactly enough
        assert loss.data == pytest.approx(math.log(1 + math.e), abs=1e-12)
        loss.backward()
        p = 1 / (1 + math.e)
        assert logits[0][2].grad == pytest.approx(p - 1, abs=1e-12)

    def test_gradient_matches_central_differences(self):
        rng = random.Random(5)
        flat = [rng.uniform(-3, 3) for _ in range(8)]
        classes = [3, 0]

        def f(xs):
            return losses.cross_entropy([xs[:4], xs[4:]], classes)

        values = [Value(x) for x in flat]
        loss = losses.cross_entropy([values[:4], values[4:]], classes)
        loss.backward()
        for i, v in enumerate(values):
            assert v.grad == pytest.approx(_central_difference(f, flat, i), abs=1e-7)

    def test_soft_targets(self):
        logits = [[Value(0.3), Value(-0.2)]]
        loss = losses.cross_entropy(logits, [[0.25, 0.75]])
        p = losses.softmax([0.3, -0.2])
        assert loss.data == pytest.approx(-(0.25 * math.log(p[0]) + 0.75 * math.log(p[1])))

    def test_second_derivative_through_logsumexp(self):
        z = Value(0.4)
        loss = losses.cross_entropy([[z, Value(0.0)]], [1])
        loss.backward(create_graph=True)
        s = 1 / (1 + math.exp(-0.4))
        assert z.grad.data == pytest.approx(s)
        dz = z.grad
        z.grad = 0.0
        dz.backward()
        assert z.grad == pytest.approx(s * (1 - s))  # d softmax_0 / dz_0

    def test_bad_targets_are_named(self):
        with pytest.raises(ValueError, match=r"targets\[1\] = 3"):
            losses.cross_entropy([[1.0, 2.0], [1.0, 2.0]], [0, 3])
        with pytest.raises(ValueError, match="2 rows of logits but 1 targets"):
            losses.cross_entropy([[1.0, 2.0], [1.0, 2.0]], [0])
        with pytest.raises(TypeError, match="one row per example"):
            losses.cross_entropy([1.0, 2.0], [0, 1])
        with pytest.raises(ValueError, match=r"targets\[0\] has 3 entries"):
            losses.cross_entropy([[1.0, 2.0]], [[1, 0, 0]])


class TestBinaryCrossEntropy:
    def test_matches_the_definition(self):
        zs, ts = [0.7, -1.3, 2.0], [1, 0, 1]
        loss = losses.binary_cross_entropy([Value(z) for z in zs], ts)
        expected = 0.0
        for z, t in zip(zs, ts):
            s = 1 / (1 + math.exp(-z))
            expected += -(t * math.log(s) + (1 - t) * math.log(1 - s))
        assert loss.data == pytest.approx(expected / 3, abs=1e-12)

    def test_gradient_is_sigmoid_minus_target_over_batch(self):
        values = [Value(0.7), Value(-1.3)]
        losses.binary_cross_entropy([[values[0]], [values[1]]], [1, 0]).backward()
        assert values[0].grad == pytest.approx((1 / (1 + math.exp(-0.7)) - 1) / 2)
        assert values[1].grad == pytest.approx((1 / (1 + math.exp(1.3))) / 2)

    def test_stable_for_confidently_wrong_logits(self):
        loss = losses.binary_cross_entropy([Value(-800.0), Value(800.0)], [1, 0])
        assert loss.data == pytest.approx(800.0)

    def test_target_outside_zero_one_is_rejected(self):
        with pytest.raises(ValueError, match=r"targets\[0\] = 2.0"):
            losses.binary_cross_entropy([0.0], [2])


class TestHingeMseL2:
    def test_hinge_values_and_gradient(self):
        scores = [Value(2.0), Value(0.5), Value(-0.5), Value(-3.0)]
        loss = losses.hinge(scores, [1, 1, -1, 0])
        # margins y*s: 2, 0.5, 0.5, 3 -> relu(1 - m): 0, 0.5, 0.5, 0
        assert loss.data == pytest.approx(1.0 / 4)
        loss.backward()
        assert [s.grad for s in scores] == pytest.approx([0.0, -0.25, 0.25, 0.0])

    def test_hinge_rejects_other_labels(self):
        with pytest.raises(ValueError, match=r"labels\[0\]"):
            losses.hinge([1.0], [2])

    def test_mse_is_the_mean_of_squares_with_gradient_two_error_over_n(self):
        preds = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
        targets = [[0.0, 2.5], [1.0, 0.5]]
        loss = losses.mse(preds, targets)
        assert loss.data == pytest.approx((1 + 0.25 + 4 + 0) / 4)
        loss.backward()
        flat = [v.grad for row in preds for v in row]
        assert flat == pytest.approx([2 * 1 / 4, 2 * -0.5 / 4, 2 * -2 / 4, 0.0])

    def test_mse_length_mismatch(self):
        with pytest.raises(ValueError, match="2 predictions but 1 targets"):
            losses.mse([1.0, 2.0], [1.0])

    def test_l2_penalty(self):
        ps = [Value(3.0), Value(-4.0)]
        pen = losses.l2_penalty(ps, 0.1)
        assert pen.data == pytest.approx(2.5)
        pen.backward()
        assert [p.grad for p in ps] == pytest.approx([0.6, -0.8])


class TestNumpyNumbers:
    def test_numpy_class_index_and_one_hot_row_equal_the_plain_ones(self):
        np = require("numpy", "fast")
        expected = _exact_cross_entropy([[1.0, 2.0]], [1])
        assert losses.cross_entropy([[1.0, 2.0]], [np.int64(1)]) == pytest.approx(expected)
        by_row = losses.cross_entropy([[1.0, 2.0]], [np.array([0.0, 1.0])])
        assert by_row == pytest.approx(expected)
        assert losses.cross_entropy(np.array([[1.0, 2.0]]), [1]) == pytest.approx(expected)

    def test_numpy_targets_in_mse_binary_cross_entropy_and_hinge(self):
        np = require("numpy", "fast")
        p = [Value(3.0)]
        loss = losses.mse(p, [np.float32(1.0)])
        assert loss.data == 4.0  # (3 - 1)^2
        loss.backward()
        assert p[0].grad == 4.0  # 2 (p - t)
        bce = losses.binary_cross_entropy([0.0], [np.float64(1.0)])
        assert bce == pytest.approx(math.log(2.0))
        assert losses.hinge([np.float32(0.5)], [np.int64(1)]) == pytest.approx(0.5)

    def test_a_bool_is_not_a_class_index(self):
        with pytest.raises(TypeError, match=r"targets\[0\] must be a class index"):
            losses.cross_entropy([[1.0, 2.0]], [True])

    def test_a_target_that_is_not_a_number_is_named(self):
        with pytest.raises(TypeError, match=r"binary_cross_entropy: targets\[1\]"):
            losses.binary_cross_entropy([0.0, 1.0], [1, None])
        with pytest.raises(TypeError, match=r"hinge: labels\[0\]"):
            losses.hinge([0.5], ["1"])
        with pytest.raises(TypeError, match=r"targets\[0\] must hold numbers"):
            losses.cross_entropy([[1.0, 2.0]], [[None, 1.0]])
