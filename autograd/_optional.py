"""Optional dependencies, imported only when a feature needs them.

`optional_import` is the one way the package loads a heavy or optional module (numpy,
matplotlib, playwright, ...): on failure it raises an ImportError that names the feature and
the extra to install, so every such message reads the same.

>>> optional_import("math", extra="fast", purpose="nothing").pi > 3
True
>>> optional_import("no_such_module_here", extra="fast", purpose="the compiled backend")
Traceback (most recent call last):
...
ImportError: the compiled backend needs no_such_module_here: pip install 'scalar-autograd[fast]'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["available", "numpy", "optional_import"]


def optional_import(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import `module`, or raise ImportError saying `purpose` needs it and which extra has it.

    >>> optional_import("json", extra="fast", purpose="a test").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        top = module.split(".")[0]
        raise ImportError(
            f"{purpose} needs {top}: pip install 'scalar-autograd[{extra}]'"
        ) from error


def available(module: str) -> bool:
    """Whether `module` can be imported (it is imported to find out).

    >>> available("json"), available("no_such_module_here")
    (True, False)
    """
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def numpy(purpose: str) -> ModuleType:
    """numpy (the `fast` extra), or an ImportError naming `purpose` and the extra.

    >>> not available("numpy") or numpy("a doctest").zeros(2).tolist() == [0.0, 0.0]
    True
    """
    return optional_import("numpy", extra="fast", purpose=purpose)
