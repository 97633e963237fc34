"""The scalar engine: `Value` nodes, the primitive ops, and reverse-mode backward.

A `Value` holds a float (`data`), the gradient of some output with respect to it
(`grad`), the ordered tuple of Values it was computed from (`parents`) and the
primitive that computed it (`op`). Every primitive declares its forward float
function and its local derivative side by side, in the table below; `backward()`
is the only place where the chain rule multiplies by the upstream gradient and
accumulates.

>>> x1, x2, x3 = Value(100.0, label="x1"), Value(2.0, label="x2"), Value(300.0, label="x3")
>>> y = x1 * x2 + x3
>>> y.backward()
>>> y.data, x1.grad, x2.grad, x3.grad
(500.0, 2.0, 100.0, 1.0)

This module imports the standard library only.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Union

__all__ = [
    "Primitive",
    "Value",
    "enable_grad",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "primitive",
    "topological_order",
]

Number = Union[int, float]  # noqa: UP007
Operand = Union["Value", Number]

# ----------------------------------------------------------------------------------------------
# Per-thread modes.
#
# `fast` is True while the thread records graphs with nothing else switched on. Reading a
# thread-local costs as much as a small op, so ops first read the module-wide count
# `_slow_threads` of threads where `fast` is False: while it is 0 (the usual case) every thread
# records plainly; otherwise they look up their own mode.
# ----------------------------------------------------------------------------------------------

_slow_threads = 0
_slow_threads_lock = threading.Lock()


class _Mode(threading.local):
    grad_enabled: bool = True
    forward_hook: Callable[[Value], None] | None = None
    backward_hook: Callable[[Value], None] | None = None
    fast: bool = True

    def refresh(self) -> None:
        global _slow_threads
        fast = self.grad_enabled and self.forward_hook is None
        if fast != self.fast:
            with _slow_threads_lock:
                _slow_threads += -1 if fast else 1
            self.fast = fast


_mode = _Mode()


def is_grad_enabled() -> bool:
    """Whether ops in this thread record the graph.

    >>> is_grad_enabled()
    True
    """
    return _mode.grad_enabled


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = _mode.grad_enabled
    _mode.grad_enabled = enabled
    _mode.refresh()
    try:
        yield
    finally:
        _mode.grad_enabled = previous
        _mode.refresh()


def no_grad() -> Any:
    """Context in which ops compute values but record no graph (per thread).

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents, y.op
    ((), None)
    """
    return _grad_mode(False)


def enable_grad() -> Any:
    """Context that switches recording back on, e.g. inside `no_grad()`.

    >>> with no_grad():
    ...     with enable_grad():
    ...         y = Value(2.0) * 3
    >>> y.op.name
    '*'
    """
    return _grad_mode(True)


@contextmanager
def forward_hook(hook: Callable[[Value], None]) -> Iterator[None]:
    """Call `hook(node)` on every node an op creates in this thread (used by anomaly checks)."""
    previous = _mode.forward_hook
    _mode.forward_hook = hook
    _mode.refresh()
    try:
        yield
    finally:
        _mode.forward_hook = previous
        _mode.refresh()


@contextmanager
def backward_hook(hook: Callable[[Value], None]) -> Iterator[None]:
    """Call `hook(node)` in this thread's backward passes, right after `node` has pushed its
    gradient to its parents (used by anomaly checks). Without a hook, backward runs unchecked.
    """
    previous = _mode.backward_hook
    _mode.backward_hook = hook
    try:
        yield
    finally:
        _mode.backward_hook = previous


# ----------------------------------------------------------------------------------------------
# Describing operands in error messages.
# ----------------------------------------------------------------------------------------------


def _describe(operand: Any) -> str:
    if isinstance(operand, Value):
        if operand.label:
            return f"{operand.label!r} = {operand.data!r}"
        return repr(operand.data)
    return f"{type(operand).__name__} {operand!r}"


def _to_float(x: Any, where: str) -> float:
    """`x` as a float, or a TypeError naming `where` and the offending operand."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(
        f"{where}: expected a real number or a Value, got {_describe(x)}"
    )


def _is_foreign_array(x: Any) -> bool:
    # Arrays (numpy and the like) get the chance to broadcast an operator over a Value
    # themselves: the operator methods return NotImplemented for them. Called as functions
    # (`maximum(v, array)`), ops raise a TypeError instead.
    cls = x.__class__
    if cls is float or cls is int or cls is Value:
        return False
    return hasattr(x, "__array_ufunc__") and not isinstance(x, numbers.Real)


# ----------------------------------------------------------------------------------------------
# Value
# ----------------------------------------------------------------------------------------------


class Value:
    """A scalar node of the computational graph.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 1
    >>> y
    Value(5.0, op='+')
    >>> y.backward()
    >>> x.grad
    4.0
    """

    __slots__ = ("data", "grad", "label", "op", "parents")

    data: float
    grad: Any  # a float, or a Value after backward(create_graph=True)
    parents: tuple[Value, ...]
    op: Primitive | None
    label: str | None

    def __init__(self, data: Number, label: str | None = None) -> None:
        self.data = _to_float(data, "Value")
        self.grad = 0.0
        self.parents = ()
        self.op = None
        self.label = label
        if _slow_threads:
            _announce_leaf(self)

    # -- the REPL ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        parts = [repr(self.data)]
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        if self.op is not None:
            parts.append(f"op={self.op.name!r}")
        if not (type(self.grad) is float and self.grad == 0.0):
            grad = self.grad.data if isinstance(self.grad, Value) else self.grad
            parts.append(f"grad={grad!r}")
        return f"Value({', '.join(parts)})"

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user (or under no_grad), not by an op.

        >>> Value(1.0).is_leaf, (Value(1.0) * 2).is_leaf
        (True, False)
        """
        return not self.parents

    # -- arithmetic: primitives and compositions of them -----------------------------------------

    def __add__(self, other: Operand) -> Value:
        if other.__class__ is Value and not _slow_threads:
            # The table's `add` for two Values, written out: the most common op in a graph.
            out = _new_value(Value)
            out.data = self.data + other.data
            out.grad = 0.0
            out.parents = (self, other)
            out.op = add
            out.label = None
            return out
        if _is_foreign_array(other):
            return NotImplemented
        return add(self, other)

    def __radd__(self, other: Number) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return add(other, self)

    def __mul__(self, other: Operand) -> Value:
        if other.__class__ is Value and not _slow_threads:
            # The table's `mul` for two Values, written out like `add` above.
            out = _new_value(Value)
            out.data = self.data * other.data
            out.grad = 0.0
            out.parents = (self, other)
            out.op = mul
            out.label = None
            return out
        if _is_foreign_array(other):
            return NotImplemented
        return mul(self, other)

    def __rmul__(self, other: Number) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return mul(other, self)

    def __neg__(self) -> Value:
        return mul(self, -1.0)

    def __pos__(self) -> Value:
        return self

    def __sub__(self, other: Operand) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return self + (-_as_value(other, "-"))

    def __rsub__(self, other: Number) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return _as_value(other, "-") + (-self)

    def __truediv__(self, other: Operand) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return div(self, other)

    def __rtruediv__(self, other: Number) -> Value:
        if _is_foreign_array(other):
            return NotImplemented
        return div(other, self)

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return pow_(self, exponent)
        if _is_foreign_array(exponent):
            return NotImplemented
        return power(_to_float(exponent, "**"))(self)

    def __rpow__(self, base: Number) -> Value:
        if _is_foreign_array(base):
            return NotImplemented
        return pow_(base, self)

    def __abs__(self) -> Value:
        return abs_(self)

    # -- functions as methods (micrograd users expect x.tanh(), x.exp(), x.relu()) ---------------

    def exp(self) -> Value:
        """e ** self."""
        return exp(self)

    def log(self) -> Value:
        """Natural logarithm."""
        return log(self)

    def sqrt(self) -> Value:
        """Square root."""
        return sqrt(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return tanh(self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e ** -self)."""
        return sigmoid(self)

    def relu(self) -> Value:
        """max(self, 0)."""
        return relu(self)

    def sin(self) -> Value:
        """Sine."""
        return sin(self)

    def cos(self) -> Value:
        """Cosine."""
        return cos(self)

    # -- comparisons compare data; equality and hashing keep node identity ----------------------

    def __lt__(self, other: Operand) -> bool:
        return _compare(self, other, "<")

    def __le__(self, other: Operand) -> bool:
        return _compare(self, other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return _compare(self, other, ">")

    def __ge__(self, other: Operand) -> bool:
        return _compare(self, other, ">=")

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # -- gradients -----------------------------------------------------------------------------

    def backward(self, grad: Operand = 1.0, *, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(node), times `grad`, into `.grad` of every node of the graph.

        Leaves accumulate across calls, as in PyTorch; every node made by an op holds the
        gradient of the latest pass. With `create_graph=True` the pass is itself recorded as
        Values, so the gradients can be differentiated again.

        >>> x = Value(3.0)
        >>> y = x * x * x
        >>> y.backward(create_graph=True)
        >>> x.grad.data                      # 3 x^2
        27.0
        >>> dydx = x.grad
        >>> y.zero_grad()
        >>> dydx.backward()
        >>> x.grad                           # 6 x
        18.0
        """
        _run_backward(_backward_order(self), self, grad, create_graph)

    def zero_grad(self) -> None:
        """Set `.grad` to 0.0 on every node of the graph that ends here.

        >>> x = Value(2.0); y = x * x; y.backward(); y.zero_grad(); x.grad
        0.0
        """
        for node in topological_order(self):
            node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from the graph.

        >>> x = Value(2.0); y = (x * x).detach(); y.parents
        ()
        """
        return Value(self.data, self.label)


def _compare(a: Value, b: Operand, how: str) -> bool:
    left = a.data
    right = b.data if isinstance(b, Value) else _to_float(b, how)
    hook = _mode.forward_hook
    if hook is not None and hasattr(hook, "on_compare"):
        hook.on_compare(a, b, how)  # type: ignore[attr-defined]
    if how == "<":
        return left < right
    if how == "<=":
        return left <= right
    if how == ">":
        return left > right
    return left >= right


# ----------------------------------------------------------------------------------------------
# Primitives
# ----------------------------------------------------------------------------------------------

Derivative = Callable[..., Any]


class Primitive:
    """An op with a float `forward` and a `derivative` returning its local partials.

    `derivative(*operands, out)` gets the operands and the result: floats during a plain
    backward pass, Values under `create_graph=True` (so it must use this library's
    functions, not `math`). It returns one partial for a unary op and a sequence of partials,
    one per operand, otherwise. Calling a primitive on plain numbers returns a float; on
    any Value, a new node.

    >>> tanh(0.5) == math.tanh(0.5)
    True
    >>> tanh(Value(0.5)).op
    <primitive tanh>
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivative: Derivative,
        arity: int,
        domain: str | None = None,
        doc: str | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.arity = arity  # 0 means any number of operands
        self.domain = domain
        # Ops made by a factory (power(n), leaky(slope)) name it and the number they were made with.
        self.family: str | None = None
        self.parameter: float | None = None
        self.__name__ = name
        self.__doc__ = doc or forward.__doc__

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *operands: Any) -> Any:
        if self.arity and len(operands) != self.arity:
            raise TypeError(
                f"{self.name}: takes {self.arity} operand(s), got {len(operands)}"
            )
        return self.apply(operands)

    def apply(self, operands: Sequence[Any]) -> Any:
        """Run the op on a sequence of operands (Values or numbers)."""
        parents = tuple(operands)
        for x in parents:
            if x.__class__ is not Value:
                break
        else:  # Values only: the common case, checked without isinstance
            return _record(self, self._evaluate([p.data for p in parents], parents), parents)
        for x in parents:
            if isinstance(x, Value):
                break
        else:  # plain numbers in, a float out
            return self._evaluate([_to_float(x, self.name) for x in parents], parents)
        name = self.name
        parents = tuple([
            x if x.__class__ is Value else
            _constant(x) if x.__class__ is float else _as_value(x, name) for x in parents
        ])
        return _record(self, self._evaluate([p.data for p in parents], parents), parents)

    def _evaluate(self, args: Sequence[float], operands: Sequence[Any]) -> float:
        try:
            return self.forward(*args)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, operands, error) from None


_MISSING: Any = object()


class _Unary(Primitive):
    def __call__(self, x: Any = _MISSING, *extra: Any) -> Any:  # type: ignore[override]
        if extra or x is _MISSING:
            raise TypeError(f"{self.name}: takes 1 operand, got {len(extra) + (x is not _MISSING)}")
        if x.__class__ is float:  # a plain number: e.g. relu's derivative during backward
            try:
                return self.forward(x)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                raise _forward_error(self, (x,), error) from None
        if not isinstance(x, Value):
            return self._evaluate((_to_float(x, self.name),), (x,))
        try:
            data = self.forward(x.data)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, (x,), error) from None
        if _slow_threads:
            return _record(self, data, (x,))
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.parents = (x,)
        out.op = self
        out.label = None
        return out


class _Binary(Primitive):
    def __call__(self, a: Any = _MISSING, b: Any = _MISSING, *extra: Any) -> Any:  # type: ignore[override]
        if extra or b is _MISSING:
            given = len(extra) + (a is not _MISSING) + (b is not _MISSING)
            raise TypeError(f"{self.name}: takes 2 operands, got {given}")
        if a.__class__ is not Value and not isinstance(a, Value):
            if not isinstance(b, Value):
                return self._evaluate((_to_float(a, self.name), _to_float(b, self.name)), (a, b))
            a = _constant(_to_float(a, self.name))
        elif b.__class__ is not Value and not isinstance(b, Value):
            b = _constant(_to_float(b, self.name))
        try:
            data = self.forward(a.data, b.data)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, (a, b), error) from None
        if _slow_threads:
            return _record(self, data, (a, b))
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.parents = (a, b)
        out.op = self
        out.label = None
        return out


def _record(op: Primitive, data: float, parents: tuple[Value, ...]) -> Value:
    """The node `op` produced: in the graph when recording, a plain leaf otherwise."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if not _slow_threads or _mode.fast:
        out.parents = parents
        out.op = op
        return out
    if _mode.grad_enabled:
        out.parents = parents
        out.op = op
    else:
        out.parents = ()
        out.op = None
    hook = _mode.forward_hook
    if hook is not None:
        hook(out)
    return out


_new_value = object.__new__


def _constant(data: float) -> Value:
    """A leaf for a plain number met inside an expression."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.parents = ()
    out.op = None
    out.label = None
    if _slow_threads:
        _announce_leaf(out)
    return out


def _announce_leaf(leaf: Value) -> None:
    # A forward hook with an `on_leaf` method (the tracer of `autograd.compile`) hears of every
    # leaf made while it is installed: those are constants, not inputs read from outside.
    hook = _mode.forward_hook
    if hook is not None and hasattr(hook, "on_leaf"):
        hook.on_leaf(leaf)


def _as_value(x: Any, where: str) -> Value:
    return x if isinstance(x, Value) else _constant(_to_float(x, where))


def _forward_error(op: Primitive, operands: Sequence[Any], error: Exception) -> Exception:
    shown = [_describe(x) if isinstance(x, Value) else repr(x) for x in operands]
    if op.name.startswith("**"):
        call = f"{shown[0]} ** {op.name[2:]}"
    elif op.name in ("+", "*", "/") and len(shown) == 2:
        call = f"{shown[0]} {op.name} {shown[1]}"
    else:
        call = f"{op.name}({', '.join(shown)})"
    if isinstance(error, OverflowError):
        return OverflowError(f"{call}: overflow, the result is too large for a float")
    if isinstance(error, ZeroDivisionError):
        return ZeroDivisionError(f"{call}: {error}")
    domain = f"; {op.name} is defined for {op.domain}" if op.domain else ""
    return ValueError(f"{call}: operand outside the domain{domain} ({error})")


def _derivative_error(op: Primitive, node: Value, error: Exception) -> Exception:
    shown = ", ".join(_describe(p) for p in node.parents)
    message = f"backward through {op.name}({shown}): the local derivative is not finite ({error})"
    if isinstance(error, TypeError):
        message = (
            f"backward through {op.name}({shown}) with create_graph=True: its derivative "
            f"must be written with autograd's functions, not math's ({error})"
        )
        return TypeError(message)
    if isinstance(error, OverflowError):
        return OverflowError(message)
    if isinstance(error, ZeroDivisionError):
        return ZeroDivisionError(message)
    return ValueError(message)


def _unary(name: str, forward: Callable[[float], float], derivative: Derivative,
           domain: str | None = None, doc: str | None = None) -> _Unary:
    return _Unary(name, forward, derivative, 1, domain, doc)


def _binary(name: str, forward: Callable[[float, float], float], derivative: Derivative,
            domain: str | None = None, doc: str | None = None) -> _Binary:
    return _Binary(name, forward, derivative, 2, domain, doc)


# -- forward float functions that need more than one line ----------------------------------------


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # nan stays nan


def _sign(x: Any) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _power_forward(n: float) -> Callable[[float], float]:
    def forward(x: float) -> float:
        if x == 0.0 and n < 0:
            raise ZeroDivisionError("0.0 cannot be raised to a negative power")
        return math.pow(x, n)

    return forward


def _divide(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _pow_forward(x: float, y: float) -> float:
    if x <= 0.0:
        raise ValueError("the base must be positive when the exponent is a Value")
    return math.pow(x, y)


# -- the table: every primitive's forward and local derivative, side by side ------------------
#
# The derivative gets the operands and then `out`, the op's result, and returns d out / d operand.

add = _binary(
    "+", lambda x, y: x + y,
    lambda x, y, out: (1.0, 1.0),                      # d(x+y)/dx = 1, d(x+y)/dy = 1
    doc="x + y.")
mul = _binary(
    "*", lambda x, y: x * y,
    lambda x, y, out: (y, x),                          # d(xy)/dx = y, d(xy)/dy = x
    doc="x * y.")
div = _binary(
    "/", _divide,
    lambda x, y, out: (1.0 / y, -out / y),             # d(x/y)/dx = 1/y, d(x/y)/dy = -x/y^2
    doc="x / y (a primitive, so Values divide exactly as floats do).")
pow_ = _binary(
    "pow", _pow_forward,
    lambda x, y, out: (y * x ** (y - 1.0), out * log(x)),  # x^y: y x^(y-1), x^y log x
    domain="a positive base", doc="x ** y for a Value exponent (base > 0).")
maximum = _binary(
    "max", lambda x, y: x if x >= y else y,
    lambda x, y, out: (greater_equal(x, y), 1.0 - greater_equal(x, y)),  # the larger passes
    doc="The larger of x and y (ties go to x).")
minimum = _binary(
    "min", lambda x, y: x if x <= y else y,
    lambda x, y, out: (greater_equal(y, x), 1.0 - greater_equal(y, x)),  # the smaller passes
    doc="The smaller of x and y (ties go to x).")

exp = _unary("exp", math.exp, lambda x, out: out,                       # e^x
             doc="e ** x.")
log = _unary("log", math.log, lambda x, out: 1.0 / x,                   # 1/x
             domain="positive numbers", doc="Natural logarithm.")
log1p = _unary("log1p", math.log1p, lambda x, out: 1.0 / (1.0 + x),     # 1/(1+x)
               domain="numbers above -1", doc="log(1 + x), accurate for small x.")
expm1 = _unary("expm1", math.expm1, lambda x, out: out + 1.0,           # e^x
               doc="e ** x - 1, accurate for small x.")
sqrt = _unary("sqrt", math.sqrt, lambda x, out: 0.5 / out,              # 1/(2 sqrt x)
              domain="non-negative numbers", doc="Square root.")
sin = _unary("sin", math.sin, lambda x, out: cos(x),                    # cos x
             doc="Sine.")
cos = _unary("cos", math.cos, lambda x, out: -sin(x),                   # -sin x
             doc="Cosine.")
tan = _unary("tan", math.tan, lambda x, out: 1.0 + out * out,           # 1 + tan^2 x
             doc="Tangent.")
asin = _unary("asin", math.asin, lambda x, out: (1.0 - x * x) ** -0.5,  # 1/sqrt(1-x^2)
              domain="numbers in [-1, 1]", doc="Inverse sine.")
acos = _unary("acos", math.acos, lambda x, out: -((1.0 - x * x) ** -0.5),  # -1/sqrt(1-x^2)
              domain="numbers in [-1, 1]", doc="Inverse cosine.")
atan = _unary("atan", math.atan, lambda x, out: 1.0 / (1.0 + x * x),    # 1/(1+x^2)
              doc="Inverse tangent.")
sinh = _unary("sinh", math.sinh, lambda x, out: cosh(x),                # cosh x
              doc="Hyperbolic sine.")
cosh = _unary("cosh", math.cosh, lambda x, out: sinh(x),                # sinh x
              doc="Hyperbolic cosine.")
tanh = _unary("tanh", math.tanh, lambda x, out: 1.0 - out * out,        # 1 - tanh^2 x
              doc="Hyperbolic tangent.")
sigmoid = _unary("sigmoid", _sigmoid, lambda x, out: out * (1.0 - out),  # s (1 - s)
                 doc="Logistic sigmoid 1 / (1 + e ** -x), stable for large |x|.")
softplus = _unary("softplus", _softplus, lambda x, out: sigmoid(x),     # sigmoid x
                  doc="log(1 + e ** x), stable for large |x|.")
relu = _unary("relu", _relu, lambda x, out: step(x),                    # step x; 0 at the kink
              doc="max(x, 0); its derivative at 0 is taken as 0.")
abs_ = _unary("abs", abs, lambda x, out: sign(x),                       # sign x; 0 at 0
              doc="|x|; its derivative at 0 is taken as 0.")
# Indicators: the derivatives of the kinked ops above, written as ops rather than as `if`s on
# the data, so a derivative recorded with create_graph=True (or compiled) stays correct for
# every input. They are flat away from their jumps: derivative 0.
step = _unary("step", lambda x: 1.0 if x > 0.0 else 0.0, lambda x, out: 0.0,
              doc="1.0 where x > 0, else 0.0 (relu's derivative).")
sign = _unary("sign", _sign, lambda x, out: 0.0,
              doc="1.0, -1.0 or 0.0 by the sign of x (abs's derivative).")
greater_equal = _binary(">=", lambda x, y: 1.0 if x >= y else 0.0, lambda x, y, out: (0.0, 0.0),
                        doc="1.0 where x >= y, else 0.0 (max's derivative).")
erf = _unary("erf", math.erf,
             lambda x, out: (2.0 / math.sqrt(math.pi)) * exp(-(x * x)),  # 2/sqrt(pi) e^(-x^2)
             doc="The error function.")


@functools.lru_cache(maxsize=4096)
def power(n: float) -> _Unary:
    """The primitive x ** n for a fixed number n (one per exponent, cached).

    >>> power(2.0)(Value(3.0)).data
    9.0
    """
    n = _to_float(n, "power")
    op = _unary(
        f"**{n:g}", _power_forward(n),
        (lambda x, out: 0.0) if n == 0.0 else                          # x^0 = 1: flat
        (lambda x, out: n * x ** (n - 1.0)),                           # n x^(n-1)
        domain="bases that give a real power", doc=f"x ** {n:g}.")
    op.family, op.parameter = "power", n  # read by autograd.compile to write the op out
    return op


@functools.lru_cache(maxsize=256)
def leaky(slope: float) -> _Unary:
    """The primitive leaky_relu with a fixed negative slope (cached)."""
    op = _unary(
        f"leaky_relu({slope:g})", lambda x: x if x > 0.0 else slope * x,
        lambda x, out: slope + (1.0 - slope) * step(x),                # 1 above 0, slope below
        doc=f"x above 0, {slope:g} x below.")
    op.family, op.parameter = "leaky_relu", slope  # read by autograd.compile
    return op


def _fsum(xs: Sequence[float]) -> float:
    """The correctly rounded sum; with infinities (or beyond the float range), IEEE's sum."""
    try:
        return math.fsum(xs)
    except (ValueError, OverflowError):  # inf - inf, or an intermediate overflow
        return sum(xs)


def _sum_forward(*xs: float) -> float:
    return _fsum(xs)


def _dot_forward(*ws_and_xs: float) -> float:
    n = len(ws_and_xs) // 2
    return _fsum(list(map(operator.mul, ws_and_xs[:n], ws_and_xs[n:])))


sum_ = Primitive(
    "sum", _sum_forward,
    lambda *xs_and_out: (1.0,) * (len(xs_and_out) - 1),         # d(sum)/dx_i = 1
    0, doc="The sum of any number of operands, as one node.")
dot_ = Primitive(
    "dot", _dot_forward,
    lambda *ws_xs_out: ws_xs_out[len(ws_xs_out) // 2:-1] + ws_xs_out[:len(ws_xs_out) // 2],
    0, doc="sum_i w_i x_i as one node; operands are w_1..w_n then x_1..x_n.")  # d/dw_i = x_i


# -- composed ops: no derivative code of their own ------------------------------------------------


def leaky_relu(x: Operand, slope: float = 0.01) -> Any:
    """x above 0 and slope * x below.

    >>> leaky_relu(-2.0, 0.1)
    -0.2
    """
    return leaky(float(slope))(x)


def silu(x: Operand) -> Any:
    """x * sigmoid(x) (also called swish).

    >>> round(silu(1.0), 6)
    0.731059
    """
    return x * sigmoid(x)


def gelu(x: Operand) -> Any:
    """x * Phi(x), the Gaussian error linear unit (exact form with erf).

    >>> round(gelu(1.0), 6)
    0.841345
    """
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def square(x: Operand) -> Any:
    """x ** 2.

    >>> square(Value(3.0)).data
    9.0
    """
    return x * x if isinstance(x, Value) else _to_float(x, "square") ** 2


def sum_values(values: Iterable[Operand]) -> Any:
    """The sum of many Values as one node (one backward step instead of n - 1).

    >>> sum_values([Value(1.0), 2.0, Value(3.0)]).data
    6.0
    """
    operands = tuple(values)
    if not operands:
        return 0.0
    return sum_.apply(operands)


def dot(weights: Sequence[Operand], inputs: Sequence[Operand]) -> Any:
    """sum_i weights[i] * inputs[i] as one node.

    >>> w = [Value(1.0), Value(2.0)]; d = dot(w, [3.0, 4.0]); d.backward(); d.data, w[1].grad
    (11.0, 4.0)
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: weights and inputs differ in length ({len(weights)} vs {len(inputs)})"
        )
    if not weights:
        return 0.0
    return dot_.apply(tuple(weights) + tuple(inputs))


def mean(values: Iterable[Operand]) -> Any:
    """The arithmetic mean.

    >>> mean([Value(1.0), Value(2.0)]).data
    1.5
    """
    operands = tuple(values)
    if not operands:
        raise ValueError("mean: no values given")
    return sum_values(operands) * (1.0 / len(operands))


# ----------------------------------------------------------------------------------------------
# Declaring a primitive from outside
# ----------------------------------------------------------------------------------------------


def primitive(*partials: Callable[..., Any], name: str | None = None) -> Callable[
        [Callable[..., float]], Primitive]:
    """Declare a new op from its float function and one partial derivative per operand.

    Each partial takes the same operands as the function. Write the partials with this
    library's functions (`autograd.sigmoid`, `autograd.exp`, ...) and higher-order
    derivatives work too.

    >>> @primitive(lambda x: sigmoid(x))
    ... def softplus(x):
    ...     return math.log1p(math.exp(x))
    >>> y = softplus(Value(0.0)); y.backward(); y.parents[0].grad
    0.5
    """
    if not partials:
        raise TypeError("primitive: give one partial derivative per operand")

    def declare(user_forward: Callable[..., float]) -> Primitive:
        op_name = name or getattr(user_forward, "__name__", "primitive")

        def forward(*xs: float) -> float:
            result = user_forward(*xs)
            return result if type(result) is float else _to_float(result, f"{op_name} (its result)")

        forward.__doc__ = user_forward.__doc__
        if len(partials) == 1:
            (only,) = partials
            return _Unary(op_name, forward, lambda x, out: only(x), 1, doc=forward.__doc__)
        arity = len(partials)

        def derivative(*operands_and_out: Any) -> tuple[Any, ...]:
            operands = operands_and_out[:-1]
            return tuple(partial(*operands) for partial in partials)

        cls = _Binary if arity == 2 else Primitive
        return cls(op_name, forward, derivative, arity, doc=forward.__doc__)

    return declare


# ----------------------------------------------------------------------------------------------
# Walking the graph and the chain rule
# ----------------------------------------------------------------------------------------------


def topological_order(root: Value) -> list[Value]:
    """Every node the root depends on, each after all of its parents; no recursion.

    >>> x = Value(1.0); y = x * x + x
    >>> [v.op.name if v.op else v.data for v in topological_order(y)]
    [1.0, '*', '+']
    """
    # Depth first, parents in order. A node is pushed back under a None marker while its
    # parents are sorted; popping the marker means they all are. The stack holds only nodes
    # and markers: no per-node tuple or iterator, so a deep graph gives the garbage collector
    # nothing new to scan.
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, append, visit = stack.pop, stack.append, order.append, visited.add
    while stack:
        node = pop()
        if node is None:
            append(pop())  # type: ignore[arg-type]
        elif node not in visited:
            visit(node)
            parents = node.parents
            if parents:
                push(node)
                push(None)
                for parent in reversed(parents):
                    if parent not in visited:
                        push(parent)
            else:
                append(node)
    return order


_SORTED = object()  # marks a node in `_backward_order` whose parents are all in the order


def _backward_order(root: Value) -> list[Value]:
    """The nodes made by ops that `root` depends on, parents first, each grad reset to 0.0
    (nodes made by ops restart from zero, so a repeated pass adds to leaves only).

    `topological_order` without the leaves, and without its set of visited nodes: while
    sorting, a node's `grad` marks it (None while its parents are being sorted, _SORTED
    after), and the reset to 0.0 erases the marks.
    """
    order: list[Value] = []
    if not root.parents:
        return order
    stack: list[Value | None] = [root]
    pop, push, append = stack.pop, stack.append, order.append
    try:
        while stack:
            node = pop()
            if node is None:
                node = pop()
                node.grad = _SORTED  # type: ignore[union-attr]
                append(node)  # type: ignore[arg-type]
                continue
            mark = node.grad
            if mark is None or mark is _SORTED:
                continue
            node.grad = None
            push(node)
            push(None)
            for parent in reversed(node.parents):
                if parent.parents:
                    mark = parent.grad
                    if mark is not None and mark is not _SORTED:
                        push(parent)
    except BaseException:  # interrupted: erase the marks (on sorted nodes and on the stack)
        for marked in (*order, *stack):
            if marked is not None and (marked.grad is None or marked.grad is _SORTED):
                marked.grad = 0.0
        raise
    for node in order:
        node.grad = 0.0
    return order


def _run_backward(order: list[Value], root: Value, seed: Operand, create_graph: bool) -> None:
    # The caller has reset the gradients of the nodes made by ops (`_backward_order` does).
    if create_graph:
        _backward_recorded(order, root, seed)
        return
    root.grad = root.grad + (seed.data if isinstance(seed, Value) else _to_float(seed, "backward"))
    hook = _mode.backward_hook
    for node in reversed(order):
        parents = node.parents
        if not parents:
            continue
        op: Primitive = node.op  # type: ignore[assignment]
        g = node.grad
        try:
            if op is add:  # the table's partials of add, (1, 1), without calling for them
                x, y = parents
                x.grad += g
                y.grad += g
            elif op is mul:  # the table's partials of mul, (y, x), likewise
                x, y = parents
                x.grad += g * y.data
                y.grad += g * x.data
            elif op is dot_:  # the table's partials of dot: x_i for w_i, then w_i for x_i
                n = len(parents) // 2
                ws, xs = parents[:n], parents[n:]
                for w, x in zip(ws, xs):
                    w.grad += g * x.data
                for w, x in zip(ws, xs):
                    x.grad += g * w.data
            elif op is sum_:  # the table's partials of sum: 1 for every operand
                for x in parents:
                    x.grad += g
            elif op.arity == 2:
                x, y = parents
                dx, dy = op.derivative(x.data, y.data, node.data)
                x.grad += g * dx
                y.grad += g * dy
            elif op.arity == 1:
                (x,) = parents
                x.grad += g * op.derivative(x.data, node.data)
            else:
                partials = op.derivative(*[p.data for p in parents], node.data)
                for parent, partial in zip(parents, partials):
                    parent.grad += g * partial
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _derivative_error(op, node, error) from None
        if hook is not None:
            hook(node)


def _backward_recorded(order: list[Value], root: Value, seed: Operand) -> None:
    """The chain rule with every multiply and add recorded as Values (create_graph=True)."""
    with enable_grad():
        seed_value = seed if isinstance(seed, Value) else _constant(_to_float(seed, "backward"))
        root.grad = seed_value if _is_zero(root.grad) else root.grad + seed_value
        hook = _mode.backward_hook
        for node in reversed(order):
            parents = node.parents
            if not parents:
                continue
            op = node.op
            g = node.grad
            try:
                partials = op.derivative(*parents, node)  # type: ignore[union-attr]
            except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
                raise _derivative_error(op, node, error) from None  # type: ignore[arg-type]
            if op.arity == 1:  # type: ignore[union-attr]
                partials = (partials,)
            for parent, partial in zip(parents, partials):
                contribution = g if (type(partial) is float and partial == 1.0) else g * partial
                parent.grad = contribution if _is_zero(parent.grad) else parent.grad + contribution
            if hook is not None:
                hook(node)


def _is_zero(grad: Any) -> bool:
    return type(grad) is float and grad == 0.0


def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """d output / d input for each input, leaving every `.grad` of the graph as it was.

    With `create_graph=True` the results are Values that can be differentiated again.

    >>> x = Value(2.0); y = x ** 3
    >>> (dx,) = gradients(y, [x], create_graph=True); dx.data
    12.0
    >>> gradients(dx, [x])
    [12.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients: the output must be a Value, got {_describe(output)}")
    for position, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"gradients: inputs[{position}] must be a Value, got {_describe(x)}")
    order = topological_order(output)
    members = set(order)
    saved = [node.grad for node in order]
    outside = [x for x in inputs if x not in members]
    saved_outside = [x.grad for x in outside]
    try:
        for node in order:
            node.grad = 0.0
        _run_backward(order, output, 1.0, create_graph)
        results = [x.grad if x in members else 0.0 for x in inputs]
    finally:
        for node, grad in zip(order, saved):
            node.grad = grad
        for node, grad in zip(outside, saved_outside):
            node.grad = grad
    if create_graph:
        results = [r if isinstance(r, Value) else _constant(r) for r in results]
    return results
