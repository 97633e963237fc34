"""The `train` command's fast backend: each mini-batch through `autograd.compile`, on numpy.

The per-sample loss of the model is traced once into straight-line code (forward and adjoint),
then every batch runs through it as numpy columns: one call gives every sample's scores and
the gradient summed over the batch. The loss is the same as the dynamic backend's:
cross-entropy from logits (softplus(z) - t z for one output, logsumexp(z) - z[t] otherwise),
averaged over the batch, so the optimizer sees the same gradients up to rounding.

>>> from autograd.nn import MLP
>>> model = MLP(2, [3, 2], seed=0)
>>> backend = compiled_backend()
>>> step = backend.step(model, [[0.5, -1.0], [1.0, 2.0]], [0, 1], None)
>>> len(step.scores), len(step.scores[0]), step.loss > 0
(2, 2, True)

Needs numpy (`pip install 'scalar-autograd[fast]'`).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from autograd.compiled import CompiledFunction, compile
from autograd.engine import dot, softplus
from autograd.losses import logsumexp
from autograd.nn import MLP
from autograd.training import Backend, StepResult

__all__ = ["compiled_backend", "numpy_available"]


def numpy_available() -> bool:
    """Whether numpy can be imported (the `fast` extra)."""
    try:
        importlib.import_module("numpy")
    except ImportError:
        return False
    return True


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError as error:
        raise ImportError(
            "the compiled training backend needs numpy: pip install 'scalar-autograd[fast]'"
        ) from error


class _Programs:
    """The compiled loss-and-scores and scores-only programs of one model."""

    def __init__(self, model: MLP) -> None:
        n_out = model.sizes[-1]

        def loss_and_scores(params: Sequence[Any], x: Sequence[Any], t: Sequence[Any]) -> Any:
            z = model.outputs(x)
            # cross-entropy from logits; t is the one-hot target (or the 0/1 label)
            loss = softplus(z[0]) - z[0] * t[0] if n_out == 1 else logsumexp(z) - dot(t, z)
            return loss, z

        def scores(params: Sequence[Any], x: Sequence[Any]) -> Any:
            return model.outputs(x)

        self.n_out = n_out
        self.train: CompiledFunction = compile(
            loss_and_scores, argnums=0, batch_args=["x", "t"], has_aux=True)
        self.score: CompiledFunction = compile(scores, argnums=(), batch_args=["x"])


def compiled_backend() -> Backend:
    """A `Backend` that trains and scores through compiled numpy code."""
    np = _numpy()
    programs: dict[int, tuple[MLP, _Programs]] = {}

    def programs_for(model: MLP) -> _Programs:
        known = programs.get(id(model))
        if known is None or known[0] is not model:
            known = (model, _Programs(model))
            programs[id(model)] = known
        return known[1]

    def targets(labels: Sequence[int], n_out: int) -> Any:
        t = np.zeros((len(labels), n_out))
        if n_out == 1:
            t[:, 0] = labels
        else:
            t[np.arange(len(labels)), labels] = 1.0
        return t

    def step(model: MLP, inputs: Sequence[Sequence[float]], labels: Sequence[int],
             loss_fn: Any) -> StepResult:
        run = programs_for(model)
        params = model.parameters()
        (sample_losses, scores), grads = run.train(
            params, np.asarray(inputs, dtype=float), targets(labels, run.n_out))
        batch = len(labels)
        for p, g in zip(params, grads.tolist()):
            p.grad += g / batch  # the loss is the mean over the batch
        return StepResult(float(np.mean(sample_losses)), np.asarray(scores).tolist())

    def scores(model: MLP, inputs: Sequence[Sequence[float]]) -> list[list[float]]:
        run = programs_for(model)
        return np.asarray(run.score(model.parameters(), np.asarray(inputs, dtype=float))).tolist()

    return Backend("compiled", step, scores)
