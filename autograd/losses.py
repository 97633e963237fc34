"""Loss functions on Values: mse, softmax cross-entropy, binary cross-entropy, hinge, L2.

Every loss returns one `Value` (the mean over the batch), ready for `backward()`.

>>> from autograd import Value
>>> logits = [[Value(1.0), Value(2.0), Value(0.5)], [Value(0.0), Value(1.0), Value(1.0)]]
>>> loss = cross_entropy(logits, [0, 1])
>>> round(loss.data, 6)
1.163182
>>> loss.backward()
>>> round(logits[0][0].grad, 6)          # (softmax - onehot) / batch
-0.384388
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autograd.engine import Primitive, Value, dot, exp, relu, softplus, sum_values

__all__ = [
    "binary_cross_entropy",
    "cross_entropy",
    "hinge",
    "l2_penalty",
    "log_softmax",
    "logsumexp",
    "mse",
    "softmax",
]


# ----------------------------------------------------------------------------------------------
# logsumexp: one n-ary node
# ----------------------------------------------------------------------------------------------


def _logsumexp_forward(*xs: float) -> float:
    # log sum_i e^{x_i} = m + log sum_i e^{x_i - m} with m = max x: no overflow
    m = max(xs)
    if math.isinf(m):
        return m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def _logsumexp_partials(*xs_and_out: Any) -> tuple[Any, ...]:
    # d/dx_i log sum_j e^{x_j} = e^{x_i - lse} = softmax_i
    *xs, out = xs_and_out
    return tuple(exp(x - out) for x in xs)


_logsumexp = Primitive(
    "logsumexp", _logsumexp_forward, _logsumexp_partials, 0,
    doc="log(sum_i e ** x_i) of any number of operands, stable, as one node.")


def logsumexp(values: Sequence[Any]) -> Any:
    """log(sum_i e^(x_i)), computed stably as one node (a float for plain numbers).

    >>> round(logsumexp([1000.0, 1000.0]), 6)
    1000.693147
    """
    if len(values) == 0:
        raise ValueError("logsumexp: no values given")
    return _logsumexp.apply(tuple(values))


def softmax(row: Sequence[Any]) -> list[Any]:
    """e^(x_i) / sum_j e^(x_j) for one row, shifted by the row's maximum for stability.

    >>> [round(p, 8) for p in softmax([1.0, 2.0, 0.5])]
    [0.2312239, 0.62853172, 0.14024438]
    """
    lse = logsumexp(row)
    return [exp(x - lse) for x in row]


def log_softmax(row: Sequence[Any]) -> list[Any]:
    """x_i - log sum_j e^(x_j) for one row (stable).

    >>> [round(p, 4) for p in log_softmax([0.0, 0.0])]
    [-0.6931, -0.6931]
    """
    lse = logsumexp(row)
    return [x - lse for x in row]


# ----------------------------------------------------------------------------------------------
# Helpers for shapes and targets
# ----------------------------------------------------------------------------------------------


def _is_scalar(x: Any) -> bool:
    # Any real number (int, float, numpy scalar) or a Value; a bool is not a number here.
    return isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool)


def _plain(x: Any) -> Any:
    # numpy scalars become Python floats, so they never meet a Value in numpy's arithmetic.
    return x if isinstance(x, Value) else float(x)


def _row(item: Any) -> list[Any] | None:
    """`item` as a list if it is a row (a sequence or a 1-d array), else None."""
    if isinstance(item, (str, bytes, Mapping)) or _is_scalar(item):
        return None
    if isinstance(item, Sequence):
        return list(item)
    if isinstance(item, Iterable) and hasattr(item, "__len__"):  # e.g. a numpy row
        try:
            return list(item)
        except TypeError:  # a 0-d array
            return None
    return None


def _flatten(values: Sequence[Any], what: str, where: str) -> list[Any]:
    """A flat list from a flat sequence or a sequence of rows."""
    flat: list[Any] = []
    for i, item in enumerate(values):
        row = _row(item)
        if _is_scalar(item):
            flat.append(_plain(item))
        elif row is not None:
            for j, x in enumerate(row):
                if not _is_scalar(x):
                    raise TypeError(f"{where}: {what}[{i}][{j}] is not a number or Value: {x!r}")
                flat.append(_plain(x))
        else:
            raise TypeError(f"{where}: {what}[{i}] is not a number, Value or row: {item!r}")
    return flat


def _mean(terms: list[Any]) -> Any:
    return sum_values(terms) * (1.0 / len(terms))


def _as_float(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _target(t: Any, where: str, what: str, i: int) -> float:
    """One scalar target as a float; anything else is named in a TypeError."""
    if not _is_scalar(t):
        raise TypeError(f"{where}: {what}[{i}] must be a number, got {t!r:.60}")
    return _as_float(t)


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------


def mse(predictions: Sequence[Any], targets: Sequence[Any]) -> Any:
    """Mean squared error, mean over all elements: (1/n) sum (p - t)^2.

    Both arguments may be flat or lists of rows (as a model's outputs are).

    >>> from autograd import Value
    >>> p = [Value(1.0), Value(3.0)]; loss = mse(p, [0.0, 1.0]); loss.data
    2.5
    >>> loss.backward(); p[1].grad          # 2 (p - t) / n
    2.0
    """
    flat_p = _flatten(predictions, "predictions", "mse")
    flat_t = _flatten(targets, "targets", "mse")
    if len(flat_p) != len(flat_t):
        raise ValueError(f"mse: {len(flat_p)} predictions but {len(flat_t)} targets")
    if not flat_p:
        raise ValueError("mse: no predictions given")
    terms = []
    for p, t in zip(flat_p, flat_t):
        d = p - t if isinstance(t, Value) else p + (-float(t))
        terms.append(d * d)
    return _mean(terms)


def _class_index(target: Any, n_classes: int, i: int) -> int:
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise TypeError(f"cross_entropy: targets[{i}] must be a class index or a row, "
                        f"got {target!r}")
    k = int(target)
    if not 0 <= k < n_classes:
        raise ValueError(f"cross_entropy: targets[{i}] = {k} is not a class index in "
                         f"0..{n_classes - 1}")
    return k


def cross_entropy(logits: Sequence[Sequence[Any]], targets: Sequence[Any]) -> Any:
    """Softmax cross-entropy, mean over the batch (the seeds' SoftmaxWithLoss).

    `logits` holds one row per example; `targets` holds a class index per example or a
    row per example (one-hot, or any probabilities). Per example the loss is
    logsumexp(z) * sum(t) - t . z, which is -log softmax(z)[k] for a class index k; its
    gradient with respect to the logits is (softmax(z) - t) / batch.

    >>> round(cross_entropy([[1.0, 2.0, 0.5], [0.0, 1.0, 1.0]], [[1, 0, 0], [0, 1, 0]]), 10)
    1.1631817941
    """
    rows = _row(logits)
    if not rows:
        raise ValueError("cross_entropy: logits must be a non-empty list of rows")
    if len(targets) != len(logits):
        raise ValueError(f"cross_entropy: {len(rows)} rows of logits but "
                         f"{len(targets)} targets")
    terms = []
    for i, (given_row, target) in enumerate(zip(rows, targets)):
        row = _row(given_row)
        if not row:
            raise TypeError(f"cross_entropy: logits[{i}] must be a non-empty row of Values "
                            f"(one row per example), got {given_row!r}")
        for j, z in enumerate(row):
            if not _is_scalar(z):
                raise TypeError(f"cross_entropy: logits[{i}][{j}] is not a number or Value: "
                                f"{z!r}")
        row = [_plain(z) for z in row]
        lse = logsumexp(row)
        target_row = _row(target)
        if target_row is not None:
            if len(target_row) != len(row):
                raise ValueError(f"cross_entropy: targets[{i}] has {len(target_row)} entries, "
                                 f"logits[{i}] has {len(row)}")
            if not all(_is_scalar(t) for t in target_row):
                raise TypeError(f"cross_entropy: targets[{i}] must hold numbers, "
                                f"got {target_row!r}")
            weights = [_as_float(t) for t in target_row]
            if any(not math.isfinite(t) or t < 0.0 for t in weights):
                raise ValueError(f"cross_entropy: targets[{i}] must hold probabilities >= 0, "
                                 f"got {target_row!r}")
            # loss = sum_k t_k (lse - z_k) = lse * sum t - t . z
            total = math.fsum(weights)
            terms.append(lse * total - dot(row, weights))
        else:
            k = _class_index(target, len(row), i)
            terms.append(lse - row[k])
    return _mean(terms)


def _flat_scores(scores: Sequence[Any], where: str) -> list[Any]:
    rows = _row(scores)
    if not rows:
        raise ValueError(f"{where}: scores must be a non-empty list")
    return _flatten(rows, "scores", where)


def binary_cross_entropy(logits: Sequence[Any], targets: Sequence[Any]) -> Any:
    """Binary cross-entropy from logits z and targets t in [0, 1], mean over the batch.

    Per example: -t log sigmoid(z) - (1 - t) log(1 - sigmoid(z)) = softplus(z) - t z,
    which never takes the log of 0. `logits` may be flat or one-element rows.

    >>> round(binary_cross_entropy([0.0, 100.0], [1, 1]), 6)     # (log 2 + ~0) / 2
    0.346574
    """
    flat = _flat_scores(logits, "binary_cross_entropy")
    if len(flat) != len(targets):
        raise ValueError(f"binary_cross_entropy: {len(flat)} logits but {len(targets)} targets")
    terms = []
    for i, (z, target) in enumerate(zip(flat, targets)):
        t = _target(target, "binary_cross_entropy", "targets", i)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets[{i}] = {t!r} is not in [0, 1]")
        terms.append(softplus(z) - z * t if t else softplus(z))
    return _mean(terms)


def hinge(scores: Sequence[Any], labels: Sequence[Any]) -> Any:
    """Max-margin loss, mean over the batch of relu(1 - y * score).

    Labels are +1 or -1; a label 0 is read as -1, so 0/1 class labels work as they are.

    >>> round(hinge([2.0, 0.5, -0.5], [1, 1, 0]), 6)    # (0 + 0.5 + 0.5) / 3
    0.333333
    """
    flat = _flat_scores(scores, "hinge")
    if len(flat) != len(labels):
        raise ValueError(f"hinge: {len(flat)} scores but {len(labels)} labels")
    terms = []
    for i, (s, label) in enumerate(zip(flat, labels)):
        y = _target(label, "hinge", "labels", i)
        if y not in (-1.0, 0.0, 1.0):
            raise ValueError(f"hinge: labels[{i}] = {y!r} must be +1 or -1 (or 0 for -1)")
        sign = 1.0 if y > 0 else -1.0
        terms.append(relu(1.0 + s * (-sign)))
    return _mean(terms)


def l2_penalty(parameters: Sequence[Value], strength: float) -> Any:
    """strength * sum_p p^2 (weight decay written as a loss term; one `dot` node).

    >>> from autograd import Value
    >>> ps = [Value(1.0), Value(-2.0)]; pen = l2_penalty(ps, 0.5); pen.data
    2.5
    >>> pen.backward(); ps[1].grad      # 2 * strength * p
    -2.0
    """
    params = list(parameters)
    if not params:
        return 0.0
    return dot(params, params) * float(strength)
