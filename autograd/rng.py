"""The library's random generator: fresh draws each time unless seeded.

New weights (`nn.MLP(...)` without `seed=`) come from one generator owned by the library,
seeded from the operating system when the package is imported, so every model starts from
different weights, as in micrograd and PyTorch. `manual_seed(n)` restarts that generator:
after it, the same sequence of model constructions gives the same weights. Python's global
`random` module is never read or changed.

>>> from autograd import nn
>>> manual_seed(3); first = nn.MLP(2, [2]).state_dict()
>>> manual_seed(3); first == nn.MLP(2, [2]).state_dict()
True
>>> first == nn.MLP(2, [2]).state_dict()     # the next draws differ
False
"""

from __future__ import annotations

import random

__all__ = ["generator", "generator_for", "manual_seed"]

# Seeded from os.urandom (or the time) on import.
_GENERATOR = random.Random()


def _check_seed(seed: object, where: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{where}: seed must be an integer, got {seed!r:.60}")
    return seed


def manual_seed(seed: int) -> None:
    """Restart the library's generator from `seed`, making later unseeded draws reproducible.

    >>> manual_seed(0); a = generator().random()
    >>> manual_seed(0); a == generator().random()
    True
    """
    _GENERATOR.seed(_check_seed(seed, "manual_seed"))


def generator() -> random.Random:
    """The library's shared generator (the one `manual_seed` restarts).

    >>> isinstance(generator(), random.Random)
    True
    """
    return _GENERATOR


def generator_for(seed: int | None, where: str = "seed") -> random.Random:
    """A private `random.Random(seed)` for an integer seed; the shared generator for None.

    >>> generator_for(5).random() == generator_for(5).random()
    True
    >>> generator_for(None) is generator()
    True
    """
    if seed is None:
        return _GENERATOR
    return random.Random(_check_seed(seed, where))
