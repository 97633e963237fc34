"""The data sets `train` knows: the bundled 8x8 digits and four toy problems in the plane.

Each comes split into a training and a held-out set with a fixed seed, so a model file only
has to name its data set (and, for a toy set, its size and noise) to be scored again.

>>> ds = load_dataset("moons", samples=20)
>>> ds.n_classes, ds.n_features, len(ds.split.train_labels), len(ds.split.test_labels)
(2, 2, 16, 4)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd import data

__all__ = [
    "DATASETS",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "SPLIT_SEED",
    "TEST_FRACTION",
    "TOY_SETS",
    "Dataset",
    "dataset_from_description",
    "load_dataset",
]

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

    @property
    def n_outputs(self) -> int:
        """The outputs a model of this set has: 1 for two classes (a logit), else one per class.

        >>> load_dataset("xor", samples=20).n_outputs
        1
        """
        return 1 if self.n_classes == 2 else self.n_classes


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
                             f"examples of each class), got {n!r:.60}")
        noise = default_noise if noise is None else noise
        if isinstance(noise, bool) or not isinstance(noise, numbers.Real) \
                or not 0.0 <= noise < math.inf:
            raise ValueError(f"{name}: noise must be a finite number >= 0, got {noise!r:.60}")
        inputs, labels = make(n, noise=noise, seed=0)
        description = {"name": name, "samples": n, "noise": noise, "seed": 0}
    else:
        raise ValueError(f"unknown dataset {name!r:.60}; choose one of {', '.join(DATASETS)}")
    description.update(test_fraction=TEST_FRACTION, split_seed=SPLIT_SEED)
    split = data.train_test_split(inputs, labels, TEST_FRACTION, seed=SPLIT_SEED)
    if not split.train_labels or not split.test_labels:
        raise ValueError(f"{name}: {len(labels)} examples are too few for a training and a "
                         f"held-out set")
    return Dataset(name, split, max(labels) + 1, len(inputs[0]), description)


def dataset_from_description(description: dict[str, Any]) -> Dataset:
    """The data set a model file's ``metadata.dataset`` names (see `load_dataset`).

    >>> dataset_from_description({"name": "circles", "samples": 30}).name
    'circles'
    """
    name = description.get("name")
    if name not in DATASETS:
        raise ValueError(f"the model file names an unknown dataset {name!r:.60}")
    return load_dataset(name, description.get("samples"), description.get("noise"))
