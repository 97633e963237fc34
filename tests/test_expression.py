"""The expression parser: Python's precedence and arithmetic on Values, and hostile input
that never executes anything."""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import operator
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    ExpressionError,
    evaluate,
    parse,
    tokenize,
)

Env = dict[str, Any]
Built = tuple[str, int, Callable[[Env], Any]]  # text, precedence, Python-side computation

# Precedence of what a piece of text is: sums 1, products 2, unary minus 3, powers 4, atoms 5.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
BINARY = {"+": (SUM, operator.add), "-": (SUM, operator.sub),
          "*": (PRODUCT, operator.mul), "/": (PRODUCT, operator.truediv)}
SAFE_FUNCTIONS = ["tanh", "sigmoid", "sin", "cos", "atan", "exp", "relu", "abs", "softplus"]
VARIABLES = {"x": 0.75, "y": -1.5, "w": 2.0}


def wrap(text: str, precedence: int, needed: int, always: bool = False) -> str:
    return f"({text})" if precedence < needed or always else text


@st.composite
def numbers(draw: st.DrawFn) -> Built:
    value = draw(st.sampled_from([0, 1, 2, 3, 7, 0.5, 1.25, 2.5, 10.0, 0.001]))
    return repr(value), ATOM, lambda env: value


@st.composite
def names(draw: st.DrawFn) -> Built:
    name = draw(st.sampled_from(sorted(VARIABLES)))
    return name, ATOM, lambda env: env[name]


def extend(children: st.SearchStrategy[Built]) -> st.SearchStrategy[Built]:
    @st.composite
    def binary(draw: st.DrawFn) -> Built:
        (a, pa, fa), (b, pb, fb) = draw(children), draw(children)
        op = draw(st.sampled_from(sorted(BINARY)))
        level, fn = BINARY[op]
        # Left-associative: the right operand needs brackets at the same level.
        text = (f"{wrap(a, pa, level, draw(st.booleans()))} {op} "
                f"{wrap(b, pb, level + 1, draw(st.booleans()))}")
        return text, level, lambda env: fn(fa(env), fb(env))

    @st.composite
    def negation(draw: st.DrawFn) -> Built:
        a, pa, fa = draw(children)
        return f"-{wrap(a, pa, UNARY)}", UNARY, lambda env: -fa(env)

    @st.composite
    def power(draw: st.DrawFn) -> Built:
        a, pa, fa = draw(children)
        base = wrap(a, pa, ATOM)  # anything but an atom needs brackets as a base
        if draw(st.booleans()):
            k = draw(st.integers(-2, 3))
            exponent_text = str(k) if k >= 0 else f"-{-k}"
            return f"{base} ** {exponent_text}", POWER, lambda env: fa(env) ** k
        m, n = draw(st.integers(0, 2)), draw(st.integers(0, 2))  # right-associative: m ** n first
        return f"{base} ** {m} ** {n}", POWER, lambda env: fa(env) ** m ** n

    @st.composite
    def call(draw: st.DrawFn) -> Built:
        name = draw(st.sampled_from(SAFE_FUNCTIONS))
        a, _, fa = draw(children)
        function = FUNCTIONS[name][0]
        return f"{name}({a})", ATOM, lambda env: function(fa(env))

    @st.composite
    def two_arguments(draw: st.DrawFn) -> Built:
        name = draw(st.sampled_from(["max", "min"]))
        (a, _, fa), (b, _, fb) = draw(children), draw(children)
        function = {"max": autograd.maximum, "min": autograd.minimum}[name]
        return f"{name}({a}, {b})", ATOM, lambda env: function(fa(env), fb(env))

    return st.one_of(binary(), negation(), power(), call(), two_arguments())


expressions = st.recursive(st.one_of(numbers(), names()), extend, max_leaves=10)


def fresh_variables() -> dict[str, Value]:
    return {name: Value(value, label=name) for name, value in VARIABLES.items()}


def outcome(compute: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "value", compute()
    except (ArithmeticError, ValueError, TypeError) as error:
        return "error", type(error)


def data_of(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def same_float(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


class TestValidExpressions:
    @given(expressions)
    def test_evaluates_exactly_as_the_python_expression(self, built: Built) -> None:
        text, _, compute = built
        ours, theirs = fresh_variables(), fresh_variables()
        got = outcome(lambda: evaluate(text, ours))
        expected = outcome(lambda: compute(theirs))
        assert got[0] == expected[0], (text, got, expected)
        if got[0] == "error":
            assert issubclass(got[1], expected[1]) or issubclass(expected[1], got[1]), text
            return
        assert same_float(data_of(got[1]), data_of(expected[1])), text
        # The same ops in the same order: the gradients agree to the last bit too.
        if (isinstance(got[1], Value) and isinstance(expected[1], Value)
                and outcome(got[1].backward)[0] == "value"
                and outcome(expected[1].backward)[0] == "value"):
            for name in VARIABLES:
                assert same_float(data_of(ours[name].grad), data_of(theirs[name].grad)), text

    @pytest.mark.parametrize(("text", "expected"), [
        ("-2 ** 2", -4.0),                 # unary minus binds looser than **
        ("2 ** -1", 0.5),                  # a signed exponent
        ("2 ** 3 ** 2", 512.0),            # ** is right-associative
        ("8 / 4 / 2", 1.0),                # / is left-associative
        ("10 - 4 - 3", 3.0),
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("- - 3", 3.0),
        ("+3", 3.0),
        (".5 + 1.e1 + 2E-1", 10.7),
        ("max(1, 2) + min(1, 2)", 3.0),
        ("leaky_relu(-2, 0.5)", -1.0),
    ])
    def test_precedence_and_literals(self, text: str, expected: float) -> None:
        assert evaluate(text, {}) == pytest.approx(expected, rel=1e-15)

    def test_the_neuron_of_the_command_example(self) -> None:
        x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.88, "b")
        y = evaluate("tanh(x*w + b)", {"x": x, "w": w, "b": b})
        y.backward()
        t = math.tanh(2.0 * -3.0 + 6.88)
        assert y.data == t
        assert x.grad == pytest.approx((1 - t * t) * -3.0, rel=1e-12)  # d tanh(u)/du = 1 - t^2
        assert w.grad == pytest.approx((1 - t * t) * 2.0, rel=1e-12)
        assert b.grad == pytest.approx(1 - t * t, rel=1e-12)

    def test_names_in_order_of_first_use(self) -> None:
        assert parse("b * a + b + exp(c)").names == ("b", "a", "c")

    def test_tokens_carry_columns(self) -> None:
        assert [(t.text, t.column) for t in tokenize("x *2")] == [("x", 1), ("*", 3),
                                                                    ("2", 4), ("", 5)]

    def test_missing_value(self) -> None:
        with pytest.raises(ExpressionError, match="'y'"):
            evaluate("x + y", {"x": 1.0})


HOSTILE = [
    ("__import__('os').system('echo hi')", "strings are not allowed"),
    ("__import__", "not allowed"),
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__", "attribute access"),
    ("lambda: 1", "':'"),
    ("lambda x", "'lambda'"),
    ("[x for x in (1, 2)]", "comprehensions"),
    ("{1: 2}", "dicts"),
    ("open", "no value given for 'open'"),  # just an unknown variable
    ("open(1)", "unknown function 'open'"),
    ("eval(1)", "unknown function 'eval'"),
    ("exec(1)", "unknown function 'exec'"),
    ("getattr(x, 1)", "unknown function 'getattr'"),
    ("x if x else 1", "'if'"),
    ("x; 1", "';'"),
    ("x = 1", "'='"),
    ("tanh(x", "never closed"),
    ("tanh x)", "is a function"),
    ("(x) y", "unexpected name 'y'"),
    ("(x))", "unbalanced ')'"),
    ("((x)", "never closed"),
    ("x +", "ends too early"),
    ("* x", "operand is missing"),
    ("", "empty"),
    ("2 ** 100000", "exponent"),
    ("x ** 1e300", "exponent"),
    ("9 ** 9 ** 9", "exponent"),
    ("1e400", "too large"),
    ("1" * 400, "too large"),
    ("12abc", "malformed number"),
    ("(" * 10_000 + "x" + ")" * 10_000, "nested too deeply"),
    ("-" * 10_000 + "x", "nested too deeply"),
    ("x" + " ** x" * 10_000, "nested too deeply"),
    ("tanh(" * 10_000 + "x" + ")" * 10_000, "nested too deeply"),
    ("x" * 100_001, "too long"),
    ("tanh", "is a function"),
    ("max(x)", "takes 2 argument"),
    ("leaky_relu(x, x)", "slope"),
    ("x\n+1", "'\\\\n'"),
    ("x ＋ 1", "unexpected character"),
]


class TestHostileInput:
    @pytest.mark.parametrize(("text", "message"), HOSTILE,
                             ids=[repr(text[:24]) for text, _ in HOSTILE])
    def test_one_line_error(self, text: str, message: str) -> None:
        with pytest.raises(ExpressionError) as caught:
            evaluate(text, {"x": Value(1.0)})
        text_of_error = str(caught.value)
        assert "\n" not in text_of_error
        assert message.replace("\\\\", "\\") in text_of_error or message in text_of_error

    @given(st.lists(st.sampled_from([
        "__import__", "(", ")", "'os'", '"', ".", "system", "lambda", ":", "x", "[", "]",
        "for", "in", "open", "eval", "exec", "compile", "getattr", "__class__", "__subclasses__",
        "1", "**", "9", ",", " ", "\\", ";", "=", "{", "}", "@", "!", "#", "\n", "-", "+", "*",
        "/", "tanh", "exp", "e5", "0x10", "_", "`", "$", "globals", "locals", "breakpoint",
    ]), max_size=30).map("".join))
    def test_random_hostile_text_executes_nothing(self, text: str) -> None:
        with tripwires():
            result = outcome(lambda: evaluate(text, {"x": Value(2.0)}))
        if result[0] == "error":
            assert issubclass(result[1], (ExpressionError, ArithmeticError, ValueError)), text
        else:
            assert isinstance(result[1], (float, Value)), text

    def test_deep_nesting_is_not_a_recursion_error(self) -> None:
        at_limit = "(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
        assert evaluate(at_limit, {"x": 3.0}) == 3.0
        with pytest.raises(ExpressionError, match="nested too deeply"):
            evaluate("(" + at_limit + ")", {"x": 3.0})

    def test_a_long_flat_expression_evaluates(self) -> None:
        x = Value(1.0)
        assert evaluate(" + ".join(["x"] * 20_000), {"x": x}).data == 20_000.0

    def test_the_module_never_calls_python_evaluators(self) -> None:
        import autograd.cli.expression as module

        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        forbidden = {"eval", "exec", "compile", "__import__", "getattr", "literal_eval",
                     "globals", "locals", "vars", "open"}
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        used |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        assert not used & forbidden


@contextlib.contextmanager
def tripwires() -> Iterator[None]:
    """Any import, file opening, evaluation or process start inside the block fails loudly."""
    touched: list[str] = []

    def trip(name: str) -> Callable[..., Any]:
        def tripped(*args: Any, **kwargs: Any) -> Any:
            touched.append(name)
            raise AssertionError(f"{name} was called")
        return tripped

    saved = {name: getattr(builtins, name) for name in
             ("__import__", "open", "eval", "exec", "compile", "breakpoint", "input")}
    saved_system, saved_popen = os.system, subprocess.Popen
    try:
        for name in saved:
            setattr(builtins, name, trip(name))
        os.system = trip("os.system")  # type: ignore[assignment]
        subprocess.Popen = trip("subprocess.Popen")  # type: ignore[assignment, misc]
        yield
    finally:
        for name, original in saved.items():
            setattr(builtins, name, original)
        os.system = saved_system
        subprocess.Popen = saved_popen  # type: ignore[misc]
    assert not touched, touched
