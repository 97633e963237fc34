"""How compiled code writes each op: read from the op table, and checked against it.

Every primitive of the table (`autograd.engine.OPS`) says how it is written: `spelling` holds
a template for floats and one for numpy arrays ({0}, {1} for the operands, {p} for a family's
parameter), `infix` and `symbol` mark the operators (`x * y`), and `family`/`parameter` name
the ops made by a factory (`power(n)`, `leaky_relu(slope)`). This module turns those into
source text with no more parentheses than Python needs, and rewrites a few forms exactly
(`1.0 * x` is `x`, `x + -y` is `x - y`, `-(-a / b)` is `a / b`, `x ** 2` of a small number is
`x * x`).

A template is used only where it computes what the op's own float function computes: each is
run once at the edges (zero, the ends of the op's domain, huge numbers, infinities, nan) and
compared with `op.forward`, both on the numbers and on where it fails. A template that
disagrees is replaced by a call to the op's float function (`_sin(x)`: `math.sin` refuses
infinity, where the engine gives nan); in numpy code, by the template behind a check of the
op's domain (`np.power` takes a negative base silently), or by the float function sample by
sample. So compiled code fails exactly where the engine fails, and nowhere else.

>>> from autograd import _optional, engine
>>> x, y = Expr("x"), Expr("y")
>>> spell(engine.mul, [spell(engine.neg, [x]), y]).text
'-x * y'
>>> spell(engine.add, [x, spell(engine.neg, [y])]).text
'x - y'
>>> spell(engine.power(3.0), [spell(engine.add, [x, y])]).text
'(x + y) ** 3'
>>> spell(engine.tanh, [x]).text, spell(engine.sin, [x]).text
('math.tanh(x)', '_sin(x)')
"""

from __future__ import annotations

import ast
import builtins
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import _optional, engine
from autograd.engine import Domain, Primitive

__all__ = [
    "ADD",
    "ATOM",
    "COND",
    "MUL",
    "NEG",
    "POW",
    "Expr",
    "Spelling",
    "array_namespace",
    "calling",
    "elementwise",
    "float_namespace",
    "function_of",
    "literal",
    "numpy",
    "small_result",
    "spell",
    "spell_dot",
    "spell_sum",
    "spelling_of",
]

# How tightly an expression binds, loosest first (Python's own order).
COND, ADD, MUL, NEG, POW, ATOM = range(6)

_INFIX_LEVELS = {"+": ADD, "-": ADD, "*": MUL, "/": MUL, "//": MUL, "%": MUL, "@": MUL,
                 "**": POW}

SUM = engine.OPS["sum"]
DOT = engine.OPS["dot"]

# Ops whose every result is at most about 1e16 in size, so that its square cannot overflow:
# there `x ** 2` is written `x * x` (exact, and faster). Elsewhere `x ** 2` stays, since the
# engine's power raises OverflowError where a product would silently give inf.
_SMALL_RESULTS = frozenset({
    engine.tanh, engine.sigmoid, engine.sin, engine.cos, engine.tan, engine.atan, engine.erf,
    engine.step, engine.sign, engine.greater_equal, engine.asin, engine.acos})


@dataclass(frozen=True)
class Expr:
    """Source text of a value, how tightly it binds, and, when it is cheap, its negation.

    `negation` is the same number negated, written without a leading minus (`a / b` for
    `-a / b`); `small` says the value is known to be at most about 1e16 in size.

    >>> Expr("a * b", MUL).wrapped(NEG), Expr("a", ATOM).negated().text
    ('(a * b)', '-a')
    """

    text: str
    level: int = ATOM
    negation: Expr | None = field(default=None, compare=False, repr=False)
    small: bool = field(default=False, compare=False, repr=False)

    def wrapped(self, level: int) -> str:
        """The text, in parentheses unless it binds at least as tightly as `level`."""
        return self.text if self.level >= level else f"({self.text})"

    def negated(self) -> Expr:
        """-self, written as simply as exact arithmetic allows."""
        if self.negation is not None:
            return self.negation
        number = _number(self.text)
        if number is not None:
            return literal(-number)
        return Expr(f"-{self.wrapped(NEG)}", NEG, negation=self, small=self.small)

    @property
    def cheaply_negated(self) -> bool:
        """Whether `negated()` is no longer than the text itself."""
        return self.negation is not None or _number(self.text) is not None

    @property
    def minus(self) -> bool:
        """Whether the text starts with a minus that `negated()` drops."""
        return self.text.startswith("-") and self.cheaply_negated


def literal(x: float) -> Expr:
    """A float as source: `2.0`, `-0.5` (binding as a negation), `math.inf`, `math.nan`.

    >>> literal(-0.5), literal(math.inf).text
    (Expr(text='-0.5', level=3), 'math.inf')
    """
    if math.isnan(x):
        return Expr("math.nan")
    if math.isinf(x):
        return Expr("math.inf") if x > 0 else Expr("-math.inf", NEG, negation=Expr("math.inf"))
    text = repr(float(x))
    return Expr(text, NEG if math.copysign(1.0, x) < 0 else ATOM, small=abs(x) <= 1e16)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------
# Spellings: how one op is written.
# ----------------------------------------------------------------------------------------------

Write = Callable[[Sequence[Expr], str], Expr]  # (operands, helper's name) -> source


@dataclass(frozen=True)
class Spelling:
    """How one op is written in one kind of code (floats or numpy arrays).

    `write(args, helper)` gives the source; `helper` is the name the writer gave to the
    function this spelling calls (`function`, if any), chosen so that names never clash.
    `uses[i]` counts how often operand i appears in the text (an operand written twice is
    held in a variable first); `names` are the fixed names the text reads (`math`, `np`,
    `_sigmoid`), with what they stand for.

    >>> from autograd import engine
    >>> s = spelling_of(engine.maximum)
    >>> s.write([Expr("x"), Expr("y")], "").text, s.uses
    ('x if x >= y else y', (2, 2))
    """

    write: Write
    uses: tuple[int, ...] = ()
    names: Mapping[str, Any] = field(default_factory=dict)
    function: Callable[..., Any] | None = None  # called under a name the writer chooses
    stem: str = ""  # what that name starts with


def spell(op: Primitive, args: Sequence[Expr], array: bool = False) -> Expr:
    """Source for `op` applied to operands written `args` (in numpy code if `array`).

    >>> from autograd import engine
    >>> spell(engine.div, [Expr("x"), Expr("y")]).text
    'x / y'
    """
    spelling = spelling_of(op, array)
    if spelling is None:
        raise ValueError(f"{op.name}: no spelling; the writer calls its float function")
    return spelling.write(args, spelling.stem)


def elementwise(op: Primitive | None) -> bool:
    """Whether `op` acts on each number alone (so on matrices, entry by entry).

    >>> from autograd import engine
    >>> elementwise(engine.tanh), elementwise(engine.OPS["dot"])
    (True, False)
    """
    return op is not None and op.arity in (1, 2) and (op.family in _FAMILIES or _in_table(op))


def _in_table(op: Primitive) -> bool:
    return engine.OPS.get(op.name) is op


_FAMILIES = frozenset(op.family for op in engine.OPS.values() if op.family)  # power(n), ...


@functools.lru_cache(maxsize=1024)
def spelling_of(op: Primitive, array: bool = False) -> Spelling | None:
    """How `op` is written in float code (or numpy code), checked against its float function;
    None for ops the writer calls by a name of its own (sum and dot have `spell_sum`,
    `spell_dot`; ops from outside the table have no template to trust).

    >>> from autograd import engine
    >>> spelling_of(engine.pow).function is engine.pow.forward  # math.pow(-3, 2) would be 9
    True
    """
    if op is SUM or op is DOT or op.arity not in (1, 2):
        return None
    if op.family not in _FAMILIES and not _in_table(op):
        return None
    stem = "_" + (op.family or op.name)
    candidates = [c for c in _candidates(op, array) if c is not None]
    for candidate in candidates:
        if _faithful(op, candidate, array):
            return candidate
    # the op's own float function (in numpy code, sample by sample)
    function = function_of(op, array)
    return Spelling(_call_helper, (1,) * max(op.arity, 1), {}, function, stem)


def _candidates(op: Primitive, array: bool) -> list[Spelling | None]:
    """The ways to write `op`, best first; the first that agrees with the op is used."""
    if op.family == "power":
        plain = [_power_spelling(op), _template(op, array)]
    elif op.infix:
        plain = [_infix(op)]
    elif op is engine.neg:
        plain = [Spelling(lambda args, _: args[0].negated(), (1,))]
    else:
        plain = [_template(op, array)]
    if array:  # numpy: the template behind a domain check, or with its non-finite repaired
        plain += [_guarded(op, True, False), _guarded(op, False, True), _guarded(op, True, True)]
    return plain


def _call_helper(args: Sequence[Expr], helper: str) -> Expr:
    return Expr(f"{helper}({', '.join(a.text for a in args)})")


def calling(op: Primitive, array: bool = False) -> Spelling:
    """The spelling that calls the op's float function (`function_of`) by a name starting
    with `op_`: for ops from outside the table, whose text compiled code cannot know.

    >>> from autograd import engine
    >>> s = calling(engine.primitive(lambda x: 2.0 * x, name="twice")(lambda x: x * x))
    >>> s.write([Expr("x")], "op_twice").text, s.stem
    ('op_twice(x)', 'op_twice')
    """
    stem = "op_" + (re.sub(r"\W+", "_", op.name).strip("_") or "f")
    return Spelling(_call_helper, (), {}, function_of(op, array), stem)


# -- operators -----------------------------------------------------------------------------------


def _infix(op: Primitive) -> Spelling:
    symbol = op.symbol
    level = _INFIX_LEVELS[symbol]

    def plain(left: Expr, right: Expr) -> str:
        # The right operand binds tighter: x - (y - z) keeps its parentheses, and so does
        # x + (y + z), since floating-point addition is not associative.
        return f"{left.wrapped(level)} {symbol} {right.wrapped(level + 1)}"

    def write(args: Sequence[Expr], _: str) -> Expr:
        left, right = args
        if op is engine.mul:
            for mine, other in ((left, right), (right, left)):
                if mine.text == "1.0":  # 1 x = x, exactly
                    return other
                if mine.text == "-1.0":  # -1 x = -x, exactly
                    return other.negated()
        if op is engine.add:  # x + (-y) = x - y and (-x) + y = y - x, exactly
            if right.minus:
                return _difference(left, right.negated(), engine.sub)
            if left.minus:
                return _difference(right, left.negated(), engine.sub)
        if op is engine.sub and right.minus:
            return _difference(left, right.negated(), engine.add)  # x - (-y) = x + y
        negation = None
        if level == MUL:  # -(a b) = (-a) b and -(a / b) = (-a) / b, exactly
            if left.cheaply_negated:
                negation = Expr(plain(left.negated(), right), MUL)
            elif op is engine.mul and right.cheaply_negated:
                negation = Expr(plain(left, right.negated()), MUL)
        return Expr(plain(left, right), level, negation=negation)

    return Spelling(write, (1, 1))


def _difference(left: Expr, right: Expr, op: Primitive) -> Expr:
    symbol = op.symbol
    return Expr(f"{left.wrapped(ADD)} {symbol} {right.wrapped(MUL)}", ADD)


# -- power(n) ------------------------------------------------------------------------------------


def _power_spelling(op: Primitive) -> Spelling | None:
    n = op.parameter
    if n is None or n != int(n) or abs(n) > 64:
        return None  # a fractional power: the table's template (math.pow, np.power)
    k = int(n)

    def write(args: Sequence[Expr], _: str) -> Expr:
        (x,) = args
        if k == 2 and x.small and _NAME.match(x.text):  # cannot overflow: exact, and faster
            return Expr(f"{x.text} * {x.text}", MUL)
        return Expr(f"{x.wrapped(ATOM)} ** {k}", POW)

    return Spelling(write, (1,))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?\Z")  # a variable, or a row of one


# -- the table's templates -----------------------------------------------------------------------


def _template(op: Primitive, array: bool) -> Spelling | None:
    if op.spelling is None:
        return None
    text = op.spelling[1 if array else 0].replace("{p}", repr(op.parameter))
    try:
        shape = _template_shape(text, max(op.arity, 1))
    except SyntaxError:
        return None
    level, bare, uses = shape
    names = _template_names(text, op, array)
    if names is None:
        return None

    def write(args: Sequence[Expr], _: str) -> Expr:
        parts = [a.text if bare else a.wrapped(ATOM) for a in args]
        return Expr(text.format(*parts), level)

    return Spelling(write, uses, names)


@functools.lru_cache(maxsize=1024)
def _template_shape(text: str, arity: int) -> tuple[int, bool, tuple[int, ...]]:
    """How tightly the template binds, whether its operands sit bare as call arguments (no
    parentheses needed), and how often each appears."""
    marks = [f"__operand{i}__" for i in range(arity)]
    tree = ast.parse(text.format(*marks), mode="eval").body
    level = {ast.IfExp: COND, ast.Compare: COND, ast.BoolOp: COND, ast.UnaryOp: NEG,
             ast.BinOp: ADD}.get(type(tree), ATOM)
    if isinstance(tree, ast.BinOp):
        level = POW if isinstance(tree.op, ast.Pow) else \
            ADD if isinstance(tree.op, (ast.Add, ast.Sub)) else MUL
    if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.Not):
        level = COND
    bare = True
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            continue
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Name) and child.id in marks:
                bare = False  # an operand inside an operator: keep its parentheses
    if isinstance(tree, ast.Name):
        bare = True
    uses = tuple(text.format(*marks).count(mark) for mark in marks)
    return level, bare, uses


def _template_names(text: str, op: Primitive, array: bool) -> dict[str, Any] | None:
    """What the names a template reads stand for, or None if one is unknown."""
    names: dict[str, Any] = {}
    tree = ast.parse(text.format(*["_" * (i + 1) for i in range(max(op.arity, 1))]),
                     mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Name) or set(node.id) == {"_"}:
            continue
        name = node.id
        if name == "math":
            names[name] = math
        elif name == "np" and array:
            names[name] = numpy()
        elif name == "_" + op.name and not array:
            names[name] = op.forward  # the table's own float function (`_sigmoid`, `_sign`)
        elif array and name in _ARRAY_FUNCTIONS:
            names[name] = _ARRAY_FUNCTIONS[name]()
        elif hasattr(builtins, name):
            continue
        else:
            return None
    return names


def _guarded(op: Primitive, guard: bool, repair: bool) -> Spelling | None:
    """The numpy template behind a check of the op's domain (`guard`); with `repair`, the
    op's float function decides every entry the template leaves infinite or nan (`inf / 0`
    is inf to numpy, an error to the engine), so only those entries pay for it."""
    template = _template(op, True)
    domains = op.domain if guard else ()
    if template is None or (guard and not op.domain):
        return None
    compute = _compiled(template, max(op.arity, 1), True)
    forward = op.forward
    np = numpy()

    def checked(*xs: Any) -> Any:
        for x, domain in zip(xs, domains or ()):
            if np.any(_outside(x, domain)):
                raise FloatingPointError(f"{op.name}: an operand outside its domain")
        out = compute(*xs)
        if repair:
            bad = ~np.isfinite(out)
            if np.any(bad):
                out = np.array(np.broadcast_to(out, np.broadcast(*xs, out).shape), dtype=float)
                bad = ~np.isfinite(out)
                operands = [np.broadcast_to(x, out.shape)[bad].tolist() for x in xs]
                out[bad] = [forward(*point) for point in zip(*operands)]
        return out

    return Spelling(_call_helper, (1,) * max(op.arity, 1), {}, checked, "_" + op.name)


def _outside(x: Any, domain: Domain) -> Any:
    # comparisons with nan are false: nan is never outside (the engine passes it on)
    below = x <= domain.low if domain.low_open else x < domain.low
    above = x >= domain.high if domain.high_open else x > domain.high
    return below | above


def function_of(op: Primitive, array: bool = False) -> Callable[..., Any]:
    """The op's float function, for compiled code that calls it by name; for numpy arrays,
    its `array_forward` if it has one, else the float function sample by sample.

    >>> from autograd import engine
    >>> function_of(engine.sin) is engine.sin.forward
    True
    """
    if not array:
        return op.forward
    function = getattr(op, "array_forward", None)
    if function is not None:
        return function
    return numpy().vectorize(op.forward, otypes=[float])


# ----------------------------------------------------------------------------------------------
# Checking a spelling against the op's float function.
# ----------------------------------------------------------------------------------------------

_EDGES = (0.0, -0.0, 5e-324, 0.25, -0.25, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0,
          10.0, -10.0, 30.0, -30.0, 700.0, -700.0, 750.0, -750.0, 1e20, -1e20, 1e160, -1e160,
          1e300, -1e300, math.inf, -math.inf, math.nan)
_PAIR_EDGES = (0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, -30.0, 1e160, -1e160,
               math.inf, -math.inf, math.nan)


def _points(op: Primitive) -> list[tuple[float, ...]]:
    arity = max(op.arity, 1)
    edges: list[list[float]] = []
    for k in range(arity):
        extra: list[float] = []
        domain = op.domain[k] if op.domain else None
        if domain is not None:
            for end in (domain.low, domain.high):
                if math.isfinite(end):
                    extra += [end, math.nextafter(end, -math.inf), math.nextafter(end, math.inf),
                              end - 1.0, end + 1.0]
        edges.append(extra)
    if arity == 1:
        return [(x,) for x in (*_EDGES, *edges[0])]
    return [(x, y) for x in (*_PAIR_EDGES, *edges[0]) for y in (*_PAIR_EDGES, *edges[1])]


def _compiled(spelling: Spelling, arity: int, array: bool) -> Callable[..., Any]:
    operands = [f"_{i}" for i in range(arity)]
    text = spelling.write([Expr(name) for name in operands], "_helper").text
    names: dict[str, Any] = {"__builtins__": builtins, **spelling.names}
    if spelling.function is not None:
        names["_helper"] = spelling.function
    return eval(f"lambda {', '.join(operands)}: {text}", names)


def _reference(op: Primitive, point: tuple[float, ...]) -> float | None:
    try:
        return float(op.forward(*point))
    except (ArithmeticError, ValueError):
        return None  # the engine raises here


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1e-300)


def _faithful(op: Primitive, spelling: Spelling, array: bool) -> bool:
    """Whether `spelling` gives the op's numbers and fails where (and only where) it fails."""
    try:
        compute = _compiled(spelling, max(op.arity, 1), array)
    except (SyntaxError, NameError):
        return False
    points = _points(op)
    expected = [_reference(op, p) for p in points]
    return (_faithful_in_arrays if array else _faithful_in_floats)(compute, points, expected)


def _faithful_in_floats(compute: Callable[..., Any], points: list[tuple[float, ...]],
                        expected: list[float | None]) -> bool:
    for point, want in zip(points, expected):
        try:
            got = float(compute(*point))
        except (ArithmeticError, ValueError):
            got = None
        except Exception:
            return False
        if (got is None) != (want is None) or (got is not None and not _same(got, want)):
            return False
    return True


def _faithful_in_arrays(compute: Callable[..., Any], points: list[tuple[float, ...]],
                        expected: list[float | None]) -> bool:
    np = numpy()
    try:
        valued = [(p, want) for p, want in zip(points, expected) if want is not None]
        with np.errstate(all="ignore"):  # the numbers, where the engine gives one
            columns = [np.array(c, dtype=float) for c in zip(*[p for p, _ in valued])]
            got = np.broadcast_to(np.asarray(compute(*columns), dtype=float), (len(valued),))
        for value, (_, want) in zip(got.tolist(), valued):
            if not _same(value, want):
                return False
        with np.errstate(all="raise", under="ignore"):  # failures, where the engine fails
            for point, want in zip(points, expected):
                if want is None:
                    try:
                        compute(*[np.array([x]) for x in point])
                    except (ArithmeticError, ValueError):
                        continue
                    return False
    except Exception:
        return False
    return True


# ----------------------------------------------------------------------------------------------
# The n-ary ops, and the names compiled code reads.
# ----------------------------------------------------------------------------------------------


def _product(w: Expr, x: Expr) -> str:
    if x.text == "1.0":  # w 1 = w, exactly (a bias on its constant input)
        return w.text
    return f"{w.wrapped(MUL)} * {x.wrapped(NEG)}"


def spell_sum(args: Sequence[Expr], array: bool = False) -> Expr:
    """The sum of many operands as one call: correctly rounded, as the engine adds.

    >>> spell_sum([Expr("a"), Expr("b")]).text
    '_sum(a, b)'
    """
    items = ", ".join(a.text for a in args)
    return Expr(f"_add_all(({items},))" if array else f"_sum({items})")


def spell_dot(args: Sequence[Expr], array: bool = False) -> Expr:
    """sum_i w_i x_i (+ b): operands w_1..w_n, x_1..x_n and an optional bias last.

    >>> spell_dot([Expr("w0"), Expr("w1"), Expr("x0"), Expr("1.0"), Expr("b")]).text
    '_sum(w0 * x0, w1, b)'
    """
    n = len(args) // 2
    bias = list(args[2 * n:])
    if array:
        ws = ", ".join(a.text for a in args[:n])
        xs = ", ".join(a.text for a in args[n:2 * n])
        extra = f", {bias[0].text}" if bias else ""
        return Expr(f"_dot(({ws},), ({xs},){extra})")
    terms = [_product(w, x) for w, x in zip(args[:n], args[n:2 * n])] + [b.text for b in bias]
    return Expr(f"_sum({', '.join(terms)})")


def float_namespace() -> dict[str, Any]:
    """The names every float program may read.

    >>> float_namespace()["_sum"](0.1, 0.2, -0.3)  # correctly rounded, as the engine's sum
    2.7755575615628914e-17
    """
    return {"math": math, "_sum": SUM.forward, "__builtins__": builtins}


def array_namespace() -> dict[str, Any]:
    """The names every numpy program may read (numpy as `np`, and the n-ary ops).

    >>> import numpy as np
    >>> array_namespace()["_dot"]((np.ones(2), 2.0), (3.0, np.arange(2.0)), 1.0).tolist()
    [4.0, 6.0]
    """
    np = numpy()

    def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Any:
        total = functools.reduce(operator.add, map(operator.mul, ws, xs))
        return total if bias is None else total + bias

    return {"math": math, "np": np, "__builtins__": builtins, "_dot": dot,
            "_add_all": lambda xs: functools.reduce(operator.add, xs)}


def _sigmoid_array() -> Callable[[Any], Any]:
    np = numpy()
    # 1 / (1 + e^-x) = e^-log(1 + e^-x): stable at both ends
    return lambda x: np.exp(-np.logaddexp(0.0, -x))


def _softplus_array() -> Callable[[Any], Any]:
    np = numpy()
    return lambda x: np.logaddexp(0.0, x)


def _erf_array() -> Callable[[Any], Any]:
    return numpy().vectorize(math.erf, otypes=[float])


# numpy versions of the table's own float functions, by the name its templates use
_ARRAY_FUNCTIONS: dict[str, Callable[[], Any]] = {
    "_sigmoid_array": _sigmoid_array, "_softplus_array": _softplus_array,
    "_erf_array": _erf_array}


def numpy() -> Any:
    """numpy, or an ImportError naming the extra that installs it.

    >>> numpy().__name__
    'numpy'
    """
    return _optional.numpy("compiled functions on numpy arrays")


def small_result(op: Primitive | None) -> bool:
    """Whether every result of `op` is at most about 1e16 in size (its square is safe).

    >>> from autograd import engine
    >>> small_result(engine.tanh), small_result(engine.exp)
    (True, False)
    """
    return op in _SMALL_RESULTS
