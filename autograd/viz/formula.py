"""Derivative formulas as maths: a small parser of the op table's formula text, and writers to
MathML (which browsers typeset natively), to plain text, and to a number.

The formulas are Python-like expressions: numbers, names (`x`, `y`, `out`, `x_i`, `n`), the
operators `+ - * / **`, unary minus, parentheses and calls such as `cos(x)`. Names can be
replaced by other terms (a node's name, a number, an expression) when writing.

>>> tree = parse("1 - out**2")
>>> tree
('sub', ('num', '1'), ('pow', ('var', 'out'), ('num', '2')))
>>> to_text(tree, {"out": Term.number("0.7071")})
'1 - 0.7071^2'
>>> to_mathml(tree)
'<mn>1</mn><mo>−</mo><msup><mrow><mi>out</mi></mrow><mrow><mn>2</mn></mrow></msup>'
>>> evaluate(tree, {"out": 0.5})
0.75
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd.engine import OPS

__all__ = [
    "FormulaError",
    "Term",
    "evaluate",
    "fold",
    "math_block",
    "parse",
    "to_mathml",
    "to_text",
    "variables",
]

Tree = tuple[Any, ...]

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|"
                    r"([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/(),]))")


class FormulaError(ValueError):
    """A formula that cannot be read; the message names the formula and the place.

    >>> parse("1 +")
    Traceback (most recent call last):
    autograd.viz.formula.FormulaError: formula '1 +': expected a number, a name or '(' at the end
    """


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:
            raise FormulaError(f"formula {text!r}: cannot read {text[at:].strip()[:12]!r}")
        tokens.append(match.group(match.lastindex or 0))
        at = match.end()
    return tokens


def parse(text: str) -> Tree:
    """The expression tree of a formula: tuples ('num', text), ('var', name), ('neg', a),
    ('add' | 'sub' | 'mul' | 'div' | 'pow', a, b) and ('call', name, (args...)).

    `**` binds tighter than unary minus and groups to the right, as in Python.

    >>> parse("-x**2")
    ('neg', ('pow', ('var', 'x'), ('num', '2')))
    >>> parse("1 / sqrt(1 - x**2)")[2][0:2]
    ('call', 'sqrt')
    """
    tokens = _tokens(text)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = peek()
        if token is None or (expected is not None and token != expected):
            where = f"at {token!r}" if token is not None else "at the end"
            raise FormulaError(f"formula {text!r}: expected {expected!r} {where}")
        position += 1
        return token

    def left_to_right(operand: Callable[[], Tree], ops: dict[str, str]) -> Tree:
        # operand (op operand)*, grouped from the left: a - b - c is (a - b) - c
        tree = operand()
        while peek() in ops:
            tree = (ops[take()], tree, operand())
        return tree

    def expression() -> Tree:
        return left_to_right(product, {"+": "add", "-": "sub"})

    def product() -> Tree:
        return left_to_right(unary, {"*": "mul", "/": "div"})

    def unary() -> Tree:
        if peek() == "-":
            take()
            return ("neg", unary())
        if peek() == "+":
            take()
            return unary()
        return power()

    def power() -> Tree:
        base = atom()
        if peek() == "**":
            take()
            return ("pow", base, unary())
        return base

    def atom() -> Tree:
        token = peek()
        if token is None or token in ("*", "**", "/", ")", ","):
            where = f"at {token!r}" if token is not None else "at the end"
            raise FormulaError(f"formula {text!r}: expected a number, a name or '(' {where}")
        take()
        if token == "(":
            inner = expression()
            take(")")
            return inner
        if token[0].isdigit() or token[0] == ".":
            return ("num", token)
        if peek() == "(":
            take()
            args: list[Tree] = []
            if peek() != ")":
                args.append(expression())
                while peek() == ",":
                    take()
                    args.append(expression())
            take(")")
            return ("call", token, tuple(args))
        return ("var", token)

    tree = expression()
    if peek() is not None:
        raise FormulaError(f"formula {text!r}: unexpected {peek()!r}")
    return tree


def variables(tree: Tree) -> set[str]:
    """The names a formula uses (function names excluded).

    >>> sorted(variables(parse("y * x**(y - 1)")))
    ['x', 'y']
    """
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "var":
            found.add(node[1])
        elif node[0] == "call":
            stack.extend(node[2])
        elif node[0] != "num":
            stack.extend(node[1:])
    return found


def evaluate(tree: Tree, env: Mapping[str, float],
             functions: Mapping[str, Callable[..., float]] | None = None) -> float:
    """The number a formula gives, with `env` for its names and `functions` for its calls
    (by default the forward functions of the op table).

    >>> evaluate(parse("1 / (1 + x**2)"), {"x": 2.0})
    0.2
    """
    if functions is None:
        functions = {name: op.forward for name, op in OPS.items()}
    # An explicit stack: operands are computed before their operator, without recursion.
    results: list[float] = []
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "num":
            results.append(float(node[1]))
        elif kind == "var":
            if node[1] not in env:
                raise FormulaError(f"formula: no value for {node[1]!r}")
            results.append(float(env[node[1]]))
        elif not ready:
            stack.append((node, True))
            children = node[2] if kind == "call" else node[1:]
            stack.extend((child, False) for child in reversed(children))
        elif kind == "call":
            count = len(node[2])
            args = results[len(results) - count:]
            del results[len(results) - count:]
            if node[1] not in functions:
                raise FormulaError(f"formula: unknown function {node[1]!r}")
            results.append(float(functions[node[1]](*args)))
        elif kind == "neg":
            results.append(-results.pop())
        else:
            b, a = results.pop(), results.pop()
            results.append(_BINARY[kind](a, b))
    return results[0]


def fold(tree: Tree, values: Mapping[str, float]) -> Tree:
    """The formula with `values` put in for some names and the arithmetic on plain numbers
    done: power's `n * x**(n - 1)` at n = 3 reads `3 * x**2`.

    >>> to_text(fold(parse("n * x**(n - 1)"), {"n": 3.0}))
    '3 * x^2'
    >>> to_text(fold(parse("slope + (1 - slope) * step(x)"), {"slope": 0.1}))
    '0.1 + 0.9 * [x > 0]'
    """
    results: list[Tree] = []
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "num":
            results.append(node)
        elif kind == "var":
            results.append(_number_tree(values[node[1]]) if node[1] in values else node)
        elif not ready:
            stack.append((node, True))
            children = node[2] if kind == "call" else node[1:]
            stack.extend((child, False) for child in reversed(children))
        elif kind == "call":
            count = len(node[2])
            args = tuple(results[len(results) - count:])
            del results[len(results) - count:]
            results.append(("call", node[1], args))
        elif kind == "neg":
            a = results.pop()
            number = _plain_number(a)
            results.append(_number_tree(-number) if number is not None else ("neg", a))
        else:
            b, a = results.pop(), results.pop()
            x, y = _plain_number(a), _plain_number(b)
            if x is not None and y is not None and not (kind == "div" and y == 0):
                results.append(_number_tree(_BINARY[kind](x, y)))
            elif y == 1 and kind in ("pow", "mul"):
                results.append(a)
            elif kind == "mul" and x == 1:
                results.append(b)
            elif kind == "pow" and y == 0:
                results.append(("num", "1"))
            else:
                results.append((kind, a, b))
    return results[0]


def _plain_number(tree: Tree) -> float | None:
    if tree[0] == "num":
        return float(tree[1])
    if tree[0] == "neg" and tree[1][0] == "num":
        return -float(tree[1][1])
    return None


def _number_tree(x: float) -> Tree:
    text = f"{abs(x):.12g}"
    return ("neg", ("num", text)) if x < 0 else ("num", text)


_BINARY: dict[str, Callable[[float, float], float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


# ----------------------------------------------------------------------------------------------
# Writing: MathML and plain text, side by side
# ----------------------------------------------------------------------------------------------

# How a written piece binds, to decide parentheses: 'atom' (a name, a number, a bracket),
# 'call' (f(x)), 'pow', 'frac', 'prod', 'neg' (starts with a minus) and 'sum'.
MINUS = "\u2212"
TIMES = "\u22c5"  # the dot operator
APPLY = "\u2061"  # function application, invisible
INVISIBLE_TIMES = "\u2062"


@dataclass(frozen=True)
class Term:
    """A written piece of maths: its MathML, its plain text and how it binds.

    >>> Term.name("x1").ml, Term.number("-2").shape, Term.number("1e-05").text
    ('<msub><mi>x</mi><mn>1</mn></msub>', 'neg', '1e-05')
    """

    ml: str
    text: str
    shape: str = "atom"
    literal: bool = False  # a number written as digits (2x may drop its times sign)

    @staticmethod
    def name(name: str) -> Term:
        """A node or variable name: 'x1' and 'w.1' read x and w with subscript 1, 'x_i' x
        with subscript i; other names are set as they are."""
        match = re.fullmatch(r"([A-Za-z]+)[_.]?(\d+|[a-z])", name)
        if match and (match.group(2).isdigit() or "_" in name):
            letters, index = match.groups()
            tag = "mn" if index.isdigit() else "mi"
            return Term(f"<msub>{_mi(letters)}<{tag}>{index}</{tag}></msub>", name)
        return Term(_mi(name), name)

    @staticmethod
    def number(text: str) -> Term:
        """A number as written by a number format ('0.7071', '-3', '1e-05', 'nan')."""
        negative = text.startswith("-")
        body = text[1:] if negative else text
        mantissa, e, exponent = body.partition("e")
        if e and exponent:
            power = exponent.lstrip("+")
            power = (MINUS + power.lstrip("-").lstrip("0")) if power.startswith("-") else (
                power.lstrip("0") or "0")
            ml = (f"<mn>{html.escape(mantissa)}</mn><mo>×</mo>"
                  f"<msup><mn>10</mn><mn>{html.escape(power)}</mn></msup>")
            shape = "prod"
        else:
            shown = {"inf": "∞", "nan": "NaN"}.get(body, body)
            ml, shape = f"<mn>{html.escape(shown)}</mn>", "atom"
        if negative:
            if shape == "atom":  # the sign inside the number: -1.397, set tight
                return Term(f"<mn>{MINUS}{ml[4:-5]}</mn>", text, "neg")
            return Term(f"<mo form=\"prefix\">{MINUS}</mo>{ml}", text, "neg")
        return Term(ml, text, shape, literal=shape == "atom")

    def wrapped(self) -> Term:
        """The term in parentheses."""
        return Term(f"<mrow><mo>(</mo>{self.ml}<mo>)</mo></mrow>", f"({self.text})")


def _mi(name: str) -> str:
    return f"<mi>{html.escape(name)}</mi>"


def _literal(text: str) -> Term:
    value = float(text)
    shown = f"{value:.6g}" if len(text) > 8 else text
    return Term(f"<mn>{shown}</mn>", shown, literal=True)


def write(tree: Tree, env: Mapping[str, Term] | None = None) -> Term:
    """The formula written out, names replaced by the terms of `env`.

    >>> write(parse("y * x**(y - 1)"), {"x": Term.number("-2"), "y": Term.number("3")}).text
    '3 * (-2)^(3 - 1)'
    """
    env = env or {}
    results: list[Term] = []
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        kind = node[0]
        if kind == "num":
            results.append(_literal(node[1]))
        elif kind == "var":
            results.append(env.get(node[1]) or Term.name(node[1]))
        elif not ready:
            stack.append((node, True))
            children = node[2] if kind == "call" else node[1:]
            stack.extend((child, False) for child in reversed(children))
        elif kind == "call":
            count = len(node[2])
            args = results[len(results) - count:]
            del results[len(results) - count:]
            results.append(call(node[1], args))
        elif kind == "neg":
            results.append(negate(results.pop()))
        else:
            b, a = results.pop(), results.pop()
            results.append(binary(kind, a, b))
    return results[0]


def negate(a: Term) -> Term:
    """-a, with parentheses where they are needed.

    >>> negate(binary("add", Term.name("x"), Term.name("y"))).text
    '-(x + y)'
    """
    if a.shape in ("sum", "neg"):
        a = a.wrapped()
    text = f"-({a.text})" if a.shape in ("frac", "prod") else f"-{a.text}"
    return Term(f'<mo form="prefix">{MINUS}</mo>{a.ml}', text, "neg")


def binary(kind: str, a: Term, b: Term) -> Term:
    """a + b, a - b, a * b, a / b or a ** b, with parentheses where they are needed.

    >>> binary("sub", Term.name("x"), binary("add", Term.name("y"), Term.number("1"))).text
    'x - (y + 1)'
    """
    if kind in ("add", "sub"):
        if b.shape == "neg" or (kind == "sub" and b.shape == "sum"):
            b = b.wrapped()
        sign = "+" if kind == "add" else MINUS
        return Term(f"{a.ml}<mo>{sign}</mo>{b.ml}", f"{a.text} {'+' if kind == 'add' else '-'} "
                    f"{b.text}", "sum")
    if kind == "mul":
        if a.shape in ("sum", "neg"):
            a = a.wrapped()
        if b.shape in ("sum", "neg"):
            b = b.wrapped()
        implicit = a.literal and not b.literal and b.text[:1].isalpha() and b.shape != "frac"
        sign = INVISIBLE_TIMES if implicit else TIMES
        return Term(f"{a.ml}<mo>{sign}</mo>{b.ml}", f"{a.text} * {b.text}", "prod")
    if kind == "div":
        top = a.wrapped() if a.shape == "sum" else a
        bottom = b.wrapped() if b.shape in ("sum", "prod", "frac", "neg", "pow") else b
        return Term(f"<mfrac><mrow>{a.ml}</mrow><mrow>{b.ml}</mrow></mfrac>",
                    f"{top.text} / {bottom.text}", "frac")
    if kind == "pow":
        if a.shape not in ("atom", "call"):
            a = a.wrapped()
        exponent = b.text if b.shape == "atom" else f"({b.text})"
        return Term(f"<msup><mrow>{a.ml}</mrow><mrow>{b.ml}</mrow></msup>",
                    f"{a.text}^{exponent}", "pow")
    raise FormulaError(f"formula: unknown operator {kind!r}")


_FUNCTION_NAMES = {"sigmoid": "σ"}


def call(name: str, args: list[Term]) -> Term:
    """f(args) as a textbook writes it: √x, e^x, |x|, σ(x), [x > 0], [x ≥ y], cos(x).

    >>> call("step", [Term.name("x")]).text, call("exp", [Term.name("x")]).text
    ('[x > 0]', 'exp(x)')
    """
    text = f"{name}({', '.join(a.text for a in args)})"
    if name == "sqrt" and len(args) == 1:
        return Term(f"<msqrt>{args[0].ml}</msqrt>", text, "atom")
    if name == "exp" and len(args) == 1:
        return Term(f"<msup><mi>e</mi><mrow>{args[0].ml}</mrow></msup>", text, "pow")
    if name == "abs" and len(args) == 1:
        return Term(f"<mrow><mo>|</mo>{args[0].ml}<mo>|</mo></mrow>", f"|{args[0].text}|",
                    "atom")
    if name == "step" and len(args) == 1:
        return Term(f"<mrow><mo>[</mo>{args[0].ml}<mo>&gt;</mo><mn>0</mn><mo>]</mo></mrow>",
                    f"[{args[0].text} > 0]", "atom")
    if name == "greater_equal" and len(args) == 2:
        return Term(f"<mrow><mo>[</mo>{args[0].ml}<mo>≥</mo>{args[1].ml}<mo>]</mo></mrow>",
                    f"[{args[0].text} >= {args[1].text}]", "atom")
    inner = "<mo>,</mo>".join(a.ml for a in args)
    shown = _FUNCTION_NAMES.get(name, name)
    return Term(f"{_mi(shown)}<mo>{APPLY}</mo><mrow><mo>(</mo>{inner}<mo>)</mo></mrow>",
                text, "call")


def to_mathml(tree: Tree, env: Mapping[str, Term] | None = None) -> str:
    """The formula as MathML content (to go inside a <math> element).

    >>> to_mathml(parse("-out / y"))
    '<mfrac><mrow><mo form="prefix">−</mo><mi>out</mi></mrow><mrow><mi>y</mi></mrow></mfrac>'
    """
    return write(tree, env).ml


def to_text(tree: Tree, env: Mapping[str, Term] | None = None) -> str:
    """The formula as plain text, names replaced by `env`.

    >>> to_text(parse("out * (1 - out)"), {"out": Term.number("0.25")})
    '0.25 * (1 - 0.25)'
    """
    return write(tree, env).text


def math_block(ml: str, text: str, *, display: bool = False) -> str:
    """A complete <math> element whose plain-text form travels as its annotation.

    >>> print(math_block("<mi>x</mi>", "x"))  # doctest: +NORMALIZE_WHITESPACE
    <math displaystyle="true"><semantics><mrow><mi>x</mi></mrow><annotation
    encoding="text/plain">x</annotation></semantics></math>
    """
    mode = ' display="block"' if display else ""
    return (f'<math{mode} displaystyle="true"><semantics><mrow>{ml}</mrow>'
            f'<annotation encoding="text/plain">{html.escape(text, quote=False)}</annotation>'
            "</semantics></math>")
