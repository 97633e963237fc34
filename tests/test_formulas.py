"""Derivative formulas: every primitive of the op table declares one, it reads as maths, and,
evaluated, it equals the slope of the op's forward function (central differences)."""

from __future__ import annotations

import math
import random
import re

import pytest

from autograd import Value, primitive
from autograd.engine import OPS, Primitive
from autograd.viz.formula import (
    FormulaError,
    Term,
    evaluate,
    math_block,
    parse,
    to_mathml,
    to_text,
    variables,
)

RNG_SEED = 11
POINTS = 5
KINK_MARGIN = 0.1


def intervals(op: Primitive, position: int) -> tuple[tuple[float, float], ...]:
    """The sample intervals of one operand (the table gives them per operand or for all)."""
    sample = op.sample
    per_operand = sample and isinstance(sample[0][0], tuple)
    return sample[position] if per_operand else sample  # type: ignore[return-value]


def draw_point(op: Primitive, count: int, rng: random.Random) -> list[float]:
    """Operands inside the op's sample, away from its kinks and (for max, >=) from ties."""
    while True:
        xs = []
        for position in range(count):
            low, high = rng.choice(intervals(op, min(position, max(op.arity, 1) - 1)))
            xs.append(rng.uniform(low, high))
        if any(abs(x - k) < KINK_MARGIN for x in xs for k in op.kinks):
            continue
        if op.apart and abs(xs[0] - xs[1]) < KINK_MARGIN:
            continue
        return xs


def slope(f, xs: list[float], k: int) -> float:
    """d f / d xs[k] by central differences."""
    h = 1e-6 * max(1.0, abs(xs[k]))
    up, down = list(xs), list(xs)
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


def fixed_arity_cases() -> list[str]:
    return [name for name, op in OPS.items() if op.arity > 0]


def test_every_primitive_has_a_formula_that_parses() -> None:
    assert len(OPS) >= 30
    for name, op in OPS.items():
        assert op.formula, f"{name}: no formula"
        for operand, text in op.formula.items():
            parse(text)  # raises FormulaError if unreadable
            assert operand.replace("_i", "").isidentifier(), (name, operand)


@pytest.mark.parametrize("name", fixed_arity_cases())
def test_formula_is_the_slope_of_the_forward(name: str) -> None:
    op = OPS[name]
    rng = random.Random(f"{RNG_SEED}-{name}")
    operands = list(op.formula)
    assert len(operands) == op.arity, name
    trees = {operand: parse(text) for operand, text in op.formula.items()}
    free = set().union(*(variables(t) for t in trees.values())) - {*operands, "out"}
    assert len(free) <= 1, (name, free)  # a family's parameter (power's n, leaky_relu's slope)
    for _ in range(POINTS):
        xs = draw_point(op, op.arity, rng)
        env = dict(zip(operands, xs))
        env["out"] = op.forward(*xs)
        for parameter in free:
            env[parameter] = op.parameter
        for k, operand in enumerate(operands):
            expected = slope(op.forward, xs, k)
            got = evaluate(trees[operand], env)
            assert math.isclose(got, expected, rel_tol=1e-5, abs_tol=1e-6), (
                f"{name}: d/d{operand} at {xs}: formula gives {got}, the slope is {expected}")


def test_sum_and_dot_formulas_are_their_slopes() -> None:
    rng = random.Random(RNG_SEED)
    total = OPS["sum"]
    xs = [rng.uniform(-2, 2) for _ in range(4)]
    for k in range(4):
        env = {"x_i": xs[k], "out": total.forward(*xs)}
        assert math.isclose(evaluate(parse(total.formula["x_i"]), env), slope(total.forward, xs, k))
    dot = OPS["dot"]
    n = 3
    operands = [rng.uniform(-2, 2) for _ in range(2 * n + 1)]  # w_1..w_3, x_1..x_3, b
    out = dot.forward(*operands)
    for k in range(2 * n + 1):
        if k < n:
            role, i = "w_i", k
        elif k < 2 * n:
            role, i = "x_i", k - n
        else:
            role, i = "b", 0
        env = {"w_i": operands[i], "x_i": operands[n + i], "b": operands[-1], "out": out}
        got = evaluate(parse(dot.formula[role]), env)
        assert math.isclose(got, slope(dot.forward, operands, k), rel_tol=1e-6, abs_tol=1e-9)


def test_power_and_leaky_families() -> None:
    from autograd.engine import leaky, power

    for op, x in ((power(3.0), 1.3), (power(-1.0), 0.7), (power(0.5), 2.0), (leaky(0.1), -1.0)):
        (operand,) = op.formula
        tree = parse(op.formula[operand])
        free = variables(tree) - {operand, "out"}
        env = {operand: x, "out": op.forward(x), **{p: op.parameter for p in free}}
        assert math.isclose(evaluate(tree, env), slope(op.forward, [x], 0), rel_tol=1e-5)


class TestReading:
    def test_precedence_as_in_python(self) -> None:
        assert evaluate(parse("-x**2"), {"x": 3.0}) == -9.0
        assert evaluate(parse("2**-1"), {}) == 0.5
        assert evaluate(parse("2**3**2"), {}) == 512.0  # right to left
        assert evaluate(parse("1 - 2 - 3"), {}) == -4.0  # left to right
        assert evaluate(parse("8 / 2 / 2"), {}) == 2.0
        assert evaluate(parse("(1 + 2) * 3"), {}) == 9.0

    @pytest.mark.parametrize(("text", "message"), [
        ("1 +", "at the end"), ("(x", "expected ')'"), ("x y", "unexpected 'y'"),
        ("x $ 2", "cannot read"), ("f(x,", "at the end"), ("* x", "at '*'"),
    ])
    def test_unreadable_formulas_say_where(self, text: str, message: str) -> None:
        with pytest.raises(FormulaError, match=re.escape(message)):
            parse(text)

    def test_unknown_names_are_refused_when_evaluated(self) -> None:
        with pytest.raises(FormulaError, match="'z'"):
            evaluate(parse("z + 1"), {})
        with pytest.raises(FormulaError, match="'nope'"):
            evaluate(parse("nope(1)"), {})


class TestWriting:
    def test_tanh_reads_like_a_textbook(self) -> None:
        tanh_n = Term("<mi>tanh</mi><mo>\u2061</mo><mrow><mo>(</mo><mi>n</mi><mo>)</mo></mrow>",
                      "tanh(n)", "call")
        tree = parse(OPS["tanh"].formula["x"])
        assert to_text(tree, {"out": tanh_n}) == "1 - tanh(n)^2"
        assert to_text(tree, {"out": Term.number("0.7071")}) == "1 - 0.7071^2"
        assert to_text(tree, {"out": Term.number("-0.7071")}) == "1 - (-0.7071)^2"
        ml = to_mathml(tree, {"out": tanh_n})
        assert ml.startswith("<mn>1</mn><mo>−</mo><msup>") and "<mi>tanh</mi>" in ml

    def test_parentheses_only_where_needed(self) -> None:
        neg = Term.number("-2")
        assert to_text(parse("x + y"), {"y": neg}) == "x + (-2)"
        assert to_text(parse("x - y"), {"y": neg}) == "x - (-2)"
        assert to_text(parse("x * y"), {"x": neg}) == "(-2) * y"
        assert to_text(parse("x * y"), {"y": neg}) == "x * (-2)"
        assert to_text(parse("x - (y + 1)")) == "x - (y + 1)"
        assert to_text(parse("(x - y) + 1")) == "x - y + 1"
        assert to_text(parse("1 / (1 + x**2)")) == "1 / (1 + x^2)"
        assert to_text(parse("-(x + 1)")) == "-(x + 1)"

    def test_textbook_forms(self) -> None:
        assert "<msqrt>" in to_mathml(parse("sqrt(1 - x**2)"))
        assert to_mathml(parse("exp(x)")).startswith("<msup><mi>e</mi>")
        assert to_text(parse("step(x)")) == "[x > 0]"
        assert to_text(parse("greater_equal(x, y)")) == "[x >= y]"
        assert "σ" in to_mathml(parse("sigmoid(x)"))
        assert "<mfrac>" in to_mathml(parse("1 / y"))
        assert "\u2062" in to_mathml(parse("2 * x"))  # 2x: the times sign is invisible
        assert "\u22c5" in to_mathml(parse("2 * 3"))
        assert to_text(parse("1.1283791670955126 * x")) == "1.12838 * x"

    def test_names_and_numbers(self) -> None:
        assert Term.name("x1").ml == "<msub><mi>x</mi><mn>1</mn></msub>"
        assert Term.name("w_i").ml == "<msub><mi>w</mi><mi>i</mi></msub>"
        assert Term.name("layers.0.w.1").ml == "<mi>layers.0.w.1</mi>"
        assert Term.name("a<b").ml == "<mi>a&lt;b</mi>"
        assert Term.number("2.5e-07").ml == (
            "<mn>2.5</mn><mo>×</mo><msup><mn>10</mn><mn>−7</mn></msup>")
        assert Term.number("-3").shape == "neg"

    def test_math_block_carries_the_text(self) -> None:
        block = math_block("<mi>x</mi>", "x < 1")
        assert block.startswith("<math ") and 'encoding="text/plain">x &lt; 1<' in block


def test_a_user_primitive_shows_its_formula_or_a_generic_one() -> None:
    @primitive(lambda x: 3 * x * x, formula="3 * x**2")
    def cube(x: float) -> float:
        return x ** 3

    @primitive(lambda x: 2 * x)
    def square_it(x: float) -> float:
        return x * x

    assert evaluate(parse(cube.formula["x"]), {"x": 2.0}) == 12.0
    assert cube(Value(2.0)).op.formula == {"x": "3 * x**2"}
    assert square_it.formula == {"x": "d square_it/dx"}
    with pytest.raises(FormulaError):
        parse(square_it.formula["x"])  # generic: the diagrams show it as d square_it/dx
