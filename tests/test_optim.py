"""Optimizers, schedules and EMA: each step equals the update worked out by hand."""

from __future__ import annotations

import math

import pytest

from autograd import Value, optim

# A small problem with a closed-form gradient: f(w) = sum_i c_i (w_i - target_i)^2,
# df/dw_i = 2 c_i (w_i - target_i).
C = [1.0, 3.0, 0.5]
TARGET = [2.0, -1.0, 0.25]
START = [0.5, 0.5, -2.0]


def _loss(ws: list[Value]) -> Value:
    total = Value(0.0)
    for w, c, t in zip(ws, C, TARGET):
        total = total + c * (w - t) * (w - t)
    return total


def _gradient(ws: list[float]) -> list[float]:
    return [2 * c * (w - t) for w, c, t in zip(ws, C, TARGET)]


def _run(optimizer_factory, steps: int) -> list[list[float]]:
    ws = [Value(x) for x in START]
    opt = optimizer_factory(ws)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(ws).backward()
        opt.step()
        trajectory.append([w.data for w in ws])
    return trajectory


class TestSGD:
    def test_plain_steps_are_w_minus_lr_grad(self):
        got = _run(lambda ws: optim.SGD(ws, lr=0.1), 3)
        w = list(START)
        for step in got:
            w = [wi - 0.1 * gi for wi, gi in zip(w, _gradient(w))]
            assert step == pytest.approx(w, abs=1e-14)

    def test_momentum_and_weight_decay(self):
        lr, mu, wd = 0.05, 0.9, 0.01
        got = _run(lambda ws: optim.SGD(ws, lr=lr, momentum=mu, weight_decay=wd), 4)
        w, v = list(START), [0.0] * 3
        for step in got:
            g = [gi + wd * wi for gi, wi in zip(_gradient(w), w)]
            v = [mu * vi + gi for vi, gi in zip(v, g)]
            w = [wi - lr * vi for wi, vi in zip(w, v)]
            assert step == pytest.approx(w, abs=1e-14)

    def test_zero_grad_clears(self):
        ws = [Value(1.0)]
        opt = optim.SGD(ws, lr=0.1)
        (ws[0] * 3).backward()
        opt.zero_grad()
        assert ws[0].grad == 0.0

    def test_gradient_held_as_a_value_is_used(self):
        w = Value(2.0)
        (w * w).backward(create_graph=True)  # grad is a Value 4.0
        optim.SGD([w], lr=0.5).step()
        assert w.data == 0.0

    def test_bad_settings(self):
        with pytest.raises(ValueError, match="lr must be a number >= 0"):
            optim.SGD([Value(0.0)], lr=-1)
        with pytest.raises(ValueError, match="momentum must be below 1"):
            optim.SGD([Value(0.0)], lr=0.1, momentum=1.0)
        with pytest.raises(ValueError, match="no parameters"):
            optim.SGD([], lr=0.1)
        with pytest.raises(TypeError, match=r"params\[0\] is not a Value"):
            optim.SGD([1.0], lr=0.1)


class TestAdam:
    def test_steps_follow_the_bias_corrected_formula(self):
        lr, b1, b2, eps = 0.1, 0.8, 0.95, 1e-8
        got = _run(lambda ws: optim.Adam(ws, lr=lr, betas=(b1, b2), eps=eps), 4)
        w, m, v = list(START), [0.0] * 3, [0.0] * 3
        for t, step in enumerate(got, start=1):
            g = _gradient(w)
            m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g)]
            v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g)]
            m_hat = [mi / (1 - b1**t) for mi in m]
            v_hat = [vi / (1 - b2**t) for vi in v]
            w = [wi - lr * mh / (math.sqrt(vh) + eps) for wi, mh, vh in zip(w, m_hat, v_hat)]
            assert step == pytest.approx(w, abs=1e-12)

    def test_first_step_moves_each_weight_by_lr_against_its_gradient(self):
        got = _run(lambda ws: optim.Adam(ws, lr=0.01), 1)[0]
        signs = [math.copysign(1.0, g) for g in _gradient(START)]
        assert got == pytest.approx([w - 0.01 * s for w, s in zip(START, signs)], abs=1e-9)

    def test_weight_decay_adds_to_the_gradient(self):
        w = Value(3.0)
        opt = optim.Adam([w], lr=0.1, weight_decay=0.5)
        w.grad = 0.0
        opt.step()  # g = 0.5 * 3 > 0, so w moves down by lr
        assert w.data == pytest.approx(2.9)

    def test_converges_on_the_quadratic(self):
        final = _run(lambda ws: optim.Adam(ws, lr=0.05), 400)[-1]
        assert final == pytest.approx(TARGET, abs=1e-3)


class TestSchedules:
    def test_step_decay(self):
        opt = optim.SGD([Value(0.0)], lr=0.8)
        schedule = optim.StepDecay(opt, step_size=3, gamma=0.5)
        rates = []
        for _ in range(7):
            schedule.step()
            rates.append(opt.lr)
        assert rates == [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]

    def test_cosine_decay(self):
        opt = optim.Adam([Value(0.0)], lr=1.0)
        schedule = optim.CosineDecay(opt, total=4, min_lr=0.2)
        rates = []
        for _ in range(5):
            schedule.step()
            rates.append(opt.lr)
        expected = [0.2 + 0.8 * (1 + math.cos(math.pi * s / 4)) / 2 for s in (1, 2, 3)]
        assert rates == pytest.approx([*expected, 0.2, 0.2])


class TestEMA:
    def test_matches_the_seeds_formula_with_bias_correction(self):
        beta = 0.9
        w = Value(0.0)
        ema = optim.EMA([w], decay=beta)
        thetas = [1.0, 2.0, 4.0, -1.0, 0.5]
        v = 0.0
        for t, theta in enumerate(thetas, start=1):
            w.data = theta
            ema.update()
            v = beta * v + (1 - beta) * theta        # v_t = b v_(t-1) + (1 - b) theta_t
            assert ema.averages() == pytest.approx([v / (1 - beta**t)], abs=1e-15)

    def test_a_constant_weight_averages_to_itself(self):
        w = Value(3.0)
        ema = optim.EMA([w], decay=0.999)
        ema.update()  # without the correction this would be 0.003
        assert ema.averages() == pytest.approx([3.0])

    def test_apply_swaps_in_and_restores_even_on_error(self):
        ws = [Value(1.0), Value(2.0)]
        ema = optim.EMA(ws, decay=0.5)
        ema.update()
        ws[0].data, ws[1].data = 3.0, 6.0
        ema.update()
        averaged = ema.averages()
        with pytest.raises(RuntimeError, match="inside"), ema.apply():
            assert [w.data for w in ws] == averaged
            raise RuntimeError("inside")
        assert [w.data for w in ws] == [3.0, 6.0]

    def test_needs_an_update_first(self):
        ema = optim.EMA([Value(1.0)], decay=0.9)
        with pytest.raises(RuntimeError, match="no update"):
            ema.averages()

    def test_decay_must_be_below_one(self):
        with pytest.raises(ValueError, match="decay must be in"):
            optim.EMA([Value(1.0)], decay=1.0)
