"""Checking derivatives against finite differences: `gradcheck`, and `explain` to find the
node whose local derivative is wrong.

`numerical_grad` estimates a gradient by central differences; `gradcheck` and `gradgradcheck`
compare backpropagation with those estimates and report each input that disagrees. `explain`
goes one level down: it checks every node's *local* derivative against central differences of
the node's own primitive at the node's own operands, so a wrong derivative is found where it is
declared, not only where it shows.

>>> from autograd import sin
>>> gradcheck(lambda x, y: x * sin(y), 2.0, 0.5).ok
True
>>> explain(lambda x, y: x * sin(y), 2.0, 0.5).ok
True
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import engine
from autograd._calling import (
    _call_on_values,
    _derivatives,
    _is_real,
    _name_of,
    _scalar_output,
)
from autograd.engine import Primitive, Value, enable_grad, gradients, no_grad, topological_order

__all__ = [
    "ExplainReport",
    "GradcheckEntry",
    "GradcheckError",
    "GradcheckReport",
    "LocalCheck",
    "NonFinite",
    "Skipped",
    "explain",
    "gradcheck",
    "gradgradcheck",
    "numerical_grad",
]


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
        lines += _entry_table(self.entries)
        return "\n".join(lines)


def _entry_table(entries: Sequence[GradcheckEntry], indent: str = "  ") -> list[str]:
    """The header and one row per entry of a gradcheck-style table, failures marked ✗."""
    lines = [f"{indent}{'':2}{'derivative':<28} {'backprop':>22} {'numerical':>22} "
             f"{'error':>10} {'allowed':>10}"]
    for e in entries:
        mark = "  " if e.ok else "✗ "
        lines.append(f"{indent}{mark}{e.name:<28} {e.analytic:>22.15g} {e.numerical:>22.15g} "
                     f"{e.error:>10.2e} {e.allowed:>10.2e}")
    return lines


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


def _backprop_hessian(f: Callable[..., Any], point: Sequence[float], labels: Sequence[str],
                      caller: str) -> list[list[float]]:
    """Every entry d²f / dx_i dx_j by backprop through the recorded gradient.

    Each entry is computed on its own, with no use of symmetry: a wrong second derivative of a
    custom primitive may make the matrix unsymmetric, and that must show.
    """
    with enable_grad():
        leaves = [Value(x, label=label) for x, label in zip(point, labels)]
        out = _scalar_output(_call_on_values(f, leaves, {}, caller), f, caller)
        firsts = _derivatives(out, leaves, nested=True)
        return [_derivatives(first, leaves, nested=False) for first in firsts]


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
    analytic = _backprop_hessian(f, point, labels, "gradgradcheck")
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



# ----------------------------------------------------------------------------------------------
# explain: where exactly a derivative is wrong.
# ----------------------------------------------------------------------------------------------

_FLOAT_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
# The built-in ops whose derivative jumps: at 0, and where the two operands tie.
_KINKED_AT_ZERO = (engine.relu, engine.abs_, engine.step, engine.sign)
_KINKED_AT_TIES = (engine.maximum, engine.minimum, engine.greater_equal)
_DIRECTIONAL_FROM = 5  # ops with this many operands or more are first checked all at once
_LISTED = 10  # at most this many wrong local derivatives are written out


@dataclass(frozen=True)
class LocalCheck(GradcheckEntry):
    """One node's local derivative (`analytic`) against central differences of its own op.

    `name` says which partial: "d/d operand k", or "all operands along one direction" for an
    op with many operands checked at once. `position` is the node's index in the topological
    order of the graph (inputs first).

    >>> report = explain(lambda x: x * x, 3.0)
    >>> check = report.checks[0]
    >>> check.op, check.operands, check.analytic, check.ok
    ('mul', (3.0, 3.0), 3.0, True)
    """

    node: Value
    position: int
    op: str
    operands: tuple[float, ...]
    operand: int | None  # None: every partial at once, along one direction

    def where(self) -> str:
        """The node, its op and its operands, as the report writes them.

        >>> explain(lambda x: x * x, 3.0).checks[0].where()
        '#1 = 3 * 3 = 9'
        """
        return _node_text(self.node, self.position, self.op, self.operands)


@dataclass(frozen=True)
class Skipped:
    """A check `explain` did not make, and why (a kink, a jump or a domain edge within reach).

    >>> Skipped(None, 3, "relu", 0, "within 2h of relu's kink at 0").reason
    "within 2h of relu's kink at 0"
    """

    node: Value | None
    position: int
    op: str  # "input" for an input of the total gradient
    operand: int | None
    reason: str
    operands: tuple[float, ...] = ()


@dataclass(frozen=True)
class NonFinite:
    """Where a nan or inf first appears: a value (`phase` "forward") or a local derivative or
    gradient (`phase` "backward").

    >>> for n in explain(lambda x: x * 1e308 * 10.0, 1.0).nonfinite:
    ...     print(n)
    forward: first at #4 = 1e+308 * 10 = inf: the value is inf, from finite operands
    backward: first at #2 = 1 * 1e+308 = 1e+308: the gradient passed to operand 0 is inf ...
    >>> print(explain(lambda x: engine.sqrt(x) + x, 0.0).nonfinite[0])
    backward: first at #1 = sqrt(0) = 0: its local derivative fails (ZeroDivisionError: ...)
    """

    phase: str
    node: Value
    position: int
    op: str | None
    operands: tuple[float, ...]
    detail: str

    def __str__(self) -> str:
        where = _node_text(self.node, self.position, self.op, self.operands)
        return f"{self.phase}: first at {where}: {self.detail}"


@dataclass(frozen=True)
class ExplainReport:
    """What `explain` found: wrong local derivatives, unused inputs, nan/inf, the total gradient.

    True when no local derivative disagrees, no nan or inf appears and the total gradient
    agrees with differences. `wrong` lists the disagreeing local derivatives in backward order
    (`first_wrong` is the first of them); `str(report)` writes it all out.

    >>> report = explain(lambda x, y: x * engine.sin(y), 2.0, 0.5)
    >>> bool(report), report.n_nodes, report.wrong, report.unused
    (True, 4, (), ())
    """

    function: str
    n_nodes: int
    eps: float
    checks: tuple[LocalCheck, ...]
    skipped: tuple[Skipped, ...] = ()
    unused: tuple[str, ...] = ()
    nonfinite: tuple[NonFinite, ...] = ()
    gradient: GradcheckReport | None = None
    notes: tuple[str, ...] = ()

    @property
    def wrong(self) -> tuple[LocalCheck, ...]:
        """The local derivatives that disagree with differences, in backward order."""
        return tuple(c for c in self.checks if not c.ok)

    @property
    def first_wrong(self) -> LocalCheck | None:
        """The first wrong local derivative met by a backward pass (None when all agree)."""
        wrong = self.wrong
        return wrong[0] if wrong else None

    @property
    def ok(self) -> bool:
        """No wrong local derivative, no nan or inf, and the total gradient agrees."""
        gradient_ok = self.gradient is None or self.gradient.ok
        return not self.wrong and not self.nonfinite and gradient_ok

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        wrong = self.wrong
        verdict = "all agree" if not wrong else f"{len(wrong)} wrong"
        lines = [
            f"explain({self.function}): {self.n_nodes:,} nodes, {len(self.checks):,} local "
            f"derivatives vs central differences of their own op (eps={self.eps:g}): {verdict}"
        ]
        if self.gradient is not None and 0 < len(self.gradient.point) <= 8:
            lines.append("  at " + ", ".join(f"{name} = {x!r}" for name, x in
                                             self.gradient.point))
        for k, check in enumerate(wrong[:_LISTED]):
            title = "first wrong local derivative, in backward order" if k == 0 else "also wrong"
            lines += [
                f"  ✗ {title}: {check.where()}",
                f"      {check.name}: local derivative {check.analytic:.15g}, central "
                f"difference {check.numerical:.15g} (error {check.error:.2e}, allowed "
                f"{check.allowed:.2e})",
            ]
        if len(wrong) > _LISTED:
            lines.append(f"  ... and {len(wrong) - _LISTED} more wrong local derivatives")
        lines.append("  inputs the output does not depend on: " +
                     (", ".join(self.unused) if self.unused else "none"))
        if self.nonfinite:
            lines += [f"  nan or inf, {n}" for n in self.nonfinite]
        else:
            lines.append("  nan or inf: none")
        gradient = self.gradient
        if gradient is not None:
            verdict = "agree" if gradient.ok else (f"{len(gradient.failures)} of "
                                                   f"{len(gradient.entries)} disagree")
            lines.append(f"  total gradient: backprop vs central differences of the whole "
                         f"graph: {verdict}")
            shown = gradient.entries if len(gradient.entries) <= _LISTED else \
                gradient.failures[:_LISTED]
            if shown:
                lines += _entry_table(shown, indent="    ")
            if len(shown) < len(gradient.entries):
                lines.append(f"    ({len(gradient.entries) - len(shown)} more inputs not shown)")
        if self.skipped:
            first = self.skipped[0]
            where = _node_text(first.node, first.position, first.op, first.operands)
            lines.append(f"  skipped {len(self.skipped)} check(s) where differences cannot be "
                         f"trusted, first {where}: {first.reason}")
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _node_text(node: Value | None, position: int, op: str | None,
               operands: Sequence[float] | None) -> str:
    """'#12' or "'loss' (#12)", then ' = op(operands) = value' when known."""
    name = f"#{position}"
    if node is not None and node.label:
        name = f"{node.label!r} ({name})"
    if node is None:
        return name
    if op is None or op == "input":
        return f"input {name} = {node.data:.6g}"
    numbers = [f"{x:.6g}" for x in (operands or ())]
    if node.op is not None and node.op.infix and len(numbers) == 2:
        return f"{name} = {numbers[0]} {node.op.symbol} {numbers[1]} = {node.data:.6g}"
    return f"{name} = {op}({', '.join(numbers)}) = {node.data:.6g}"


def _slope(g: Callable[[float], float], x: float, eps: float, atol: float, rtol: float,
           g_x: float | None = None) -> tuple[float | None, str]:
    """The central difference of g at x, or None and why it cannot be trusted there.

    With h = eps * max(1, |x|), the central difference is trusted only where g is defined and
    finite on [x - h, x + h] and its two one-sided slopes agree within the tolerance: a kink,
    a jump, a pole or rounding noise within h of x makes them differ, and then the central
    difference would be off too. `g_x`, when given, is g(x).

    >>> round(_slope(lambda t: t * t, 3.0, 1e-6, 1e-5, 1e-3)[0], 6)
    6.0
    >>> _slope(abs, 1e-7, 1e-6, 1e-5, 1e-3)[1]
    'a kink or jump within h = 1e-06 of 1e-07 (slope -0.8 on the left, 1 on the right)'
    """
    h = eps * max(1.0, abs(x))
    up, down = x + h, x - h
    try:
        g_up, g_down = g(up), g(down)
        if g_x is None:
            g_x = g(x)
    except _FLOAT_ERRORS:
        return None, f"a domain edge within h = {h:.3g} of {x!r} (the op fails there)"
    if not (math.isfinite(g_up) and math.isfinite(g_down) and math.isfinite(g_x)):
        return None, f"a domain edge or pole within h = {h:.3g} of {x!r} (not finite there)"
    right = (g_up - g_x) / (up - x)
    left = (g_x - g_down) / (x - down)
    if abs(right - left) > atol + rtol * max(abs(right), abs(left)):
        return None, (f"a kink or jump within h = {h:.3g} of {x!r} "
                      f"(slope {left:.3g} on the left, {right:.3g} on the right)")
    return (g_up - g_down) / (up - down), ""


def _known_kink(op: Primitive, xs: Sequence[float], eps: float) -> str:
    """Why a built-in kinked op's operands are too close to its kink to difference, or ''."""
    if any(op is kinked for kinked in _KINKED_AT_ZERO):
        x = xs[0]
        if abs(x) <= 2.0 * eps * max(1.0, abs(x)):
            return f"within 2h of {op.name}'s kink at 0 (operand {x!r})"
    elif any(op is kinked for kinked in _KINKED_AT_TIES):
        x, y = xs
        if abs(x - y) <= 2.0 * eps * max(1.0, abs(x), abs(y)):
            return f"within 2h of {op.name}'s switch where its operands tie ({x!r}, {y!r})"
    return ""


def _local_partials(op: Primitive, xs: Sequence[float], out: float) -> tuple[list[float], str]:
    """The op's local partials at its operands, as floats, and what is wrong with them ('')."""
    try:
        result = op.derivative(*xs, out)
        partials = [result] if op.arity == 1 else list(result)
        floats = [p.data if isinstance(p, Value) else float(p) for p in partials]
    except (*_FLOAT_ERRORS, TypeError) as error:
        return [math.nan] * len(xs), (f"its local derivative fails "
                                      f"({type(error).__name__}: {error})")
    if len(floats) != len(xs):
        return [math.nan] * len(xs), (f"its derivative gives {len(floats)} partial(s) for "
                                      f"{len(xs)} operand(s)")
    for k, p in enumerate(floats):
        if not math.isfinite(p):
            return floats, f"its local derivative for operand {k} is {p!r}"
    return floats, ""


def _check_node(node: Value, position: int, xs: tuple[float, ...], partials: list[float],
                eps: float, atol: float, rtol: float) -> tuple[list[LocalCheck], list[Skipped]]:
    """Compare each local partial of one node with a central difference of its op."""
    op: Primitive = node.op  # type: ignore[assignment]
    forward = op.forward

    def skip(reason: str, operand: int | None = None) -> tuple[list[LocalCheck], list[Skipped]]:
        return [], [Skipped(node, position, op.name, operand, reason, xs)]

    kink = _known_kink(op, xs, eps)
    if kink:
        return skip(kink)

    def check(operand: int | None, analytic: float, numerical: float) -> LocalCheck:
        name = "all operands along one direction" if operand is None else f"d/d operand {operand}"
        return LocalCheck(name, analytic, numerical, atol, rtol, node, position, op.name, xs,
                          operand)

    if len(xs) >= _DIRECTIONAL_FROM:
        # Many operands (sum, dot, a user's n-ary op): one difference along a fixed direction
        # checks every partial at once; only when it disagrees is each partial checked alone.
        rng = random.Random(position)
        u = [rng.choice((-1.0, 1.0)) * max(1.0, abs(x)) for x in xs]
        numerical, reason = _slope(
            lambda t: forward(*[x + t * d for x, d in zip(xs, u)]), 0.0, eps, atol, rtol,
            node.data)
        analytic = math.fsum(p * d for p, d in zip(partials, u))
        if numerical is not None:
            along = check(None, analytic, numerical)
            if along.ok:
                return [along], []
    checks, skipped = [], []
    for k, x in enumerate(xs):

        def moved(t: float, k: int = k) -> float:
            args = list(xs)
            args[k] = t
            return forward(*args)

        numerical, reason = _slope(moved, x, eps, atol, rtol, node.data)
        if numerical is None:
            skipped.append(Skipped(node, position, op.name, k, reason, xs))
        else:
            checks.append(check(k, partials[k], numerical))
    return checks, skipped


def _graph_replay(order: list[Value], position: dict[Value, int]) -> Callable[[int, float],
                                                                                float]:
    """The graph's output as a function of one leaf's value: its ops replayed on floats."""
    program = [(k, node.op.forward, tuple(position[p] for p in node.parents))
               for k, node in enumerate(order) if node.op is not None]
    base = [node.data for node in order]

    def output_with(leaf: int, x: float) -> float:
        values = list(base)
        values[leaf] = x
        for k, forward, parents in program:
            if k > leaf:
                values[k] = forward(*[values[p] for p in parents])
        return values[-1]

    return output_with


def _spread(items: Sequence[Any], most: int) -> list[Any]:
    """At most `most` of `items`, evenly spread, first and last included.

    >>> _spread(list(range(10)), 4)
    [0, 3, 6, 9]
    """
    if len(items) <= most:
        return list(items)
    if most == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (most - 1))] for i in range(most)]


def _explain_graph(out: Value, inputs: Sequence[Value], names: Sequence[str], function: str,
                   eps: float, atol: float, rtol: float, max_inputs: int) -> ExplainReport:
    order = topological_order(out)
    position = {node: k for k, node in enumerate(order)}
    nonfinite: list[NonFinite] = []
    for k, node in enumerate(order):
        if not math.isfinite(node.data):
            op = node.op.name if node.op is not None else None
            operands = tuple(p.data for p in node.parents)
            detail = ("this input is not finite" if op is None else
                      f"the value is {node.data!r}, from finite operands")
            nonfinite.append(NonFinite("forward", node, k, op, operands, detail))
            break

    # Backward order: every node's local partials, checked, and pushed on as a float gradient
    # so that the first nan or inf of the backward pass is seen where it appears.
    checks: list[LocalCheck] = []
    skipped: list[Skipped] = []
    grads: dict[Value, float] = {out: 1.0}
    first_backward: NonFinite | None = None
    for k in range(len(order) - 1, -1, -1):
        node = order[k]
        if not node.parents:
            continue
        g = grads.pop(node, 0.0)
        op: Primitive = node.op  # type: ignore[assignment]
        xs = tuple(p.data for p in node.parents)
        finite = math.isfinite(node.data) and all(map(math.isfinite, xs))
        partials, problem = _local_partials(op, xs, node.data)
        if problem and finite and first_backward is None:
            first_backward = NonFinite("backward", node, k, op.name, xs, problem)
        for j, (parent, partial) in enumerate(zip(node.parents, partials)):
            contribution = g * partial
            if first_backward is None and finite and math.isfinite(g) and \
                    not math.isfinite(contribution):
                first_backward = NonFinite(
                    "backward", node, k, op.name, xs,
                    f"the gradient passed to operand {j} is {contribution!r} "
                    f"(upstream {g!r} times local derivative {partial!r})")
            grads[parent] = grads.get(parent, 0.0) + contribution
        if not finite:
            skipped.append(Skipped(node, k, op.name, None, "its operands or value are not finite",
                                   xs))
        elif problem:
            skipped.append(Skipped(node, k, op.name, None, problem, xs))
        else:
            node_checks, node_skipped = _check_node(node, k, xs, partials, eps, atol, rtol)
            checks += node_checks
            skipped += node_skipped
    if first_backward is not None:
        nonfinite.append(first_backward)

    unused = tuple(name for x, name in zip(inputs, names) if x not in position)
    used = [(x, name) for x, name in zip(inputs, names) if x in position]
    notes: list[str] = []
    gradient = None
    chosen = _spread(used, max_inputs)
    if len(chosen) < len(used):
        notes.append(f"the total gradient is checked for {len(chosen)} of {len(used)} inputs, "
                     f"evenly spread (max_inputs={max_inputs})")
    if chosen:
        try:
            backprop = gradients(out, [x for x, _ in chosen])
        except _FLOAT_ERRORS as error:
            notes.append(f"backprop of the total gradient fails: {error}")
        else:
            output_with = _graph_replay(order, position)
            entries = []
            for (x, name), analytic in zip(chosen, backprop):
                leaf = position[x]
                numerical, reason = _slope(lambda t, leaf=leaf: output_with(leaf, t), x.data,
                                           eps, atol, rtol, out.data)
                if numerical is None:
                    skipped.append(Skipped(x, leaf, "input", None,
                                           f"the total gradient in {name}: {reason}"))
                else:
                    entries.append(GradcheckEntry(f"d/d{name}", float(analytic), numerical,
                                                  atol, rtol))
            gradient = GradcheckReport(function, 1, eps, tuple(entries),
                                       tuple((x.label or name, x.data) for x, name in chosen))
    return ExplainReport(function, len(order), eps, tuple(checks), tuple(skipped), unused,
                         tuple(nonfinite), gradient, tuple(notes))


def explain(
    f: Callable[..., Any] | Value,
    *inputs: float,
    of: Sequence[Value] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    max_inputs: int = 64,
) -> ExplainReport:
    """Find where a derivative goes wrong: check every node's local derivative on its own.

    `explain(f, *inputs)` builds f's graph at `inputs`; `explain(value)` takes a graph already
    built (then `of=[...]` may name its inputs; by default every leaf is one). Each node's
    local partials, from its op's `derivative`, are compared with central differences of the
    op's own `forward` at the node's own operands (an op with many operands is checked along
    one direction first). The report gives, in backward order, every local derivative that
    disagrees (`first_wrong` names the node, op, operands and both numbers), the inputs the
    output does not depend on, where a nan or inf first appears (forward and backward), and
    the total gradient against central differences of the whole graph, replayed on floats.

    A difference is only trusted where the op is smooth within h = eps * max(1, |x|): near a
    kink (relu, abs, maximum, ...), a jump (step, sign, greater_equal) or a domain edge, or
    where rounding makes the two one-sided slopes differ, the check is skipped and the report
    says so, so a healthy graph is never blamed. Costs a few op evaluations per operand: graphs
    of thousands of nodes take well under a second.

    >>> import math
    >>> from autograd import primitive, sign
    >>> @primitive(lambda x: 3.0 * x * x * sign(x))   # right for x > 0 only: (x³)' = 3x²
    ... def cube(x):
    ...     return x ** 3
    >>> report = explain(lambda x, y: engine.tanh(cube(x - y)) * y, 0.5, 1.0)
    >>> check = report.first_wrong
    >>> check.op, check.operands, check.analytic, round(check.numerical, 6)
    ('cube', (-0.5,), -0.75, 0.75)
    >>> print(report)                                  # doctest: +ELLIPSIS
    explain(<lambda>): 6 nodes, 6 local derivatives vs central differences ...: 1 wrong
      at x = 0.5, y = 1.0
      ✗ first wrong local derivative, in backward order: #3 = cube(-0.5) = -0.125
          d/d operand 0: local derivative -0.75, central difference 0.75... (error 1.50e+00, ...)
      inputs the output does not depend on: none
      nan or inf: none
      total gradient: backprop vs central differences of the whole graph: 2 of 2 disagree
            derivative                                 backprop              numerical ...
          ✗ d/dx (input 0)                   -0.738402248212795      0.738402248192477 ...
          ✗ d/dy (input 1)                    0.614049246441199     -0.862755249987126 ...
    """
    _check_eps(eps, "explain")
    _check_tolerances(atol, rtol, "explain")
    if isinstance(max_inputs, bool) or not isinstance(max_inputs, int) or max_inputs < 1:
        raise ValueError(f"explain: max_inputs must be a positive int, got {max_inputs!r}")
    if isinstance(f, Value):
        if inputs:
            raise TypeError("explain: give either a function and its inputs or a built Value, "
                            f"not a Value and {len(inputs)} input(s)")
        order = topological_order(f)
        if of is None:
            leaves = [node for node in order if not node.parents]
        else:
            leaves = list(of)
            for k, x in enumerate(leaves):
                if not isinstance(x, Value):
                    raise TypeError(f"explain: of[{k}] must be a Value, got "
                                    f"{type(x).__name__} {x!r}")
        names = [x.label or f"input {k}" for k, x in enumerate(leaves)]
        label = f.label or "the output"
        return _explain_graph(f, leaves, names, label, eps, atol, rtol, max_inputs)
    if not callable(f):
        raise TypeError(f"explain: expected a function or a Value, got {type(f).__name__}")
    if of is not None:
        raise TypeError("explain: of= names the inputs of a built graph; a function's inputs "
                        "are its arguments")
    point = _real_inputs(inputs, "explain")
    input_names = _input_names(f, len(point))
    with enable_grad():
        leaves = [Value(x, label=short) for x, (short, _) in zip(point, input_names)]
        out = _scalar_output(_call_on_values(f, leaves, {}, "explain"), f, "explain")
    names = [shown for _, shown in input_names]
    if not isinstance(out, Value):
        return ExplainReport(_name_of(f), 0, eps, (), unused=tuple(names),
                             notes=(f"the output is the constant {out!r}",))
    return _explain_graph(out, leaves, names, _name_of(f), eps, atol, rtol, max_inputs)
