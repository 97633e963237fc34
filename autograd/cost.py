"""The cost of a derivative, measured: op counts and times of four ways to get one gradient.

`count_ops()` counts, in this thread, the primitive evaluations that make nodes (the forward
passes), the local derivatives evaluated by backward passes and by forward-mode passes, and
times the passes you mark. `compare_methods(n_params)` takes the gradient of a small network's
loss with n parameters four ways and reports what each cost:

- central differences: 2n forward passes, (L(θ + h e_i) - L(θ - h e_i)) / 2h for each i;
- forward mode: one forward pass recorded, then n tangent passes, one per parameter;
- reverse mode (backprop): one forward pass and one backward pass;
- compiled reverse mode: the same two passes written out as float code by `autograd.compile`.

The first two grow like n times the cost of a pass, so like n² for a network; reverse mode
stays a small multiple of one forward pass. That is the whole argument for backpropagation,
and here it is measured rather than stated.

>>> table = compare_methods(20, budget=0.2)
>>> [m.total_passes for m in table.methods[:3]]            # 2n, 1 + n, 1 + 1 (n = 19)
[38, 20, 2]
>>> table.method("forward mode").derivative_ops / 19 <= table.ops_per_pass  # per tangent pass
True
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from autograd import engine
from autograd.engine import Value, dot, sum_values, tanh
from autograd.functional import linearize, tangent_hook

__all__ = [
    "CostComparison",
    "MLPLoss",
    "MethodCost",
    "OpCounts",
    "TimedPass",
    "compare_methods",
    "cost_curve",
    "count_ops",
    "duration",
    "plot_costs",
]


# ----------------------------------------------------------------------------------------------
# Counting ops and timing passes.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedPass:
    """One pass marked with `OpCounts.timed`: its name, wall time and the ops counted in it.

    >>> TimedPass("backward", 0.002, 0, 41, 0).backward
    41
    """

    name: str
    seconds: float
    forward: int
    backward: int
    tangent: int


@dataclass
class OpCounts:
    """What `count_ops()` has counted so far in this thread.

    `forward`: primitive evaluations that made a node (on Values, recorded or under
    `no_grad`); `backward`: local derivatives evaluated by backward passes (one per node made
    by an op); `tangent`: local derivatives evaluated by forward-mode passes (`jvp`,
    `linearize`, `jacobian`, `hvp`). Ops on plain floats make no node and are not seen: to
    count a pass on floats, run it on Values under `no_grad()`.

    >>> with count_ops() as counts:
    ...     x = Value(2.0)
    ...     y = x * x + 1.0
    ...     y.backward()
    >>> counts.forward, counts.backward, counts.tangent
    (2, 2, 0)
    """

    forward: int = 0
    backward: int = 0
    tangent: int = 0
    passes: list[TimedPass] = field(default_factory=list)

    @property
    def derivatives(self) -> int:
        """Local derivatives evaluated, backward and forward mode together."""
        return self.backward + self.tangent

    @property
    def total(self) -> int:
        """Every primitive evaluation counted: forward ops and local derivatives."""
        return self.forward + self.backward + self.tangent

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the block as one pass named `name`, with the ops counted inside it.

        >>> with count_ops() as counts:
        ...     with counts.timed("forward"):
        ...         y = Value(3.0) * 2.0
        >>> counts.passes[0].name, counts.passes[0].forward
        ('forward', 1)
        """
        before = (self.forward, self.backward, self.tangent)
        start = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - start
            self.passes.append(TimedPass(name, seconds, self.forward - before[0],
                                         self.backward - before[1], self.tangent - before[2]))

    def _on_tangent(self, node: Value) -> None:
        self.tangent += 1

    def __str__(self) -> str:
        lines = [f"{self.forward:,} forward ops, {self.backward:,} backward and "
                 f"{self.tangent:,} forward-mode local derivatives"]
        lines += [f"  {p.name}: {p.seconds * 1e3:.3f} ms, {p.forward:,} forward, "
                  f"{p.backward:,} backward, {p.tangent:,} tangent" for p in self.passes]
        return "\n".join(lines)


@contextmanager
def count_ops() -> Iterator[OpCounts]:
    """Count primitive evaluations and local derivatives in this thread; see `OpCounts`.

    The counters hook into the engine, which makes ops slower while they count: time
    with `OpCounts.timed` for a rough split, but measure speed outside `count_ops()`.
    The engine holds one forward hook per thread, so `detect_anomaly()` or `compile` tracing
    inside the block suspends the forward count while they run.

    >>> from autograd import jvp, sin
    >>> with count_ops() as counts:
    ...     value, slope = jvp(lambda x: sin(x) * x)(1.0, tangents=1.0)
    >>> counts.forward, counts.tangent          # sin and * recorded once, then one tangent pass
    (2, 2)
    """
    counts = OpCounts()
    with engine.hooks(_Counting(counts)), tangent_hook(counts._on_tangent):
        yield counts


class _Counting(engine.Hooks):
    """The engine's hooks, counting into an `OpCounts`."""

    def __init__(self, counts: OpCounts) -> None:
        self.counts = counts

    def on_node(self, node: Value, step: tuple[Value, Value] | None) -> None:
        self.counts.forward += 1

    def on_backward_step(self, node: Value, root: Value) -> None:
        self.counts.backward += 1


# ----------------------------------------------------------------------------------------------
# The network whose gradient is taken.
# ----------------------------------------------------------------------------------------------


class MLPLoss:
    """The mean squared error of a one-hidden-layer tanh network on a fixed batch, as a
    function of one flat list of parameters `theta` (floats or Values).

    The network maps `n_in` inputs through `hidden` tanh units to one output; it has
    hidden * (n_in + 2) + 1 parameters, laid out as the hidden weights row by row, the hidden
    biases, the output weights, then the output bias. The batch is drawn from `seed`.

    >>> loss = MLPLoss(hidden=3)
    >>> loss.n_params, round(loss(loss.initial()), 6) == round(loss(loss.initial()), 6)
    (19, True)
    >>> MLPLoss.for_size(100).n_params                  # the nearest size the layout allows
    97
    """

    def __init__(self, hidden: int, n_in: int = 4, batch: int = 8, seed: int = 0) -> None:
        for name, n in (("hidden", hidden), ("n_in", n_in), ("batch", batch)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"MLPLoss: {name} must be a positive int, got {n!r}")
        self.hidden, self.n_in, self.batch, self.seed = hidden, n_in, batch, seed
        rng = random.Random(seed)
        self.inputs = [[rng.uniform(-1.0, 1.0) for _ in range(n_in)] for _ in range(batch)]
        self.targets = [rng.uniform(-1.0, 1.0) for _ in range(batch)]

    @classmethod
    def for_size(cls, n_params: int, n_in: int = 4, batch: int = 8, seed: int = 0) -> MLPLoss:
        """The network whose number of parameters is nearest to `n_params`."""
        if isinstance(n_params, bool) or not isinstance(n_params, int) or n_params < 1:
            raise ValueError(f"MLPLoss: n_params must be a positive int, got {n_params!r}")
        hidden = max(1, round((n_params - 1) / (n_in + 2)))
        return cls(hidden, n_in, batch, seed)

    @property
    def n_params(self) -> int:
        """The number of parameters: hidden * (n_in + 2) + 1."""
        return self.hidden * (self.n_in + 2) + 1

    def initial(self) -> list[float]:
        """Parameters drawn from N(0, 1 / n_in) (hidden) and N(0, 1 / hidden) (output)."""
        rng = random.Random(self.seed + 1)
        h, n = self.hidden, self.n_in
        return ([rng.gauss(0.0, n ** -0.5) for _ in range(h * n)] + [0.0] * h +
                [rng.gauss(0.0, h ** -0.5) for _ in range(h)] + [0.0])

    def __call__(self, theta: Sequence[Any]) -> Any:
        h, n = self.hidden, self.n_in
        if len(theta) != self.n_params:
            raise ValueError(f"MLPLoss: expected {self.n_params} parameters, got {len(theta)}")
        rows = [theta[j * n:(j + 1) * n] for j in range(h)]
        biases = theta[h * n:h * n + h]
        weights = theta[h * n + h:h * n + 2 * h]
        bias = theta[-1]
        terms = []
        for x, y in zip(self.inputs, self.targets):
            hidden = [tanh(dot(row, x) + b) for row, b in zip(rows, biases)]
            residual = dot(weights, hidden) + bias - y
            terms.append(residual * residual)
        return sum_values(terms) * (1.0 / self.batch)

    def __repr__(self) -> str:
        return (f"MLPLoss({self.n_in} -> {self.hidden} tanh -> 1, {self.batch} examples, "
                f"{self.n_params} parameters)")


# ----------------------------------------------------------------------------------------------
# Four ways to the gradient.
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodCost:
    """What one way of computing the gradient cost.

    `total_passes` passes were needed, `measured_passes` of them were run and timed (fewer
    when the time budget ran out: then `seconds` is the measured time per pass times
    `total_passes`). Op counts are one pass counted, times the number of passes (every pass
    of a method runs the same ops); None where the counter cannot see them (compiled code runs
    on plain floats). `max_difference` is the largest difference from reverse mode's gradient.

    >>> row = MethodCost("central differences", "2n = 20 forward", 20, 4, 1800, 0, 0.5)
    >>> row.extrapolated                      # 4 of 20 passes timed
    True
    """

    method: str
    passes: str
    total_passes: int
    measured_passes: int
    forward_ops: int | None
    derivative_ops: int | None
    seconds: float | None
    max_difference: float | None = None
    note: str = ""

    @property
    def extrapolated(self) -> bool:
        """True when only some passes were timed and the rest estimated from them."""
        return self.measured_passes < self.total_passes


@dataclass(frozen=True)
class CostComparison:
    """The gradient of one `MLPLoss` computed four ways: see `compare_methods`.

    `str()` gives the table; `ratio(method)` the time of a method over reverse mode's.

    >>> table = compare_methods(10, budget=0.1, repeats=1, compiled=False)
    >>> table.ratio("reverse mode"), table.method("forward mode").total_passes
    (1.0, 14)
    """

    loss: MLPLoss
    ops_per_pass: int
    methods: tuple[MethodCost, ...]

    @property
    def n_params(self) -> int:
        """The number of parameters n."""
        return self.loss.n_params

    def method(self, name: str) -> MethodCost:
        """The row of the method called `name`."""
        for m in self.methods:
            if m.method == name:
                return m
        raise KeyError(f"no method {name!r}; methods: {', '.join(m.method for m in self.methods)}")

    def ratio(self, name: str, to: str = "reverse mode") -> float:
        """Seconds of method `name` over seconds of method `to` (nan when either is missing)."""
        a, b = self.method(name).seconds, self.method(to).seconds
        return a / b if a is not None and b else math.nan

    def __str__(self) -> str:
        loss = self.loss
        lines = [
            f"gradient of an MLP loss ({loss.n_in} -> {loss.hidden} tanh -> 1, {loss.batch} "
            f"examples): n = {loss.n_params:,} parameters, {self.ops_per_pass:,} ops per "
            "forward pass",
            f"  {'method':<21} {'passes':<27} {'forward ops':>12} {'derivative ops':>15} "
            f"{'time':>10} {'vs reverse':>11}",
        ]
        notes = []
        for m in self.methods:
            if m.seconds is None:
                lines.append(f"  {m.method:<21} skipped: {m.note}")
                continue
            star = "*" if m.extrapolated else " "
            ratio = self.ratio(m.method)
            lines.append(
                f"  {m.method:<21} {m.passes:<27} {_count(m.forward_ops):>12} "
                f"{_count(m.derivative_ops):>15} {duration(m.seconds):>9}{star} {ratio:>10.3g}x"
            )
            if m.extrapolated and m.measured_passes == 0:
                notes.append(f"  * {m.method}: {m.note}")
            elif m.extrapolated:
                notes.append(f"  * {m.method}: {m.measured_passes:,} of {m.total_passes:,} "
                             "passes timed; the rest extrapolated from their per-pass cost")
            elif m.note:
                notes.append(f"  {m.method}: {m.note}")
        lines += notes
        agreement = [f"{m.method} {m.max_difference:.1e}" for m in self.methods
                     if m.max_difference is not None and m.method != "reverse mode"]
        if agreement:
            lines.append("  largest difference from reverse mode's gradient: " +
                         ", ".join(agreement[:2]))
            lines += [f"    {', '.join(agreement[k:k + 2])}" for k in range(2, len(agreement), 2)]
        lines.append("  op counts: one pass counted, times the number of passes")
        return "\n".join(lines)


def duration(seconds: float) -> str:
    """A time in the unit that reads best.

    >>> [duration(s) for s in (2.5e-5, 0.0123, 4.2, 150.0, 99_720.0)]
    ['25 µs', '12.3 ms', '4.2 s', '2.5 min', '27.7 h']
    """
    for unit, size in (("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1e-3)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds * 1e6:.3g} µs"


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _best(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The fastest of `repeats` runs, and the last result."""
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def _difference(a: Sequence[float] | None, b: Sequence[float]) -> float | None:
    if a is None:
        return None
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def _central_differences(loss: MLPLoss, theta: list[float], eps: float,
                         budget: float) -> tuple[list[float] | None, float, int]:
    """(gradient or None, seconds, passes timed): 2 passes per parameter until the budget."""
    n = len(theta)
    gradient = []
    point = list(theta)
    start = time.perf_counter()
    for i, x in enumerate(theta):
        h = eps * max(1.0, abs(x))
        point[i] = x + h
        up = loss(point)
        point[i] = x - h
        down = loss(point)
        point[i] = x
        gradient.append((up - down) / ((x + h) - (x - h)))
        elapsed = time.perf_counter() - start
        if elapsed > budget and i + 1 < n:
            return None, elapsed / (2 * (i + 1)) * (2 * n), 2 * (i + 1)
    return gradient, time.perf_counter() - start, 2 * n


def _forward_mode(loss: MLPLoss, theta: list[float],
                  budget: float) -> tuple[list[float] | None, float, int, int]:
    """(gradient or None, seconds, passes timed, local derivatives per tangent pass): one
    recorded pass, then one tangent pass per parameter until the budget."""
    n = len(theta)
    start = time.perf_counter()
    _, derivative = linearize(lambda *th: loss(th))(*theta)
    recorded = time.perf_counter() - start
    gradient = []
    tangents = [0.0] * n
    for i in range(n):
        tangents[i] = 1.0
        gradient.append(derivative(*tangents))
        tangents[i] = 0.0
        elapsed = time.perf_counter() - start
        if elapsed > budget and i + 1 < n:
            per_pass = (elapsed - recorded) / (i + 1)
            return None, recorded + per_pass * n, 2 + i, _per_tangent_pass(derivative, n)
    return gradient, time.perf_counter() - start, 1 + n, _per_tangent_pass(derivative, n)


def _per_tangent_pass(derivative: Callable[..., Any], n: int) -> int:
    """The local derivatives one more tangent pass evaluates, counted (outside the timing)."""
    with count_ops() as counts:
        derivative(*([1.0] + [0.0] * (n - 1)))
    return counts.tangent


def _reverse_mode(loss: MLPLoss, theta: list[float]) -> list[float]:
    params = [Value(x) for x in theta]
    loss(params).backward()
    return [p.grad for p in params]


def compare_methods(n_params: int = 100, *, budget: float = 2.0, repeats: int = 3,
                    eps: float = 1e-6, seed: int = 0, compiled: bool = True,
                    compile_limit: int = 2_000) -> CostComparison:
    """The gradient of an MLP loss with about `n_params` parameters, computed four ways.

    Central differences (2n forward passes), forward mode (one recorded forward pass and n
    tangent passes), reverse mode (one forward, one backward) and compiled reverse mode
    (`autograd.compile`; its tracing and compiling, done once, is not in its time), with the
    forward ops and local derivatives each one evaluates and its time on this machine. The
    two per-parameter methods stop timing after `budget` seconds and extrapolate the rest from
    the measured cost per pass (the table marks it); the two reverse modes take the best of
    `repeats` runs. A row that cannot run says why instead: compile failing, or a network of
    more than `compile_limit` parameters (compiling a graph takes about a second per ten
    thousand nodes; `cost_curve` estimates those rows). The network is
    `MLPLoss.for_size(n_params, seed=seed)`; `str()` of the result is the table.

    >>> table = compare_methods(10, budget=0.5)
    >>> table.n_params, table.method("reverse mode").passes
    (13, '1 forward + 1 backward')
    >>> table.method("central differences").max_difference < 1e-6
    True
    >>> print(table)                                        # doctest: +ELLIPSIS
    gradient of an MLP loss (4 -> 2 tanh -> 1, 8 examples): n = 13 parameters, ... ops per ...
      method                passes                       forward ops  derivative ops ...
      central differences   2n = 26 forward                    ...
    """
    for name, number in (("budget", budget), ("eps", eps)):
        if not (isinstance(number, (int, float)) and math.isfinite(number) and number > 0):
            raise ValueError(f"compare_methods: {name} must be a positive number, got {number!r}")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"compare_methods: repeats must be a positive int, got {repeats!r}")
    loss = MLPLoss.for_size(n_params, seed=seed)
    theta = loss.initial()
    n = loss.n_params

    # Op counts: one pass of each kind, counted (every pass of a kind runs the same ops, and a
    # forward pass the same ops whether it runs on floats, on Values or records a graph).
    with count_ops() as counts:
        _reverse_mode(loss, theta)
    ops_per_pass, backward_ops = counts.forward, counts.backward

    # Times, outside the counter (its hooks slow the engine down).
    reverse_seconds, reference = _best(lambda: _reverse_mode(loss, theta), repeats)
    rows = []
    gradient, seconds, measured = _central_differences(loss, theta, eps, budget)
    rows.append(MethodCost("central differences", f"2n = {2 * n:,} forward", 2 * n, measured,
                           2 * n * ops_per_pass, 0, seconds, _difference(gradient, reference)))
    gradient, seconds, measured, tangent_ops = _forward_mode(loss, theta, budget)
    rows.append(MethodCost("forward mode", f"1 forward + n = {n:,} tangent", 1 + n, measured,
                           ops_per_pass, n * tangent_ops, seconds,
                           _difference(gradient, reference)))
    rows.append(MethodCost("reverse mode", "1 forward + 1 backward", 2, 2, ops_per_pass,
                           backward_ops, reverse_seconds, 0.0))
    if not compiled:
        rows.append(_skipped("not asked for (compiled=False)"))
    elif n > compile_limit:
        rows.append(_skipped(f"n = {n:,} is above compile_limit = {compile_limit:,} (compiling "
                             f"its {ops_per_pass:,}-op graph would take long)"))
    else:
        rows.append(_compiled_row(loss, theta, reference, repeats))
    return CostComparison(loss, ops_per_pass, tuple(rows))


def _skipped(reason: str) -> MethodCost:
    return MethodCost(_COMPILED, "", 1, 0, None, None, None, note=reason)


_COMPILED = "compiled reverse"


def compile_function(f: Callable[..., Any], **options: Any) -> Any:
    """`autograd.compile(f, **options)`, with the compiler loaded on first use."""
    from autograd.compile import compile as compile_

    return compile_(f, **options)


def _compiled_row(loss: MLPLoss, theta: list[float], reference: list[float],
                  repeats: int) -> MethodCost:
    try:
        start = time.perf_counter()
        function = compile_function(loss, argnums=0)
        function.trace(theta)
        compile_seconds = time.perf_counter() - start
        seconds, (_, gradient) = _best(lambda: function(theta), repeats)
    except Exception as error:  # a failing compile must not hide the other three rows
        return _skipped(f"compile failed: {type(error).__name__}: {error}")
    return MethodCost(_COMPILED, "1 call of float code", 1, 1, None, None, seconds,
                      _difference(list(gradient), reference),
                      note=f"traced and compiled once in {compile_seconds:.3g} s (not counted)")


# ----------------------------------------------------------------------------------------------
# Over many sizes, and the plot.
# ----------------------------------------------------------------------------------------------


def cost_curve(sizes: Sequence[int] = (10, 100, 1_000, 10_000), *, budget: float = 2.0,
               repeats: int = 3, compiled: bool = True,
               compile_limit: int = 2_000) -> list[CostComparison]:
    """`compare_methods` for each size in `sizes` (numbers of parameters).

    A compiled row skipped for a size above `compile_limit` is estimated from the largest
    size compiled: its time per forward op, times this size's ops (marked as extrapolated).

    >>> curve = cost_curve((10, 30), budget=0.1, repeats=1, compile_limit=20)
    >>> [c.n_params for c in curve], curve[1].method("compiled reverse").extrapolated
    ([13, 31], True)
    """
    curve = []
    measured: CostComparison | None = None  # the largest size compiled so far
    for n in sorted(sizes):
        comparison = compare_methods(n, budget=budget, repeats=repeats, compiled=compiled,
                                     compile_limit=compile_limit)
        row = comparison.method(_COMPILED)
        if row.seconds is not None:
            measured = comparison
        elif compiled and measured is not None and n > compile_limit:
            small = measured.method(_COMPILED)
            per_op = (small.seconds or 0.0) / measured.ops_per_pass
            seconds = per_op * comparison.ops_per_pass
            estimate = replace(small, seconds=seconds, measured_passes=0, max_difference=None,
                               note=f"estimated from n = {measured.n_params:,}: its time per "
                                    "op, times this network's ops")
            comparison = replace(comparison, methods=tuple(
                estimate if m is row else m for m in comparison.methods))
        curve.append(comparison)
    return curve


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            "plotting costs needs matplotlib: pip install 'scalar-autograd[plots]'"
        ) from error
    return plt


_STYLES = {"central differences": "o-", "forward mode": "^-", "reverse mode": "s-",
           "compiled reverse": "D-"}


def plot_costs(comparisons: Sequence[CostComparison], ax: Any = None) -> Any:
    """A log-log plot of seconds per gradient against parameters, one line per method.

    Extrapolated points are drawn hollow and the title says so. Needs matplotlib (the
    `plots` extra); returns the figure.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> figure = plot_costs(cost_curve((10, 30), budget=0.1, repeats=1, compiled=False))
    >>> [line.get_label() for line in figure.axes[0].get_lines()][:2]
    ['central differences', 'forward mode']
    """
    plt = _pyplot()
    if ax is None:
        figure, ax = plt.subplots(figsize=(7, 4.5))
    else:
        figure = ax.figure
    any_extrapolated = False
    names = [m.method for m in comparisons[0].methods] if comparisons else []
    for name in names:
        points = [(c.n_params, c.method(name)) for c in comparisons]
        points = [(n, m) for n, m in points if m.seconds is not None]
        if not points:
            continue
        line, = ax.loglog([n for n, _ in points], [m.seconds for _, m in points],
                          _STYLES.get(name, "o-"), label=name)
        hollow = [(n, m.seconds) for n, m in points if m.extrapolated]
        if hollow:
            any_extrapolated = True
            ax.loglog([n for n, _ in hollow], [s for _, s in hollow], "o", markersize=9,
                      markerfacecolor="white", markeredgecolor=line.get_color())
    ax.set_xlabel("number of parameters n")
    ax.set_ylabel("seconds per gradient")
    title = "one gradient, four ways"
    if any_extrapolated:
        title += " (hollow: extrapolated from the measured cost per pass)"
    ax.set_title(title, fontsize=10)
    ax.legend()
    ax.grid(True, which="major", alpha=0.3)
    return figure
