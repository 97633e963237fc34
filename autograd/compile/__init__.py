"""`compile(f)`: a function of Values written out as straight-line Python, forward and backward.

`compile` runs `f` once on Values (a trace) and writes the recorded graph out as Python
source: one statement per value that is read more than once, then the backward pass, the chain
rule applied node by node with the local derivatives of the engine's op table (the *adjoint
program*). The source is there to read (`.source`). Compiled by Python, it runs at the speed
of hand-written float code, because it *is* float code: no Value is made when it runs.

>>> import autograd
>>> f = autograd.compile(lambda x, y: autograd.tanh(x * y + 1.0))
>>> value, (dx, dy) = f(0.5, -2.0)
>>> value, dx, dy                                # d/dx = y (1 - tanh^2), tanh(0) = 0
(0.0, -2.0, 0.5)
>>> print(f.source)
def f(x, y):
    # forward
    t = math.tanh(x * y + 1.0)
    # backward: g_v is d(output)/d(v)
    g = 1.0 - t * t
    g_x = g * y
    g_y = g * x
    return t, (g_x, g_y)

A branch in the traced function would be frozen at the trace's data, so comparing a Value
while tracing (`if x > 0: ...`) always raises `TraceError`. Reading a Value's `.data` and using
it as a number freezes that number too; `compile` traces a second time at a nearby point and
refuses a function whose code changes there, but a branch on `.data` whose threshold lies far
from the traced inputs cannot be seen that way, so never branch on `.data` in a function you
compile: compare the Values themselves, or use the kinked ops. Kinked ops (relu, abs,
maximum, minimum, leaky_relu) are primitives: they compile to conditional expressions,
evaluated afresh at every call.

Batched: the arguments named in `batch_args` hold one entry per sample. Given lists, the
generated function loops over the samples; given numpy arrays (the `fast` extra), every
statement runs on all samples at once, and a layer of `dot` nodes that share their inputs
becomes one matrix product. Either way one call returns the per-sample outputs and the
gradients summed over the batch.

>>> g = autograd.compile(lambda w, x: (w * x - 1.0) * (w * x - 1.0), batch_args=["x"])
>>> outputs, (dw,) = g(2.0, [1.0, 0.0])          # sum of d/dw (wx - 1)^2 = 2 (wx - 1) x
>>> outputs, dw
([1.0, 1.0], 2.0)

The same inputs give the same answer, or the same error, as the engine, in every mode: the
engine's error type, naming the op, and for a batch the first sample where it fails.

The package, one job per module: `arguments` (shapes of arguments, read as numbers),
`trace` (running f on Values under the engine's hooks), `graph` (the traced program),
`adjoint` (the gradient graph), `spelling` (how each op of the table is written), `writer`
(the graph as statements), `matrices` (numpy's matrix products and rows), `layout` (the
function around the statements), `errors` (the engine's word on a failure) and `function`
(the compiled function). `autograd.compile` is itself
callable: `autograd.compile(f)` is `autograd.compile.compile(f)`.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from autograd.compile.function import CompiledFunction, compile
from autograd.compile.trace import TraceError

__all__ = ["CompiledFunction", "TraceError", "compile"]


class _CallableModule(types.ModuleType):
    """This package, which can be called as `compile` itself: `autograd.compile(f)`."""

    def __call__(self, f: Any, **options: Any) -> CompiledFunction:
        return compile(f, **options)


sys.modules[__name__].__class__ = _CallableModule
