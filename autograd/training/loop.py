"""The training loop: mini-batches through a backend, an optimizer, a file after every epoch.

`train(config)` fits an MLP as `TrainConfig` says and returns a `TrainResult` with a
`history` per epoch (loss, training and held-out accuracy, and the gradient norm of each
layer, averaged over the epoch's batches). With `config.output` set, the model and that
history are saved atomically after every epoch, so Ctrl-C or a diverging run keeps the
last good epoch on disk.

>>> import io
>>> config = TrainConfig(dataset="moons", hidden=(8,), epochs=2, samples=40, output=None)
>>> result = train(config, out=io.StringIO(), err=io.StringIO())
>>> result.epochs_done, 0.0 <= result.test_accuracy <= 1.0, len(result.history[0]["grad_norms"])
(2, True, 2)
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from autograd import data, losses, optim
from autograd.engine import Value
from autograd.nn import MLP
from autograd.training.backends import (
    DYNAMIC,
    Backend,
    LossFunction,
    StepResult,
    checked_scores,
    predicted_class,
)
from autograd.training.datasets import Dataset, load_dataset
from autograd.training.models import MAX_PARAMETERS, check_size

__all__ = [
    "DEFAULTS",
    "DEFAULT_LR",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "accuracy",
    "layer_grad_norms",
    "train",
]

DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"hidden": (32,), "epochs": 20},
    "toy": {"hidden": (16, 16), "epochs": 100},
}
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}
# TrainConfig fields that are not choices about the training itself: not stored in the file
_NOT_SAVED = ("output", "max_parameters")


@dataclass
class TrainConfig:
    """Every choice of a training run (the `train` command's options).

    `output` is where the model is saved after every epoch; None (the default here) saves
    nothing, so calling `train` from Python never writes a file you did not name. The
    command line picks ``DATASET-mlp.json`` unless given ``--output``. `max_parameters`
    bounds the network's size (see `autograd.training.models`); None lifts the bound.

    >>> TrainConfig(dataset="xor").resolved().hidden
    (16, 16)
    """

    dataset: str = "digits"
    hidden: tuple[int, ...] | None = None
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float | None = None
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "cosine"
    batch_size: int = 32
    epochs: int | None = None
    ema: float | None = None
    seed: int = 0
    samples: int | None = None
    noise: float | None = None
    output: str | None = None
    max_parameters: int | None = MAX_PARAMETERS

    def resolved(self) -> TrainConfig:
        """A copy with the dataset's and optimizer's defaults filled in."""
        defaults = DEFAULTS["digits" if self.dataset == "digits" else "toy"]
        return TrainConfig(**{
            **asdict(self),
            "hidden": tuple(self.hidden) if self.hidden is not None else defaults["hidden"],
            "epochs": self.epochs if self.epochs is not None else defaults["epochs"],
            "lr": self.lr if self.lr is not None else DEFAULT_LR[self.optimizer],
            "momentum": self.momentum if self.optimizer == "sgd" else 0.0,
        })


@dataclass
class TrainResult:
    """The outcome of `train` (see the module docstring for an example).

    `history` has one entry per finished epoch: ``epoch``, ``loss``, ``train_accuracy``,
    ``test_accuracy`` and ``grad_norms`` (one per layer, None where it overflowed).
    """

    model: MLP
    dataset: Dataset
    epochs_done: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float
    interrupted: bool = False
    saved_to: str | None = None
    saved_epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


class TrainingDiverged(ArithmeticError):
    """The loss, an output or a weight stopped being a finite number; `result` holds the rest.

    The model file (if any) still holds the last epoch that finished with finite numbers.

    `detail` says what stopped being finite (by default the loss).

    >>> str(TrainingDiverged(3, float("nan"), None))
    'training diverged at epoch 3 (loss nan); try a smaller learning rate'
    >>> TrainingDiverged(2, 0.7, None, "a weight is not finite").detail
    'a weight is not finite'
    """

    def __init__(self, epoch: int, loss: float, result: TrainResult | None,
                 detail: str | None = None) -> None:
        self.epoch = epoch
        self.loss = loss
        self.result = result
        self.detail = detail or f"loss {loss:g}"
        super().__init__(f"training diverged at epoch {epoch} ({self.detail}); "
                         f"try a smaller learning rate")


def _make_optimizer(config: TrainConfig, params: list[Value]) -> optim.Optimizer:
    if config.optimizer == "adam":
        return optim.Adam(params, lr=config.lr or 0.0, weight_decay=config.weight_decay)
    if config.optimizer == "sgd":
        return optim.SGD(params, lr=config.lr or 0.0, momentum=config.momentum,
                         weight_decay=config.weight_decay)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose adam or sgd")


def _make_schedule(config: TrainConfig, optimizer: optim.Optimizer) -> Any:
    epochs = config.epochs or 1
    if config.schedule == "cosine":
        return optim.CosineDecay(optimizer, total=epochs)
    if config.schedule == "step":
        return optim.StepDecay(optimizer, step_size=max(1, epochs // 4), gamma=0.5)
    if config.schedule == "constant":
        return None
    raise ValueError(f"unknown schedule {config.schedule!r}; choose cosine, step or constant")


def accuracy(model: MLP, inputs: Sequence[Sequence[float]], labels: Sequence[int],
             backend: Backend = DYNAMIC) -> float:
    """The fraction of examples whose predicted class equals the label.

    A model that outputs nan or inf is not scored: `NonFiniteScores` is raised.

    >>> model = MLP(1, [1], output_activation="identity", seed=0)
    >>> model.layers[0].neurons[0].w[0].data = 1.0
    >>> accuracy(model, [[2.0], [-2.0], [3.0]], [1, 0, 0])
    0.6666666666666666
    """
    if len(labels) != len(inputs):
        raise ValueError(f"accuracy: {len(inputs)} inputs but {len(labels)} labels")
    if not labels:
        raise ValueError("accuracy: no examples to score")
    scores = checked_scores(backend, model, inputs)
    right = sum(predicted_class(s) == y for s, y in zip(scores, labels))
    return right / len(labels)


def layer_grad_norms(model: MLP) -> list[float]:
    """The Euclidean norm of each layer's gradient (weights and biases together).

    >>> model = MLP(2, [2, 1], seed=0)
    >>> model.layers[1].neurons[0].b.grad = 3.0
    >>> layer_grad_norms(model)
    [0.0, 3.0]
    """
    return [math.hypot(*(p.grad for p in layer.parameters())) for layer in model.layers]


class Progress:
    """A one-line progress bar on a terminal; silent when the stream is not one.

    >>> import io
    >>> Progress(io.StringIO(), total=10).live
    False
    """

    def __init__(self, stream: TextIO, total: int, width: int = 24) -> None:
        self.stream = stream
        self.total = total
        self.width = width
        self.live = bool(getattr(stream, "isatty", lambda: False)())

    def show(self, epoch: int, epochs: int, done: int, loss: float, accuracy: float) -> None:
        """Redraw the bar for batch `done` of `total`."""
        if not self.live:
            return
        filled = self.width * done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\repoch {epoch:>3}/{epochs} [{bar}] {done}/{self.total}"
                          f"  loss {loss:.4f}  acc {100 * accuracy:5.1f}%")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the bar before a normal line is printed."""
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def train(
    config: TrainConfig,
    out: TextIO | None = None,
    err: TextIO | None = None,
    backend: Backend | None = None,
) -> TrainResult:
    """Train as `config` says, printing epoch lines to `out` and the live bar to `err`.

    The network's size is checked against `config.max_parameters` before it is built
    (`ModelTooLarge`). The model is saved to `config.output` (if set) after every epoch,
    atomically. On Ctrl-C the loop stops; the file keeps the model of the last finished
    epoch and the result says `interrupted`. When the loss, an output or a weight stops
    being a finite number (too large a learning rate), `TrainingDiverged` is raised and the
    file keeps the last good epoch.

    >>> import io
    >>> result = train(TrainConfig(dataset="xor", samples=40, epochs=1, output=None),
    ...                out=io.StringIO())
    >>> result.epochs_done, result.interrupted
    (1, False)
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    backend = backend if backend is not None else DYNAMIC
    config = config.resolved()
    dataset = load_dataset(config.dataset, config.samples, config.noise)
    split = dataset.split
    binary = dataset.n_classes == 2
    loss_fn: LossFunction = losses.binary_cross_entropy if binary else losses.cross_entropy
    sizes = [*(config.hidden or ()), dataset.n_outputs]
    check_size(dataset.n_features, sizes, config.max_parameters)
    model = MLP(dataset.n_features, sizes, activation=config.activation, seed=config.seed,
                max_parameters=None)  # checked against config.max_parameters above
    params = model.parameters()
    optimizer = _make_optimizer(config, params)
    schedule = _make_schedule(config, optimizer)
    ema = optim.EMA(params, config.ema) if config.ema is not None else None
    batches = data.Batches(split.train_inputs, split.train_labels, config.batch_size,
                           seed=config.seed)
    epochs = config.epochs or 0
    progress = Progress(err, len(batches))
    print(f"training {model!r}\n  on {dataset.name}: {len(split.train_labels)} training and "
          f"{len(split.test_labels)} held-out examples; {config.optimizer} lr {config.lr:g}, "
          f"{config.schedule} schedule, batch {config.batch_size}, {epochs} epochs, "
          f"seed {config.seed}" + (f", EMA {config.ema:g}" if ema else ""), file=out)

    result = TrainResult(model, dataset, 0, float("nan"), 0.0, 0.0, 0.0)
    started = time.perf_counter()
    try:
        for epoch in range(1, epochs + 1):
            epoch_started = time.perf_counter()
            total_loss, right, seen = 0.0, 0, 0
            norm_sums = [0.0] * len(model.layers)
            for done, (inputs, labels) in enumerate(batches, start=1):
                optimizer.zero_grad()
                step = _checked_step(backend, model, inputs, labels, loss_fn,
                                     first=epoch == 1 and done == 1, epoch=epoch, result=result)
                norm_sums = [a + b for a, b in zip(norm_sums, layer_grad_norms(model))]
                optimizer.step()
                if not all(math.isfinite(p.data) for p in params):
                    raise TrainingDiverged(epoch, step.loss, result, "a weight is not finite")
                if ema is not None:
                    ema.update()
                total_loss += step.loss * len(labels)
                seen += len(labels)
                right += sum(predicted_class(s) == y for s, y in zip(step.scores, labels))
                progress.show(epoch, epochs, done, total_loss / seen, right / seen)
            if schedule is not None:
                schedule.step()
            with ema.apply() if ema is not None else nullcontext():
                try:
                    with _quiet_overflow():
                        test_accuracy = accuracy(model, split.test_inputs, split.test_labels,
                                                 backend)
                except (ArithmeticError, ValueError):  # outputs overflowed: weights too large
                    raise TrainingDiverged(epoch, total_loss / seen, result,
                                           "the held-out outputs are not finite") from None
                result.loss, result.train_accuracy = total_loss / seen, right / seen
                result.test_accuracy, result.epochs_done = test_accuracy, epoch
                result.history.append({
                    "epoch": epoch, "loss": result.loss,
                    "train_accuracy": result.train_accuracy, "test_accuracy": test_accuracy,
                    "grad_norms": [_finite_or_none(total / len(batches))
                                   for total in norm_sums],
                })
                if config.output:
                    model.save(config.output, _metadata(config, dataset, result))
                    result.saved_to, result.saved_epoch = config.output, epoch
            progress.clear()
            if epoch in (1, epochs) or epoch % max(1, epochs // 20) == 0:
                print(f"epoch {epoch:>3}/{epochs}  loss {result.loss:.4f}  "
                      f"train {100 * result.train_accuracy:5.1f}%  "
                      f"held-out {100 * test_accuracy:5.1f}%  "
                      f"({time.perf_counter() - epoch_started:.1f}s)", file=out, flush=True)
    except KeyboardInterrupt:
        progress.clear()
        result.interrupted = True
    except TrainingDiverged:
        progress.clear()
        raise
    if ema is not None and ema.t:
        for p, value in zip(params, ema.averages()):
            p.data = value
    result.seconds = time.perf_counter() - started
    return result


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


@contextmanager
def _quiet_overflow() -> Iterator[None]:
    # numpy's overflow warnings: a diverging run is reported once, as TrainingDiverged
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "overflow|invalid value", RuntimeWarning)
        yield


def _checked_step(backend: Backend, model: MLP, inputs: Sequence[Sequence[float]],
                  labels: Sequence[int], loss_fn: LossFunction, *, first: bool, epoch: int,
                  result: TrainResult) -> StepResult:
    """One backend step; an overflow, or a loss or output that is not finite, is divergence.

    The first step runs on the initial weights, so an error there is a real fault and
    is raised as it is.
    """
    try:
        with _quiet_overflow():
            step = backend.step(model, inputs, labels, loss_fn)
    except (ArithmeticError, ValueError) as error:
        if first:
            raise
        first_line = (str(error).splitlines() or [type(error).__name__])[0][:120]
        raise TrainingDiverged(epoch, math.nan, result, f"the step failed: {first_line}") \
            from None
    if not math.isfinite(step.loss):
        raise TrainingDiverged(epoch, step.loss, result)
    if not all(math.isfinite(s) for row in step.scores for s in row):
        raise TrainingDiverged(epoch, step.loss, result, "an output is not finite")
    return step


def _metadata(config: TrainConfig, dataset: Dataset, result: TrainResult) -> dict[str, Any]:
    # Nothing time-dependent: the same seed must give the same file, bit for bit.
    return {
        "dataset": dataset.description,
        "training": {key: (list(value) if isinstance(value, tuple) else value)
                     for key, value in asdict(config).items() if key not in _NOT_SAVED},
        "epoch": result.epochs_done,
        "loss": result.loss,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "weights": "ema" if config.ema is not None else "live",
        "history": result.history,
    }
