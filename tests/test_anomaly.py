"""detect_anomaly: the first nan, inf or failed op, forward or backward, named at its node."""

from __future__ import annotations

import inspect
import math
import threading

import pytest

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    engine,
    exp,
    gradients,
    log,
    sqrt,
    tanh,
)
from autograd.anomaly import _Watcher


def labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def next_line() -> int:
    """The line number of the caller's next line."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


# -- forward ---------------------------------------------------------------------------------


class TestForward:
    def test_log_of_zero_inside_a_larger_graph(self):
        x = Value(0.5, label="x")
        y = Value(1.0, label="y")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            a = labelled(tanh(x * 2.0), "a")
            u = labelled(y - 1.0, "u")
            line = next_line()
            labelled(a + log(u), "out")
        error = caught.value
        assert error.phase == "forward"
        assert error.op == "log"
        assert error.inputs == (u,)
        assert "log('u' = 0.0)" in str(error)
        assert f"test_anomaly.py:{line} in test_log_of_zero_inside_a_larger_graph" in str(error)
        assert isinstance(error.__cause__, ValueError)

    def test_zero_times_infinity_inside_a_larger_graph(self):
        zero = Value(0.0, label="zero")
        big = Value(math.inf, label="big")
        w = Value(2.0, label="w")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            s = labelled(w * w + zero, "s")  # finite: 4.0
            t = labelled(s - 4.0, "t")  # finite: 0.0
            line = next_line()
            p = t * big  # 0 * inf = nan: here
            labelled(p + 1.0, "out")
        error = caught.value
        assert error.phase == "forward"
        assert error.op == "mul"
        assert error.inputs == (t, big)
        assert math.isnan(error.node.data)
        assert error.node.parents == (t, big)
        message = str(error)
        assert "mul('t' = 0.0, 'big' = inf)" in message
        assert "the result is nan" in message
        assert f"test_anomaly.py:{line} " in message

    def test_overflow_to_infinity(self):
        a = Value(1e200, label="a")
        with pytest.raises(AnomalyError, match=r"the result is inf") as caught, detect_anomaly():
            a * a
        assert caught.value.op == "mul"
        assert caught.value.node.data == math.inf

    def test_errors_of_the_engine_become_anomalies(self):
        a = Value(1000.0, label="a")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            exp(a)
        assert caught.value.op == "exp"
        assert caught.value.inputs == (a,)
        assert isinstance(caught.value.__cause__, OverflowError)
        with pytest.raises(
            AnomalyError, match=r"div\('n' = 1.0, 'd' = 0.0\) failed: division by zero"
        ) as caught, detect_anomaly():
            Value(1.0, label="n") / Value(0.0, label="d")
        assert caught.value.op == "div"
        assert isinstance(caught.value.__cause__, ZeroDivisionError)

    def test_floats_only_are_not_checked(self):
        # ops on plain floats make no node: only graphs are watched
        with detect_anomaly():
            assert math.isnan(0.0 * math.inf)

    def test_a_healthy_graph_passes_and_keeps_its_gradients(self):
        def loss(x, w):
            return tanh(w * x + 0.5) * log(x * x + 1.0) + sqrt(w * w)

        leaves = [Value(0.3), Value(-1.2)]
        expected = gradients(loss(*leaves), leaves)
        with detect_anomaly():
            out = loss(*leaves)
            out.backward()
            checked = gradients(out, leaves, create_graph=True)
        assert [v.grad for v in leaves] == expected
        assert [v.data for v in checked] == expected

    def test_errors_not_from_ops_pass_unchanged(self):
        with pytest.raises(ValueError, match="not an op") as caught, detect_anomaly():
            raise ValueError("not an op")
        assert type(caught.value) is ValueError


# -- backward ------------------------------------------------------------------------------


class TestBackward:
    @pytest.mark.parametrize("create_graph", [False, True])
    def test_sqrt_at_zero_feeding_on(self, create_graph):
        x = Value(1.0, label="x")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            r = labelled(sqrt(x - 1.0), "r")  # sqrt(0) = 0: fine forward, infinite slope
            s = labelled(r * 3.0, "s")
            loss = labelled(s + x, "loss")
            loss.backward(create_graph=create_graph)
        error = caught.value
        assert error.phase == "backward"
        assert error.op == "sqrt"
        assert error.node is r
        assert [n.label for n in error.chain] == ["r", "s", "loss"]
        assert "path to the output: 'r' (sqrt) -> 's' (*) -> 'loss' (+)" in str(error)
        assert isinstance(error.__cause__, ZeroDivisionError)

    def test_infinite_gradient_names_the_node_and_its_path(self):
        x = Value(1e-300, label="x")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            m = labelled(x * 1e300, "m")  # 1.0
            big = labelled(m * 1e300, "big")  # 1e300: finite
            out = labelled(tanh(big * 1e-300) + big, "out")
            out.backward()
        error = caught.value
        assert error.phase == "backward"
        assert error.op == "mul"
        assert error.node is m  # d out / d x = 1e300 * 1e300 = inf first appears here
        assert error.inputs[0] is x
        assert error.chain[0] is m and error.chain[-1] is out
        assert "'x' = 1e-300 got gradient inf" in str(error)

    def test_infinity_while_recording_the_gradient_names_the_step(self):
        x = Value(1e-300, label="x")
        m = labelled(x * 1e300, "m")
        out = labelled(m * 1e300, "out")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            out.backward(create_graph=True)  # d out / d x = 1e300 * 1e300 overflows
        error = caught.value
        assert error.phase == "backward"
        assert error.node is m
        assert error.chain == (m, out)
        assert "gave inf" in str(error)

    def test_gradients_are_checked_too(self):
        x = Value(0.0, label="x")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            y = labelled(sqrt(x), "y")
            gradients(y * 2.0, [x])
        assert caught.value.node is y

    def test_second_pass_on_a_subgraph_finds_its_own_output(self):
        x = Value(1e-300, label="x")
        with pytest.raises(AnomalyError) as caught, detect_anomaly():
            m = labelled(x * 1e300, "m")
            inner = labelled(m * 1e300, "inner")
            outer = labelled(inner + 1.0, "outer")
            outer.backward(grad=1e-300)  # finite everywhere: 1e-300 * 1e300 * 1e300
            inner.backward()
        assert caught.value.chain[-1] is inner


# -- scope: the context only -------------------------------------------------------------------


class CountingWatcher:
    def __init__(self, monkeypatch):
        self.forward = 0
        self.backward = 0
        on_node, on_backward_step = _Watcher.on_node, _Watcher.on_backward_step

        def counted_forward(watcher, node, step):
            self.forward += 1
            on_node(watcher, node, step)

        def counted_backward(watcher, node, root):
            self.backward += 1
            on_backward_step(watcher, node, root)

        monkeypatch.setattr(_Watcher, "on_node", counted_forward)
        monkeypatch.setattr(_Watcher, "on_backward_step", counted_backward)


def small_graph() -> Value:
    x = Value(0.5)
    y = tanh(x * x + 1.0) * exp(x)
    y.backward()
    return y


def test_without_the_context_ops_call_no_hook(monkeypatch):
    counts = CountingWatcher(monkeypatch)
    small_graph()
    assert (counts.forward, counts.backward) == (0, 0)
    with detect_anomaly():
        small_graph()
    inside = (counts.forward, counts.backward)
    assert inside[0] > 0 and inside[1] > 0
    small_graph()
    assert (counts.forward, counts.backward) == inside
    assert engine._mode.hooks is None


def test_hooks_are_removed_after_an_anomaly():
    with pytest.raises(AnomalyError), detect_anomaly():
        Value(0.0) * math.inf
    y = Value(0.0) * math.inf
    assert math.isnan(y.data)
    assert engine._mode.hooks is None


def test_other_threads_are_not_watched():
    results = []

    def other_thread():
        results.append((Value(0.0) * math.inf).data)

    with detect_anomaly():
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(results) == 1 and math.isnan(results[0])


def test_as_a_decorator():
    @detect_anomaly()
    def f(x):
        return log(x)

    with pytest.raises(AnomalyError, match=r"log\(0.0\)"):
        f(Value(0.0))
    assert math.isnan((Value(0.0) * math.inf).data)  # off again outside the call


def test_nested_contexts_restore_the_outer_one():
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(AnomalyError):
            Value(0.0) * math.inf
