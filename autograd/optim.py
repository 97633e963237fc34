"""Optimizers (SGD, Adam), learning-rate schedules, and a moving average of the weights.

The loop is the PyTorch one: ``opt.zero_grad(); loss.backward(); opt.step()``. Optimizers
read each parameter's `.grad` and change its `.data` in place.

>>> from autograd import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> for _ in range(100):
...     opt.zero_grad(); loss = (w - 1.0) * (w - 1.0); loss.backward(); opt.step()
>>> round(w.data, 6)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from autograd.engine import Value

__all__ = ["EMA", "SGD", "Adam", "CosineDecay", "Optimizer", "StepDecay"]


def _grad(p: Value) -> float:
    g = p.grad
    return g.data if isinstance(g, Value) else float(g)


def _parameter_list(params: Iterable[Value], where: str) -> list[Value]:
    params = list(params)
    if not params:
        raise ValueError(f"{where}: no parameters given")
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] is not a Value: {p!r}")
    return params


def _check_rate(value: Any, name: str, where: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0.0:
        raise ValueError(f"{where}: {name} must be a number >= 0, got {value!r}")
    if upper is not None and not value < upper:
        raise ValueError(f"{where}: {name} must be below {upper}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: holds the parameters and the learning rate `lr` (schedules change it).

    >>> from autograd import Value
    >>> opt = SGD([Value(1.0)], lr=0.5); opt.lr = 0.25; opt.lr
    0.25
    """

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        where = type(self).__name__
        self.params = _parameter_list(params, where)
        self.lr = _check_rate(lr, "lr", where)

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0.0 (gradients accumulate otherwise)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its `.grad`."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay.

    g = grad + weight_decay * p;  v = momentum * v + g;  p = p - lr * v
    (with momentum 0 this is the seeds' update W = W - alpha dW).

    >>> from autograd import Value
    >>> w = Value(1.0); opt = SGD([w], lr=0.1, momentum=0.9)
    >>> w.grad = 2.0; opt.step(); w.data          # v = 2
    0.8
    >>> w.grad = 2.0; opt.step(); round(w.data, 10)  # v = 0.9 * 2 + 2 = 3.8
    0.42
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check_rate(momentum, "momentum", "SGD", upper=1.0)
        self.weight_decay = _check_rate(weight_decay, "weight_decay", "SGD")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """p = p - lr * v, with v the momentum-averaged, decayed gradient."""
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        velocity = self.velocity
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd:
                g += wd * p.data  # d/dp (wd/2 p^2) = wd p
            if mu:
                g = velocity[i] = mu * velocity[i] + g
            p.data -= lr * g


class Adam(Optimizer):
    """Adam: moving averages of the gradient and its square, with bias correction.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  m^ = m / (1 - b1^t);
    v^ = v / (1 - b2^t);  p = p - lr m^ / (sqrt(v^) + eps). `weight_decay` adds
    weight_decay * p to g first (an L2 penalty).

    >>> from autograd import Value
    >>> w = Value(1.0); opt = Adam([w], lr=0.1)
    >>> w.grad = 5.0; opt.step(); round(w.data, 6)    # the first step moves by about lr
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check_rate(betas[0], "betas[0]", "Adam", upper=1.0),
                      _check_rate(betas[1], "betas[1]", "Adam", upper=1.0))
        self.eps = _check_rate(eps, "eps", "Adam")
        self.weight_decay = _check_rate(weight_decay, "weight_decay", "Adam")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter."""
        self.t += 1
        b1, b2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        correction1 = 1.0 - b1 ** self.t
        correction2 = 1.0 - b2 ** self.t
        m, v = self.m, self.v
        sqrt = math.sqrt
        for i, p in enumerate(self.params):
            g = _grad(p)
            if wd:
                g += wd * p.data
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (m[i] / correction1) / (sqrt(v[i] / correction2) + eps)


# ----------------------------------------------------------------------------------------------
# Learning-rate schedules: call step() once per epoch (or per batch) after the optimizer's.
# ----------------------------------------------------------------------------------------------


class StepDecay:
    """Multiply the learning rate by `gamma` every `step_size` schedule steps.

    >>> from autograd import Value
    >>> opt = SGD([Value(0.0)], lr=1.0); sched = StepDecay(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for _ in range(5):
    ...     sched.step(); rates.append(opt.lr)
    >>> rates
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepDecay: step_size must be a positive integer, got {step_size!r}")
        self.optimizer = optimizer
        self.step_size = step_size
        self.gamma = _check_rate(gamma, "gamma", "StepDecay")
        self.base_lr = optimizer.lr
        self.steps = 0

    def lr_at(self, steps: int) -> float:
        """The learning rate after `steps` schedule steps: base * gamma^(steps // step_size)."""
        return self.base_lr * self.gamma ** (steps // self.step_size)

    def step(self) -> None:
        """Advance one step and set the optimizer's learning rate."""
        self.steps += 1
        self.optimizer.lr = self.lr_at(self.steps)


class CosineDecay:
    """Lower the learning rate from its start to `min_lr` along half a cosine in `total` steps.

    lr(s) = min_lr + (base - min_lr) (1 + cos(pi s / total)) / 2, and min_lr after `total`.

    >>> from autograd import Value
    >>> opt = SGD([Value(0.0)], lr=1.0); sched = CosineDecay(opt, total=2)
    >>> sched.step(); opt.lr
    0.5
    >>> sched.step(); opt.lr
    0.0
    """

    def __init__(self, optimizer: Optimizer, total: int, min_lr: float = 0.0) -> None:
        if isinstance(total, bool) or not isinstance(total, int) or total < 1:
            raise ValueError(f"CosineDecay: total must be a positive integer, got {total!r}")
        self.optimizer = optimizer
        self.total = total
        self.min_lr = _check_rate(min_lr, "min_lr", "CosineDecay")
        self.base_lr = optimizer.lr
        self.steps = 0

    def lr_at(self, steps: int) -> float:
        """The learning rate after `steps` schedule steps."""
        if steps >= self.total:
            return self.min_lr
        return self.min_lr + (self.base_lr - self.min_lr) * 0.5 * (
            1.0 + math.cos(math.pi * steps / self.total))

    def step(self) -> None:
        """Advance one step and set the optimizer's learning rate."""
        self.steps += 1
        self.optimizer.lr = self.lr_at(self.steps)


# ----------------------------------------------------------------------------------------------
# Moving average of the weights
# ----------------------------------------------------------------------------------------------


class EMA:
    """Exponential moving average of parameters, with bias correction (the seeds' formula).

    After the t-th `update()`: v_t = decay * v_(t-1) + (1 - decay) * theta_t with v_0 = 0,
    and the averaged weights are v_t / (1 - decay^t). It averages roughly the last
    1 / (1 - decay) values. `apply()` swaps the averaged weights in for evaluation and
    puts the live ones back afterwards.

    >>> from autograd import Value
    >>> w = Value(1.0); ema = EMA([w], decay=0.5)
    >>> ema.update(); w.data = 3.0; ema.update()
    >>> ema.averages()          # (0.25 * 1 + 0.5 * 3) / (1 - 0.25)
    [2.3333333333333335]
    >>> with ema.apply():
    ...     round(w.data, 4)
    2.3333
    >>> w.data
    3.0
    """

    def __init__(self, params: Iterable[Value], decay: float = 0.999) -> None:
        self.params = _parameter_list(params, "EMA")
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) \
                or not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA: decay must be in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.t = 0
        self.shadow = [0.0] * len(self.params)

    def update(self) -> None:
        """Fold the current weights into the average (call after each optimizer step)."""
        self.t += 1
        beta = self.decay
        shadow = self.shadow
        for i, p in enumerate(self.params):
            shadow[i] = beta * shadow[i] + (1.0 - beta) * p.data

    def averages(self) -> list[float]:
        """The bias-corrected averages v_t / (1 - decay^t), one per parameter."""
        if self.t == 0:
            raise RuntimeError("EMA: no update() yet, so there is no average")
        correction = 1.0 - self.decay ** self.t
        return [v / correction for v in self.shadow]

    @contextmanager
    def apply(self) -> Iterator[None]:
        """Inside the block the parameters hold the averages; the live weights come back after."""
        averaged = self.averages()
        live = [p.data for p in self.params]
        for p, value in zip(self.params, averaged):
            p.data = value
        try:
            yield
        finally:
            for p, value in zip(self.params, live):
                p.data = value
