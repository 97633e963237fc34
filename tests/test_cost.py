"""count_ops and compare_methods: the counts follow from the graph, the four gradients agree."""

from __future__ import annotations

import sys

import pytest
from support import require

import autograd
from autograd import Value, count_ops, jvp, no_grad, sin, tanh
from autograd import cost as cost_module
from autograd.cli import main
from autograd.cost import MLPLoss, compare_methods, cost_curve, duration, plot_costs

# -- counting -------------------------------------------------------------------------------------


def test_forward_and_backward_ops_are_counted():
    with count_ops() as counts:
        x, y = Value(2.0), Value(3.0)
        z = sin(x * y) + x  # *, sin, +
        with no_grad():
            tanh(x)  # evaluated on a Value without recording: still one evaluation
        z.backward()
    assert (counts.forward, counts.backward, counts.tangent) == (4, 3, 0)
    assert counts.total == 7 and counts.derivatives == 3


def test_ops_on_plain_floats_are_not_seen():
    with count_ops() as counts:
        sin(2.0) * 3.0
    assert counts.total == 0


def test_tangent_passes_are_counted():
    with count_ops() as counts:
        jvp(lambda a, b: a * b + sin(a))(1.0, 2.0, tangents=(1.0, 0.0))
    assert counts.forward == 3 and counts.tangent == 3 and counts.backward == 0


def test_timed_passes_record_their_own_ops():
    with count_ops() as counts:
        x = Value(0.5)
        with counts.timed("forward"):
            y = tanh(x) * x
        with counts.timed("backward"):
            y.backward()
    forward, backward = counts.passes
    assert (forward.name, forward.forward, forward.backward) == ("forward", 2, 0)
    assert (backward.name, backward.forward, backward.backward) == ("backward", 0, 2)
    assert forward.seconds >= 0.0 and backward.seconds >= 0.0
    assert "forward: " in str(counts)


def test_counting_stops_at_the_end_of_the_block():
    with count_ops() as counts:
        Value(1.0) * 2.0
    Value(1.0) * 2.0
    assert counts.forward == 1


# -- the network ----------------------------------------------------------------------------------


def test_mlp_loss_layout_and_gradient():
    loss = MLPLoss(hidden=3, n_in=2, batch=4)
    assert loss.n_params == 3 * (2 + 2) + 1 == len(loss.initial())
    assert autograd.gradcheck(lambda *theta: loss(theta), *loss.initial()).ok
    assert MLPLoss.for_size(1000).n_params == 997
    with pytest.raises(ValueError, match="MLPLoss: expected 13 parameters, got 2"):
        MLPLoss(hidden=3, n_in=2)([1.0, 2.0])
    with pytest.raises(ValueError, match="MLPLoss: hidden must be a positive int"):
        MLPLoss(hidden=0)


# -- the four methods -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    return compare_methods(40, budget=5.0, repeats=1)


def test_four_methods_agree(table):
    assert [m.method for m in table.methods] == [
        "central differences", "forward mode", "reverse mode", "compiled reverse"]
    central, forward, reverse, compiled = table.methods
    assert central.max_difference < 1e-7  # central differences: error of order h²
    assert forward.max_difference < 1e-13  # forward mode: the same maths as backprop
    assert compiled.max_difference < 1e-13
    assert not any(m.extrapolated for m in table.methods)


def test_op_counts_follow_from_the_graph(table):
    n = table.n_params
    central, forward, reverse, compiled = table.methods
    loss = table.loss
    params = [Value(x) for x in loss.initial()]
    out = loss(params)
    op_nodes = [v for v in autograd.topological_order(out) if v.op is not None]
    assert table.ops_per_pass == len(op_nodes)
    # central differences: 2n passes of every op, no derivative
    assert (central.total_passes, central.forward_ops, central.derivative_ops) == (
        2 * n, 2 * n * len(op_nodes), 0)
    # reverse mode: every op once forward and once backward
    assert (reverse.forward_ops, reverse.derivative_ops) == (len(op_nodes), len(op_nodes))
    # forward mode: one recorded pass, then n passes over the nodes that depend on a parameter
    active = [v for v in op_nodes if _depends_on(v, set(params))]
    assert forward.forward_ops == len(op_nodes) and forward.derivative_ops == n * len(active)
    assert compiled.forward_ops is None  # compiled code runs on floats: the counter cannot see it
    # the per-parameter methods do about n times reverse mode's work
    assert central.forward_ops / (reverse.forward_ops + reverse.derivative_ops) >= n * 0.9


def _depends_on(node, leaves):
    stack, seen = [node], set()
    while stack:
        v = stack.pop()
        if v in leaves:
            return True
        if v not in seen:
            seen.add(v)
            stack.extend(v.parents)
    return False


def test_the_table(table):
    text = str(table)
    assert f"n = {table.n_params} parameters" in text
    for method in ("central differences", "forward mode", "reverse mode", "compiled reverse"):
        assert method in text
    n = table.n_params
    assert f"2n = {2 * n} forward" in text and f"1 forward + n = {n} tangent" in text
    assert table.ratio("reverse mode") == 1.0


def test_a_small_budget_extrapolates_and_says_so():
    small = compare_methods(200, budget=1e-9, repeats=1, compiled=False)
    central, forward = small.methods[:2]
    assert central.extrapolated and central.measured_passes == 2
    assert forward.extrapolated and forward.measured_passes == 2  # recorded pass + one tangent
    assert central.max_difference is None and central.seconds > 0
    assert "passes timed; the rest extrapolated from their per-pass cost" in str(small)
    assert "skipped: not asked for" in str(small)


def test_a_failing_compile_is_one_skipped_row(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no compiler today")

    monkeypatch.setattr(cost_module, "compile_function", broken)
    table = compare_methods(10, budget=1.0, repeats=1)
    row = table.method("compiled reverse")
    assert row.seconds is None and "compile failed: RuntimeError: no compiler today" in row.note
    assert table.method("reverse mode").seconds is not None
    assert "compiled reverse      skipped: compile failed" in str(table)


def test_cost_curve_estimates_compiled_rows_above_the_limit():
    curve = cost_curve((10, 60), budget=0.05, repeats=1, compile_limit=30)
    small, large = (c.method("compiled reverse") for c in curve)
    assert not small.extrapolated and large.extrapolated
    expected = small.seconds / curve[0].ops_per_pass * curve[1].ops_per_pass
    assert large.seconds == pytest.approx(expected, rel=1e-12)
    assert "estimated from n = 13" in str(curve[1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="compare_methods: budget must be a positive number"):
        compare_methods(10, budget=0)
    with pytest.raises(ValueError, match="compare_methods: repeats must be a positive int"):
        compare_methods(10, repeats=0)
    with pytest.raises(KeyError, match="no method 'magic'"):
        compare_methods(5, budget=0.01, repeats=1, compiled=False).method("magic")


def test_durations():
    assert duration(27.7 * 3600) == "27.7 h" and duration(0.5) == "500 ms"


# -- the plot and the command ---------------------------------------------------------------------


def test_plot_draws_one_line_per_method():
    require("matplotlib", "plots")
    import matplotlib

    matplotlib.use("Agg")
    curve = cost_curve((10, 40), budget=1e-9, repeats=1, compiled=False)
    figure = plot_costs(curve)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    labels = [label for label in labels if not label.startswith("_")]  # hollow extrapolated points
    assert labels == ["central differences", "forward mode", "reverse mode"]
    assert "extrapolated" in figure.axes[0].get_title()
    assert figure.axes[0].get_xscale() == "log" and figure.axes[0].get_yscale() == "log"


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"scalar-autograd\[plots\]"):
        plot_costs([])


def test_cost_command(capsys, tmp_path):
    require("matplotlib", "plots")
    target = tmp_path / "cost.png"
    assert main(["cost", "--params", "10", "--budget", "0.05", "--repeats", "1",
                 "--plot", str(target)]) == 0
    out = capsys.readouterr().out
    assert "central differences" in out and f"wrote {target}" in out
    assert target.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv, message", [
    (["cost", "--params", "0"], "cost: --params must be positive whole numbers, got 0"),
    (["cost", "--budget", "-1"], "cost: --budget must be a positive number of seconds"),
    (["cost", "--plot", "x.txt"], "cost: --plot x.txt: the file must end in .png, .svg, .pdf"),
])
def test_cost_command_refuses_bad_input(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
