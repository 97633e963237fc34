"""Helpers shared by the tests."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest

# In CI every extra is installed, so a missing one is a failure; the lean runs of noxfile.py
# install only the test-core extra, and there the tests of other extras skip.
IN_CI = (os.environ.get("CI", "").lower() in ("1", "true", "yes")
         and not os.environ.get("AUTOGRAD_LEAN_RUN"))


def require(module: str, extra: str) -> ModuleType:
    """Import an optional module: skip the test without it, except in CI, where it must be there."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if IN_CI:
            raise
        pytest.skip(f"needs {module} (pip install 'scalar-autograd[{extra}]')")
