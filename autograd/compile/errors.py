"""Errors of the maths in compiled code, told exactly as the engine tells them.

When compiled code fails (an error of Python's floats, or a floating-point flag that numpy
raises), the engine decides what happened: it runs the function on Values, forward and
backward, at the failing inputs (for a batch, at the first failing sample, found by halving
the batch). Its error, of the engine's own type and carrying the op and operands
(`engine.OpError`), is raised with the compiled function's name and the sample's index in front
and behind. If the engine runs through (numpy raised a flag where floats give inf or nan as
IEEE arithmetic says), the compiled code is run again without the flags.

>>> import autograd
>>> error = engine_error(lambda x: autograd.log(x * 2.0), [Value(-1.0)])
>>> error.op.name, type(error).__name__
('log', 'ValueError')
>>> print(told(error, "f", sample=3))  # doctest: +NORMALIZE_WHITESPACE
compile(f): log(-2.0): operand outside the domain; log is defined for x > 0
(math domain error) (sample 3 of the batch)
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Sequence
from typing import Any

from autograd.engine import OpError, Value, gradients

__all__ = ["engine_error", "first_failure", "told", "untold"]


def engine_error(f: Callable[..., Any], args: Sequence[Any], has_aux: bool = False,
                 forward_only: bool = False) -> OpError | None:
    """What the engine raises running `f` on `args` and differentiating its output (None if
    nothing, or a failure other than one of its ops). Leaf Values among `args` are used as
    they are (their gradients are left as they were); numbers become new leaves.

    >>> import autograd
    >>> engine_error(autograd.sqrt, [0.0]).phase     # d sqrt(x)/dx is infinite at 0
    'backward'
    >>> engine_error(autograd.sqrt, [4.0]) is None
    True
    """
    leaves: list[Value] = []

    def values(x: Any) -> Any:
        if isinstance(x, Value):
            leaves.append(x)
            return x
        if hasattr(x, "tolist"):
            x = x.tolist()
        if isinstance(x, (list, tuple)):
            return [values(item) for item in x]
        leaf = Value(float(x))
        leaves.append(leaf)
        return leaf

    try:
        out = f(*[values(a) for a in args])
        if has_aux or forward_only:
            out = None if forward_only else out[0]
        if isinstance(out, Value):
            gradients(out, leaves)  # a whole backward pass, every .grad left as it was
    except OpError as error:
        return error
    except Exception:  # another failure: not the one compiled code met
        return None
    return None


def told(error: OpError, name: str, sample: int | None = None) -> Exception:
    """The engine's `error`, of its type and with its op and operands, as `compile(name)`
    raises it; `sample` (its index in the batch) is kept as the error's `sample`.

    >>> import autograd
    >>> error = told(engine_error(autograd.log, [0.0]), "f")
    >>> error.op.name, error.sample, str(error).startswith("compile(f): log(0.0)")
    ('log', None, True)
    """
    where = f" (sample {sample} of the batch)" if sample is not None else ""
    out = type(error)(f"compile({name}): {error}{where}")
    out.__dict__.update(error.__dict__)
    out.sample = sample  # type: ignore[attr-defined]
    return out


def untold(error: Exception, name: str, names: Sequence[str], args: Sequence[Any],
           sample: int | None = None) -> Exception:
    """An error of compiled code the engine does not share, with the inputs.

    >>> str(untold(ZeroDivisionError("float division by zero"), "f", ["x"], [0.0]))
    'compile(f): float division by zero, at these inputs: x=0.0'
    """
    kind = next((k for k in (ZeroDivisionError, OverflowError, ArithmeticError, ValueError)
                 if isinstance(error, k)), ValueError)
    inputs = ", ".join(f"{n}={reprlib.repr(a)}" for n, a in zip(names, args))
    where = f" (sample {sample} of the batch)" if sample is not None else ""
    return kind(f"compile({name}): {error}{where}, at these inputs: {inputs}")


def first_failure(size: int, fails: Callable[[int, int], bool],
                  engine_fails: Callable[[int], OpError | None]
                  ) -> tuple[int, OpError | None] | None:
    """The first sample of a batch of `size` at which the engine fails, with its error.

    `fails(start, end)` runs the compiled code on samples start..end-1 and says whether it
    failed; `engine_fails(j)` asks the engine about sample j. Compiled code fails wherever
    the engine does (and perhaps elsewhere: numpy's flags), so halving finds the first
    sample where it fails, and only those samples go to the engine. Returns (index, None)
    for the first sample where compiled code fails and the engine does not, if the engine
    fails nowhere before it; None if compiled code fails nowhere.

    >>> bad = {5, 9}
    >>> first_failure(12, lambda s, e: any(s <= j < e for j in bad),
    ...               lambda j: "error" if j == 9 else None)
    (9, 'error')
    """
    start = 0
    skipped: int | None = None
    while start < size and fails(start, size):
        low, high = start, size  # fails(start, high); not fails(start, low)
        while high - low > 1:
            middle = (low + high) // 2
            if fails(start, middle):
                high = middle
            else:
                low = middle
        error = engine_fails(high - 1)
        if error is not None:
            return high - 1, error
        if skipped is None:
            skipped = high - 1
        start = high
    return None if skipped is None else (skipped, None)
