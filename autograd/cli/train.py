"""The `train` and `evaluate` commands: fit an MLP on the bundled digits (or a toy set).

`python -m autograd train` trains on the 8x8 digits and reports held-out accuracy, a
per-class table, a confusion matrix and a few misclassified digits drawn in the terminal;
the model is saved (atomically, after every epoch) to JSON, and an HTML report with the
training curves, the confusion matrix as a heatmap and the misread digits is written beside
it. `python -m autograd evaluate MODEL.json` reloads such a file (parsed once, its size
checked before anything is built) and reports again; `--report PATH` writes the page too.

Exit status: 0 on success, 1 when training diverges or a file cannot be used, 2 for bad
options, 130 when training is stopped by Ctrl-C.

>>> build = __import__("autograd.cli", fromlist=["build_parser"]).build_parser
>>> build().parse_args(["evaluate", "m.json", "--report", "r.html"]).report
'r.html'
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from autograd.files import CheckpointError, load_checkpoint, why_unwritable
from autograd.nn import ACTIVATIONS
from autograd.training import (
    DATASETS,
    ENGINES,
    MAX_PARAMETERS,
    MAX_SAMPLES,
    MIN_SAMPLES,
    ModelTooLarge,
    NonFiniteScores,
    TrainConfig,
    TrainingDiverged,
    accuracy,
    backend_named,
    dataset_from_description,
    evaluate_model,
    model_from_checkpoint,
    report_path,
    train,
    write_report,
)
from autograd.training.html_report import history_from_metadata
from autograd.training.text_report import print_report

__all__ = ["register", "run_evaluate", "run_train"]


def _hidden_sizes(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected sizes separated by commas, like 32,16; got {text!r:.60}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r:.60}")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r:.60}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r:.60}")
    return value


def _samples(text: str) -> int:
    value = _positive_int(text)
    if not MIN_SAMPLES <= value <= MAX_SAMPLES:
        raise argparse.ArgumentTypeError(
            f"expected from {MIN_SAMPLES} to {MAX_SAMPLES} samples (fewer leave the held-out "
            f"set empty), got {text!r:.60}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r:.60}") from None
    if not value >= 0.0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r:.60}")
    return value


def _decay(text: str) -> float:
    value = _non_negative(text)
    if not value < 1.0:
        raise argparse.ArgumentTypeError(f"the EMA decay must be in [0, 1), got {text!r:.60}")
    return value


def _unwritable(path: str) -> str | None:
    """Why a file cannot be written at `path`, or None when it looks fine.

    >>> _unwritable("model.json") is None, _unwritable(""), _unwritable(".")
    (True, 'the path is empty', 'it is a folder, not a regular file')
    """
    return why_unwritable(path)


def _refuse(command: str, what: str, path: str, reason: str) -> int:
    print(f"{command}: cannot write the {what} to {path or repr(path)}: {reason}",
          file=sys.stderr)
    return 2


def run_train(args: argparse.Namespace) -> int:
    """The `train` command: train, report, save; 130 when stopped by Ctrl-C.

    >>> import tempfile, os, contextlib, io
    >>> from autograd.cli import build_parser
    >>> path = os.path.join(tempfile.mkdtemp(), "xor.json")
    >>> args = build_parser().parse_args(["train", "--dataset", "xor", "--samples", "40",
    ...                                   "--epochs", "1", "--output", path])
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     status = run_train(args)
    >>> status, os.path.exists(path), os.path.exists(path[:-5] + ".report.html")
    (0, True, True)
    """
    output = args.output if args.output is not None else f"{args.dataset}-mlp.json"
    config = TrainConfig(
        dataset=args.dataset, hidden=args.hidden, activation=args.activation,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum,
        weight_decay=args.weight_decay, schedule=args.schedule, batch_size=args.batch_size,
        epochs=args.epochs, ema=args.ema, seed=args.seed, samples=args.samples,
        noise=args.noise, output=output, max_parameters=args.max_parameters,
    )
    problem = _unwritable(output)
    if problem:
        return _refuse("train", "model", output, problem)
    report = None if args.no_report else (args.report or report_path(output))
    if report is not None:
        problem = _unwritable(report)
        if problem:
            return _refuse("train", "report", report, problem)
    try:
        backend = backend_named(args.engine)
    except ImportError as error:
        print(f"train: {error}", file=sys.stderr)
        return 2
    print(f"engine: {backend.name}", file=sys.stdout)
    try:
        result = train(config, backend=backend)
    except ModelTooLarge as error:
        print(f"train: --hidden: {error.what} has {error.parameters:,} parameters, more than "
              f"the limit of {error.limit:,} (give --max-parameters to raise it)",
              file=sys.stderr)
        return 2
    except ValueError as error:  # a choice the loop refuses, such as too many layers
        print(f"train: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"\ntrain: cannot write the model: {error}", file=sys.stderr)
        return 1
    except TrainingDiverged as error:
        kept = error.result
        where = (f"; {kept.saved_to} keeps epoch {kept.saved_epoch}"
                 if kept is not None and kept.saved_to else "; nothing saved")
        print(f"\ntrain: training diverged at epoch {error.epoch} ({error.detail}); "
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
    evaluation = evaluate_model(result.model, result.dataset, backend)
    print_report(evaluation, result.dataset, sys.stdout)
    print(f"\nsaved the model to {output}")
    if report is not None:
        try:
            write_report(report, result.model, result.dataset, evaluation, result.history,
                         training=asdict(config.resolved()), train_accuracy=train_accuracy,
                         model_path=output, backend=backend)
        except OSError as error:
            print(f"train: cannot write the report: {error}", file=sys.stderr)
            return 1
        print(f"wrote the report to {report}")
    print(f"(check it again with: python -m autograd evaluate {output})")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """The `evaluate` command: reload a model file and report on its held-out data.

    The file is parsed once; its size and its architecture's parameter count are checked
    before the network is built; a model whose outputs are not finite numbers is refused.

    >>> import tempfile, os, contextlib, io
    >>> from autograd.cli import build_parser
    >>> from autograd.nn import MLP
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> MLP(2, [1]).save(path, {"dataset": {"name": "moons", "samples": 20}})
    >>> with contextlib.redirect_stdout(io.StringIO()):
    ...     status = run_evaluate(build_parser().parse_args(["evaluate", path]))
    >>> status
    0
    """
    if args.report is not None:
        problem = _unwritable(args.report)
        if problem:
            return _refuse("evaluate", "report", args.report, problem)
    try:
        checkpoint = load_checkpoint(args.model, max_parameters=args.max_parameters)
        model = model_from_checkpoint(checkpoint, args.model, args.max_parameters)
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
        dataset = dataset_from_description(description)
    except (ValueError, TypeError, OverflowError) as error:
        source = "--dataset" if args.dataset else f"{args.model}: field 'metadata.dataset'"
        print(f"evaluate: {source}: {error}", file=sys.stderr)
        return 1
    if model.n_in != dataset.n_features or model.sizes[-1] != dataset.n_outputs:
        print(f"evaluate: {model!r} does not fit {dataset.name} ({dataset.n_features} inputs, "
              f"{dataset.n_outputs} outputs)", file=sys.stderr)
        return 1
    try:
        train_accuracy = accuracy(model, *dataset.split[:2])
        evaluation = evaluate_model(model, dataset)
    except NonFiniteScores as error:
        print(f"evaluate: {args.model}: not scored: {error}", file=sys.stderr)
        return 1
    print(f"model {args.model}: {model!r}")
    epoch = checkpoint.metadata.get("epoch")
    if epoch is not None:
        print(f"trained for {epoch} epochs on {dataset.name}")
    print(f"training accuracy {100 * train_accuracy:.2f}%")
    print_report(evaluation, dataset, sys.stdout)
    if args.report is not None:
        training = checkpoint.metadata.get("training")
        try:
            write_report(args.report, model, dataset, evaluation,
                         history_from_metadata(checkpoint.metadata.get("history")),
                         training=training if isinstance(training, dict) else None,
                         train_accuracy=train_accuracy, model_path=args.model)
        except OSError as error:
            print(f"evaluate: cannot write the report: {error}", file=sys.stderr)
            return 1
        print(f"\nwrote the report to {args.report}")
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
                    "bundled 8x8 handwritten digits, a 64-32-10 ReLU network, Adam, 20 epochs. "
                    "Saves the model and, beside it, an HTML report (curves, confusion "
                    "matrix, misread examples, gradient norms).")
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
    parser.add_argument("--report", default=None, metavar="PATH",
                        help="where to write the HTML report (default: beside the model, "
                             "MODEL.report.html)")
    parser.add_argument("--no-report", action="store_true", help="write no HTML report")
    _add_max_parameters(parser)
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
    evaluate.add_argument("--report", default=None, metavar="PATH",
                          help="also write the HTML report (curves from the file's history, "
                               "confusion matrix, misread examples) to PATH")
    _add_max_parameters(evaluate)
    evaluate.set_defaults(run=run_evaluate)


def _add_max_parameters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-parameters", type=_positive_int, default=MAX_PARAMETERS,
                        metavar="N",
                        help=f"refuse a network of more than N weights and biases (default: "
                             f"{MAX_PARAMETERS:,}; each takes about 330 bytes)")
