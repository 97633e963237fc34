"""Derivatives as functions, and checks of them against finite differences.

`grad`, `value_and_grad` and `hessian` turn a Python function of floats, written with this
library's ops and functions (`autograd.exp`, `autograd.sin`, ...), into a function that returns
its derivatives. They compose: `grad(grad(f))` is the second derivative.

A transform called while another one is evaluating its function (inside the outer function,
with recording on) records its own graph and returns Values, so that the outer transform can
differentiate through it, also when the inner function only closes over the outer variable.
Called at the top level, or under `no_grad()`, transforms return plain floats.

`numerical_grad` estimates a gradient by central differences; `gradcheck` and `gradgradcheck`
compare backpropagation with those estimates and report each input that disagrees.

>>> from autograd import sin
>>> d2sin = grad(grad(sin))
>>> round(d2sin(1.0), 12) == round(-sin(1.0), 12)          # d²/dx² sin x = -sin x
True
>>> gradcheck(lambda x, y: x * sin(y), 2.0, 0.5).ok
True
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value, enable_grad, gradients, is_grad_enabled, no_grad

__all__ = [
    "GradcheckEntry",
    "GradcheckError",
    "GradcheckReport",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "numerical_grad",
    "value_and_grad",
]

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


# ----------------------------------------------------------------------------------------------
# Function transforms.
# ----------------------------------------------------------------------------------------------


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of a scalar function `f`, as a function of the same arguments.

    `argnums` picks the arguments to differentiate: an int gives one derivative, a tuple a
    tuple of them. Called with floats, the result is floats; called with Values, or from inside
    the function of another transform (recording on), it is Values that can be differentiated
    again, so transforms compose, even when `f` only closes over the outer variable.
    Extra keyword arguments are passed to `f` and not differentiated.

    >>> from autograd import exp, sin
    >>> grad(lambda x, y: x * x * y)(3.0, 2.0)                  # d(x²y)/dx = 2xy
    12.0
    >>> grad(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)  # (2xy, x²)
    (12.0, 9.0)
    >>> grad(grad(grad(exp)))(0.0)                              # every derivative of e^x is e^x
    1.0
    >>> grad(lambda x: grad(lambda y: x * y * y)(1.0))(3.0)    # d/dx [d/dy x y² at y = 1] = 2
    2.0
    """
    _check_argnums(argnums, "grad")

    def gradient_of_f(*args: Any, **kwargs: Any) -> Any:
        return _evaluate_and_differentiate(f, argnums, args, kwargs, "grad")[1]

    gradient_of_f.__name__ = f"grad({_name_of(f)})"
    gradient_of_f.__doc__ = f"The gradient of {_name_of(f)} with respect to argnums={argnums!r}."
    return gradient_of_f


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Like `grad`, but the function returns `(f(*args), gradient)` from one forward pass.

    >>> from autograd import log
    >>> value_and_grad(lambda x: x * log(x))(1.0)                 # x log x, 1 + log x
    (0.0, 1.0)
    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    _check_argnums(argnums, "value_and_grad")

    def value_and_gradient_of_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _evaluate_and_differentiate(f, argnums, args, kwargs, "value_and_grad")

    value_and_gradient_of_f.__name__ = f"value_and_grad({_name_of(f)})"
    return value_and_gradient_of_f


def hessian(f: Callable[..., Any], argnums: Argnums | None = None) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar function, as nested lists.

    By default over every positional argument; `argnums` picks some. Row i holds the
    derivatives of d f / d x_i. One backward pass builds the gradient as a graph, then one
    more pass per input differentiates it.

    >>> def rosenbrock(x, y):
    ...     return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    >>> hessian(rosenbrock)(1.0, 1.0)                           # [[802, -400], [-400, 200]]
    [[802.0, -400.0], [-400.0, 200.0]]
    """
    _check_argnums(argnums, "hessian")

    def hessian_of_f(*args: Any, **kwargs: Any) -> list[list[Any]]:
        positions = _positions(argnums, len(args), "hessian")
        nested = _nested(args)
        with enable_grad():
            wrapped, inputs = _wrap(args, positions, "hessian")
            out = _scalar_output(_call_on_values(f, wrapped, kwargs, "hessian"), f, "hessian")
            firsts = _derivatives(out, inputs, nested=True)
            return [_derivatives(first, inputs, nested) for first in firsts]

    hessian_of_f.__name__ = f"hessian({_name_of(f)})"
    return hessian_of_f


# ----------------------------------------------------------------------------------------------
# Finite differences.
# ----------------------------------------------------------------------------------------------


def _as_float(out: Any, f: Callable[..., Any], caller: str) -> float:
    if isinstance(out, Value):
        return out.data
    if _is_real(out):
        return float(out)
    raise TypeError(
        f"{caller}: {_name_of(f)} must return one number or Value, got {type(out).__name__}"
    )


def _real_inputs(inputs: Sequence[Any], caller: str) -> list[float]:
    points = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            points.append(x.data)
        elif _is_real(x):
            points.append(float(x))
        else:
            raise TypeError(
                f"{caller}: input {i} must be a real number or a Value, "
                f"got {type(x).__name__} {x!r}"
            )
    return points


def _check_eps(eps: float, caller: str) -> None:
    if not (_is_real(eps) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"{caller}: eps must be a positive finite number, got {eps!r}")


def _step_apart(point: Sequence[float], i: int, eps: float,
                caller: str) -> tuple[list[float], list[float], float]:
    """`point` moved up and down along input i by h = eps * max(1, |x_i|), and the step between.

    The step is relative so that it survives rounding at large |x|; the returned step is the
    one actually taken, (x + h) - (x - h), exact in floating point.

    >>> _step_apart([3.0, 1e20], 1, 1e-6, "numerical_grad")[2]
    200000000000000.0
    """
    x = point[i]
    h = eps * max(1.0, abs(x))
    above, below = list(point), list(point)
    above[i] = x + h
    below[i] = x - h
    step = above[i] - below[i]
    if math.isfinite(x) and not 0.0 < step < math.inf:
        problem, fix = ("rounds away next to x", "larger") if step == 0.0 else ("overflows",
                                                                               "smaller")
        raise ValueError(
            f"{caller}: input {i} = {x!r}: with eps={eps!r} the step eps * max(1, |x|) "
            f"{problem}; choose a {fix} eps"
        )
    return above, below, step


def numerical_grad(f: Callable[..., Any], *inputs: float, eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of d f / d x_i at `inputs`, one float per input.

    (f(x + h e_i) - f(x - h e_i)) / (2 h) with the relative step h = eps * max(1, |x_i|), so
    large inputs still move: its error is about h² f''' / 6 plus the rounding error of f
    divided by h. A step that rounds away entirely (eps far too small for x_i) is a
    ValueError naming the input. Inputs may be any real numbers (numpy scalars too) or
    Values; `f` is called on plain floats, with no graph recorded.

    >>> [round(g, 6) for g in numerical_grad(lambda x, y: x * x * y, 3.0, 2.0)]
    [12.0, 9.0]
    """
    _check_eps(eps, "numerical_grad")
    point = _real_inputs(inputs, "numerical_grad")
    estimates = []
    with no_grad():
        for i in range(len(point)):
            above, below, step = _step_apart(point, i, eps, "numerical_grad")
            f_above = _as_float(f(*above), f, "numerical_grad")
            f_below = _as_float(f(*below), f, "numerical_grad")
            estimates.append((f_above - f_below) / step)
    return estimates


# ----------------------------------------------------------------------------------------------
# Gradient checks and their reports.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradcheckEntry:
    """One compared derivative: backprop (`analytic`) against finite differences (`numerical`).

    >>> e = GradcheckEntry("d/dx", 1.0, 1.0000001, atol=1e-5, rtol=1e-3)
    >>> e.ok, f"{e.error:.1e}"
    (True, '1.0e-07')
    """

    name: str
    analytic: float
    numerical: float
    atol: float
    rtol: float

    @property
    def error(self) -> float:
        """|analytic - numerical| (nan when either is nan)."""
        return abs(self.analytic - self.numerical)

    @property
    def allowed(self) -> float:
        """The largest error accepted here: atol + rtol * |numerical|."""
        return self.atol + self.rtol * abs(self.numerical)

    @property
    def ok(self) -> bool:
        """True when both numbers are finite and the error is within `allowed`."""
        finite = math.isfinite(self.analytic) and math.isfinite(self.numerical)
        return finite and self.error <= self.allowed


@dataclass(frozen=True)
class GradcheckReport:
    """The outcome of `gradcheck` / `gradgradcheck`: one entry per derivative compared.

    True when every entry agrees; `str(report)` is a table naming each input.

    >>> from autograd import sin
    >>> report = gradcheck(lambda x: sin(x), 0.5)
    >>> bool(report), report.entries[0].name
    (True, 'd/dx (input 0)')
    """

    function: str
    order: int
    eps: float
    entries: tuple[GradcheckEntry, ...] = field(default_factory=tuple)
    point: tuple[tuple[str, float], ...] = ()  # (name, value) of each input

    @property
    def ok(self) -> bool:
        """True when every entry agrees."""
        return all(e.ok for e in self.entries)

    @property
    def failures(self) -> tuple[GradcheckEntry, ...]:
        """The entries that disagree."""
        return tuple(e for e in self.entries if not e.ok)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        kind = "gradient" if self.order == 1 else "second derivatives"
        verdict = "agree" if self.ok else f"{len(self.failures)} of {len(self.entries)} disagree"
        lines = [
            f"{kind} of {self.function}: backprop vs central differences (eps={self.eps:g}): "
            f"{verdict}",
        ]
        if self.point:
            lines.append("  at " + ", ".join(f"{name} = {x!r}" for name, x in self.point))
        lines += [
            f"  {'':2}{'derivative':<28} {'backprop':>22} {'numerical':>22} "
            f"{'error':>10} {'allowed':>10}",
        ]
        for e in self.entries:
            mark = "  " if e.ok else "✗ "
            lines.append(
                f"  {mark}{e.name:<28} {e.analytic:>22.15g} {e.numerical:>22.15g} "
                f"{e.error:>10.2e} {e.allowed:>10.2e}"
            )
        return "\n".join(lines)


class GradcheckError(AssertionError):
    """Raised by `gradcheck` / `gradgradcheck` when a derivative disagrees; `.report` has all.

    >>> from autograd import primitive, cos
    >>> import math
    >>> @primitive(lambda x: -cos(x))           # wrong on purpose: sin' is +cos
    ... def bad_sin(x):
    ...     return math.sin(x)
    >>> try:
    ...     gradcheck(bad_sin, 0.0)
    ... except GradcheckError as error:
    ...     print(error.report.failures[0].name, error.report.failures[0].analytic)
    d/dx (input 0) -1.0
    """

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def _input_names(f: Callable[..., Any], n: int) -> list[tuple[str, str]]:
    """(short name, display name) of each input, from f's signature when it has one.

    >>> _input_names(lambda x, *rest: x, 3)
    [('x', 'x (input 0)'), ('rest[0]', 'rest[0] (input 1)'), ('rest[1]', 'rest[1] (input 2)')]
    """
    found: list[str | None] = [None] * n
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    i = 0
    for p in parameters:
        if i >= n:
            break
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            found[i] = p.name
            i += 1
        elif p.kind is p.VAR_POSITIONAL:
            for j in range(n - i):
                found[i + j] = f"{p.name}[{j}]"
            i = n
    return [
        (name, f"{name} (input {k})") if name else (f"input{k}", f"input {k}")
        for k, name in enumerate(found)
    ]


def _check_tolerances(atol: float, rtol: float, caller: str) -> None:
    for label, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (_is_real(tolerance) and tolerance >= 0):
            raise ValueError(f"{caller}: {label} must be a non-negative number, got {tolerance!r}")


def _finish(report: GradcheckReport, raise_exception: bool) -> GradcheckReport:
    if raise_exception and not report.ok:
        raise GradcheckError(report)
    return report


def _backprop_gradient(f: Callable[..., Any], point: Sequence[float], labels: Sequence[str],
                       caller: str) -> list[float]:
    """d f / d x_i by backprop at `point`, with each input labelled by its name."""
    with enable_grad():
        leaves = [Value(x, label=label) for x, label in zip(point, labels)]
        out = _scalar_output(_call_on_values(f, leaves, {}, caller), f, caller)
        return _derivatives(out, leaves, nested=False)


def gradcheck(
    f: Callable[..., Any],
    *inputs: float,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Compare backprop's gradient of `f` at `inputs` with central differences.

    The central differences take the relative step eps * max(1, |x|) (see `numerical_grad`).
    Each input passes when |backprop - numerical| <= atol + rtol * |numerical|. On failure
    this raises `GradcheckError`, whose message is the report's table, or, with
    `raise_exception=False`, returns the (falsy) report.

    >>> from autograd import tanh
    >>> gradcheck(lambda x, w: tanh(w * x), 0.3, -1.2).ok
    True
    >>> print(gradcheck(lambda x: x * x, 3.0, raise_exception=False))   # doctest: +ELLIPSIS
    gradient of <lambda>: backprop vs central differences (eps=1e-06): agree
      at x = 3.0
    ...d/dx (input 0)...6...6...
    """
    _check_eps(eps, "gradcheck")
    _check_tolerances(atol, rtol, "gradcheck")
    point = _real_inputs(inputs, "gradcheck")
    names = _input_names(f, len(point))
    labels = [short for short, _ in names]
    analytic = _backprop_gradient(f, point, labels, "gradcheck")
    numerical = numerical_grad(f, *point, eps=eps)
    entries = tuple(
        GradcheckEntry(f"d/d{shown}", a, n, atol, rtol)
        for (_, shown), a, n in zip(names, analytic, numerical)
    )
    report = GradcheckReport(_name_of(f), 1, eps, entries, tuple(zip(labels, point)))
    return _finish(report, raise_exception)


def gradgradcheck(
    f: Callable[..., Any],
    *inputs: float,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Compare second derivatives from `create_graph=True` with finite differences.

    Entry (i, j) is d²f / dx_i dx_j: backprop through the recorded gradient against the
    central difference, in x_j, of backprop's first derivative d f / d x_i. Fails, raises and
    reports like `gradcheck`.

    >>> from autograd import sin
    >>> gradgradcheck(lambda x, y: sin(x * y), 0.4, 1.5).ok
    True
    """
    _check_eps(eps, "gradgradcheck")
    _check_tolerances(atol, rtol, "gradgradcheck")
    point = _real_inputs(inputs, "gradgradcheck")
    labels = [short for short, _ in _input_names(f, len(point))]
    analytic = hessian(f)(*point)
    n = len(point)
    columns = []  # columns[j][i]: central difference in x_j of d f / d x_i
    for j in range(n):
        above, below, step = _step_apart(point, j, eps, "gradgradcheck")
        g_above = _backprop_gradient(f, above, labels, "gradgradcheck")
        g_below = _backprop_gradient(f, below, labels, "gradgradcheck")
        columns.append([(ga - gb) / step for ga, gb in zip(g_above, g_below)])
    entries = tuple(
        GradcheckEntry(f"d²/d{labels[i]} d{labels[j]}", analytic[i][j], columns[j][i], atol, rtol)
        for i in range(n)
        for j in range(n)
    )
    report = GradcheckReport(_name_of(f), 2, eps, entries, tuple(zip(labels, point)))
    return _finish(report, raise_exception)
