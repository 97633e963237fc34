"""Calling a user's function inside a transform: which arguments, wrapped how, nested or not.

Shared by `autograd.functional` (the transforms) and `autograd.checking` (the checks), so that
neither has to import the other for it.

>>> _positions((0, -1), 3, "grad")
(0, 2)
"""

from __future__ import annotations

import numbers
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd.engine import Value, enable_grad, gradients, is_grad_enabled

Argnums = int | tuple[int, ...]


# ----------------------------------------------------------------------------------------------
# Shared plumbing: which arguments to differentiate, and how to wrap them.
# ----------------------------------------------------------------------------------------------


def _positions(argnums: Argnums | None, n_args: int, caller: str) -> tuple[int, ...]:
    """The argument positions to differentiate, checked against the number of arguments."""
    if argnums is None:
        return tuple(range(n_args))
    many = isinstance(argnums, tuple)
    wanted = argnums if many else (argnums,)
    positions = []
    for position in wanted:
        if isinstance(position, bool) or not isinstance(position, int):
            raise TypeError(f"{caller}: argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -n_args <= position < n_args:
            raise ValueError(
                f"{caller}: argnums {position} is out of range for {n_args} argument(s)"
            )
        positions.append(position % n_args)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{caller}: argnums repeats a position: {argnums!r}")
    return tuple(positions)


def _check_argnums(argnums: Argnums | None, caller: str) -> None:
    """Reject a malformed `argnums` when the transform is made, not when it is first called."""
    if argnums is None:
        return
    wanted = argnums if isinstance(argnums, tuple) else (argnums,)
    if not wanted or any(isinstance(p, bool) or not isinstance(p, int) for p in wanted):
        raise TypeError(f"{caller}: argnums must be an int or a non-empty tuple of ints, "
                        f"got {argnums!r}")


class _Transforms(threading.local):
    depth: int = 0  # how many transforms of this thread are evaluating or differentiating f


_transforms = _Transforms()


@contextmanager
def _inside_transform() -> Iterator[None]:
    """Mark this thread as inside a transform while f is evaluated or differentiated."""
    _transforms.depth += 1
    try:
        yield
    finally:
        _transforms.depth -= 1


def _nested(args: Sequence[Any]) -> bool:
    """True when results must stay Values for an enclosing transform to differentiate.

    That is when called with Values, or from inside another transform with recording on: the
    function may close over the outer transform's variables even when its arguments are floats.
    Under `no_grad()` an inner call is a constant to the outer graph, so it returns floats.
    """
    if any(isinstance(a, Value) for a in args):
        return True
    return _transforms.depth > 0 and is_grad_enabled()


def _is_real(x: Any) -> bool:
    """Any real number (int, float, Fraction, numpy scalar, ...) except a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _wrap(args: Sequence[Any], positions: tuple[int, ...], caller: str) -> tuple[list[Any],
                                                                                 list[Value]]:
    """The arguments with each differentiated one replaced by a fresh node of the same value.

    A float becomes a new leaf. A Value (from an enclosing transform) becomes `value + 0`, a new
    node that still hangs from the enclosing graph, so the derivative with respect to this
    argument counts only the paths through this argument, even when the same Value is passed
    in two positions.
    """
    wrapped = list(args)
    inputs = []
    for position in positions:
        arg = args[position]
        if isinstance(arg, Value):
            node = arg + 0.0
        elif _is_real(arg):
            node = Value(float(arg))
        else:
            raise TypeError(
                f"{caller}: argument {position} must be a real number or a Value, "
                f"got {type(arg).__name__} {arg!r}"
            )
        wrapped[position] = node
        inputs.append(node)
    return wrapped, inputs


def _scalar_output(out: Any, f: Callable[..., Any], caller: str) -> Value | float:
    if isinstance(out, Value):
        return out
    if _is_real(out):
        return float(out)
    raise TypeError(
        f"{caller}: {_name_of(f)} must return one number or Value, got {type(out).__name__}"
    )


# What `math.sin(value)`, `math.exp(value)`, ... and `float(value)` say about a Value.
_MATH_ON_A_VALUE = re.compile(
    r"must be (?:a string or )?(?:a )?real number, not '?Value'?$|of a Value would drop it")
_MATH_HINT = "not math's"


def _call_on_values(f: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any],
                    caller: str) -> Any:
    """f(*args, **kwargs), with a hint when f cannot take Values because it used `math`.

    Only the TypeError that math's functions (and `float`) raise on a Value gets the hint, and
    only once: an error that already carries it (from an inner transform, or from the engine
    about a custom derivative) passes through unchanged.
    """
    try:
        with _inside_transform():
            return f(*args, **kwargs)
    except TypeError as error:
        message = str(error)
        if _MATH_HINT in message or not _MATH_ON_A_VALUE.search(message):
            raise
        raise TypeError(
            f"{caller}: {_name_of(f)} failed on Value arguments ({error}); write it with "
            f"autograd's functions (autograd.exp, autograd.sin, ...), {_MATH_HINT}"
        ) from error


def _name_of(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", None) or type(f).__name__


def _derivatives(out: Value | float, inputs: list[Value], nested: bool) -> list[Any]:
    """d out / d input for each input: Values that can be differentiated again when nested,
    plain floats otherwise."""
    if not isinstance(out, Value):  # a constant function
        return [Value(0.0) if nested else 0.0 for _ in inputs]
    if nested:
        with _inside_transform():
            return gradients(out, inputs, create_graph=True)
    results = gradients(out, inputs)
    return [r.data if isinstance(r, Value) else float(r) for r in results]


def _evaluate_and_differentiate(
    f: Callable[..., Any], argnums: Argnums | None, args: tuple[Any, ...],
    kwargs: dict[str, Any], caller: str,
) -> tuple[Any, Any]:
    positions = _positions(argnums, len(args), caller)
    nested = _nested(args)
    with enable_grad():
        wrapped, inputs = _wrap(args, positions, caller)
        out = _scalar_output(_call_on_values(f, wrapped, kwargs, caller), f, caller)
        results = _derivatives(out, inputs, nested)
    value = out if nested or not isinstance(out, Value) else out.data
    gradient = tuple(results) if isinstance(argnums, tuple) or argnums is None else results[0]
    return value, gradient


