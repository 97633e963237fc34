"""Choosing a training backend by the name the `--engine` option gives.

The compiled backend (and with it the compiler and numpy) is imported only when chosen.

>>> backend_named("dynamic").name
'dynamic'
"""

from __future__ import annotations

from autograd import _optional
from autograd.training.backends import DYNAMIC, Backend

__all__ = ["ENGINES", "backend_named"]

ENGINES = ("auto", "compiled", "dynamic")


def backend_named(engine: str) -> Backend:
    """The backend for `--engine`: `compiled` (numpy), `dynamic`, or `auto`, the fastest here.

    >>> backend_named("dynamic") is DYNAMIC
    True
    """
    if engine == "dynamic":
        return DYNAMIC
    if engine not in ("auto", "compiled"):
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto" and not _optional.available("numpy"):
        return DYNAMIC
    from autograd.training.compiled import compiled_backend  # loads the compiler: only now

    return compiled_backend()
