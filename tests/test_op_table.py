"""The op table: every primitive declared once, and everything else derived from it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, engine, testing
from autograd.checking import gradcheck
from autograd.engine import OPS, declare


def central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def inside(op) -> list[float]:
    """A few points inside the op's sample region, away from its kinks."""
    region = testing._regions(op)[0]
    points = []
    for lo, hi in region:
        points += [lo + (hi - lo) * t for t in (0.13, 0.5, 0.87)]
    return points


FORMULA_NAMES = {name: op for name, op in OPS.items()}


def evaluate_formula(text: str, **names: float) -> float:
    return eval(text, {"__builtins__": {}, **FORMULA_NAMES}, names)  # noqa: S307 - our table


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.arity == 1])
def test_every_unary_formula_is_its_numerical_derivative(name):
    op = OPS[name]
    assert op.formula, f"{name} has no formula"
    (text,) = op.formula.values()
    parameter = {}
    if op.family is not None:
        parameter = {{"power": "n", "leaky_relu": "slope"}[op.family]: op.parameter}
    for x in inside(op):
        out = op.forward(x)
        shown = evaluate_formula(text, x=x, out=out, **parameter)
        assert shown == pytest.approx(central(op.forward, x), rel=1e-6, abs=1e-6), (name, x)
        assert op.derivative(x, out) == pytest.approx(shown, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.arity == 2])
def test_every_binary_formula_is_its_numerical_derivative(name):
    op = OPS[name]
    regions = testing._regions(op)
    xs = [p for lo, hi in regions[0] for p in (lo + 0.3 * (hi - lo), lo + 0.8 * (hi - lo))]
    ys = [p for lo, hi in regions[-1] for p in (lo + 0.6 * (hi - lo),)]
    for x in xs:
        for y in ys:
            if op.apart and abs(x - y) < 0.2:
                continue
            out = op.forward(x, y)
            dx = evaluate_formula(op.formula["x"], x=x, y=y, out=out)
            dy = evaluate_formula(op.formula["y"], x=x, y=y, out=out)
            assert dx == pytest.approx(central(lambda t: op.forward(t, y), x), rel=1e-6, abs=1e-6)
            assert dy == pytest.approx(central(lambda t: op.forward(x, t), y), rel=1e-6, abs=1e-6)


def test_every_entry_is_described_once():
    for name, op in OPS.items():
        assert (op.family or op.name) == name
        assert op.spelling is not None or op.arity == 0, name
        assert op.__doc__, name
        assert op.sample, name
        exported = getattr(autograd, name)
        assert exported is op or op.family is not None or name in ("dot", "sum"), name
        if op.arity == 1 and op.family is None:
            assert getattr(Value, name).__name__ == name


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_unary_method_equals_the_function(data):
    name = data.draw(st.sampled_from([n for n, op in OPS.items()
                                      if op.arity == 1 and op.family is None]))
    x = data.draw(testing.domain_values(name))
    method = getattr(Value(x), name)()
    function = OPS[name](Value(x))
    assert method.data == function.data == OPS[name](x)
    method.backward()
    assert method.parents[0].grad == pytest.approx(OPS[name].derivative(x, method.data))


@pytest.fixture
def cube_op():
    op = declare("cube", lambda x: x * x * x, {"x": "3 * x**2"},
                 spelling=("{0} * {0} * {0}", "{0} * {0} * {0}"), doc="x cubed.")
    yield op
    engine.undeclare("cube")
    assert not hasattr(Value, "cube") and "cube" not in OPS


def test_one_entry_makes_a_new_op_everywhere(cube_op):
    # a function of the package, a method of Value, a name of the strategies
    assert autograd.cube is cube_op
    assert Value(2.0).cube().data == 8.0
    assert "cube" in testing.OP_NAMES
    # a function of the graph command
    from autograd.cli import main as command_line
    from autograd.cli.expression import evaluate

    assert evaluate("cube(x) + 1", {"x": 2.0}) == 9.0
    assert command_line(["graph", "cube(x)", "--at", "x=2", "--tree"]) == 0
    # its derivative is its formula, in every kind of pass
    x = Value(-1.5)
    y = x.cube()
    y.backward(create_graph=True)
    assert x.grad.data == pytest.approx(3 * 1.5**2)
    assert autograd.grad(autograd.grad(autograd.cube))(2.0) == pytest.approx(12.0)
    # the property tests draw it like every other op
    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(testing.op_cases(["cube"]))
    def check(case):
        gradcheck(case.function, *case.operands)

    check()


def test_declaring_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="'tanh' already"):
        declare("tanh", math.tanh, {"x": "1 - out**2"})


def test_user_primitives_show_their_formula_or_a_generic_one():
    @autograd.primitive(lambda x, y: y, lambda x, y: x, formula=("y", "x"))
    def times(x, y):
        return x * y

    @autograd.primitive(lambda x: 2 * x)
    def sq(x):
        return x * x

    assert times.formula == {"x": "y", "y": "x"}
    assert sq.formula == {"x": "d sq/dx"}
    with pytest.raises(TypeError, match="1 formula"):
        autograd.primitive(lambda x, y: y, lambda x, y: x, formula="y")
