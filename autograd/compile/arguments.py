"""The arguments of a compiled function: their shapes, and reading them as plain numbers.

A number (or a Value) has shape None; a list or tuple, the tuple of its items' shapes; a numpy
array, the shape of the nested lists it holds. Compiled code is written for one shape of
arguments (of one sample, for a batched argument) and reads only numbers.

>>> shape = shape_of([1.0, [2.0, 3.0]], "x")
>>> shape, flatten([1.0, [2.0, 3.0]], shape), describe_shape(shape)
((None, (None, None)), [1.0, 2.0, 3.0], "ragged lists '[x, [x, x]]'")
"""

from __future__ import annotations

import functools
import numbers
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value

__all__ = [
    "Argument",
    "Shape",
    "array_dimensions",
    "as_numbers",
    "describe_shape",
    "dimensions",
    "flatten",
    "nest",
    "not_a_number",
    "perturbed",
    "quick_shape",
    "read_argument",
    "shape_of",
]

Shape = Any  # None for a number, else a tuple of the items' shapes


@dataclass
class Argument:
    """One argument of the traced function, as the compiled code sees it.

    >>> Argument("x", None, batched=True, wanted=False)
    Argument(name='x', shape=None, batched=True, wanted=False)
    """

    name: str        # the parameter's name in the generated function
    shape: Shape     # of one sample, for a batched argument
    batched: bool
    wanted: bool     # its gradient is returned
    leaves: list[Value] = field(default_factory=list, repr=False)  # its numbers while tracing


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "tolist")


def not_a_number(x: Any, where: str) -> TypeError:
    """The error for something that is neither a number, a Value nor a list of them.

    >>> str(not_a_number("2", "compile(f): argument 'x'"))
    "compile(f): argument 'x': expected a number, a Value or a list of them, got str '2'"
    """
    return TypeError(f"{where}: expected a number, a Value or a list of them, got "
                     f"{type(x).__name__} {x!r}")


def shape_of(x: Any, where: str) -> Shape:
    """The shape of an argument; a TypeError naming `where` for anything else.

    >>> shape_of([[1.0], [2.0, 3.0]], "x")
    ((None,), (None, None))
    """
    if isinstance(x, Value) or _is_number(x):
        return None
    if _is_array(x):  # a numpy array or scalar
        shape: Shape = None
        for n in reversed(x.shape):
            shape = (shape,) * n
        return shape
    if isinstance(x, (list, tuple)):
        return tuple(shape_of(item, f"{where}[{i}]") for i, item in enumerate(x))
    raise not_a_number(x, where)


def flatten(x: Any, shape: Shape) -> list[Any]:
    """The numbers (or Values) of `x`, in order.

    >>> flatten([[1.0], [2.0, 3.0]], ((None,), (None, None)))
    [1.0, 2.0, 3.0]
    """
    if shape is None:
        return [x]
    return [item for part, sub in zip(x, shape) for item in flatten(part, sub)]


def nest(items: Sequence[Any], shape: Shape) -> Any:
    """`items`, in order, put back into nested lists of `shape`.

    >>> nest([1.0, 2.0, 3.0], ((None,), (None, None)))
    [[1.0], [2.0, 3.0]]
    """
    position = 0

    def build(sub: Shape) -> Any:
        nonlocal position
        if sub is None:
            position += 1
            return items[position - 1]
        return [build(s) for s in sub]

    return build(shape)


def dimensions(shape: Shape) -> tuple[int, ...]:
    """The numpy shape of nested lists of `shape` (along their first items).

    >>> dimensions(((None, None), (None, None), (None, None)))
    (3, 2)
    """
    sizes = []
    while shape is not None:
        sizes.append(len(shape))
        shape = shape[0] if shape else None
    return tuple(sizes)


@functools.lru_cache(maxsize=256)
def array_dimensions(shape: Shape) -> tuple[int, ...] | None:
    """The numpy shape that holds `shape`, or None if `shape` is ragged.

    >>> array_dimensions(((None,), (None, None))) is None, array_dimensions((None, None))
    (True, (2,))
    """
    sizes = dimensions(shape)
    rebuilt: Shape = None
    for n in reversed(sizes):
        rebuilt = (rebuilt,) * n
    return sizes if rebuilt == shape else None


def describe_shape(shape: Shape) -> str:
    """A shape in words, for error messages.

    >>> describe_shape(None), describe_shape((None, None)), describe_shape(((None,),) * 2)
    ('a number', 'a list of 2 numbers', 'nested lists of shape (2, 1)')
    """
    if shape is None:
        return "a number"
    if all(s is None for s in shape):
        return f"a list of {len(shape)} number{'' if len(shape) == 1 else 's'}"
    sizes = array_dimensions(shape)
    if sizes is not None:
        return f"nested lists of shape {sizes}"

    def outline(s: Shape) -> str:
        return "x" if s is None else "[" + ", ".join(outline(t) for t in s) + "]"

    return f"ragged lists {reprlib.repr(outline(shape))}"


def as_numbers(x: Any) -> Any:
    """`x` with Values and numpy numbers turned into floats (for tracing).

    >>> as_numbers([Value(1.0), 2])
    [1.0, 2.0]
    """
    if isinstance(x, Value):
        return x.data
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [as_numbers(item) for item in x]
    return float(x)


def perturbed(x: Any) -> Any:
    """Other numbers of the same shape, near `x` (for the second trace).

    >>> perturbed([1.0, -2.0])
    [1.001953125, -1.9970703125]
    """
    if isinstance(x, list):
        return [perturbed(item) for item in x]
    return x + (abs(x) + 1.0) * 2.0 ** -10


def quick_shape(x: Any) -> Any:
    """A cheap key for the structure of an argument: lengths along the first items.

    >>> quick_shape([[1.0, 2.0], [3.0]])
    (2, (2, None))
    """
    if isinstance(x, (list, tuple)) or getattr(x, "ndim", 0):
        return (len(x), quick_shape(x[0]) if len(x) else None)
    return None


# -- reading arguments on a call -------------------------------------------------------------


class _NotANumber(Exception):
    """A leaf of an argument that is no number; `path` leads to it (innermost index first)."""

    def __init__(self, leaf: Any) -> None:
        super().__init__()
        self.leaf = leaf
        self.path: list[int] = []


_MISMATCH: Any = object()  # an argument shaped otherwise than the program's


@functools.lru_cache(maxsize=256)
def _is_flat(shape: Shape) -> bool:
    return all(s is None for s in shape)


def _checked(x: Any, shape: Shape) -> Any:
    """`x` with its Values replaced by their data; `_MISMATCH` if `x` is not of `shape`."""
    if shape is None:
        if type(x) is float:
            return x
        if isinstance(x, Value):
            return x.data
        if _is_number(x) or getattr(x, "shape", None) == ():
            return x
        if isinstance(x, (list, tuple)) or hasattr(x, "shape"):
            return _MISMATCH
        raise _NotANumber(x)
    if _is_array(x):
        return x if x.shape == array_dimensions(shape) else _MISMATCH
    if not isinstance(x, (list, tuple)):
        if isinstance(x, Value) or _is_number(x):
            return _MISMATCH
        raise _NotANumber(x)
    if len(x) != len(shape):
        return _MISMATCH
    if set(map(type, x)) <= {float} and _is_flat(shape):
        return x
    out = []
    changed = False
    for i, (item, sub) in enumerate(zip(x, shape)):
        try:
            y = item if sub is None and type(item) is float else _checked(item, sub)
        except _NotANumber as error:
            error.path.append(i)
            raise
        if y is _MISMATCH:
            return _MISMATCH
        changed = changed or y is not item
        out.append(y)
    return out if changed else x


def _checked_batch(x: Any, shape: Shape) -> Any:
    """`_checked` for an argument holding samples of `shape` (a list, or an array)."""
    if _is_array(x):
        return x if x.shape[1:] == array_dimensions(shape) else _MISMATCH
    if shape is None and set(map(type, x)) <= {float}:
        return x
    out = []
    for i, item in enumerate(x):
        try:
            y = _checked(item, shape)
        except _NotANumber as error:
            error.path.append(i)
            raise
        if y is _MISMATCH:
            return _MISMATCH
        out.append(y)
    return out


def read_argument(x: Any, shape: Shape, batched: bool, where: str) -> tuple[bool, Any]:
    """(True, `x` as compiled code reads it: numbers, no Values) if `x` has `shape` (for
    each sample, if `batched`), else (False, None). A leaf that is no number is a TypeError
    naming `where` and its position.

    >>> read_argument([Value(1.0), 2.0], (None, None), False, "x")
    (True, [1.0, 2.0])
    >>> read_argument([1.0], (None, None), False, "x")
    (False, None)
    """
    try:
        y = _checked_batch(x, shape) if batched else _checked(x, shape)
    except _NotANumber as error:
        position = "".join(f"[{j}]" for j in reversed(error.path))
        raise not_a_number(error.leaf, f"{where}{position}") from None
    return (False, None) if y is _MISMATCH else (True, y)
