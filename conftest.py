"""Doctests that need an optional package are skipped, with the reason shown, when it is absent.

A doctest needs a package when one of its examples imports it (or calls a function that
does, listed in NEEDS); the lean test runs of noxfile.py install only the test-core extra.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

# Optional packages doctests may import, and the extra that installs each.
EXTRAS = {
    "matplotlib": "plots", "torch": "torch", "anywidget": "widget", "playwright": "browser",
    "mkdocs": "docs", "nbclient": "notebooks", "nbformat": "notebooks", "IPython": "notebooks",
    "numpy": "fast",
}
# Doctest name -> the package it needs without importing it in its own text.
NEEDS = {
    "autograd.nn.MLP.to_torch": "torch",
    "autograd.nn.MLP.from_torch": "torch",
}
_IMPORT = re.compile(r"^\s*(?:import|from)\s+(\w+)", re.M)


def _needed(item: pytest.Item) -> set[str]:
    needed = {NEEDS[item.name]} if item.name in NEEDS else set()
    test = getattr(item, "dtest", None)
    for example in getattr(test, "examples", ()):
        needed |= {name for name in _IMPORT.findall(example.source) if name in EXTRAS}
    return needed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        missing = sorted(m for m in _needed(item) if importlib.util.find_spec(m) is None)
        if missing:
            module = missing[0]
            item.add_marker(pytest.mark.skip(
                reason=f"needs {module} (pip install 'scalar-autograd[{EXTRAS[module]}]')"))
