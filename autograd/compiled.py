"""The former home of `autograd.compile`, kept so that old imports keep working.

>>> from autograd.compiled import compile
>>> compile(lambda x: x * x)(3.0)
(9.0, (6.0,))
"""

from __future__ import annotations

from autograd.compile import CompiledFunction, TraceError, compile

__all__ = ["CompiledFunction", "TraceError", "compile"]
