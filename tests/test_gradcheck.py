"""numerical_grad, gradcheck, gradgradcheck: they pass on every op, catch wrong derivatives."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from support import require

import autograd
from autograd import (
    GradcheckError,
    GradcheckReport,
    Value,
    cos,
    grad,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    primitive,
    sin,
)
from autograd.functional import GradcheckEntry
from autograd.testing import OP_NAMES, op_cases

# -- primitives declared with deliberately wrong derivatives ----------------------------------


@primitive(lambda x: -cos(x))  # wrong: d sin x / dx = +cos x
def sin_with_wrong_sign(x):
    return math.sin(x)


@primitive(lambda a, b: b, lambda a, b: 2.0 * a)  # the second partial should be a
def product_wrong_in_b(a, b):
    return a * b


@primitive(lambda x: sin(x))  # wrong second derivative: cos' is -sin
def cos_with_wrong_derivative(x):
    return math.cos(x)


@primitive(lambda x: cos_with_wrong_derivative(x))  # right first derivative, wrong second
def sin_with_wrong_second_derivative(x):
    return math.sin(x)


# -- numerical_grad -----------------------------------------------------------------------------


class TestNumericalGrad:
    @pytest.mark.parametrize("x", [-1.5, 0.0, 2.0])
    def test_cubic(self, x):
        (d,) = numerical_grad(lambda t: t**3, x)
        assert d == pytest.approx(3 * x * x, abs=1e-8)

    def test_one_estimate_per_input(self):
        d = numerical_grad(lambda x, y: math.exp(x) * y, 0.5, -2.0)
        assert d == pytest.approx([math.exp(0.5) * -2.0, math.exp(0.5)], rel=1e-8)

    def test_functions_of_values_are_called_on_floats(self):
        seen = []

        def f(x):
            seen.append(type(x))
            return sin(x)

        numerical_grad(f, 0.3)
        assert seen == [float, float]

    def test_eps_sets_the_step(self):
        # for x² the central difference is exact, whatever the step
        assert numerical_grad(lambda x: x * x, 3.0, eps=0.5) == [6.0]
        (coarse,) = numerical_grad(lambda x: x**3, 1.0, eps=0.1)
        assert coarse == pytest.approx(3.0 + 0.1**2, rel=1e-12)  # 3x² + eps²

    @pytest.mark.parametrize("x", [1e20, -3e150])
    def test_large_inputs_take_a_step_relative_to_x(self, x):
        # a fixed step of 1e-6 vanishes next to x; eps * |x| does not
        (d,) = numerical_grad(lambda t: t * t, x)
        assert d == pytest.approx(2 * x, rel=1e-9)

    def test_a_step_that_rounds_away_is_a_clear_error(self):
        # at 0 the step is eps itself and is kept; next to 2 it rounds away
        with pytest.raises(ValueError, match=r"input 1 = 2\.0.*eps=1e-20.*larger eps"):
            numerical_grad(lambda x, y: x * y, 0.0, 2.0, eps=1e-20)
        with pytest.raises(ValueError, match=r"input 0 = 1\.0.*eps=1e-18"):
            gradcheck(lambda x: x * x, 1.0, eps=1e-18)
        with pytest.raises(ValueError, match=r"input 0 = 1\.0.*eps=1e-18"):
            gradgradcheck(lambda x: x * x * x, 1.0, eps=1e-18)

    def test_numpy_scalars_are_accepted(self):
        np = require("numpy", "fast")
        (d,) = numerical_grad(lambda x: x * x * x, np.float32(2))
        assert d == pytest.approx(12.0, rel=1e-8)  # 3 x²
        assert type(d) is float
        d = numerical_grad(lambda x, y: x * y, np.int64(3), np.float64(0.5))
        assert d == pytest.approx([0.5, 3.0], rel=1e-8)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="eps must be a positive"):
            numerical_grad(lambda x: x, 1.0, eps=0.0)
        with pytest.raises(TypeError, match="input 1 must be a real number"):
            numerical_grad(lambda x, y: x, 1.0, "2")
        with pytest.raises(TypeError, match="must return one number"):
            numerical_grad(lambda x: (x, x), 1.0)


# -- gradcheck on correct ops ---------------------------------------------------------------


@settings(max_examples=150)
@given(op_cases())
def test_gradcheck_passes_on_every_op_inside_its_domain(case):
    report = gradcheck(case.function, *case.operands, atol=1e-7, rtol=1e-6)
    assert report.ok
    assert len(report.entries) == len(case.operands)


@pytest.mark.parametrize("name", OP_NAMES)
def test_each_op_is_checked(name):
    @settings(max_examples=8)
    @given(op_cases(ops=[name]))
    def check(case):
        assert case.name == name
        gradcheck(case.function, *case.operands, atol=1e-7, rtol=1e-6)

    check()


@settings(max_examples=80)
@given(op_cases())
def test_gradgradcheck_passes_on_every_op_inside_its_domain(case):
    report = gradgradcheck(case.function, *case.operands, atol=1e-6, rtol=1e-5)
    assert report.ok
    assert len(report.entries) == len(case.operands) ** 2


def test_gradcheck_returns_a_truthy_report():
    report = gradcheck(lambda x, y: x * sin(y), 2.0, 0.5)
    assert isinstance(report, GradcheckReport)
    assert report and report.ok and not report.failures
    assert [e.name for e in report.entries] == ["d/dx (input 0)", "d/dy (input 1)"]
    assert report.entries[1].analytic == pytest.approx(2.0 * math.cos(0.5), rel=1e-15)


def test_inputs_of_varargs_functions_are_named_by_position():
    report = gradcheck(lambda *args: args[0] * args[1], 2.0, 3.0)
    assert [e.name for e in report.entries] == ["d/dargs[0] (input 0)", "d/dargs[1] (input 1)"]


def test_values_are_accepted_as_inputs():
    assert gradcheck(lambda x: x * x, Value(3.0)).ok


def test_numpy_scalars_are_accepted_as_inputs():
    np = require("numpy", "fast")
    report = gradcheck(lambda x, y: x * sin(y), np.float32(2.0), np.float64(0.5))
    assert report.ok
    assert report.entries[1].analytic == pytest.approx(2.0 * math.cos(0.5), rel=1e-7)
    assert gradgradcheck(lambda x: x * x * x, np.float32(1.5)).ok


@pytest.mark.parametrize("x", [1e20, -1e100])
def test_gradcheck_at_large_inputs(x):
    report = gradcheck(lambda t: t * t, x)
    assert report.ok
    assert report.entries[0].numerical == pytest.approx(2 * x, rel=1e-9)
    assert gradgradcheck(lambda t: t * t * t, x, raise_exception=False).entries[0].numerical \
        == pytest.approx(6 * x, rel=1e-6)


# -- gradcheck on wrong derivatives ---------------------------------------------------------


class TestGradcheckFailures:
    def test_wrong_derivative_raises_with_a_report(self):
        x = 0.4
        with pytest.raises(GradcheckError) as caught:
            gradcheck(sin_with_wrong_sign, x)
        report = caught.value.report
        assert not report.ok
        (entry,) = report.failures
        assert entry.name == "d/dx (input 0)"
        assert entry.analytic == pytest.approx(-math.cos(x), rel=1e-15)
        assert entry.numerical == pytest.approx(math.cos(x), rel=1e-8)
        assert entry.error == pytest.approx(2 * math.cos(x), rel=1e-8)

    def test_message_names_the_function_input_numbers_and_error(self):
        with pytest.raises(GradcheckError) as caught:
            gradcheck(sin_with_wrong_sign, 0.4)
        message = str(caught.value)
        assert "sin_with_wrong_sign" in message
        assert "1 of 1 disagree" in message
        line = next(row for row in message.splitlines() if "d/dx" in row)
        assert line.lstrip().startswith("✗")
        numbers = [float(s) for s in re.findall(r"-?\d+\.\d+(?:e[-+]\d+)?", line)]
        analytic, numerical, error = numbers[:3]
        assert analytic == pytest.approx(-math.cos(0.4), rel=1e-12)
        assert numerical == pytest.approx(math.cos(0.4), rel=1e-8)
        assert error == pytest.approx(2 * math.cos(0.4), rel=1e-2)

    def test_only_the_wrong_partial_fails(self):
        report = gradcheck(product_wrong_in_b, 3.0, 5.0, raise_exception=False)
        assert not report
        assert [e.ok for e in report.entries] == [True, False]
        (entry,) = report.failures
        assert entry.name == "d/db (input 1)"
        assert entry.analytic == 6.0  # 2 a, declared wrongly
        assert entry.numerical == pytest.approx(3.0, rel=1e-8)  # a

    def test_wrong_derivative_inside_a_larger_function(self):
        def f(x, y):
            return y * sin_with_wrong_sign(x * x) + y

        report = gradcheck(f, 0.7, 2.0, raise_exception=False)
        assert [e.ok for e in report.entries] == [False, True]

    def test_gradgradcheck_catches_a_wrong_second_derivative(self):
        x = 0.9
        assert gradcheck(sin_with_wrong_second_derivative, x).ok
        with pytest.raises(GradcheckError) as caught:
            gradgradcheck(sin_with_wrong_second_derivative, x)
        (entry,) = caught.value.report.failures
        assert entry.name == "d²/dx dx"
        assert entry.analytic == pytest.approx(math.sin(x), rel=1e-14)
        assert entry.numerical == pytest.approx(-math.sin(x), rel=1e-6)
        assert "second derivatives of sin_with_wrong_second_derivative" in str(caught.value)

    def test_gradgradcheck_names_each_pair(self):
        report = gradgradcheck(lambda a, b: a * a * b, 1.5, -2.0)
        assert [e.name for e in report.entries] == [
            "d²/da da", "d²/da db", "d²/db da", "d²/db db",
        ]
        assert [e.numerical for e in report.entries] == pytest.approx(
            [2 * -2.0, 2 * 1.5, 2 * 1.5, 0.0], abs=1e-7
        )

    def test_functions_written_with_math_get_a_hint(self):
        with pytest.raises(TypeError, match=r"autograd's functions .* not math's"):
            gradcheck(lambda x: math.sin(x), 1.0)
        with pytest.raises(TypeError, match=r"not math's"):
            gradcheck(lambda x: float(x) * 2.0, 1.0)

    def test_other_type_errors_about_values_get_no_math_hint(self):
        # dot wants two sequences; the error is about that, not about math
        with pytest.raises(TypeError) as caught:
            gradcheck(autograd.dot, 1.0, 2.0)
        assert "math" not in str(caught.value)
        assert "len()" in str(caught.value)

    def test_a_derivative_written_with_math_is_blamed_once(self):
        @primitive(lambda x: math.cos(x))  # fine on floats, fails when differentiated again
        def sin_with_math_derivative(x):
            return math.sin(x)

        assert grad(sin_with_math_derivative)(0.5) == pytest.approx(math.cos(0.5), rel=1e-15)
        with pytest.raises(TypeError) as caught:
            grad(grad(sin_with_math_derivative))(0.5)
        message = str(caught.value)
        assert message.count("not math's") == 1
        assert "derivative" in message and "sin_with_math_derivative" in message
        assert "failed on Value arguments" not in message

    def test_error_is_an_assertion_error(self):
        with pytest.raises(AssertionError):
            gradcheck(sin_with_wrong_sign, 1.0)


class TestEntries:
    @pytest.mark.parametrize(
        "analytic, numerical, ok",
        [
            (1.0, 1.0, True),
            (1.0 + 1e-5, 1.0, True),  # within atol + rtol |n| = 2e-5
            (1.0 + 3e-5, 1.0, False),
            (0.0, 1e-5, True),
            (math.nan, 1.0, False),
            (1.0, math.inf, False),
        ],
    )
    def test_tolerance(self, analytic, numerical, ok):
        assert GradcheckEntry("d/dx", analytic, numerical, atol=1e-5, rtol=1e-5).ok is ok

    def test_bad_tolerances_are_rejected(self):
        with pytest.raises(ValueError, match="atol"):
            gradcheck(lambda x: x, 1.0, atol=-1.0)
        with pytest.raises(ValueError, match="eps"):
            gradgradcheck(lambda x: x, 1.0, eps=-1e-6)
