"""Scoring a model on its held-out set, and the report printed on the terminal.

`evaluate_model` scores the held-out examples once (refusing scores that are not finite
numbers) into an `Evaluation`: predictions, the confusion matrix and the mistakes. The
terminal `report` and the HTML report (`autograd.training.html_report`) both read it.

>>> import io
>>> from autograd.nn import MLP
>>> from autograd.training.datasets import load_dataset
>>> result = evaluate_model(MLP(2, [1], seed=0), load_dataset("xor", samples=40))
>>> len(result.confusion), sum(map(sum, result.confusion))
(2, 8)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from autograd.nn import MLP
from autograd.training.backends import DYNAMIC, Backend, checked_scores, predicted_class
from autograd.training.datasets import Dataset

__all__ = ["Evaluation", "draw_digit", "evaluate_model", "print_report", "report"]

_UNICODE_SHADES = " ░▒▓█"
_ASCII_SHADES = " .:o#"


@dataclass(frozen=True)
class Evaluation:
    """A model's held-out results: per-example predictions and the confusion matrix.

    `confusion[true][predicted]` counts examples; `mistakes` lists the indices (into the
    held-out set) of the examples read wrong, in order.

    >>> Evaluation([1], [0], [[0, 0], [1, 0]], [0]).accuracy
    0.0
    """

    labels: list[int]
    predicted: list[int]
    confusion: list[list[int]]
    mistakes: list[int]

    @property
    def accuracy(self) -> float:
        """The fraction of held-out examples read right."""
        return 1.0 - len(self.mistakes) / len(self.labels)

    @property
    def right(self) -> int:
        """How many held-out examples were read right."""
        return len(self.labels) - len(self.mistakes)


def evaluate_model(model: MLP, dataset: Dataset, backend: Backend = DYNAMIC) -> Evaluation:
    """Score the held-out set once; `NonFiniteScores` if the model outputs nan or inf.

    >>> from autograd.training.datasets import load_dataset
    >>> evaluate_model(MLP(2, [1], seed=0), load_dataset("moons", samples=20)).labels[:3]
    [1, 0, 0]
    """
    split = dataset.split
    scores = checked_scores(backend, model, split.test_inputs)
    predicted = [predicted_class(s) for s in scores]
    labels = list(split.test_labels)
    n = dataset.n_classes
    confusion = [[0] * n for _ in range(n)]
    for truth, guess in zip(labels, predicted):
        confusion[truth][guess] += 1
    mistakes = [i for i, (y, p) in enumerate(zip(labels, predicted)) if y != p]
    return Evaluation(labels, predicted, confusion, mistakes)


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


def print_report(evaluation: Evaluation, dataset: Dataset | None, out: TextIO,
                 show_mistakes: int = 4) -> None:
    """Print held-out accuracy, a per-class table, the confusion matrix and a few mistakes.

    >>> import io
    >>> out = io.StringIO()
    >>> print_report(Evaluation([0, 1], [0, 0], [[1, 0], [1, 0]], [1]), None, out)
    >>> out.getvalue().splitlines()[1]
    'held-out accuracy: 50.00% (1/2)'
    """
    labels, predicted, confusion = evaluation.labels, evaluation.predicted, evaluation.confusion
    n = len(confusion)
    print(f"\nheld-out accuracy: {100 * evaluation.accuracy:.2f}% "
          f"({evaluation.right}/{len(labels)})", file=out)

    print("\nclass  examples  correct  accuracy", file=out)
    for k in range(n):
        support = sum(confusion[k])
        rate = f"{100 * confusion[k][k] / support:7.1f}%" if support else "      -"
        print(f"{k:>5}  {support:>8}  {confusion[k][k]:>7}  {rate}", file=out)

    print("\nconfusion matrix (rows: true class, columns: predicted class)", file=out)
    print("      " + "".join(f"{k:>5}" for k in range(n)), file=out)
    for k in range(n):
        print(f"{k:>5} " + "".join(f"{c:>5}" for c in confusion[k]), file=out)

    mistakes = evaluation.mistakes
    if dataset is not None and dataset.name == "digits" and mistakes and show_mistakes > 0:
        shown = mistakes[:show_mistakes]
        shades = _shades(out)
        print(f"\n{len(mistakes)} misclassified; the first {len(shown)}:", file=out)
        pictures = [draw_digit(dataset.split.test_inputs[i], shades) for i in shown]
        print("   ".join(f"true {labels[i]}, guess {predicted[i]}".ljust(16) for i in shown),
              file=out)
        for r in range(8):
            print("   ".join(picture[r] for picture in pictures), file=out)


def report(model: MLP, dataset: Dataset, out: TextIO, backend: Backend = DYNAMIC,
           show_mistakes: int = 4) -> float:
    """Score the held-out set and print the report (see `print_report`); returns the accuracy.

    >>> import io
    >>> from autograd.training.datasets import load_dataset
    >>> ds = load_dataset("xor", samples=40)
    >>> report(MLP(2, [1], seed=0), ds, io.StringIO()) <= 1.0
    True
    """
    evaluation = evaluate_model(model, dataset, backend)
    print_report(evaluation, dataset, out, show_mistakes)
    return evaluation.accuracy
