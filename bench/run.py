"""Speed and memory of the engine, against plain float code written out by hand.

Run from the repository root:

    python -m bench.run                     # every workload
    python -m bench.run --only mlp,dag      # some of them
    python -m bench.run --quick             # fewer repeats, a shorter chain
    python -m bench.run --markdown          # tables for bench/README.md

Each row: forward, backward and total time (the median of the repeats), nodes per second,
bytes per node (tracemalloc: what the graph holds after forward and backward, and the peak
while building and differentiating it), and the total time as a multiple of the plain-float
baseline measured in the same run. Optional engines (micrograd, PyTorch) run when installed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import autograd
from autograd import Value, topological_order
from autograd.compiled import compile as compile_function
from bench import baseline, on_values, others, problems

SEED = 1
ALPHA = 1e-4  # the MLP step's weight decay
LR = 0.1


@dataclass
class Row:
    engine: str
    total: float                     # seconds, median
    forward: float | None = None
    backward: float | None = None
    nodes: int | None = None
    held: float | None = None        # bytes per node held after forward and backward
    peak: float | None = None        # bytes per node at the peak
    note: str = ""
    ratio: float | None = None       # median over the repeats of total / baseline beside it
    reference: float | None = None   # (e): seconds per op of the same expression on floats


@dataclass
class Table:
    title: str
    description: str
    rows: list[Row]
    per_op: bool = False             # (e): times per op, printed with OPS_HEADERS


# The workload's plain-float step, timed beside every repeat of an engine (see `timed`).
_reference: list[Callable[[], Any]] = []


def reference_time() -> float:
    """Seconds for one run of the plain-float reference: the median of three if it is short
    (the median, as for every other timing here: the fastest would favour the reference)."""
    (step,) = _reference
    times = []
    for _ in range(3):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
        if times[0] > 0.02:
            break
    return statistics.median(times)


def set_reference(step: Callable[[], Any] | None) -> None:
    _reference[:] = [step] if step is not None else []


def timed(forward: Callable[[], Any], backward: Callable[[Any], Any] | None, repeat: int,
          ratios: list[float] | None = None) -> tuple[float, float | None, float | None]:
    """Median total, forward and backward seconds over `repeat` runs (garbage collected
    between runs, outside the timings).

    With a reference set (the workload's plain-float step), it is also timed right before
    and right after every run, and `ratios` gets each run's total over the mean of the two:
    on a shared machine, whose speed drifts from one second to the next, the ratio of two
    timings taken side by side is far steadier than the ratio of two medians taken apart.
    """
    totals, forwards, backwards = [], [], []
    for _ in range(repeat):
        gc.collect()
        before = reference_time() if _reference and ratios is not None else None
        start = time.perf_counter()
        state = forward()
        middle = time.perf_counter()
        if backward is not None:
            backward(state)
        end = time.perf_counter()
        del state  # the next run starts with no graph alive
        if before is not None and ratios is not None:
            ratios.append((end - start) / ((before + reference_time()) / 2))
        totals.append(end - start)
        forwards.append(middle - start)
        backwards.append(end - middle)
    if backward is None:
        return statistics.median(totals), None, None
    return statistics.median(totals), statistics.median(forwards), statistics.median(backwards)


def measured(engine: str, forward: Callable[[], Any], backward: Callable[[Any], Any] | None,
             repeat: int, nodes: int | None = None, note: str = "") -> Row:
    ratios: list[float] = []
    total, f, b = timed(forward, backward, repeat, ratios)
    return Row(engine, total, f, b, nodes, note=note,
               ratio=statistics.median(ratios) if ratios else None)


def memory(row: Row, forward: Callable[[], Any], backward: Callable[[Any], Any]) -> Row:
    """Bytes per node: held by the graph after forward and backward, and at the peak."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    state = forward()
    backward(state)
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del state
    if row.nodes:
        row.held = (held - base) / row.nodes
        row.peak = (peak - base) / row.nodes
    return row


def without_gc(forward: Callable[[], Any]) -> Callable[[], Any]:
    """`forward` with the garbage collector off while it builds the graph (the caller's
    choice, e.g. `gc.disable()` or `gc.freeze()` around graph building)."""
    def run() -> Any:
        gc.disable()
        try:
            return forward()
        finally:
            gc.enable()
    return run


def dynamic_rows(forward: Callable[[], Value], repeat: int, nodes: int) -> list[Row]:
    """The dynamic engine's two rows for a graph that `forward` builds: with its memory, and
    again with the garbage collector off while building."""
    def backward(root: Value) -> None:
        root.backward()

    return [
        memory(measured("autograd, dynamic", forward, backward, repeat, nodes), forward,
               backward),
        measured("  the same, gc off while building", without_gc(forward), backward, repeat,
                 nodes),
    ]


def check(what: str, value: float, expected: float, grads: Sequence[float],
          expected_grads: Sequence[float]) -> None:
    """The engines must compute the same numbers before their speed means anything."""
    for a, b in zip([value, *grads], [expected, *expected_grads]):
        if not abs(a - b) <= 1e-9 * max(1.0, abs(b)):
            raise AssertionError(f"{what}: the engine and the baseline disagree ({a!r} vs {b!r})")


def baseline_row(forward: Callable[[], Any], step: Callable[[], Any], repeat: int) -> Row:
    """The plain-float rows' timing; `step` becomes the reference the next rows run beside."""
    set_reference(None)
    total, _, _ = timed(step, None, repeat)
    f, _, _ = timed(forward, None, repeat)
    set_reference(step)
    return Row("plain floats (baseline)", total, f, total - f, ratio=1.0)


# ----------------------------------------------------------------------------------------------
# (a) the MLP step
# ----------------------------------------------------------------------------------------------


def mlp_step(repeat: int) -> Table:
    sizes = problems.MLP_SIZES
    xs, ys = problems.two_moons(100, noise=0.1, seed=SEED)
    numbers = [w for rows, biases in problems.mlp_weights(sizes, SEED)
               for row, b in zip(rows, biases) for w in (*row, b)]
    step = baseline.mlp_step_function(sizes)
    forward_only = baseline.mlp_step_function(sizes, with_backward=False)
    rows = [baseline_row(lambda: forward_only(list(numbers), xs, ys, LR, ALPHA),
                         lambda: step(list(numbers), xs, ys, LR, ALPHA), repeat)]

    def checked_nodes(what: str, loss: Value, params: list[Value]) -> int:
        """The graph's node count, once its loss and gradients match the baseline's."""
        nodes = len(topological_order(loss))
        loss.backward()
        stepped = list(numbers)
        check(what, step(stepped, xs, ys, 1.0, ALPHA), loss.data,
              [a - b for a, b in zip(numbers, stepped)], [p.grad for p in params])
        for p in params:
            p.grad = 0.0
        return nodes

    # (each check's graph is dropped before the timings: only the graph being timed is alive)
    model, params = on_values.mlp_model(sizes, SEED)
    nodes = checked_nodes("MLP step", on_values.mlp_loss(model, params, xs, ys, ALPHA), params)

    def forward() -> Value:
        return on_values.mlp_loss(model, params, xs, ys, ALPHA)

    def backward(loss: Value) -> None:
        loss.backward()
        on_values.sgd_update(params, 0.0)  # lr 0: every repeat computes the same numbers

    rows.append(memory(measured("autograd, dynamic (nn.MLP: dot nodes)", forward, backward,
                                repeat, nodes), forward, backward))

    layers, bparams = on_values.binary_model(sizes, SEED)
    bnodes = checked_nodes("MLP step, micrograd's nodes",
                           on_values.binary_loss(layers, bparams, xs, ys, ALPHA), bparams)

    def forward_binary() -> Value:
        return on_values.binary_loss(layers, bparams, xs, ys, ALPHA)

    def backward_binary(loss: Value) -> None:
        loss.backward()
        on_values.sgd_update(bparams, 0.0)

    rows.append(memory(measured("autograd, dynamic (micrograd's + and * nodes)", forward_binary,
                                backward_binary, repeat, bnodes),
                       forward_binary, backward_binary))
    rows.append(measured("  the same, gc off while building", without_gc(forward_binary),
                         backward_binary, repeat, bnodes))

    # compiled: the whole step traced once (100 samples written out), then an SGD update
    whole = compile_function(lambda ps, xs, ys: on_values.mlp_loss(model, ps, xs, ys, ALPHA),
                             argnums=0)
    started = time.perf_counter()
    whole.trace(params, xs, ys)
    compile_seconds = time.perf_counter() - started

    def compiled_step() -> None:
        _, grads = whole(numbers, xs, ys)
        [p - 0.0 * g for p, g in zip(numbers, grads)]

    rows.append(measured("autograd.compile (100 samples written out)", compiled_step, None,
                         repeat, note=f"traced and compiled once in {compile_seconds:.1f} s"))

    # compiled per sample, the batch as lists (a loop) and as numpy arrays
    def per_sample(ps: list[Value], x: list[Value], y: Value) -> Value:
        margin = autograd.relu(1.0 + (-y) * on_values.one_output(model(x))) * (1.0 / len(ys))
        return margin + (ALPHA / len(ys)) * autograd.sum_values([p * p for p in ps])

    looped = compile_function(per_sample, argnums=0, batch_args=["x", "y"])
    looped.trace(params, xs, ys)

    def looped_step() -> None:
        _, grads = looped(numbers, xs, ys)
        [p - 0.0 * g for p, g in zip(numbers, grads)]

    rows.append(measured("autograd.compile, batch as lists (a loop)", looped_step, None, repeat))
    np = others.optional("numpy")
    if np is not None:
        array_xs, array_ys, array_numbers = np.array(xs), np.array(ys), np.array(numbers)
        looped.trace(params, array_xs, array_ys)

        def array_step() -> None:
            _, grads = looped(array_numbers, array_xs, array_ys)
            array_numbers - 0.0 * grads

        rows.append(measured("autograd.compile, batch as numpy arrays", array_step, None,
                             repeat))

    if others.optional("micrograd") is not None:
        mg_model, mg_params = others.micrograd_mlp(sizes, SEED)
        loss = others.micrograd_loss(mg_model, mg_params, xs, ys, ALPHA)
        mg_nodes = others.count_micrograd_nodes(loss)
        del loss

        def mg_forward() -> Any:
            return others.micrograd_loss(mg_model, mg_params, xs, ys, ALPHA)

        def mg_backward(loss: Any) -> None:
            mg_model.zero_grad()
            loss.backward()
            for p in mg_params:
                p.data -= 0.0 * p.grad

        rows.append(memory(measured("micrograd", mg_forward, mg_backward, max(3, repeat // 2),
                                    mg_nodes), mg_forward, mg_backward))
    torch = others.optional("torch")
    if torch is not None:
        torch.set_num_threads(1)
        t_layers, t_params = others.torch_mlp(sizes, SEED)

        def t_forward() -> Any:
            return others.torch_loss(t_layers, t_params, xs, ys, ALPHA)

        def t_backward(loss: Any) -> None:
            loss.backward()
            with torch.no_grad():
                for p in t_params:
                    p -= 0.0 * p.grad
                    p.grad = None

        rows.append(measured("PyTorch, 0-dim tensors", t_forward, t_backward, 3, bnodes,
                             note="nodes: as micrograd's formulation"))
    return Table(
        "(a) MLP step",
        "MLP(2, [16, 16, 1]) with ReLU, 100 two-moons points (noise 0.1), SVM max-margin loss "
        "mean(relu(1 - y score)) + 1e-4 sum p^2: forward, backward and an SGD update.",
        rows)


# ----------------------------------------------------------------------------------------------
# (b) random DAGs
# ----------------------------------------------------------------------------------------------


def dag(n: int, repeat: int, compiled: bool = True) -> Table:
    problem = problems.random_dag(n, SEED)
    run = baseline.dag_function(problem)
    forward_only = baseline.dag_function(problem, with_backward=False)
    rows = [baseline_row(lambda: forward_only(problem.inputs), lambda: run(problem.inputs),
                         repeat)]
    root, leaves = on_values.dag_graph(problem)
    nodes = len(topological_order(root))
    root.backward()
    value, grads = run(problem.inputs)
    check(f"DAG {n}", value, root.data, grads, [x.grad for x in leaves])
    del root, leaves

    rows += dynamic_rows(lambda: on_values.dag_graph(problem)[0], repeat, nodes)
    if compiled:
        function = compile_function(on_values.dag_function(problem))
        started = time.perf_counter()
        function.trace(list(problem.inputs))
        seconds = time.perf_counter() - started
        inputs = list(problem.inputs)
        rows.append(measured("autograd.compile", lambda: function(inputs), None, repeat,
                             note=f"traced and compiled once in {seconds:.1f} s"))
    torch = others.optional("torch")
    if torch is not None:
        torch.set_num_threads(1)

        def t_forward() -> Any:
            return others.torch_dag(problem)[0]

        rows.append(measured("PyTorch, 0-dim tensors", t_forward, lambda r: r.backward(),
                             max(3, repeat // 2), nodes))
    if others.optional("micrograd") is not None:
        rows.append(Row("micrograd", math.nan, note="no tanh op"))
    return Table(f"(b) random DAG, {n:,} nodes",
                 f"{n:,} ops mixing +, * and tanh over 16 inputs, each value read by later "
                 "nodes within a window of 64 (shared subexpressions); backward from the last.",
                 rows)


# ----------------------------------------------------------------------------------------------
# (c) a chain
# ----------------------------------------------------------------------------------------------


def chain(n_nodes: int, repeat: int, with_torch: bool) -> Table:
    n = n_nodes // 3
    rows = [baseline_row(lambda: baseline.chain_forward(problems.CHAIN_X0, problems.CHAIN_A,
                                                        problems.CHAIN_B, n),
                         lambda: baseline.chain_step(problems.CHAIN_X0, problems.CHAIN_A,
                                                     problems.CHAIN_B, n), repeat)]
    rows[0].note = "a float loop: a million straight-line statements would not compile quickly"
    nodes = 3 * n + 3
    root, leaves = on_values.chain_graph(n)
    root.backward()
    value, *grads = baseline.chain_step(problems.CHAIN_X0, problems.CHAIN_A, problems.CHAIN_B, n)
    check("chain", value, root.data, grads, [x.grad for x in leaves])
    del root, leaves

    rows += dynamic_rows(lambda: on_values.chain_graph(n)[0], repeat, nodes)
    if others.optional("micrograd") is not None:
        try:
            others.micrograd_chain(2000).backward()
            note = "ran"
        except RecursionError:
            note = "RecursionError (recursive topological sort) already at 2,000 nodes deep"
        rows.append(Row("micrograd", math.nan, note=note))
    torch = others.optional("torch")
    if torch is not None and with_torch:
        torch.set_num_threads(1)
        rows.append(measured("PyTorch, 0-dim tensors", lambda: others.torch_chain(n)[0],
                             lambda r: r.backward(), 1, nodes, note="one run"))
    return Table(f"(c) chain, {nodes:,} nodes",
                 "x <- tanh(x * a + b), repeated: a graph as deep as it is long.", rows)


# ----------------------------------------------------------------------------------------------
# (d) one epoch of the digits run
# ----------------------------------------------------------------------------------------------


def digits(repeat: int) -> Table:
    from autograd import data, losses
    from autograd.nn import MLP

    inputs, labels = data.load_digits()
    split = data.train_test_split(inputs, labels, 0.2, seed=0)
    xs, ys = split.train_inputs, split.train_labels
    batches = list(data.Batches(xs, ys, 32, seed=0))
    onehots = [[[1.0 if k == y else 0.0 for k in range(10)] for y in b_ys] for _, b_ys in batches]
    sizes = (64, 32, 10)
    model = MLP(64, [32, 10], seed=0)
    params = model.parameters()
    start = [p.data for p in params]
    step = baseline.softmax_step_function(sizes)

    def baseline_epoch() -> None:
        numbers = list(start)
        for (b_xs, _), b_ts in zip(batches, onehots):
            step(numbers, b_xs, b_ts, LR)

    numbers = list(start)
    b_xs, b_ys = batches[0]
    loss = on_values.digits_batch_loss(model, b_xs, b_ys)
    loss.backward()
    check("digits", step(numbers, b_xs, onehots[0], 1.0), loss.data,
          [a - b for a, b in zip(start, numbers)], [p.grad for p in params])
    del loss
    set_reference(None)
    rows = [Row("plain floats (baseline)", timed(baseline_epoch, None, repeat)[0], ratio=1.0)]
    set_reference(baseline_epoch)

    def dynamic_epoch() -> None:
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
        for b_xs, b_ys in batches:
            loss = on_values.digits_batch_loss(model, b_xs, b_ys)
            loss.backward()
            on_values.sgd_update(params, LR)

    nodes = sum(len(topological_order(on_values.digits_batch_loss(model, b_xs, b_ys)))
                for b_xs, b_ys in batches[:3]) * len(batches) // 3
    rows.append(measured("autograd, dynamic", dynamic_epoch, None, max(3, repeat // 3), nodes))

    has_array_lse = getattr(getattr(losses, "_logsumexp", None), "array_forward", None)
    per_sample = on_values.digits_sample_loss if has_array_lse else \
        on_values.digits_sample_loss_plain
    compiled = compile_function(lambda ps, x, t: per_sample(model, x, t), argnums=0,
                                batch_args=["x", "t"])
    looped_batches = [(b_xs, b_ts) for (b_xs, _), b_ts in zip(batches, onehots)]
    compiled.trace(params, looped_batches[0][0], looped_batches[0][1])

    def looped_epoch() -> None:
        numbers = list(start)
        for b_xs, b_ts in looped_batches:
            _, grads = compiled(numbers, b_xs, b_ts)
            scale = LR / len(b_xs)
            numbers = [p - scale * g for p, g in zip(numbers, grads)]

    rows.append(measured("autograd.compile, batch as lists (a loop)", looped_epoch, None,
                         repeat))
    np = others.optional("numpy")
    if np is not None:
        array_batches = [(np.array(b_xs), np.array(b_ts)) for b_xs, b_ts in looped_batches]
        compiled.trace(params, *array_batches[0])
        start_array = np.array(start)

        def array_epoch() -> None:
            numbers = start_array.copy()
            for b_xs, b_ts in array_batches:
                _, grads = compiled(numbers, b_xs, b_ts)
                numbers -= (LR / len(b_xs)) * grads

        rows.append(measured("autograd.compile, batch as numpy arrays", array_epoch, None,
                             repeat, note="parameters kept in a numpy array, SGD in numpy"))
    return Table("(d) one epoch of the digits run",
                 f"MLP(64, [32, 10]) with ReLU, softmax cross-entropy, SGD (lr {LR}) on "
                 f"{len(xs):,} training digits in {len(batches)} mini-batches of 32.", rows)


# ----------------------------------------------------------------------------------------------
# (e) one op at a time
# ----------------------------------------------------------------------------------------------

# What people write, one expression at a time: on the engine's Values, on plain floats (the
# baseline) and on micrograd's Values when it is installed (None: it has no such op). `z` is
# 0.5 and `w` is 2.0 in each.
OP_CASES: tuple[tuple[str, str, str, str | None], ...] = (
    ("two Values", "z * w", "z * w", "z * w"),
    ("a Value and a float", "z * 2.0", "z * 2.0", "z * 2.0"),
    ("a float and a Value", "2.0 * z", "2.0 * z", "2.0 * z"),
    ("a Value and an int", "z + 1", "z + 1", "z + 1"),
    ("an int and a Value", "1 - z", "1 - z", "1 - z"),
    ("a whole power", "z ** 2", "z ** 2", "z ** 2"),
    ("division", "z / w", "z / w", "z / w"),
    ("negation", "-z", "-z", "-z"),
    ("a method", "z.tanh()", "math.tanh(z)", None),
    ("relu", "z.relu()", "(z if z > 0.0 else 0.0)", "z.relu()"),
    ("sum of three (starts at 0)", "sum([z, w, z])", "sum([z, w, z])", "sum([z, w, z])"),
)


def _op_loop(statement: str) -> Callable[[Any, Any, int], None]:
    """A function that evaluates `statement` n times on its arguments z and w."""
    namespace: dict[str, Any] = {"math": math}
    exec(f"def run(z, w, n):\n    for _ in range(n):\n        {statement}\n",  # noqa: S102
         namespace)
    return namespace["run"]


def _per_op(run: Callable[[Any, Any, int], None], z: Any, w: Any, n: int) -> float:
    start = time.perf_counter()
    run(z, w, n)
    return (time.perf_counter() - start) / n


def ops(repeat: int) -> Table:
    """Seconds per op (the median over the repeats, less an empty loop's share), and each
    against the same expression on floats, timed right before and after it."""
    n = 20_000
    micrograd = others.optional("micrograd.engine")
    empty = _op_loop("pass")
    rows = []
    for what, on_value, on_float, on_micrograd in OP_CASES:
        engines = [("autograd", _op_loop(on_value), Value(0.5), Value(2.0))]
        if micrograd is not None and on_micrograd is not None:
            engines.append(("micrograd", _op_loop(on_micrograd), micrograd.Value(0.5),
                            micrograd.Value(2.0)))
        reference = _op_loop(on_float)
        for engine, run, z, w in engines:
            times, ratios, floats = [], [], []
            for _ in range(repeat):
                gc.collect()
                loop = _per_op(empty, z, w, n)
                before = _per_op(reference, 0.5, 2.0, n) - loop
                seconds = _per_op(run, z, w, n) - loop
                after = _per_op(reference, 0.5, 2.0, n) - loop
                times.append(seconds)
                floats.append((before + after) / 2)
                ratios.append(seconds / max((before + after) / 2, 1e-9))
            rows.append(Row(f"{engine}: {on_value if engine == 'autograd' else on_micrograd}",
                            statistics.median(times), note=what,
                            ratio=statistics.median(ratios),
                            reference=statistics.median(floats)))
    return Table("(e) one op at a time",
                 "What one expression costs, in ns, against the same expression on floats "
                 "(timed before and after it; an empty loop's share taken off both).",
                 rows, per_op=True)


OPS_HEADERS = ["expression", "ns per op", "on floats, ns", "vs floats", "what it shows"]


def ops_cells(table: Table) -> list[list[str]]:
    return [[row.engine, f"{row.total * 1e9:,.0f}", f"{(row.reference or 0.0) * 1e9:,.0f}",
             f"{row.ratio:.0f}x" if row.ratio is not None else "-", row.note]
            for row in table.rows]


# ----------------------------------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if math.isnan(seconds):
        return "n/a"
    return f"{seconds * 1e3:,.1f}" if seconds < 10 else f"{seconds * 1e3:,.0f}"


def cells(table: Table) -> list[list[str]]:
    base = table.rows[0].total
    out = []
    for row in table.rows:
        rate = f"{row.nodes / row.total / 1e6:.2f} M" if row.nodes and \
            not math.isnan(row.total) else "-"
        out.append([
            row.engine,
            f"{row.nodes:,}" if row.nodes else "-",
            _ms(row.forward), _ms(row.backward), _ms(row.total), rate,
            f"{row.held:.0f} / {row.peak:.0f}" if row.held is not None else "-",
            "n/a" if math.isnan(row.total) else
            f"{row.ratio if row.ratio is not None else row.total / base:.2f}x",
            row.note,
        ])
    return out


HEADERS = ["engine", "nodes", "forward ms", "backward ms", "total ms", "nodes/s",
           "bytes/node (held / peak)", "vs baseline", "note"]


def _layout(table: Table) -> tuple[list[str], list[list[str]]]:
    return (OPS_HEADERS, ops_cells(table)) if table.per_op else (HEADERS, cells(table))


def print_text(table: Table) -> None:
    headers, rows = _layout(table)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers[:-1])]
    print(f"\n{table.title}\n  {table.description}")
    print("  " + "  ".join(h.rjust(w) if i else h.ljust(w)
                           for i, (h, w) in enumerate(zip(headers, widths))))
    for r in rows:
        line = "  ".join(c.rjust(w) if i else c.ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
        print("  " + line + (f"  {r[-1]}" if r[-1] else ""))


def print_markdown(table: Table) -> None:
    headers, rows = _layout(table)
    print(f"\n#### {table.title}\n\n{table.description}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(headers) - 2) + ["---"]) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = [f"Python {platform.python_version()}"]
    for name in ("numpy", "micrograd", "torch"):
        if others.optional(name) is not None:
            versions.append(f"{name} {importlib.metadata.version(name)}")
    return (f"{datetime.date.today().isoformat()}, {cpu}, {os.cpu_count()} cores, "
            f"{platform.system()}; {', '.join(versions)}")


WORKLOADS = ("mlp", "dag", "chain", "digits", "ops")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help=f"comma-separated workloads from {', '.join(WORKLOADS)}")
    parser.add_argument("--repeat", type=int, default=7, help="repeats per timing (median)")
    parser.add_argument("--quick", action="store_true", help="3 repeats, a 100,000-node chain")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--torch-chain", action="store_true",
                        help="also run the million-node chain on PyTorch (slow)")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    repeat = 3 if args.quick else args.repeat
    show = print_markdown if args.markdown else print_text
    print(f"machine: {machine()}")  # imports the optional engines, then:
    # Objects alive before the benchmarks start (the interpreter's, numpy's, PyTorch's) are
    # moved out of the collector's sight, so its full collections scan only what the
    # benchmarks build; otherwise a large library in the same process slows every one of them.
    gc.collect()
    gc.freeze()
    # one workload at a time, its garbage collected before the next
    if "mlp" in chosen:
        show(mlp_step(repeat))
        gc.collect()
    if "dag" in chosen:
        show(dag(5000, repeat))
        gc.collect()
        show(dag(50000, max(3, repeat // 2)))
        gc.collect()
    if "chain" in chosen:
        show(chain(100_000 if args.quick else 1_000_000, 3, args.torch_chain))
        gc.collect()
    if "digits" in chosen:
        show(digits(repeat))
        gc.collect()
    if "ops" in chosen:
        show(ops(repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
