"""A small, safe expression language for the command line: `tanh(x*w + b)`.

Numbers, variable names, `+ - * / **`, unary minus, parentheses and calls to a fixed list
of this library's functions; nothing else. A hand-written tokenizer and recursive-descent
parser turn the text into a postfix program, which a stack machine evaluates on Values.
Python's own evaluator is never involved, and no input can reach attributes, imports or
builtins. Nesting depth, text length, number size and exponents are bounded, and every
problem is an `ExpressionError` with a one-line message.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> evaluate("3 * x ** 2 - 1", {"x": x}).data
11.0
>>> parse("tanh(x*w + b)").names
('x', 'w', 'b')
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd.engine import OPS, Value, gelu, leaky_relu, silu, square

__all__ = ["FUNCTIONS", "Expression", "ExpressionError", "evaluate", "parse", "tokenize"]

MAX_LENGTH = 100_000  # characters
MAX_DEPTH = 80  # nested parentheses, unary signs and powers
MAX_EXPONENT = 1024.0  # |n| in x ** n for a plain number n

class _Functions(Mapping[str, tuple[Callable[..., Any], int, int]]):
    """The functions an expression may call: name -> (function, fewest operands, most).

    Read from the op table each time (so an op declared later is callable too): every
    primitive of one or two operands under its canonical name, leaky_relu with an optional
    slope, and the compositions square, gelu and silu; `max` and `min` stay as the short
    names of maximum and minimum. Operators (`+ - * / **`) are written as operators.

    >>> FUNCTIONS["tanh"][1:], FUNCTIONS["max"][0] is FUNCTIONS["maximum"][0]
    ((1, 1), True)
    """

    _COMPOSED: dict[str, tuple[Callable[..., Any], int, int]] = {
        "square": (square, 1, 1), "gelu": (gelu, 1, 1), "silu": (silu, 1, 1),
        "leaky_relu": (leaky_relu, 1, 2)}
    _SHORT = {"max": "maximum", "min": "minimum"}
    _OPERATORS = ("add", "sub", "mul", "div", "neg")

    def _table(self) -> dict[str, tuple[Callable[..., Any], int, int]]:
        table = {name: (op, op.arity, op.arity) for name, op in OPS.items()
                 if op.arity in (1, 2) and op.family is None and name not in self._OPERATORS}
        table.update(self._COMPOSED)
        table.update({short: table[long] for short, long in self._SHORT.items()})
        return table

    def __getitem__(self, name: str) -> tuple[Callable[..., Any], int, int]:
        return self._table()[name]

    def __iter__(self) -> Any:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


FUNCTIONS = _Functions()

_BRACKETS = "[]{}"
_QUOTES = "'\""


class ExpressionError(ValueError):
    """An expression that is broken or not allowed; the message is a single line.

    >>> isinstance(ExpressionError("x"), ValueError)
    True
    """


@dataclass(frozen=True)
class Token:
    """One token: kind is 'number', 'name', 'op' (+ - * / **), '(', ')', ',' or 'end'.

    >>> tokenize("1.5")[0]
    Token(kind='number', text='1.5', column=1, value=1.5)
    """

    kind: str
    text: str
    column: int  # 1-based
    value: float = 0.0


def _unexpected_character(text: str, i: int) -> ExpressionError:
    char = text[i]
    where = f"column {i + 1}"
    if char == ".":
        return ExpressionError(f"unexpected '.' at {where}: attribute access is not allowed")
    if char in _QUOTES:
        return ExpressionError(f"unexpected {char} at {where}: strings are not allowed")
    if char in _BRACKETS:
        return ExpressionError(
            f"unexpected {char!r} at {where}: lists, dicts and comprehensions are not allowed"
        )
    return ExpressionError(f"unexpected character {char!r} at {where}")


def _number(text: str, i: int) -> tuple[Token, int]:
    start = i
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            while j < n and text[j].isdigit():
                j += 1
            i = j
    literal = text[start:i]
    if literal == ".":
        raise _unexpected_character(text, start)
    if i < n and (text[i].isalnum() or text[i] in "._"):
        raise ExpressionError(f"malformed number {text[start:i + 1]!r} at column {start + 1}")
    value = float(literal)
    if not math.isfinite(value):
        raise ExpressionError(f"number {literal[:20]!r} at column {start + 1} is too large")
    return Token("number", literal, start + 1, value), i


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens, ending with an 'end' token.

    >>> [t.text for t in tokenize("2*x**-1.5e3")]
    ['2', '*', 'x', '**', '-', '1.5e3', '']
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression too long ({len(text)} characters; at most {MAX_LENGTH})")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t":
            i += 1
        elif char.isascii() and (char.isdigit() or (char == "." and i + 1 < n
                                                    and text[i + 1].isdigit())):
            token, i = _number(text, i)
            tokens.append(token)
        elif char.isascii() and (char.isalpha() or char == "_"):
            start = i
            while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(Token("name", text[start:i], start + 1))
        elif text.startswith("**", i):
            tokens.append(Token("op", "**", i + 1))
            i += 2
        elif char in "+-*/":
            tokens.append(Token("op", char, i + 1))
            i += 1
        elif char in "(),":
            tokens.append(Token(char, char, i + 1))
            i += 1
        else:
            raise _unexpected_character(text, i)
    tokens.append(Token("end", "", n + 1))
    return tokens


# A postfix program: ("push", number) | ("load", name) | ("neg",) | (op,) | ("call", name, n).
Instruction = tuple[Any, ...]


class _Parser:
    """Recursive descent over the grammar

    expression := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := ('-' | '+') unary | power
    power      := primary ('**' unary)?
    primary    := number | name | name '(' arguments ')' | '(' expression ')'

    which gives Python's precedence: `-x**2` is -(x**2) and `2**-1` is 0.5.
    """

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.position = 0
        self.depth = 0
        self.program: list[Instruction] = []
        self.names: list[str] = []

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, kind: str, opening: Token) -> None:
        if self.token.kind != kind:
            raise ExpressionError(
                f"'{opening.text}' at column {opening.column} is never closed "
                f"(found {self.describe(self.token)} at column {self.token.column})"
            )
        self.advance()

    @staticmethod
    def describe(token: Token) -> str:
        if token.kind == "end":
            return "the end"
        return f"{token.kind} {token.text!r}" if token.kind in ("name", "number") else (
            repr(token.text))

    def parse(self) -> None:
        if self.token.kind == "end":
            raise ExpressionError("empty expression")
        self.expression()
        if self.token.kind != "end":
            token = self.token
            if token.kind == ")":
                raise ExpressionError(f"unbalanced ')' at column {token.column}")
            raise ExpressionError(f"unexpected {self.describe(token)} at column {token.column}")

    def expression(self) -> None:
        self.term()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.advance().text
            self.term()
            self.program.append((op,))

    def term(self) -> None:
        self.unary()
        while self.token.kind == "op" and self.token.text in ("*", "/"):
            op = self.advance().text
            self.unary()
            self.program.append((op,))

    def unary(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression nested too deeply (more than {MAX_DEPTH} levels) "
                f"at column {self.token.column}"
            )
        if self.token.kind == "op" and self.token.text in "+-":
            sign = self.advance().text
            self.unary()
            if sign == "-":
                self.program.append(("neg",))
        else:
            self.power()
        self.depth -= 1

    def power(self) -> None:
        self.primary()
        if self.token.kind == "op" and self.token.text == "**":
            self.advance()
            self.unary()
            self.program.append(("**",))

    def primary(self) -> None:
        token = self.advance()
        if token.kind == "number":
            self.program.append(("push", token.value))
        elif token.kind == "name":
            self.name(token)
        elif token.kind == "(":
            self.expression()
            self.expect(")", token)
        elif token.kind == "end":
            raise ExpressionError("the expression ends too early: an operand is missing")
        elif token.kind == ")":
            raise ExpressionError(f"unexpected ')' at column {token.column}")
        else:
            raise ExpressionError(
                f"unexpected {self.describe(token)} at column {token.column}: "
                "an operand is missing"
            )

    def name(self, token: Token) -> None:
        name = token.text
        if "__" in name:
            raise ExpressionError(f"name {name!r} at column {token.column} is not allowed")
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise ExpressionError(
                f"{name!r} at column {token.column} is not allowed: only numbers, names, "
                "+ - * / **, parentheses and function calls"
            )
        if self.token.kind == "(":
            self.call(token)
            return
        if name in FUNCTIONS:
            raise ExpressionError(
                f"{name!r} at column {token.column} is a function: call it as {name}(...)"
            )
        if name not in self.names:
            self.names.append(name)
        self.program.append(("load", name))

    def call(self, token: Token) -> None:
        name = token.text
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name!r} at column {token.column}; known: "
                + ", ".join(sorted(FUNCTIONS))
            )
        opening = self.advance()
        self.depth += 1
        count = 0
        if self.token.kind != ")":
            self.expression()
            count = 1
            while self.token.kind == ",":
                self.advance()
                self.expression()
                count += 1
        self.expect(")", opening)
        self.depth -= 1
        _, fewest, most = FUNCTIONS[name]
        if not fewest <= count <= most:
            wanted = str(fewest) if fewest == most else f"{fewest} or {most}"
            raise ExpressionError(
                f"{name}() at column {token.column} takes {wanted} argument(s), got {count}"
            )
        self.program.append(("call", name, count))


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its text, its postfix program and the variables it reads."""

    text: str
    program: tuple[Instruction, ...]
    names: tuple[str, ...]

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        """The value of the expression with these variables (Values or numbers).

        >>> parse("max(a, 2) / 4").evaluate({"a": 6.0})
        1.5
        """
        missing = [name for name in self.names if name not in variables]
        if missing:
            raise ExpressionError(f"no value given for {', '.join(map(repr, missing))}")
        stack: list[Any] = []
        for instruction in self.program:
            kind = instruction[0]
            if kind == "push":
                stack.append(instruction[1])
            elif kind == "load":
                stack.append(variables[instruction[1]])
            elif kind == "neg":
                stack.append(-stack.pop())
            elif kind == "call":
                _, name, count = instruction
                arguments = stack[len(stack) - count:]
                del stack[len(stack) - count:]
                stack.append(_call(name, arguments))
            else:
                right = stack.pop()
                left = stack.pop()
                stack.append(_binary(kind, left, right))
        (result,) = stack
        return result


def _call(name: str, arguments: list[Any]) -> Any:
    function = FUNCTIONS[name][0]
    if name == "leaky_relu" and len(arguments) == 2 and isinstance(arguments[1], Value):
        raise ExpressionError("leaky_relu: the slope must be a plain number")
    return function(*arguments)


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        if not isinstance(left, Value) and not isinstance(right, Value) and right == 0.0:
            raise ZeroDivisionError(f"/: division by zero ({left!r} / {right!r})")
        return left / right
    # op == "**"
    if not isinstance(right, Value) and abs(right) > MAX_EXPONENT:
        raise ExpressionError(f"exponent {right:g} is too large (at most {MAX_EXPONENT:g} in size)")
    if not isinstance(left, Value) and not isinstance(right, Value):
        try:
            result = left ** right
        except OverflowError:
            raise OverflowError(f"{left!r} ** {right!r}: overflow, the result is too large "
                                "for a float") from None
        except ZeroDivisionError:
            raise ZeroDivisionError(f"{left!r} ** {right!r}: 0.0 cannot be raised to a "
                                    "negative power") from None
        if isinstance(result, complex):
            raise ValueError(f"{left!r} ** {right!r}: a negative number to a fractional power "
                             "has no real value")
        return result
    return left ** right


def parse(text: str) -> Expression:
    """Parse `text` into an `Expression`; ExpressionError if it is broken or not allowed.

    >>> parse("x.__class__")
    Traceback (most recent call last):
    ...
    autograd.cli.expression.ExpressionError: unexpected '.' at column 2: attribute access is ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected the expression as text, got {type(text).__name__}")
    parser = _Parser(text)
    parser.parse()
    return Expression(text, tuple(parser.program), tuple(parser.names))


def evaluate(text: str, variables: Mapping[str, Any]) -> Any:
    """Parse and evaluate `text` with these variables.

    >>> evaluate("-2 ** 2 + 2 ** -1", {})
    -3.5
    """
    return parse(text).evaluate(variables)
