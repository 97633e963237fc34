"""Tracing: run the function once on Values, with a watcher on the engine's hooks.

The watcher (an `engine.Hooks`) hears of every constant the function makes and of every
comparison of a Value with data. A comparison means a branch, which compiled code would freeze
at the trace's numbers, so it is refused with `TraceError`.

>>> import math, autograd
>>> from autograd.compile.arguments import Argument
>>> arguments = [Argument("x", None, False, True)]
>>> program = trace(lambda x: autograd.tanh(x * 2.0), "f", arguments, [0.5])
>>> program.output.op.name, program.output.data == math.tanh(1.0), len(program.made)
('tanh', True, 1)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from autograd import engine
from autograd.compile.arguments import Argument, flatten, nest, shape_of
from autograd.compile.graph import Program
from autograd.engine import Hooks, Value, hooks

__all__ = ["TraceError", "Tracer", "trace"]


class TraceError(ValueError):
    """The traced function's graph depends on its data, so compiled code would freeze it.

    >>> issubclass(TraceError, ValueError)
    True
    """


class Tracer(Hooks):
    """The hooks installed while tracing: notes the constants made, refuses comparisons.

    >>> with engine.hooks(Tracer("f")):
    ...     Value(1.0) > 0
    Traceback (most recent call last):
    ...
    autograd.compile.trace.TraceError: compile(f): the function compares a Value ... (1.0 > 0), ...
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.made: set[Value] = set()  # leaves made while tracing: constants

    def on_leaf(self, leaf: Value) -> None:
        """A constant was made: note it (compiled code writes it as a number)."""
        self.made.add(leaf)

    def on_compare(self, a: Value, b: Any, how: str) -> None:
        """A Value was compared with data: a branch, refused."""
        other = b.data if isinstance(b, Value) else b
        raise TraceError(
            f"compile({self.name}): the function compares a Value with data "
            f"({a.data!r} {how} {other!r}), so the branch it takes would be frozen into the "
            "compiled code. Write the choice with relu, maximum, minimum or abs (compiled "
            "without branches), or run this function with the dynamic engine."
        )


def trace(f: Callable[..., Any], name: str, arguments: list[Argument], samples: Sequence[Any],
          has_aux: bool = False, forward_only: bool = False) -> Program:
    """Run `f` on leaves holding `samples` (one sample of each argument): its graph.

    An argument given as leaf Values is traced as those very Values (a model's parameters,
    say, which the function may also reach on its own); numbers become fresh leaves. With
    `forward_only`, `f` may return any numbers or lists of them, kept as aux.

    >>> arguments = [Argument("w", (None, None), False, True)]
    >>> program = trace(lambda w: w[0] * w[1], "f", arguments, [[2.0, 3.0]])
    >>> program.output.data, [leaf.data for leaf in arguments[0].leaves]
    (6.0, [2.0, 3.0])
    """
    tracer = Tracer(name)
    seen: set[Value] = set()
    with hooks(tracer), engine.enable_grad():
        values = []
        for argument, sample in zip(arguments, samples):
            leaves = []
            for x in flatten(sample, argument.shape):
                if isinstance(x, Value) and not x.parents and x not in seen:
                    seen.add(x)
                    leaves.append(x)
                else:
                    leaves.append(Value(x.data if isinstance(x, Value) else x))
            argument.leaves = leaves
            values.append(nest(leaves, argument.shape))
        tracer.made.clear()  # the arguments' leaves are inputs, not constants
        try:
            result = f(*values)
        except TypeError as error:
            raise TypeError(f"compile({name}): the function failed on Values: {error}"
                            ) from error
        aux: list[Value] | None = None
        aux_shape: Any = None
        if forward_only:  # no gradients: any numbers or lists of them, kept as aux
            result = (0.0, result)
        if has_aux or forward_only:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError(f"compile({name}): with has_aux=True the function must return "
                                "(output, aux)")
            result, extra = result
            aux_shape = shape_of(extra, f"compile({name}): aux")
            aux = [x if isinstance(x, Value) else Value(float(x))
                   for x in flatten(extra, aux_shape)]
        if not isinstance(result, Value):
            if isinstance(result, numbers.Real) and not isinstance(result, bool):
                result = Value(float(result))
            else:
                raise TypeError(f"compile({name}): the function must return one Value or "
                                f"number, got {type(result).__name__}")
    return Program(result, aux, aux_shape, arguments, tracer.made)
