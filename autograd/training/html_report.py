"""The training report: one self-contained HTML page to look at after `train` or `evaluate`.

The page shows the loss and the accuracy per epoch, the gradient norm of each layer over
training (a layer whose gradient fades towards zero has stalled; one that grows by orders of
magnitude is exploding), the held-out confusion matrix as a heatmap, and the examples the
model read wrong (the digits as images, or, for a toy set in the plane, the held-out points
with the misread ones ringed). Everything is inline SVG drawn by `autograd.training.svg`:
no script, no font or image from elsewhere, and a content security policy that forbids
the page from loading anything, so it opens offline and makes no request.

>>> from autograd.nn import MLP
>>> from autograd.training.datasets import load_dataset
>>> from autograd.training.text_report import evaluate_model
>>> ds = load_dataset("xor", samples=40)
>>> model = MLP(2, [4, 1], seed=0)
>>> page = render_report(model, ds, evaluate_model(model, ds), history=[])
>>> page.startswith("<!DOCTYPE html>") and 'id="confusion"' in page
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from autograd.files import write_text
from autograd.nn import MLP
from autograd.training.backends import DYNAMIC, Backend, checked_scores, predicted_class
from autograd.training.datasets import Dataset
from autograd.training.svg import (
    Series,
    heatmap,
    line_chart,
    pixel_image,
    scatter,
    square_bounds,
)
from autograd.training.text_report import Evaluation

__all__ = ["MAX_IMAGES", "history_from_metadata", "render_report", "report_path",
           "write_report"]

MAX_IMAGES = 120  # misread examples drawn; the rest are counted
REGION_BUDGET = 1_000_000  # parameter-evaluations spent on the decision regions of a 2-d set

_STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #222; background: #f6f7f9; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; }
p.lead { margin: 0 0 18px; color: #555; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 8px; padding: 16px 18px;
          margin: 0 0 18px; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
table.summary { border-collapse: collapse; font-size: 14px; }
table.summary th { text-align: left; font-weight: 600; padding: 3px 18px 3px 0; color: #444;
                   vertical-align: top; }
table.summary td { padding: 3px 0; font-variant-numeric: tabular-nums; }
.note { color: #666; font-size: 13px; margin: 8px 0 0; }
.digits { display: flex; flex-wrap: wrap; gap: 10px; }
figure.digit { margin: 0; text-align: center; font-size: 12px; }
figure.digit svg { border: 1px solid #ccc; display: block; }
figure.digit figcaption { margin-top: 3px; font-variant-numeric: tabular-nums; }
figure.digit .read { color: #c0392b; font-weight: 600; }
.big { font-size: 28px; font-weight: 600; }
"""


def report_path(model_path: str | os.PathLike[str]) -> str:
    """Where `train` writes the report of the model saved at `model_path`: beside it.

    >>> report_path("runs/digits-mlp.json")
    'runs/digits-mlp.report.html'
    """
    path = Path(model_path)
    stem = path.stem if path.suffix.lower() == ".json" else path.name
    return os.fspath(path.with_name(f"{stem}.report.html"))


MAX_EPOCH = 10**9  # epochs in a file's history beyond this are not drawn


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


def history_from_metadata(value: Any) -> list[dict[str, Any]]:
    """The per-epoch history a model file's metadata holds, with malformed entries dropped.

    The file comes from outside: only entries with a whole-number ``epoch`` from 0 to
    `MAX_EPOCH` are kept, and any field that is not a finite number becomes None.

    >>> history_from_metadata([{"epoch": 1, "loss": 0.5, "grad_norms": [1.0, "x"]}, 7])
    [{'epoch': 1, 'loss': 0.5, 'train_accuracy': None, 'test_accuracy': None, \
'grad_norms': [1.0, None]}]
    """
    if not isinstance(value, list):
        return []
    history = []
    for entry in value:
        if not isinstance(entry, Mapping):
            continue
        epoch = entry.get("epoch")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= MAX_EPOCH:
            continue
        norms = entry.get("grad_norms")
        history.append({
            "epoch": epoch,
            "loss": _finite(entry.get("loss")),
            "train_accuracy": _finite(entry.get("train_accuracy")),
            "test_accuracy": _finite(entry.get("test_accuracy")),
            "grad_norms": [_finite(n) for n in norms] if isinstance(norms, list) else [],
        })
    return history


def _percent(x: float) -> str:
    return f"{100 * x:.0f}%"


def _curves(history: Sequence[Mapping[str, Any]], model: MLP) -> str:
    if not history:
        return ('<section id="curves"><h2>Training curves</h2><p class="note">This model '
                "file holds no per-epoch history (it was saved by an older version or "
                "outside the <code>train</code> command), so there are no curves to draw."
                "</p></section>")
    history = sorted(history, key=lambda entry: entry["epoch"])
    epochs = [entry["epoch"] for entry in history]
    loss = line_chart(
        [Series("training loss", list(zip(epochs, (e["loss"] for e in history))))],
        title="Loss per epoch", x_label="epoch", y_label="mean loss", chart_id="loss-chart")
    accuracy = line_chart(
        [Series("training", list(zip(epochs, (e["train_accuracy"] for e in history)))),
         Series("held-out", list(zip(epochs, (e["test_accuracy"] for e in history))),
                dashed=True)],
        title="Accuracy per epoch", x_label="epoch", y_label="accuracy", y_range=(0.0, 1.0),
        y_format=_percent, chart_id="accuracy-chart")
    shapes = [model.n_in, *model.sizes]
    n_layers = min(len(model.layers), max((len(e["grad_norms"]) for e in history), default=0))
    names = [f"layer {i + 1} ({shapes[i]}\u2192{shapes[i + 1]})" if i + 1 < len(shapes)
             else f"layer {i + 1}" for i in range(n_layers)]
    norms = [Series(names[i], [(e["epoch"], e["grad_norms"][i] if i < len(e["grad_norms"])
                                else None) for e in history]) for i in range(n_layers)]
    gradient = (line_chart(norms, title="Gradient norm per layer (log scale)", x_label="epoch",
                           y_label="|gradient|, mean over batches", log_y=True,
                           width=900, height=300, chart_id="gradient-chart")
                if any(v is not None for s in norms for _, v in s.points)
                else '<p class="note">No gradient norms were recorded.</p>')
    return (f'<section id="curves"><h2>Loss and accuracy</h2><div class="row">{loss}'
            f"{accuracy}</div></section>"
            f'<section id="gradients"><h2>Gradient norm per layer</h2>{gradient}'
            '<p class="note">The Euclidean norm of each layer\'s gradient (weights and biases), '
            "averaged over the batches of an epoch. A layer whose line sinks by orders of "
            "magnitude while the loss stays high has stopped learning; a line that climbs "
            "steeply is exploding (try a smaller learning rate).</p></section>")


def _regions(model: MLP, bounds: tuple[float, float, float, float],
             backend: Backend) -> list[list[int]] | None:
    """The class the model gives the centre of each cell of a grid over `bounds`, top row first.

    The grid is finer for small models: about `REGION_BUDGET` parameter-evaluations in all.
    """
    side = max(12, min(48, math.isqrt(max(1, REGION_BUDGET // max(1, model.n_parameters)))))
    x_low, x_high, y_low, y_high = bounds
    centres = [[x_low + (c + 0.5) * (x_high - x_low) / side,
                y_high - (r + 0.5) * (y_high - y_low) / side]
               for r in range(side) for c in range(side)]
    try:
        scores = checked_scores(backend, model, centres)
    except ArithmeticError:
        return None
    classes = [predicted_class(row) for row in scores]
    return [classes[r * side:(r + 1) * side] for r in range(side)]


def _mistakes(evaluation: Evaluation, dataset: Dataset, model: MLP | None = None,
              backend: Backend = DYNAMIC) -> str:
    inputs = dataset.split.test_inputs
    n_wrong, n_all = len(evaluation.mistakes), len(evaluation.labels)
    if dataset.n_features == 64 and dataset.name == "digits":
        if not evaluation.mistakes:
            body = '<p class="note">Every held-out digit was read right.</p>'
        else:
            figures = []
            for i in evaluation.mistakes[:MAX_IMAGES]:
                truth, read = evaluation.labels[i], evaluation.predicted[i]
                image = pixel_image(inputs[i], 8, scale=9, title=f"a {truth} read as {read}")
                figures.append(f'<figure class="digit">{image}<figcaption>{truth} read as '
                               f'<span class="read">{read}</span></figcaption></figure>')
            more = (f'<p class="note">Showing the first {MAX_IMAGES} of {n_wrong}.</p>'
                    if n_wrong > MAX_IMAGES else "")
            body = f'<div class="digits">{"".join(figures)}</div>{more}'
        return (f'<section id="misread"><h2>Misread digits: {n_wrong} of {n_all}</h2>{body}'
                "</section>")
    if dataset.n_features == 2 and model is not None:
        wrong = set(evaluation.mistakes)
        bounds = square_bounds(inputs)
        picture = scatter(inputs, evaluation.labels, [i in wrong for i in range(n_all)],
                          title="Held-out points over the model's decision regions; misread "
                                "ones ringed", bounds=bounds,
                          regions=_regions(model, bounds, backend), chart_id="misread-points")
        return (f'<section id="misread"><h2>Misread points: {n_wrong} of {n_all}</h2>'
                f'{picture}<p class="note">Held-out points coloured by their true class, over '
                "the class the model gives each part of the plane; the points it reads wrong "
                "are ringed in red.</p></section>")
    return (f'<section id="misread"><h2>Misread examples: {n_wrong} of {n_all}</h2>'
            f'<p class="note">Indices: {escape(", ".join(map(str, evaluation.mistakes[:200])))}'
            "</p></section>")


def _summary_rows(model: MLP, dataset: Dataset, evaluation: Evaluation,
                  training: Mapping[str, Any] | None, train_accuracy: float | None,
                  model_path: str | None, epochs: int | None) -> list[tuple[str, str]]:
    split = dataset.split
    rows = [("model", repr(model))]
    if model_path:
        rows.append(("file", os.fspath(model_path)))
    rows.append(("data", f"{dataset.name}: {len(split.train_labels)} training and "
                         f"{len(split.test_labels)} held-out examples, "
                         f"{dataset.n_classes} classes"))
    if training:
        keys = ("optimizer", "lr", "schedule", "batch_size", "epochs", "ema", "seed",
                "weight_decay", "activation")
        shown = ", ".join(f"{key} {str(training[key])[:40]}" for key in keys
                          if training.get(key) is not None and not isinstance(training[key],
                                                                              (dict, list)))
        rows.append(("training", shown))
    if epochs is not None:
        rows.append(("epochs done", str(epochs)))
    if train_accuracy is not None:
        rows.append(("training accuracy", f"{100 * train_accuracy:.2f}%"))
    rows.append(("held-out accuracy", f"{100 * evaluation.accuracy:.2f}% "
                                      f"({evaluation.right}/{len(evaluation.labels)})"))
    return rows


def render_report(model: MLP, dataset: Dataset, evaluation: Evaluation,
                  history: Sequence[Mapping[str, Any]], *,
                  training: Mapping[str, Any] | None = None,
                  train_accuracy: float | None = None, model_path: str | None = None,
                  title: str | None = None, backend: Backend = DYNAMIC) -> str:
    """The report page as text (see the module docstring); every label is escaped.

    `backend` scores the grid of decision regions drawn for a data set in the plane.

    >>> from autograd.training.datasets import load_dataset
    >>> from autograd.training.text_report import evaluate_model
    >>> ds = load_dataset("moons", samples=20)
    >>> model = MLP(2, [1], seed=0)
    >>> page = render_report(model, ds, evaluate_model(model, ds), [], title="<moons>")
    >>> "<title>&lt;moons&gt;</title>" in page, 'id="misread-points"' in page
    (True, True)
    """
    epochs = history[-1]["epoch"] if history else None
    rows = _summary_rows(model, dataset, evaluation, training, train_accuracy, model_path,
                         epochs)
    table = "".join(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>"
                    for name, value in rows)
    heading = title or f"Training report: {dataset.name}"
    confusion = heatmap(evaluation.confusion, title="Confusion matrix (held-out set)",
                        row_label="true class", column_label="predicted class",
                        cell=40 if dataset.n_classes <= 10 else 28, chart_id="confusion")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading)}</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
<h1>{escape(heading)}</h1>
<p class="lead"><span class="big">{100 * evaluation.accuracy:.1f}%</span> of the held-out
examples read right.</p>
<section id="summary"><h2>Summary</h2><table class="summary">{table}</table></section>
{_curves(history, model)}
<section id="confusion-matrix"><h2>Confusion matrix</h2>{confusion}
<p class="note">Rows are the true classes, columns the model's answers; each cell is shaded by
its share of the row, and a red edge marks a confusion that happened.</p></section>
{_mistakes(evaluation, dataset, model, backend)}
</main>
</body>
</html>
"""


def write_report(path: str | os.PathLike[str], model: MLP, dataset: Dataset,
                 evaluation: Evaluation, history: Sequence[Mapping[str, Any]],
                 **details: Any) -> Path:
    """Render the report and write it atomically to `path` (see `render_report`).

    >>> import tempfile, os
    >>> from autograd.training.datasets import load_dataset
    >>> from autograd.training.text_report import evaluate_model
    >>> ds = load_dataset("moons", samples=20)
    >>> model = MLP(2, [1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "r.html")
    >>> write_report(path, model, ds, evaluate_model(model, ds), []).stat().st_size > 1000
    True
    """
    return write_text(path, render_report(model, dataset, evaluation, history, **details))
