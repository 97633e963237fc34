"""The `train` and `evaluate` commands: fit an MLP on the bundled digits (or a toy set).

`python -m autograd train` trains on the 8x8 digits and reports held-out accuracy, a
per-class table, a confusion matrix and a few misclassified digits drawn in the terminal;
the model is saved (atomically, after every epoch) to JSON. `python -m autograd evaluate
MODEL.json` reloads such a file and reports again.

The work of one mini-batch (forward, loss, backward) is one function, `engine_step`, and
scoring examples is another, `engine_scores`; both come in a `Backend`, so a faster
implementation can be swapped in without touching the loop.

>>> config = TrainConfig(dataset="moons", hidden=(8,), epochs=2, samples=40, output=None)
>>> import io
>>> result = train(config, out=io.StringIO(), err=io.StringIO())
>>> result.epochs_done, 0.0 <= result.test_accuracy <= 1.0
(2, True)
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from autograd import data, losses, optim
from autograd.checkpoint import CheckpointError, load_checkpoint
from autograd.engine import Value, no_grad
from autograd.nn import ACTIVATIONS, MLP

__all__ = [
    "DYNAMIC",
    "ENGINES",
    "Backend",
    "Dataset",
    "StepResult",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "accuracy",
    "backend_named",
    "draw_digit",
    "engine_scores",
    "engine_step",
    "load_dataset",
    "predicted_class",
    "register",
    "report",
    "train",
]

LossFunction = Callable[[Sequence[Sequence[Value]], Sequence[int]], Value]

# ----------------------------------------------------------------------------------------------
# Data sets the command knows
# ----------------------------------------------------------------------------------------------

TOY_SETS: dict[str, tuple[Callable[..., tuple[list[list[float]], list[int]]], float]] = {
    "moons": (data.make_moons, 0.1),
    "circles": (data.make_circles, 0.05),
    "spirals": (data.make_spirals, 0.05),
    "xor": (data.make_xor, 0.2),
}
DATASETS = ("digits", *TOY_SETS)
TEST_FRACTION = 0.2
SPLIT_SEED = 0  # the split is fixed, whatever the training seed
# A toy set needs a few points per class on each side of the split; the upper bound keeps a
# damaged or hostile model file from asking `evaluate` for billions of points.
MIN_SAMPLES = 10
MAX_SAMPLES = 1_000_000


@dataclass(frozen=True)
class Dataset:
    """A named data set, split into train and test, with its number of classes.

    >>> load_dataset("moons", samples=10).n_features
    2
    """

    name: str
    split: data.Split
    n_classes: int
    n_features: int
    description: dict[str, Any]


def load_dataset(name: str, samples: int | None = None, noise: float | None = None) -> Dataset:
    """Load `name` (digits, moons, circles, spirals, xor) and split it with the fixed seed.

    >>> ds = load_dataset("xor", samples=20)
    >>> ds.n_classes, ds.n_features, len(ds.split.test_labels)
    (2, 2, 4)
    """
    if name == "digits":
        inputs, labels = data.load_digits(scaled=True)
        description: dict[str, Any] = {"name": "digits", "scaled": True}
    elif name in TOY_SETS:
        make, default_noise = TOY_SETS[name]
        n = 200 if samples is None else samples
        if isinstance(n, bool) or not isinstance(n, int) or not MIN_SAMPLES <= n <= MAX_SAMPLES:
            raise ValueError(f"{name}: samples must be an integer from {MIN_SAMPLES} to "
                             f"{MAX_SAMPLES} (so both the training and the held-out set have "
                             f"examples of each class), got {n!r}")
        noise = default_noise if noise is None else noise
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
                or not 0.0 <= noise < math.inf:
            raise ValueError(f"{name}: noise must be a finite number >= 0, got {noise!r}")
        inputs, labels = make(n, noise=noise, seed=0)
        description = {"name": name, "samples": n, "noise": noise, "seed": 0}
    else:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    description.update(test_fraction=TEST_FRACTION, split_seed=SPLIT_SEED)
    split = data.train_test_split(inputs, labels, TEST_FRACTION, seed=SPLIT_SEED)
    if not split.train_labels or not split.test_labels:
        raise ValueError(f"{name}: {len(labels)} examples are too few for a training and a "
                         f"held-out set")
    return Dataset(name, split, max(labels) + 1, len(inputs[0]), description)


def _dataset_from_description(description: dict[str, Any]) -> Dataset:
    name = description.get("name")
    if name not in DATASETS:
        raise ValueError(f"the model file names an unknown dataset {name!r}")
    return load_dataset(name, description.get("samples"), description.get("noise"))


# ----------------------------------------------------------------------------------------------
# The swappable work: one training step and scoring
# ----------------------------------------------------------------------------------------------


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
    """Forward the batch through the Value graph, take the loss, and backpropagate.

    Leaves the gradients in the parameters' `.grad` for the optimizer.

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

    >>> DYNAMIC.name
    'dynamic'
    """

    name: str
    step: Callable[[MLP, Sequence[Sequence[float]], Sequence[int], LossFunction], StepResult]
    scores: Callable[[MLP, Sequence[Sequence[float]]], list[list[float]]]


DYNAMIC = Backend("dynamic", engine_step, engine_scores)

ENGINES = ("auto", "compiled", "dynamic")


def backend_named(engine: str) -> Backend:
    """The backend for `--engine`: `compiled` (numpy), `dynamic`, or `auto`, the fastest here.

    >>> backend_named("dynamic").name
    'dynamic'
    """
    if engine == "dynamic":
        return DYNAMIC
    if engine not in ("auto", "compiled"):
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    from autograd import compiled_training

    if engine == "auto" and not compiled_training.numpy_available():
        return DYNAMIC
    return compiled_training.compiled_backend()


def predicted_class(scores: Sequence[float]) -> int:
    """The class of one example's scores: the arg max, or score > 0 for a single output.

    >>> predicted_class([0.1, 2.0, -1.0]), predicted_class([-0.3]), predicted_class([0.3])
    (1, 0, 1)
    """
    if len(scores) == 1:
        return 1 if scores[0] > 0.0 else 0
    return max(range(len(scores)), key=scores.__getitem__)


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"hidden": (32,), "epochs": 20},
    "toy": {"hidden": (16, 16), "epochs": 100},
}
DEFAULT_LR = {"adam": 0.01, "sgd": 0.1}


@dataclass
class TrainConfig:
    """Every choice of a training run (the `train` command's options).

    `output` is where the model is saved after every epoch; None (the default here) saves
    nothing, so calling `train` from Python never writes a file you did not name. The
    command line picks ``DATASET-mlp.json`` unless given ``--output``.

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
    """The outcome of `train` (see the module docstring for an example)."""

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
    history: list[dict[str, float]] = field(default_factory=list)


class TrainingDiverged(ArithmeticError):
    """The loss or a weight stopped being a finite number; `result` holds what was done.

    The model file (if any) still holds the last epoch that finished with finite numbers.

    >>> str(TrainingDiverged(3, float("nan"), None))
    'training diverged at epoch 3 (loss nan); try a smaller learning rate'
    """

    def __init__(self, epoch: int, loss: float, result: TrainResult | None) -> None:
        self.epoch = epoch
        self.loss = loss
        self.result = result
        super().__init__(f"training diverged at epoch {epoch} (loss {loss:g}); "
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

    >>> model = MLP(1, [1], output_activation="identity", seed=0)
    >>> model.layers[0].neurons[0].w[0].data = 1.0
    >>> accuracy(model, [[2.0], [-2.0], [3.0]], [1, 0, 0])
    0.6666666666666666
    """
    if len(labels) != len(inputs):
        raise ValueError(f"accuracy: {len(inputs)} inputs but {len(labels)} labels")
    if not labels:
        raise ValueError("accuracy: no examples to score")
    scores = backend.scores(model, inputs)
    right = sum(predicted_class(s) == y for s, y in zip(scores, labels))
    return right / len(labels)


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

    The model is saved to `config.output` (if set) after every epoch, atomically. On
    Ctrl-C the loop stops; the file keeps the model of the last finished epoch and the
    result says `interrupted`. When the loss or a weight stops being finite (too large a
    learning rate) `TrainingDiverged` is raised and the file keeps the last good epoch.

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
    n_out = 1 if binary else dataset.n_classes
    loss_fn: LossFunction = losses.binary_cross_entropy if binary else losses.cross_entropy
    model = MLP(dataset.n_features, [*(config.hidden or ()), n_out],
                activation=config.activation, seed=config.seed)
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
            for done, (inputs, labels) in enumerate(batches, start=1):
                optimizer.zero_grad()
                step = _checked_step(backend, model, inputs, labels, loss_fn,
                                     first=epoch == 1 and done == 1, epoch=epoch, result=result)
                optimizer.step()
                if not all(math.isfinite(p.data) for p in params):
                    raise TrainingDiverged(epoch, step.loss, result)
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
                except (ArithmeticError, ValueError):  # scores overflowed: weights too large
                    raise TrainingDiverged(epoch, math.nan, result) from None
                result.loss, result.train_accuracy = total_loss / seen, right / seen
                result.test_accuracy, result.epochs_done = test_accuracy, epoch
                if config.output:
                    model.save(config.output, _metadata(config, dataset, result))
                    result.saved_to, result.saved_epoch = config.output, epoch
            progress.clear()
            result.history.append({"epoch": epoch, "loss": result.loss,
                                   "train_accuracy": result.train_accuracy,
                                   "test_accuracy": test_accuracy})
            if epoch in (1, epochs) or epoch % max(1, epochs // 20) == 0:
                print(f"epoch {epoch:>3}/{epochs}  loss {result.loss:.4f}  "
                      f"train {100 * result.train_accuracy:5.1f}%  "
                      f"held-out {100 * test_accuracy:5.1f}%  "
                      f"({time.perf_counter() - epoch_started:.1f}s)", file=out, flush=True)
    except KeyboardInterrupt:
        progress.clear()
        result.interrupted = True
    if ema is not None and ema.t:
        for p, value in zip(params, ema.averages()):
            p.data = value
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def _quiet_overflow() -> Iterator[None]:
    # numpy's overflow warnings: a diverging run is reported once, as TrainingDiverged
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "overflow|invalid value", RuntimeWarning)
        yield


def _checked_step(backend: Backend, model: MLP, inputs: Sequence[Sequence[float]],
                  labels: Sequence[int], loss_fn: LossFunction, *, first: bool, epoch: int,
                  result: TrainResult) -> StepResult:
    """One backend step; an overflow or a non-finite loss after the first step is divergence.

    The first step runs on the initial weights, so an error there is a real fault and
    is raised as it is.
    """
    try:
        with _quiet_overflow():
            step = backend.step(model, inputs, labels, loss_fn)
    except (ArithmeticError, ValueError):
        if first:
            raise
        raise TrainingDiverged(epoch, math.nan, result) from None
    if not math.isfinite(step.loss):
        raise TrainingDiverged(epoch, step.loss, result)
    return step


def _metadata(config: TrainConfig, dataset: Dataset, result: TrainResult) -> dict[str, Any]:
    # Nothing time-dependent: the same seed must give the same file, bit for bit.
    return {
        "dataset": dataset.description,
        "training": {key: (list(value) if isinstance(value, tuple) else value)
                     for key, value in asdict(config).items() if key != "output"},
        "epoch": result.epochs_done,
        "loss": result.loss,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "weights": "ema" if config.ema is not None else "live",
    }


# ----------------------------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------------------------

_UNICODE_SHADES = " ░▒▓█"
_ASCII_SHADES = " .:o#"


def _shades(stream: TextIO) -> str:
    encoding = getattr(stream, "encoding", None)
    if encoding is None:  # an in-memory text buffer holds any character
        return _UNICODE_SHADES
    try:
        _UNICODE_SHADES.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _ASCII_SHADES
    return _UNICODE_SHADES


def draw_digit(pixels: Sequence[float], shades: str = _UNICODE_SHADES) -> list[str]:
    """An 8x8 image (values in [0, 1]) as 8 lines of shade characters, two per pixel.

    >>> draw_digit([0.0] * 60 + [1.0] * 4, shades=" .:o#")[-1]
    '        ########'
    """
    if len(pixels) != 64:
        raise ValueError(f"draw_digit: expected 64 pixels, got {len(pixels)}")
    top = len(shades) - 1
    lines = []
    for r in range(8):
        row = pixels[8 * r: 8 * r + 8]
        lines.append("".join(shades[min(top, max(0, round(v * top)))] * 2 for v in row))
    return lines


def report(model: MLP, dataset: Dataset, out: TextIO, backend: Backend = DYNAMIC,
           show_mistakes: int = 4) -> float:
    """Print held-out accuracy, a per-class table, the confusion matrix and a few mistakes.

    Returns the held-out accuracy.

    >>> import io
    >>> ds = load_dataset("xor", samples=40)
    >>> report(MLP(2, [1], seed=0), ds, io.StringIO()) <= 1.0
    True
    """
    split = dataset.split
    scores = backend.scores(model, split.test_inputs)
    predicted = [predicted_class(s) for s in scores]
    labels = split.test_labels
    n = dataset.n_classes
    confusion = [[0] * n for _ in range(n)]
    for truth, guess in zip(labels, predicted):
        confusion[truth][guess] += 1
    right = sum(confusion[k][k] for k in range(n))
    print(f"\nheld-out accuracy: {100 * right / len(labels):.2f}% ({right}/{len(labels)})",
          file=out)

    print("\nclass  examples  correct  accuracy", file=out)
    for k in range(n):
        support = sum(confusion[k])
        rate = f"{100 * confusion[k][k] / support:7.1f}%" if support else "      -"
        print(f"{k:>5}  {support:>8}  {confusion[k][k]:>7}  {rate}", file=out)

    print("\nconfusion matrix (rows: true class, columns: predicted class)", file=out)
    print("      " + "".join(f"{k:>5}" for k in range(n)), file=out)
    for k in range(n):
        print(f"{k:>5} " + "".join(f"{c:>5}" for c in confusion[k]), file=out)

    mistakes = [i for i, (y, p) in enumerate(zip(labels, predicted)) if y != p]
    if dataset.name == "digits" and mistakes and show_mistakes > 0:
        shown = mistakes[:show_mistakes]
        shades = _shades(out)
        print(f"\n{len(mistakes)} misclassified; the first {len(shown)}:", file=out)
        pictures = [draw_digit(split.test_inputs[i], shades) for i in shown]
        print("   ".join(f"true {labels[i]}, guess {predicted[i]}".ljust(16) for i in shown),
              file=out)
        for r in range(8):
            print("   ".join(picture[r] for picture in pictures), file=out)
    return right / len(labels)


# ----------------------------------------------------------------------------------------------
# The commands
# ----------------------------------------------------------------------------------------------


def _hidden_sizes(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes separated by commas, like 32,16; got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _samples(text: str) -> int:
    value = _positive_int(text)
    if not MIN_SAMPLES <= value <= MAX_SAMPLES:
        raise argparse.ArgumentTypeError(
            f"expected from {MIN_SAMPLES} to {MAX_SAMPLES} samples (fewer leave the held-out "
            f"set empty), got {text!r}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _decay(text: str) -> float:
    value = _non_negative(text)
    if not value < 1.0:
        raise argparse.ArgumentTypeError(f"the EMA decay must be in [0, 1), got {text!r}")
    return value


def _unwritable(path: str) -> str | None:
    """Why a model file cannot be written at `path`, or None when it looks fine.

    >>> _unwritable("model.json") is None, _unwritable(".")
    (True, 'it is a folder')
    """
    target = Path(path)
    if target.is_dir():
        return "it is a folder"
    folder = target.parent
    if not folder.is_dir():
        return f"the folder {os.fspath(folder)} does not exist"
    if not os.access(folder, os.W_OK):
        return f"the folder {os.fspath(folder)} is not writable"
    return None


def run_train(args: argparse.Namespace) -> int:
    """The `train` command: train, report, save; 130 when stopped by Ctrl-C.

    >>> import tempfile, os, contextlib, io
    >>> from autograd.cli import build_parser
    >>> path = os.path.join(tempfile.mkdtemp(), "xor.json")
    >>> args = build_parser().parse_args(["train", "--dataset", "xor", "--samples", "40",
    ...                                   "--epochs", "1", "--output", path])
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     status = run_train(args)
    >>> status
    0
    """
    output = args.output if args.output is not None else f"{args.dataset}-mlp.json"
    config = TrainConfig(
        dataset=args.dataset, hidden=args.hidden, activation=args.activation,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay, schedule=args.schedule, batch_size=args.batch_size,
        epochs=args.epochs, ema=args.ema, seed=args.seed, samples=args.samples,
        noise=args.noise, output=output,
    )
    problem = _unwritable(output)
    if problem:
        print(f"train: cannot write the model to {output}: {problem}", file=sys.stderr)
        return 2
    try:
        backend = backend_named(args.engine)
    except ImportError as error:
        print(f"train: {error}", file=sys.stderr)
        return 2
    print(f"engine: {backend.name}", file=sys.stdout)
    try:
        result = train(config, backend=backend)
    except OSError as error:
        print(f"\ntrain: cannot write the model: {error}", file=sys.stderr)
        return 1
    except TrainingDiverged as error:
        kept = error.result
        where = (f"; {kept.saved_to} keeps epoch {kept.saved_epoch}"
                 if kept is not None and kept.saved_to else "; nothing saved")
        print(f"\ntrain: training diverged at epoch {error.epoch} (loss {error.loss:g}); "
              f"try a smaller --lr{where}", file=sys.stderr)
        return 1
    if result.interrupted:
        if result.saved_to:
            print(f"\ninterrupted: {result.saved_to} holds the model after epoch "
                  f"{result.saved_epoch}", file=sys.stderr)
        else:
            print("\ninterrupted before the first epoch finished: nothing saved",
                  file=sys.stderr)
        return 130
    train_accuracy = accuracy(result.model, *result.dataset.split[:2], backend)
    print(f"\ntrained {result.epochs_done} epochs in {result.seconds:.1f}s; "
          f"training accuracy {100 * train_accuracy:.2f}%", file=sys.stdout)
    report(result.model, result.dataset, sys.stdout, backend)
    print(f"\nsaved the model to {output}"
          f"\n(check it again with: python -m autograd evaluate {output})")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """The `evaluate` command: reload a model file and report on its held-out data.

    >>> import tempfile, os, contextlib, io
    >>> from autograd.cli import build_parser
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> MLP(2, [1]).save(path, {"dataset": {"name": "moons", "samples": 20}})
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     status = run_evaluate(build_parser().parse_args(["evaluate", path]))
    >>> status
    0
    """
    try:
        checkpoint = load_checkpoint(args.model)
        model = MLP.load(args.model)
    except (OSError, CheckpointError, ValueError, OverflowError) as error:
        print(f"evaluate: {error}", file=sys.stderr)
        return 1
    described = checkpoint.metadata.get("dataset") or {}
    if not isinstance(described, dict):
        print(f"evaluate: {args.model}: field 'metadata.dataset': expected an object, got "
              f"{described!r:.60}", file=sys.stderr)
        return 1
    description = dict(described)
    if args.dataset:
        description = {"name": args.dataset}
    if not description:
        print(f"evaluate: {args.model} does not say which dataset it was trained on; "
              f"give --dataset", file=sys.stderr)
        return 1
    try:
        dataset = _dataset_from_description(description)
    except (ValueError, TypeError, OverflowError) as error:
        source = "--dataset" if args.dataset else f"{args.model}: field 'metadata.dataset'"
        print(f"evaluate: {source}: {error}", file=sys.stderr)
        return 1
    expected_out = 1 if dataset.n_classes == 2 else dataset.n_classes
    if model.n_in != dataset.n_features or model.sizes[-1] != expected_out:
        print(f"evaluate: {model!r} does not fit {dataset.name} ({dataset.n_features} inputs, "
              f"{expected_out} outputs)", file=sys.stderr)
        return 1
    print(f"model {args.model}: {model!r}")
    epoch = checkpoint.metadata.get("epoch")
    if epoch is not None:
        print(f"trained for {epoch} epochs on {dataset.name}")
    print(f"training accuracy {100 * accuracy(model, *dataset.split[:2]):.2f}%")
    report(model, dataset, sys.stdout)
    return 0


def register(subparsers: Any) -> None:
    """Add the `train` and `evaluate` commands.

    >>> from autograd.cli import build_parser
    >>> build_parser().parse_args(["train", "--hidden", "32,16"]).hidden
    (32, 16)
    """
    parser = subparsers.add_parser(
        "train", help="train an MLP on the bundled digits (or a toy set) and report accuracy",
        description="Train a multilayer perceptron with the scalar engine. By default: the "
                    "bundled 8x8 handwritten digits, a 64-32-10 ReLU network, Adam, 20 epochs.")
    parser.add_argument("--dataset", choices=DATASETS, default="digits",
                        help="what to learn (default: digits)")
    parser.add_argument("--hidden", type=_hidden_sizes, default=None, metavar="SIZES",
                        help="hidden layer sizes, e.g. 32,16 (default: 32 for digits, "
                             "16,16 otherwise)")
    parser.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "identity"],
                        default="relu", help="hidden activation (default: relu)")
    parser.add_argument("--optimizer", choices=("adam", "sgd"), default="adam",
                        help="default: adam")
    parser.add_argument("--lr", type=_non_negative, default=None,
                        help="learning rate (default: 0.01 for adam, 0.1 for sgd)")
    parser.add_argument("--momentum", type=_decay, default=0.9,
                        help="SGD momentum (default: 0.9)")
    parser.add_argument("--weight-decay", type=_non_negative, default=0.0,
                        help="L2 weight decay (default: 0)")
    parser.add_argument("--schedule", choices=("cosine", "step", "constant"), default="cosine",
                        help="learning-rate schedule over the epochs (default: cosine)")
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="default: 32")
    parser.add_argument("--epochs", type=_positive_int, default=None,
                        help="default: 20 for digits, 100 otherwise")
    parser.add_argument("--ema", type=_decay, default=None, metavar="DECAY",
                        help="keep a moving average of the weights (e.g. 0.99) and "
                             "evaluate and save it")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for the initial weights and the batch order (default: 0)")
    parser.add_argument("--samples", type=_samples, default=None,
                        help=f"points in a toy set, {MIN_SAMPLES} to {MAX_SAMPLES} "
                             f"(default: 200)")
    parser.add_argument("--noise", type=_non_negative, default=None,
                        help="noise of a toy set (default: the set's own)")
    parser.add_argument("--output", default=None, metavar="PATH",
                        help="where to save the model (default: DATASET-mlp.json)")
    parser.add_argument("--engine", choices=ENGINES, default="auto",
                        help="compiled: each batch through autograd.compile on numpy (the "
                             "fast extra); dynamic: a Value graph per batch; auto (default): "
                             "compiled when numpy is installed")
    parser.set_defaults(run=run_train)

    evaluate = subparsers.add_parser(
        "evaluate", help="reload a saved model and report its accuracy again")
    evaluate.add_argument("model", metavar="MODEL.json", help="a file written by `train`")
    evaluate.add_argument("--dataset", choices=DATASETS, default=None,
                          help="evaluate on this dataset instead of the one the file names")
    evaluate.set_defaults(run=run_evaluate)
