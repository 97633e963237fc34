"""The `train` command's fast backend: each mini-batch through `autograd.compile`, on numpy.

The per-sample loss of the model is traced once into straight-line code (forward and adjoint),
then every batch runs through it as numpy columns: one call gives every sample's scores and
the gradient summed over the batch. The losses are those of `autograd.losses`, written from
the logits: `binary_cross_entropy` (one output) is softplus(z) - t z and `cross_entropy`
is logsumexp(z) - z[t], averaged over the batch, so the optimizer sees the dynamic
backend's gradients up to rounding. Any other loss function is refused by name.

>>> from autograd import losses
>>> from autograd.nn import MLP
>>> model = MLP(2, [3, 2], seed=0)
>>> backend = compiled_backend()
>>> step = backend.step(model, [[0.5, -1.0], [1.0, 2.0]], [0, 1], losses.cross_entropy)
>>> len(step.scores), len(step.scores[0]), step.loss > 0
(2, 2, True)

Needs numpy (`pip install 'scalar-autograd[fast]'`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import _optional, losses
from autograd.compile import CompiledFunction, compile
from autograd.engine import dot, softplus
from autograd.nn import MLP
from autograd.training.backends import Backend, LossFunction, StepResult

__all__ = ["LOSSES", "compiled_backend", "numpy_available"]

# The loss functions this backend writes out itself, by the number of outputs they need.
LOSSES: dict[Any, str] = {
    losses.binary_cross_entropy: "binary_cross_entropy",
    losses.cross_entropy: "cross_entropy",
}


def numpy_available() -> bool:
    """Whether numpy can be imported (the `fast` extra).

    >>> isinstance(numpy_available(), bool)
    True
    """
    return _optional.available("numpy")


def _formula(loss_fn: LossFunction | None, n_out: int) -> str:
    """The loss to compile for `loss_fn` on a model with `n_out` outputs, or ValueError."""
    if loss_fn is None:
        return "binary_cross_entropy" if n_out == 1 else "cross_entropy"
    name = LOSSES.get(loss_fn)
    if name is None:
        raise ValueError(f"the compiled backend computes {' and '.join(LOSSES.values())} "
                         f"only, not {getattr(loss_fn, '__name__', repr(loss_fn))}: "
                         f"use the dynamic backend for other losses")
    if (name == "binary_cross_entropy") != (n_out == 1):
        raise ValueError(f"the compiled backend: {name} does not fit a model with {n_out} "
                         f"output{'s' if n_out != 1 else ''}")
    return name


class _Programs:
    """The compiled loss-and-scores and scores-only programs of one model and loss."""

    def __init__(self, model: MLP, formula: str) -> None:
        def loss_and_scores(params: Sequence[Any], x: Sequence[Any], t: Sequence[Any]) -> Any:
            z = model.outputs(x)
            # t is the 0/1 label (one output) or the one-hot target
            if formula == "binary_cross_entropy":
                loss = softplus(z[0]) - z[0] * t[0]
            else:
                loss = losses.logsumexp(z) - dot(t, z)
            return loss, z

        def scores(params: Sequence[Any], x: Sequence[Any]) -> Any:
            return model.outputs(x)

        self.n_out = model.sizes[-1]
        self.train: CompiledFunction = compile(
            loss_and_scores, argnums=0, batch_args=["x", "t"], has_aux=True)
        self.score: CompiledFunction = compile(scores, argnums=(), batch_args=["x"])


def compiled_backend() -> Backend:
    """A `Backend` that trains and scores through compiled numpy code.

    >>> compiled_backend().name
    'compiled'
    """
    np = _optional.numpy("the compiled training backend")
    programs: dict[tuple[int, str], tuple[MLP, _Programs]] = {}

    def programs_for(model: MLP, formula: str) -> _Programs:
        key = (id(model), formula)
        known = programs.get(key)
        if known is None or known[0] is not model:
            known = (model, _Programs(model, formula))
            programs[key] = known
        return known[1]

    def targets(labels: Sequence[int], n_out: int) -> Any:
        t = np.zeros((len(labels), n_out))
        if n_out == 1:
            t[:, 0] = labels
        else:
            t[np.arange(len(labels)), labels] = 1.0
        return t

    def step(model: MLP, inputs: Sequence[Sequence[float]], labels: Sequence[int],
             loss_fn: LossFunction | None) -> StepResult:
        run = programs_for(model, _formula(loss_fn, model.sizes[-1]))
        params = model.parameters()
        (sample_losses, scores), grads = run.train(
            params, np.asarray(inputs, dtype=float), targets(labels, run.n_out))
        batch = len(labels)
        for p, g in zip(params, grads.tolist()):
            p.grad += g / batch  # the loss is the mean over the batch
        return StepResult(float(np.mean(sample_losses)), np.asarray(scores).tolist())

    def scores(model: MLP, inputs: Sequence[Sequence[float]]) -> list[list[float]]:
        run = programs_for(model, _formula(None, model.sizes[-1]))
        return np.asarray(run.score(model.parameters(), np.asarray(inputs, dtype=float))).tolist()

    return Backend("compiled", step, scores)
