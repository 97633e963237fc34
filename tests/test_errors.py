"""Bad input raises a clear error naming the op and the operand, never a silent wrong number."""

from __future__ import annotations

import math

import pytest

import autograd as ag
from autograd import Value


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], b"1"])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match=r"Value: expected a real number"):
        Value(bad)


@pytest.mark.parametrize("bad", ["x", None, 2j])
@pytest.mark.parametrize(
    ("symbol", "apply"),
    [
        ("+", lambda v, o: v + o),
        ("+", lambda v, o: o + v),
        ("*", lambda v, o: v * o),
        ("*", lambda v, o: o * v),
        ("-", lambda v, o: v - o),
        ("/", lambda v, o: v / o),
        ("**", lambda v, o: v**o),
    ],
)
def test_non_numeric_operands_name_the_op_and_operand(bad, symbol, apply):
    with pytest.raises(TypeError) as info:
        apply(Value(1.0), bad)
    message = str(info.value)
    assert symbol in message or "unsupported operand" in message
    assert type(bad).__name__ in message


def test_function_on_a_string_names_the_function():
    with pytest.raises(TypeError, match=r"^exp: expected a real number .*str 'a'"):
        ag.exp("a")


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=rf"^log\('x' = {x!r}\).*defined for x > 0"):
        ag.log(Value(x, "x"))


def test_sqrt_of_negative():
    with pytest.raises(ValueError, match=r"^sqrt\(-4.0\).*defined for x >= 0"):
        ag.sqrt(Value(-4.0))


def test_division_by_zero_names_both_sides():
    with pytest.raises(ZeroDivisionError, match=r"^'n' = 1.0 / 'd' = 0.0: division by zero"):
        Value(1.0, "n") / Value(0.0, "d")
    with pytest.raises(ZeroDivisionError, match=r"^'n' = 1.0 / 0.0: division by zero"):
        Value(1.0, "n") / 0
    with pytest.raises(ZeroDivisionError, match=r"^2.0 / 0.0: division by zero"):
        2.0 / Value(0.0)


def test_division_by_a_value_is_exact_float_division():
    for x, y in [(1.0, 3.0), (0.1, 0.7), (-5.5, 1e-3)]:
        assert (Value(x) / Value(y)).data == x / y
        assert (Value(x) / y).data == x / y
        assert (x / Value(y)).data == x / y


def test_zero_to_a_negative_power():
    with pytest.raises(ZeroDivisionError, match=r"^'z' = 0.0 \*\* -2: .*negative power"):
        Value(0.0, "z") ** -2


def test_negative_base_with_fractional_exponent():
    with pytest.raises(ValueError, match=r"-8.0 \*\* 0.5"):
        Value(-8.0) ** 0.5


def test_value_exponent_needs_a_positive_base():
    with pytest.raises(ValueError, match=r"^pow\(-2.0, 2.0\).*defined for x > 0"):
        Value(-2.0) ** Value(2.0)


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: ag.exp(Value(1000.0)), r"^exp\(1000.0\): overflow"),
        (lambda: Value(10.0) ** 400, r"^10.0 \*\* 400: overflow"),
        (lambda: ag.cosh(Value(1000.0)), r"^cosh\(1000.0\): overflow"),
        (lambda: ag.exp(1000.0), r"^exp\(1000.0\): overflow"),
    ],
)
def test_overflow_says_so(make, pattern):
    with pytest.raises(OverflowError, match=pattern):
        make()


def test_infinite_local_derivative_in_backward_names_the_op():
    x = Value(0.0, "x")
    y = ag.sqrt(x)
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\('x' = 0.0\)"):
        y.backward()


def test_wrong_number_of_operands():
    with pytest.raises(TypeError, match=r"^exp: takes 1 operand, got 2"):
        ag.exp(1.0, 2.0)


def test_dot_with_mismatched_lengths():
    with pytest.raises(ValueError, match=r"dot: .*3 vs 2"):
        ag.dot([Value(1.0)] * 3, [1.0, 2.0])


class TestNanAndInf:
    """nan and inf data are accepted and follow IEEE 754 arithmetic (see the README)."""

    def test_nan_propagates_forward_and_backward(self):
        x = Value(float("nan"))
        y = x * 2.0 + 1.0
        assert math.isnan(y.data)
        y.backward()
        assert x.grad == 2.0  # the local derivative of *2 does not depend on x
        z = Value(float("nan"))
        w = z * z
        w.backward()
        assert math.isnan(z.grad)

    def test_relu_keeps_nan(self):
        assert math.isnan(ag.relu(Value(float("nan"))).data)

    def test_inf_follows_ieee(self):
        big = Value(float("inf"))
        assert (big + 1.0).data == math.inf
        assert math.isnan((big * 0.0).data)
        assert ag.tanh(big).data == 1.0
        assert ag.sigmoid(Value(-math.inf)).data == 0.0


def test_wrong_number_of_operands_for_a_binary_op():
    with pytest.raises(TypeError, match=r"^max \(maximum\): takes 2 operands, got 3"):
        ag.maximum(1.0, 2.0, 3.0)


def test_sums_of_infinities_follow_ieee_like_addition():
    inf = math.inf
    assert math.isnan(ag.sum_values([Value(inf), Value(-inf)]).data)
    assert ag.sum_values([Value(1e308), Value(1e308)]).data == inf
    assert ag.mean([Value(1e308), Value(1e308)]).data == inf
    assert math.isnan(ag.dot([Value(inf), Value(1.0)], [Value(1.0), Value(-inf)]).data)
    assert ag.sum_values([0.1, 0.2, 0.3]) == math.fsum([0.1, 0.2, 0.3])  # still exactly rounded


def test_ops_called_with_an_array_name_the_op():
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"^max \(maximum\): expected a real number or a Value, got ndarray"):
        ag.maximum(Value(1.0), np.array([0.0, 2.0]))
    with pytest.raises(TypeError, match=r"^pow: .*got ndarray"):
        ag.pow(np.array([1.0, 2.0]), Value(1.0))


def test_operators_with_an_array_broadcast_over_it():
    np = pytest.importorskip("numpy")
    summed = Value(1.0) + np.array([1.0, 2.0])
    assert [v.data for v in summed] == [2.0, 3.0]
    scaled = np.array([1.0, 2.0]) * Value(2.0)
    assert [v.data for v in scaled] == [2.0, 4.0]


def test_gradients_needs_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"^gradients: the output must be a Value, got float 3.0"):
        ag.gradients(3.0, [x])
    with pytest.raises(TypeError, match=r"^gradients: inputs\[1\] must be a Value, got float"):
        ag.gradients(x * 2.0, [x, 3.0])


def test_power_needs_a_number():
    with pytest.raises(TypeError, match=r"^power: expected a real number"):
        ag.power("a")


def test_a_declared_primitive_must_return_a_number():
    @ag.primitive(lambda x: 1.0)
    def broken(x):
        return "s"

    with pytest.raises(TypeError, match=r"^broken \(its result\): expected a real number"):
        broken(Value(1.0))
