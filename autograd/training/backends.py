"""The swappable work of training: one mini-batch step, and scoring examples.

A `Backend` pairs the two. `DYNAMIC` builds a Value graph per example and backpropagates
through it; `autograd.training.compiled` runs the same maths as compiled numpy code.
Scores that are not finite numbers mean a broken model (weights so large the outputs
overflow), never a class: `checked_scores` refuses them.

>>> from autograd.nn import MLP
>>> DYNAMIC.scores(MLP(2, [3], seed=0), [[0.0, 0.0]])
[[0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.engine import Value, no_grad
from autograd.nn import MLP

__all__ = [
    "DYNAMIC",
    "Backend",
    "LossFunction",
    "NonFiniteScores",
    "StepResult",
    "checked_scores",
    "engine_scores",
    "engine_step",
    "predicted_class",
]

LossFunction = Callable[[Sequence[Sequence[Value]], Sequence[int]], Value]


@dataclass(frozen=True)
class StepResult:
    """What one mini-batch step reports: the batch loss and each example's output scores.

    >>> StepResult(0.5, [[1.0, -1.0]]).loss
    0.5
    """

    loss: float
    scores: list[list[float]]


def engine_step(
    model: MLP, inputs: Sequence[Sequence[float]], labels: Sequence[int], loss_fn: LossFunction
) -> StepResult:
    """Forward the batch through the Value graph, take `loss_fn`, and backpropagate.

    Leaves the gradients in the parameters' `.grad` for the optimizer.

    >>> from autograd import losses
    >>> model = MLP(2, [2], seed=0)
    >>> step = engine_step(model, [[1.0, 0.0]], [1], losses.cross_entropy)
    >>> len(step.scores[0]), model.layers[0].neurons[1].b.grad < 0
    (2, True)
    """
    outputs = [model.outputs(x) for x in inputs]
    loss = loss_fn(outputs, labels)
    loss.backward()
    return StepResult(loss.data, [[o.data for o in row] for row in outputs])


def engine_scores(model: MLP, inputs: Sequence[Sequence[float]]) -> list[list[float]]:
    """The model's outputs for each example, computed without recording a graph.

    >>> engine_scores(MLP(2, [3], seed=0), [[0.0, 0.0]])
    [[0.0, 0.0, 0.0]]
    """
    with no_grad():
        return [[o.data for o in model.outputs(x)] for x in inputs]


@dataclass(frozen=True)
class Backend:
    """How a batch is trained and how examples are scored.

    `step(model, inputs, labels, loss_fn)` leaves the batch's gradient in the parameters'
    `.grad`; a backend that computes a loss of its own (the compiled one) refuses a
    `loss_fn` it does not implement.

    >>> DYNAMIC.name
    'dynamic'
    """

    name: str
    step: Callable[[MLP, Sequence[Sequence[float]], Sequence[int], LossFunction], StepResult]
    scores: Callable[[MLP, Sequence[Sequence[float]]], list[list[float]]]


DYNAMIC = Backend("dynamic", engine_step, engine_scores)


def predicted_class(scores: Sequence[float]) -> int:
    """The class of one example's scores: the arg max, or score > 0 for a single output.

    >>> predicted_class([0.1, 2.0, -1.0]), predicted_class([-0.3]), predicted_class([0.3])
    (1, 0, 1)
    """
    if len(scores) == 1:
        return 1 if scores[0] > 0.0 else 0
    return max(range(len(scores)), key=scores.__getitem__)


class NonFiniteScores(ArithmeticError):
    """The model gave a score that is not a finite number (nan or inf) for an example.

    >>> str(NonFiniteScores(3, [float("nan")]))
    'the model outputs [nan] for example 3: its weights are broken (diverged training?)'
    """

    def __init__(self, index: int, scores: Sequence[float]) -> None:
        self.index = index
        self.scores = list(scores)
        shown = "[" + ", ".join(f"{s:g}" for s in self.scores[:4]) \
            + (", ..." if len(self.scores) > 4 else "") + "]"
        super().__init__(f"the model outputs {shown} for example {index}: its weights are "
                         f"broken (diverged training?)")


def checked_scores(backend: Backend, model: MLP,
                   inputs: Sequence[Sequence[float]]) -> list[list[float]]:
    """`backend.scores`, raising `NonFiniteScores` if any score is nan or infinite.

    An overflow inside the model (an ArithmeticError from the engine) is reported the same
    way, naming the first example.

    >>> model = MLP(1, [1], seed=0)
    >>> model.parameters()[0].data = 1e308
    >>> checked_scores(DYNAMIC, model, [[1.0], [10.0]])
    Traceback (most recent call last):
    ...
    autograd.training.backends.NonFiniteScores: the model outputs [inf] for example 1: ...
    """
    try:
        scores = backend.scores(model, inputs)
    except (ArithmeticError, ValueError) as error:
        if isinstance(error, NonFiniteScores):
            raise
        for index, x in enumerate(inputs):  # find the example, one at a time
            try:
                row = backend.scores(model, [x])[0]
            except (ArithmeticError, ValueError):
                raise NonFiniteScores(index, [math.inf]) from None
            if not all(map(math.isfinite, row)):
                raise NonFiniteScores(index, row) from None
        raise
    for index, row in enumerate(scores):
        for score in row:
            if not math.isfinite(score):
                raise NonFiniteScores(index, row)
    return scores
