"""A plain number beside a Value (`2 * x`, `x + 1.0`, `1 - y`, `x ** 2.0`) takes a short path
in the operators. It must build exactly the node the general path builds: the same number,
the same parents in the same order (a Constant holding the number), the same gradients, and
the same errors, and it must step aside whenever a recording mode is on."""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, engine, no_grad
from autograd.engine import Constant, Hooks, hooks

OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
NAMES = {"+": "add", "-": "sub", "*": "mul"}
# d(result)/d(the Value), by operator and by side of the Value
PARTIAL = {("+", "left"): lambda n: 1.0, ("+", "right"): lambda n: 1.0,
           ("-", "left"): lambda n: 1.0, ("-", "right"): lambda n: -1.0,
           ("*", "left"): lambda n: n, ("*", "right"): lambda n: n}

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(min_value=-2 ** 60, max_value=2 ** 60))


def _same_float(a: float, b: float) -> bool:
    """Equal as IEEE numbers, -0.0 told from 0.0 and nan equal to nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _build(symbol: str, side: str, x: Value, number: object) -> Value:
    apply = OPERATORS[symbol]
    return apply(x, number) if side == "left" else apply(number, x)


def _general_path(symbol: str, side: str, x: Value, number: object) -> Value:
    """The node as the op itself builds it, with a do-nothing watcher forcing that path."""
    with hooks(Hooks()):
        return _build(symbol, side, x, number)


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("side", ["left", "right"])
@given(data=st.floats(allow_nan=False, allow_infinity=False, width=64), number=numbers)
def test_the_short_path_builds_the_node_the_general_path_builds(symbol, side, data, number):
    x = Value(data)
    fast = _build(symbol, side, x, number)
    slow = _general_path(symbol, side, x, number)
    assert type(fast) is Value and fast.op is slow.op and fast.op.name == NAMES[symbol]
    assert _same_float(fast.data, slow.data)
    assert _same_float(fast.data, OPERATORS[symbol](*((data, float(number)) if side == "left"
                                                      else (float(number), data))))
    assert [type(p) for p in fast.parents] == [type(p) for p in slow.parents]
    value_first = side == "left"
    assert fast.parents[0 if value_first else 1] is x
    constant = fast.parents[1 if value_first else 0]
    assert type(constant) is Constant and not constant.requires_grad
    assert _same_float(constant.data, float(number)) and type(constant.data) is float
    assert constant.label is None and constant.parents == () and constant.op is None


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("side", ["left", "right"])
@given(data=st.floats(-1e6, 1e6),
       number=st.floats(-1e6, 1e6) | st.integers(-10 ** 6, 10 ** 6))
def test_gradients_through_a_number_are_the_closed_form(symbol, side, data, number):
    x = Value(data)
    y = _build(symbol, side, x, number)
    y.backward()
    assert x.grad == PARTIAL[symbol, side](float(number))
    constant = y.parents[1 if side == "left" else 0]
    assert constant.grad == 0.0


def test_a_number_twice_in_one_expression_gives_the_seeds_gradients():
    # y = x1 * x2 + x3 at (100, 2, 300), written with numbers on the right of each op
    x1, x2, x3 = Value(100.0), Value(2.0), Value(300.0)
    y = x1 * x2 + x3 + 0 - 0.0
    y.backward()
    assert (y.data, x1.grad, x2.grad, x3.grad) == (500.0, 2.0, 100.0, 1.0)


def test_summing_with_python_sum_starts_at_an_int_and_still_differentiates():
    xs = [Value(float(k)) for k in range(1, 5)]
    total = sum(x * x for x in xs)
    total.backward()
    assert total.data == 30.0
    assert [x.grad for x in xs] == [2.0, 4.0, 6.0, 8.0]
    first = total
    while first.parents and type(first.parents[0]) is not Constant:
        first = first.parents[0]
    assert first.parents[0].data == 0.0  # sum's start, 0, held as a constant


@pytest.mark.parametrize("build", [lambda x: x * 10 ** 400, lambda x: 10 ** 400 + x,
                                   lambda x: x - 10 ** 400, lambda x: 10 ** 400 * x],
                         ids=["mul", "radd", "sub", "rmul"])
def test_an_int_too_large_for_a_float_is_named_with_its_op(build):
    named = r"^[-+*] \((add|sub|mul)\): int 1000.*too large for a float"
    with pytest.raises(OverflowError, match=named):
        build(Value(1.0))


@pytest.mark.parametrize("number", [True, Fraction(1, 3), 2.5], ids=["bool", "fraction", "float"])
def test_other_real_numbers_take_the_general_path_and_give_floats(number):
    y = Value(3.0) * number
    assert y.data == 3.0 * float(number) and type(y.data) is float
    assert type(y.parents[1]) is Constant and y.parents[1].data == float(number)


def test_float_subclasses_and_numpy_numbers_keep_their_own_rules():
    np = pytest.importorskip("numpy", reason="numpy is in the [test] extra")
    x = Value(2.0)
    assert (x * np.float64(3.0)).data == 6.0  # numpy scalar: our op, not numpy's broadcast
    array = np.array([1.0, 2.0]) * x  # an array broadcasts over the Value itself
    assert array.dtype == object and [v.data for v in array] == [2.0, 4.0]


def test_inside_no_grad_a_number_makes_no_graph():
    x = Value(2.0)
    with no_grad():
        y = 3 * x + 1.0
    assert y.data == 7.0 and y.parents == () and y.op is None


def test_a_watcher_hears_of_the_constant_and_the_node():
    heard = []

    class Listen(Hooks):
        def on_leaf(self, leaf):
            heard.append(("leaf", leaf.data))

        def on_node(self, node, step):
            heard.append(("node", node.op.name))

    x = Value(1.0)
    with hooks(Listen()):
        x * 2 + 0.5
    assert heard == [("leaf", 2.0), ("node", "mul"), ("leaf", 0.5), ("node", "add")]


def test_whole_and_fractional_float_powers_take_the_power_family():
    x = Value(3.0)
    for exponent in (2.0, 2, 0.5, -1.0):
        y = x ** exponent
        assert y.op is engine.power(float(exponent))
        assert y.op.parameter == float(exponent)
    y = x ** 2.0
    y.backward()
    assert (y.data, x.grad) == (9.0, 6.0)


def _outcome(build):
    try:
        node = build()
    except ArithmeticError as error:
        return type(error), str(error)
    return node.op.name, node.data, [(type(p), p.data) for p in node.parents]


@pytest.mark.parametrize("side", ["left", "right"])
@given(data=st.floats(allow_nan=False),
       number=st.sampled_from([0, 0.0, -0.0, 1, 2.5, -3]) | st.floats(allow_nan=False)
       | st.integers(-2 ** 70, 2 ** 70))
def test_division_by_a_number_matches_the_general_path_even_when_it_fails(side, data, number):
    def build():
        x = Value(data)
        return x / number if side == "left" else number / x

    def general():
        with hooks(Hooks()):
            return build()

    fast, slow = _outcome(build), _outcome(general)
    assert fast[:1] == slow[:1] and fast[2:] == slow[2:]
    if fast[0] == "div":
        assert _same_float(fast[1], slow[1])
    else:
        assert fast == slow and issubclass(fast[0], ZeroDivisionError)
        assert ": division by zero" in fast[1]


@given(data=st.floats())
def test_negation_is_the_neg_op_and_passes_minus_one_back(data):
    x = Value(data)
    y = -x
    with hooks(Hooks()):
        general = -x
    assert y.op is general.op and y.op.name == "neg" and y.parents == (x,)
    assert _same_float(y.data, general.data) and _same_float(y.data, -data)
    y.backward()
    assert x.grad == -1.0


UNARY = sorted(name for name, op in engine.OPS.items() if op.arity == 1 and op.family is None)


@pytest.mark.parametrize("name", UNARY)
@given(data=st.floats(allow_nan=False, width=64))
def test_each_unary_method_builds_what_its_function_builds(name, data):
    """x.tanh() builds its node in place; it must match tanh(x), errors included."""
    op = engine.OPS[name]
    x = Value(data)
    by_method = _outcome(lambda: getattr(x, name)())
    by_function = _outcome(lambda: op(x))
    assert by_method[0] == by_function[0] and by_method[2:] == by_function[2:]
    if by_method[0] == name:
        assert _same_float(by_method[1], by_function[1])
        assert getattr(x, name)().parents == (x,)
    else:
        assert by_method == by_function  # the same error, word for word


def test_a_method_under_a_watcher_is_heard():
    heard = []

    class Listen(Hooks):
        def on_node(self, node, step):
            heard.append(node.op.name)

    x = Value(0.3)
    with hooks(Listen()):
        x.tanh().exp()
    with no_grad():
        y = x.tanh()
    assert heard == ["tanh", "exp"] and y.parents == () and y.op is None
