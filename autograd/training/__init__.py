"""Training an MLP on the bundled digits or a toy set: the application behind `train`.

The package reads bottom to top:

- `datasets`: the data sets by name, split with a fixed seed;
- `backends`: one mini-batch step and scoring (`DYNAMIC`, the Value graph), and
  `compiled`, the same work as compiled numpy code; `engines` picks one by name;
- `models`: how large a network may be, checked before it is built or loaded;
- `loop`: `train(TrainConfig(...))`, with a file after every epoch;
- `text_report` (the terminal) and `html_report` (a page with curves, a heatmap and the misread
  examples, drawn by `svg`).

The command line (`autograd.cli.train`) sits on top of these. Every name the older single
module `autograd.training` offered is still importable from here.

>>> import io
>>> config = TrainConfig(dataset="moons", hidden=(8,), epochs=2, samples=40, output=None)
>>> result = train(config, out=io.StringIO(), err=io.StringIO())
>>> result.epochs_done, 0.0 <= result.test_accuracy <= 1.0
(2, True)
"""

from __future__ import annotations

from typing import Any

from autograd.training.backends import (
    DYNAMIC,
    Backend,
    LossFunction,
    NonFiniteScores,
    StepResult,
    checked_scores,
    engine_scores,
    engine_step,
    predicted_class,
)
from autograd.training.datasets import (
    DATASETS,
    MAX_SAMPLES,
    MIN_SAMPLES,
    SPLIT_SEED,
    TEST_FRACTION,
    TOY_SETS,
    Dataset,
    dataset_from_description,
    load_dataset,
)
from autograd.training.engines import ENGINES, backend_named
from autograd.training.html_report import render_report, report_path, write_report
from autograd.training.loop import (
    DEFAULT_LR,
    DEFAULTS,
    Progress,
    TrainConfig,
    TrainingDiverged,
    TrainResult,
    accuracy,
    layer_grad_norms,
    train,
)
from autograd.training.models import (
    MAX_LAYERS,
    MAX_PARAMETERS,
    ModelTooLarge,
    check_size,
    mlp_parameter_count,
    model_from_checkpoint,
)
from autograd.training.text_report import Evaluation, draw_digit, evaluate_model, report

__all__ = [
    "DATASETS",
    "DEFAULTS",
    "DEFAULT_LR",
    "DYNAMIC",
    "ENGINES",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "SPLIT_SEED",
    "TEST_FRACTION",
    "TOY_SETS",
    "Backend",
    "Dataset",
    "Evaluation",
    "LossFunction",
    "ModelTooLarge",
    "NonFiniteScores",
    "Progress",
    "StepResult",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "accuracy",
    "backend_named",
    "check_size",
    "checked_scores",
    "dataset_from_description",
    "draw_digit",
    "engine_scores",
    "engine_step",
    "evaluate_model",
    "layer_grad_norms",
    "load_dataset",
    "mlp_parameter_count",
    "model_from_checkpoint",
    "predicted_class",
    "render_report",
    "report",
    "report_path",
    "train",
    "write_report",
]

# The argparse side of `train` and `evaluate` moved up to the command line, which imports
# this package; naming them here would make the two import each other.
_MOVED_TO_CLI = ("register", "run_train", "run_evaluate")


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_CLI:
        raise AttributeError(f"autograd.training.{name} moved to autograd.cli.train.{name} "
                             f"(the command line's part of training)")
    raise AttributeError(f"module 'autograd.training' has no attribute {name!r}")
