"""Doctests that need an optional package are skipped, with the reason shown, when it is absent."""

from __future__ import annotations

import importlib.util

import pytest

# Doctest name -> (module it imports, the extra that installs it)
NEEDS = {
    "autograd.nn.MLP.to_torch": ("torch", "torch"),
    "autograd.nn.MLP.from_torch": ("torch", "torch"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needed = NEEDS.get(item.name)
        if needed and importlib.util.find_spec(needed[0]) is None:
            module, extra = needed
            item.add_marker(pytest.mark.skip(
                reason=f"needs {module} (pip install 'scalar-autograd[{extra}]')"))
