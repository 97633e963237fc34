"""no_grad, enable_grad and detach; the no-grad state is per thread."""

from __future__ import annotations

import threading

import autograd as ag
from autograd import Value


def test_no_grad_records_nothing():
    x = Value(2.0)
    with ag.no_grad():
        y = ag.tanh(x * x + 1.0)
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert y.parents == () and y.op is None and y.is_leaf


def test_enable_grad_inside_no_grad():
    x = Value(2.0)
    with ag.no_grad(), ag.enable_grad():
        y = x * 3.0
    assert y.parents[0] is x


def test_no_grad_restores_state_after_an_error():
    try:
        with ag.no_grad():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert ag.is_grad_enabled()


def test_no_grad_is_per_thread():
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, object] = {}

    def worker():
        with ag.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (Value(1.0) * 2.0).op

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (Value(1.0) * 2.0).op  # the other thread's no_grad must not leak here
    release.set()
    thread.join(5)
    assert seen["main"] is not None and seen["main"].name == "mul"
    assert seen["worker"] is None


def test_detach_cuts_the_graph():
    x = Value(3.0, "x")
    y = x * x
    frozen = y.detach()
    z = frozen * x
    z.backward()
    assert frozen.is_leaf and frozen.data == 9.0 and frozen.label is None
    assert x.grad == 9.0  # frozen is a constant to z


def test_repr_is_readable():
    x = Value(2.0, "x")
    assert repr(x) == "Value(2.0, label='x')"
    y = x * x
    y.backward()
    assert repr(y) == "Value(4.0, op='mul', grad=1.0)"
    assert repr(x) == "Value(2.0, label='x', grad=4.0)"
