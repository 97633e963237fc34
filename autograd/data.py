"""Data sets: seeded toy problems in the plane, the bundled 8x8 digits, splits and batches.

Everything here is pure Python and deterministic: each generator draws from its own
`random.Random(seed)`, never from the global random state. Inputs are lists of float rows
and labels are lists of ints.

>>> inputs, labels = make_moons(10, noise=0.1, seed=0)
>>> len(inputs), len(inputs[0]), sorted(set(labels))
(10, 2, [0, 1])
>>> split = train_test_split(inputs, labels, test_fraction=0.2, seed=0)
>>> len(split.train_inputs), len(split.test_inputs)
(8, 2)
"""

from __future__ import annotations

import gzip
import hashlib
import math
import random
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any, NamedTuple

__all__ = [
    "DIGITS_FILE",
    "Batches",
    "Split",
    "load_digits",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
    "train_test_split",
]

Rows = list[list[float]]


def _check_n(n: Any, where: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{where}: n must be an integer >= {minimum}, got {n!r}")
    return n


def _check_noise(noise: Any, where: str) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0.0:
        raise ValueError(f"{where}: noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _shuffled(inputs: Rows, labels: list[int], rng: random.Random) -> tuple[Rows, list[int]]:
    order = list(range(len(inputs)))
    rng.shuffle(order)
    return [inputs[i] for i in order], [labels[i] for i in order]


# ----------------------------------------------------------------------------------------------
# Toy problems in the plane
# ----------------------------------------------------------------------------------------------


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[Rows, list[int]]:
    """Two interleaved half circles: label 0 on top, label 1 below, `n` points in all.

    Upper moon (cos a, sin a), lower moon (1 - cos a, 0.5 - sin a), a uniform in [0, pi],
    plus Gaussian noise of standard deviation `noise` on each coordinate.

    >>> x, y = make_moons(4, noise=0.0, seed=1)
    >>> all(-1.0 <= p[0] <= 2.0 and -0.5 <= p[1] <= 1.0 for p in x), sorted(y)
    (True, [0, 0, 1, 1])
    """
    _check_n(n, "make_moons")
    noise = _check_noise(noise, "make_moons")
    rng = random.Random(seed)
    inputs: Rows = []
    labels: list[int] = []
    for i in range(n):
        label = 0 if i < (n + 1) // 2 else 1
        a = rng.uniform(0.0, math.pi)
        if label == 0:
            x, y = math.cos(a), math.sin(a)
        else:
            x, y = 1.0 - math.cos(a), 0.5 - math.sin(a)
        inputs.append([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)])
        labels.append(label)
    return _shuffled(inputs, labels, rng)


def make_circles(
    n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[Rows, list[int]]:
    """Two concentric circles: the outer one (radius 1) label 0, the inner (radius `factor`) 1.

    >>> x, y = make_circles(4, noise=0.0, seed=0)
    >>> sorted(round(math.hypot(*p), 6) for p in x)
    [0.5, 0.5, 1.0, 1.0]
    """
    _check_n(n, "make_circles")
    noise = _check_noise(noise, "make_circles")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles: factor must be between 0 and 1, got {factor!r}")
    rng = random.Random(seed)
    inputs: Rows = []
    labels: list[int] = []
    for i in range(n):
        label = 0 if i < (n + 1) // 2 else 1
        radius = 1.0 if label == 0 else factor
        a = rng.uniform(0.0, 2.0 * math.pi)
        inputs.append([radius * math.cos(a) + rng.gauss(0.0, noise),
                       radius * math.sin(a) + rng.gauss(0.0, noise)])
        labels.append(label)
    return _shuffled(inputs, labels, rng)


def make_spirals(
    n: int = 200, noise: float = 0.05, classes: int = 2, turns: float = 1.0, seed: int = 0
) -> tuple[Rows, list[int]]:
    """`classes` interleaved spiral arms from the origin out to radius 1, one label per arm.

    A point at fraction r of its arm sits at radius r and angle 2 pi (turns r + k / classes).

    >>> x, y = make_spirals(6, noise=0.0, classes=3, seed=0)
    >>> sorted(y), all(math.hypot(*p) <= 1.0 + 1e-12 for p in x)
    ([0, 0, 1, 1, 2, 2], True)
    """
    _check_n(n, "make_spirals")
    noise = _check_noise(noise, "make_spirals")
    _check_n(classes, "make_spirals (classes)", minimum=2)
    rng = random.Random(seed)
    inputs: Rows = []
    labels: list[int] = []
    for i in range(n):
        label = i * classes // n
        r = rng.uniform(0.05, 1.0)
        a = 2.0 * math.pi * (turns * r + label / classes)
        inputs.append([r * math.cos(a) + rng.gauss(0.0, noise),
                       r * math.sin(a) + rng.gauss(0.0, noise)])
        labels.append(label)
    return _shuffled(inputs, labels, rng)


def make_xor(n: int = 200, noise: float = 0.2, seed: int = 0) -> tuple[Rows, list[int]]:
    """Four clusters at (+-1, +-1); label 1 where the signs of the coordinates differ.

    >>> x, y = make_xor(8, noise=0.0, seed=0)
    >>> all(label == (p[0] * p[1] < 0) for p, label in zip(x, y))
    True
    """
    _check_n(n, "make_xor")
    noise = _check_noise(noise, "make_xor")
    rng = random.Random(seed)
    corners = [(-1.0, -1.0, 0), (1.0, 1.0, 0), (-1.0, 1.0, 1), (1.0, -1.0, 1)]
    inputs: Rows = []
    labels: list[int] = []
    for i in range(n):
        cx, cy, label = corners[i % 4]
        inputs.append([cx + rng.gauss(0.0, noise), cy + rng.gauss(0.0, noise)])
        labels.append(label)
    return _shuffled(inputs, labels, rng)


# ----------------------------------------------------------------------------------------------
# The bundled digits
# ----------------------------------------------------------------------------------------------

DIGITS_FILE = "digits.txt.gz"
# sha256 of the uncompressed text: the loader refuses a damaged copy.
_DIGITS_SHA256 = "129eef24fe845dfb9ee752501689a6be3cb8afde16fdb4118c6ad9635b5545be"
_PIXEL_LEVELS = "0123456789abcdefg"  # one character per pixel: values 0..16


def load_digits(scaled: bool = True) -> tuple[Rows, list[int]]:
    """The UCI 8x8 handwritten digits bundled with the package: 1,797 images, 10 classes.

    Each input is 64 pixel values row by row, each 0..16 (divided by 16 into [0, 1] when
    `scaled`); each label is the digit 0..9. Reads the file inside the package: no network.
    Data: E. Alpaydin and C. Kaynak, UCI Machine Learning Repository, CC BY 4.0.

    >>> inputs, labels = load_digits()
    >>> len(inputs), len(inputs[0]), sorted(set(labels)) == list(range(10))
    (1797, 64, True)
    >>> max(max(row) for row in inputs)
    1.0
    """
    raw = (resources.files("autograd") / "datasets" / DIGITS_FILE).read_bytes()
    try:
        text = gzip.decompress(raw)
    except (OSError, EOFError) as error:
        raise ValueError(f"load_digits: the bundled {DIGITS_FILE} is damaged ({error})") \
            from None
    if hashlib.sha256(text).hexdigest() != _DIGITS_SHA256:
        raise ValueError(f"load_digits: the bundled {DIGITS_FILE} is damaged (checksum)")
    scale = 1.0 / 16.0 if scaled else 1.0
    values = {c: float(level) * scale for level, c in enumerate(_PIXEL_LEVELS)}
    inputs: Rows = []
    labels: list[int] = []
    for line in text.decode("ascii").splitlines():
        label, pixels = line.split(" ")
        inputs.append([values[c] for c in pixels])
        labels.append(int(label))
    return inputs, labels


# ----------------------------------------------------------------------------------------------
# Splits and mini-batches
# ----------------------------------------------------------------------------------------------


class Split(NamedTuple):
    """A train/test split of inputs and labels.

    >>> Split([[0.0]], [0], [[1.0]], [1]).test_labels
    [1]
    """

    train_inputs: Rows
    train_labels: list[int]
    test_inputs: Rows
    test_labels: list[int]


def train_test_split(
    inputs: Sequence[Sequence[float]],
    labels: Sequence[int],
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Split:
    """A fixed, seeded, stratified split: each class gives the same fraction to the test set.

    Within each class the examples are shuffled with `random.Random(seed)`, and
    round(test_fraction * class size) of them go to the test set; both sets keep the
    original order of the examples.

    >>> s = train_test_split([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1], 0.5, seed=3)
    >>> sorted(s.test_labels), sorted(s.train_labels)
    ([0, 1], [0, 1])
    """
    if len(inputs) != len(labels):
        raise ValueError(f"train_test_split: {len(inputs)} inputs but {len(labels)} labels")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be between 0 and 1, "
                         f"got {test_fraction!r}")
    rng = random.Random(seed)
    by_class: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        by_class.setdefault(label, []).append(i)
    test: set[int] = set()
    for label in sorted(by_class):
        members = by_class[label]
        rng.shuffle(members)
        test.update(members[: round(test_fraction * len(members))])
    train_idx = [i for i in range(len(labels)) if i not in test]
    test_idx = [i for i in range(len(labels)) if i in test]
    return Split(
        [list(inputs[i]) for i in train_idx], [labels[i] for i in train_idx],
        [list(inputs[i]) for i in test_idx], [labels[i] for i in test_idx],
    )


class Batches:
    """Mini-batches of (inputs, labels); reshuffled on every pass when `shuffle` is on.

    The order of pass k depends only on `seed` and k, so training is reproducible.

    >>> batches = Batches([[0.0], [1.0], [2.0]], [0, 1, 0], batch_size=2, seed=0)
    >>> len(batches), [len(labels) for _, labels in batches]
    (2, [2, 1])
    """

    def __init__(
        self,
        inputs: Sequence[Sequence[float]],
        labels: Sequence[Any],
        batch_size: int = 32,
        *,
        shuffle: bool = True,
        seed: int = 0,
    ) -> None:
        if len(inputs) != len(labels):
            raise ValueError(f"Batches: {len(inputs)} inputs but {len(labels)} labels")
        _check_n(batch_size, "Batches (batch_size)")
        self.inputs = list(inputs)
        self.labels = list(labels)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = random.Random(seed)

    def __len__(self) -> int:
        return -(-len(self.inputs) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[list[Any], list[Any]]]:
        order = list(range(len(self.inputs)))
        if self.shuffle:
            self._rng.shuffle(order)
        for start in range(0, len(order), self.batch_size):
            chosen = order[start:start + self.batch_size]
            yield [self.inputs[i] for i in chosen], [self.labels[i] for i in chosen]
