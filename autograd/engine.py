"""The scalar engine: `Value` nodes, the table of primitive ops, and the chain rule.

Read it top to bottom as the story of backpropagation:

1. **Value**: a number that remembers where it came from: its `data`, the `parents` it was
   computed from (an ordered tuple, so `x * x` keeps both edges), the `op` that computed it,
   and, after `backward()`, its `grad`.
2. **The op table**: every primitive declared once, in one entry: its float forward, its local
   derivative as a formula (written with the library's own ops, so one rule serves the plain
   backward pass, `create_graph`, forward mode, compiled code and the diagrams), its domain as
   data, and how compiled code spells it.
3. **Composed ops**: silu, gelu, mean, ...: compositions of primitives, no derivative of their own.
4. **backward**: a topological sort without recursion, then the chain rule in one loop: each
   node multiplies its gradient by its local partials and adds the products into its parents.
5. **Machinery**: grad modes, hooks, error text, and the speed paths generated from the table.

>>> x1, x2, x3 = Value(100.0, label="x1"), Value(2.0, label="x2"), Value(300.0, label="x3")
>>> y = x1 * x2 + x3
>>> y.backward()
>>> y.data, x1.grad, x2.grad, x3.grad
(500.0, 2.0, 100.0, 1.0)

This module imports the standard library only.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Union

__all__ = [
    "OPS",
    "declare",
    "undeclare",
    "Constant",
    "Domain",
    "Hooks",
    "OpError",
    "Primitive",
    "Value",
    "enable_grad",
    "gradients",
    "is_grad_enabled",
    "no_grad",
    "primitive",
    "topological_order",
]

Number = Union[int, float]  # noqa: UP007
Operand = Union["Value", Number]


# ==============================================================================================
# 1. Value
# ==============================================================================================


class Value:
    """A scalar node of the computational graph.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 1
    >>> y
    Value(5.0, op='add')
    >>> y.backward()
    >>> x.grad
    4.0
    """

    # The parents live in two slots, `_x` and `_y` (the operands as the formulas name them),
    # not in a tuple of their own: one object per node, not two, for Python's garbage
    # collector to track. A node of many operands (dot, sum) keeps them as a tuple in `_x`,
    # marked by `_y is _MANY`. Read them as `node.parents`.
    __slots__ = ("_data", "grad", "label", "op", "_x", "_y")

    grad: Any  # a float, or a Value after backward(create_graph=True)
    op: Primitive | None
    label: str | None
    requires_grad = True  # a Constant says False

    def __new__(cls, data: Number = 0.0, label: str | None = None, *,
                requires_grad: bool = True) -> Value:
        if not requires_grad and cls is Value:
            cls = Constant
        return object.__new__(cls)

    def __init__(self, data: Number, label: str | None = None, *,
                 requires_grad: bool = True) -> None:
        self._data = _to_float(data, "Value")
        self.grad = 0.0
        self._x = self._y = None
        self.op = None
        self.label = label
        if _slow_threads:
            _announce_leaf(self)

    @property
    def data(self) -> float:
        """The number this node holds; assign a real number (a Value or a string is refused).

        >>> v = Value(1.0); v.data = 2; v.data
        2.0
        """
        return self._data

    @data.setter
    def data(self, number: Any) -> None:
        if number.__class__ is not float:
            if isinstance(number, Value):
                raise TypeError(
                    "Value.data: got a Value; assign a number, e.g. `p.data -= lr * p.grad.data` "
                    "after a create_graph pass")
            number = _to_float(number, "Value.data")
        self._data = number

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in order; () for a leaf.

        >>> x = Value(2.0); (x * x).parents == (x, x), x.parents
        (True, ())
        """
        x, y = self._x, self._y
        if y is None:
            return () if x is None else (x,)
        return x if y is _MANY else (x, y)

    @parents.setter
    def parents(self, operands: Iterable[Value]) -> None:
        self._x, self._y = _parent_slots(tuple(operands))

    # -- arithmetic: each operator is one primitive of the table --------------------------------
    # (__add__, __mul__, __sub__, __truediv__, their reflections, __neg__ and the unary methods
    # such as .exp() and .tanh() are generated from the table: see `_install_operators`.)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Operand) -> Value:
        if exponent.__class__ is float:  # the common cases, x ** 2.0 and x ** 2: no checks
            return power(exponent)(self)
        if exponent.__class__ is int and -_WHOLE_FLOATS <= exponent <= _WHOLE_FLOATS:
            return power(float(exponent))(self)
        if isinstance(exponent, Value):
            return pow(self, exponent)
        if _is_foreign_array(exponent):
            return NotImplemented
        return power(_to_float(exponent, "**"))(self)

    def __rpow__(self, base: Number) -> Value:
        if _is_foreign_array(base):
            return NotImplemented
        return pow(base, self)

    def __abs__(self) -> Value:
        return abs_(self)

    # -- gradients -----------------------------------------------------------------------------

    def backward(self, grad: Operand = 1.0, *, create_graph: bool = False,
                 gradient: Operand | None = None) -> None:
        """Accumulate d(self)/d(leaf), times `grad`, into `.grad` of every leaf of the graph.

        Leaves accumulate across calls, as in PyTorch (the pass's gradient is added to what
        they held); every node made by an op holds the gradient of the latest pass. With
        `create_graph=True` the pass is itself recorded as Values, so the gradients can be
        differentiated again. `gradient=` is PyTorch's name for `grad`.

        >>> x = Value(3.0)
        >>> y = x * x * x
        >>> y.backward(create_graph=True)
        >>> x.grad.data                      # 3 x^2
        27.0
        >>> dydx = x.grad
        >>> y.zero_grad()
        >>> dydx.backward()
        >>> x.grad                           # 6 x
        18.0
        """
        if gradient is not None:
            grad = gradient
        with _backward_lock:
            _run_backward(self, grad, create_graph)

    def zero_grad(self) -> None:
        """Set `.grad` to 0.0 on every node of the graph that ends here.

        >>> x = Value(2.0); y = x * x; y.backward(); y.zero_grad(); x.grad
        0.0
        """
        with _backward_lock:
            for node in topological_order(self):
                node.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from the graph.

        >>> x = Value(2.0); y = (x * x).detach(); y.parents
        ()
        """
        return Value(self._data, self.label)

    @property
    def is_leaf(self) -> bool:
        """True for a node made by the user (or under no_grad), not by an op.

        >>> Value(1.0).is_leaf, (Value(1.0) * 2).is_leaf
        (True, False)
        """
        return self._x is None

    # -- the REPL and notebooks ----------------------------------------------------------------

    def __repr__(self) -> str:
        parts = [repr(self._data)]
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        if self.op is not None:
            parts.append(f"op={self.op.name!r}")
        grad = self.grad
        if not (type(grad) is float and grad == 0.0):
            parts.append(f"grad={(grad._data if isinstance(grad, Value) else grad)!r}")
        return f"Value({', '.join(parts)})"

    def tree(self, **options: Any) -> str:
        """The graph that ends here as indented text (drawn by `autograd.viz`).

        >>> print(Value(2.0, label="x").tree())
        x  data 2  grad 0
        """
        return _view("tree")(self, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        # Jupyter shows the diagram of the graph (drawn by `autograd.viz` when it is loaded).
        return _view("mimebundle")(self, include, exclude)

    # -- Python's protocols: each decided so that no number silently leaves the graph ----------

    def __lt__(self, other: Operand) -> bool:
        return _compare(self, other, "<")

    def __le__(self, other: Operand) -> bool:
        return _compare(self, other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return _compare(self, other, ">")

    def __ge__(self, other: Operand) -> bool:
        return _compare(self, other, ">=")

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        # As for a 0-dim tensor: == compares the numbers; sets and dicts still use identity.
        if isinstance(other, Value) or isinstance(other, numbers.Real):
            return _compare(self, other, "==")
        return NotImplemented

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Value) or isinstance(other, numbers.Real):
            return _compare(self, other, "!=")
        return NotImplemented

    __hash__ = object.__hash__  # identity: a node is itself in a set or a dict

    def __bool__(self) -> bool:
        raise TypeError("the truth of a Value is ambiguous: write `v.data != 0` to test its "
                        "number, or `v is not None` to test that it exists")

    def __float__(self) -> float:
        raise TypeError(_NO_CONVERSION.format(kind="float"))

    def __int__(self) -> int:
        raise TypeError(_NO_CONVERSION.format(kind="int"))

    def __index__(self) -> int:
        raise TypeError(_NO_CONVERSION.format(kind="int"))

    def __round__(self, ndigits: int | None = None) -> float:
        raise TypeError(_NO_CONVERSION.format(kind="round"))

    def __complex__(self) -> complex:
        raise TypeError(_NO_CONVERSION.format(kind="complex"))


_NO_CONVERSION = (
    "{kind}() of a Value would drop it from the graph (and math functions would silently "
    "compute without gradients): read the number as v.data, or use autograd's functions "
    "(autograd.exp(v), v.exp(), ...) to stay in the graph")


class Constant(Value):
    """A leaf that takes no gradient: a plain number met in an expression, or
    `Value(x, requires_grad=False)`. Its `grad` stays 0.0 whatever backward passes through.

    >>> c = Value(2.0, requires_grad=False); x = Value(3.0)
    >>> y = c * x; y.backward(); (c.grad, x.grad, type(c).__name__)
    (0.0, 2.0, 'Constant')
    """

    __slots__ = ()
    requires_grad = False

    @property  # type: ignore[override]
    def grad(self) -> float:
        return 0.0

    @grad.setter
    def grad(self, value: Any) -> None:
        pass  # a constant takes no gradient


def _compare(a: Value, b: Any, how: str) -> bool:
    left = a._data
    right = b._data if isinstance(b, Value) else _to_float(b, how)
    if _slow_threads:
        hooks = _mode.hooks
        if hooks is not None:
            hooks.on_compare(a, b, how)
    return _COMPARISONS[how](left, right)


_COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                "==": operator.eq, "!=": operator.ne}


# ==============================================================================================
# 2. The op table
# ==============================================================================================


@dataclass(frozen=True)
class Domain:
    """Where an op's operands may lie: an interval (open or closed at each end) per operand.

    `describe()` is the text of error messages; `contains` checks a number. The strategies of
    `autograd.testing` draw from each entry's `sample` intervals, which lie inside the domain.

    >>> Domain(0.0, math.inf, low_open=True).describe()
    'x > 0'
    >>> Domain(-1.0, 1.0).contains(0.5)
    True
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def contains(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        below = x < self.high if self.high_open else x <= self.high
        return above and below

    def describe(self, name: str = "x") -> str:
        low = "" if self.low == -math.inf else (
            f"{_g(self.low)} <" if self.low_open else f"{_g(self.low)} <=")
        high = "" if self.high == math.inf else (
            f"< {_g(self.high)}" if self.high_open else f"<= {_g(self.high)}")
        if low and high:
            return f"{low} {name} {high}"
        if low:  # x > 0 reads better than 0 < x
            flipped = {"<": ">", "<=": ">="}[low.split()[1]]
            return f"{name} {flipped} {low.split()[0]}"
        return f"{name} {high}" if high else "every real number"


def _g(x: float) -> str:
    return f"{x:g}"


Derivative = Callable[..., Any]
Formula = Mapping[str, str]


class Primitive:
    """An op of the table: a float `forward` and a `derivative` giving its local partials.

    `derivative(*operands, out)` gets the operands and the result: floats in a plain backward
    pass, Values under `create_graph=True` (so it is written with this library's functions).
    It returns one partial for a unary op, and a sequence of partials, one per operand,
    otherwise. Calling a primitive on plain numbers returns a float; on any Value, a new node.

    The other fields describe the op to the rest of the library: `name` (canonical: the
    function, the method, the `graph` command's function, the name in tests and compiled
    source), `symbol` (how diagrams and captions write it: `+`, `*`, `tanh`), `formula` (each
    partial as text, for the diagrams and the explainer), `domain`, `sample` and `kinks` (where
    it is defined, where tests draw operands, where its derivative jumps) and `spelling` (how
    compiled code writes it, for floats and for numpy arrays).

    >>> tanh(0.5) == math.tanh(0.5)
    True
    >>> tanh(Value(0.5)).op
    <primitive tanh>
    >>> tanh.formula
    {'x': '1 - out**2'}
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivative: Derivative,
        arity: int,
        *,
        symbol: str | None = None,
        formula: Formula | None = None,
        domain: Sequence[Domain] | Domain | None = None,
        sample: Sequence[Any] = ((-2.0, 2.0),),
        kinks: Sequence[float] = (),
        apart: bool = False,
        spelling: tuple[str, str] | None = None,
        infix: bool = False,
        doc: str | None = None,
        family: str | None = None,
        parameter: float | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.derivative = derivative
        self.arity = arity  # 0 means any number of operands
        self.symbol = symbol or name
        self.infix = infix
        self.formula = dict(formula) if formula is not None else None
        if isinstance(domain, Domain):
            domain = (domain,) * max(arity, 1)
        self.domain: tuple[Domain, ...] | None = tuple(domain) if domain else None
        self.sample = tuple(sample)
        self.kinks = tuple(kinks)
        self.apart = apart  # binary ops whose derivative jumps where x == y
        self.spelling = spelling
        self.family = family  # ops made by a factory (power(n), leaky(slope)) name it ...
        self.parameter = parameter  # ... and the number they were made with
        self.__name__ = name
        self.__doc__ = doc or forward.__doc__

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    @property
    def shown(self) -> str:
        """The op as messages name it: 'log', or '* (mul)' for an operator.

        >>> mul.shown, log.shown
        ('* (mul)', 'log')
        """
        return self.name if self.symbol == self.name else f"{self.symbol} ({self.name})"

    def __call__(self, *operands: Any) -> Any:
        if self.arity and len(operands) != self.arity:
            raise TypeError(f"{self.shown}: takes {self.arity} operand(s), got {len(operands)}")
        return self.apply(operands)

    def apply(self, operands: Sequence[Any]) -> Any:
        """Run the op on a sequence of operands (Values or numbers)."""
        parents = tuple(operands)
        for x in parents:
            if x.__class__ is not Value:
                break
        else:  # Values only: the common case, checked without isinstance
            return _record(self, self.evaluate([p._data for p in parents], parents), parents)
        values = False
        for x in parents:
            if isinstance(x, Value):
                values = True
            elif _is_foreign_array(x):
                raise TypeError(f"{self.shown}: expected a real number or a Value, got "
                                f"{type(x).__name__} (ops take numbers one at a time)")
        where = self.shown
        if not values:  # plain numbers in, a float out
            return self.evaluate([_to_float(x, where) for x in parents], parents)
        parents = tuple([x if isinstance(x, Value) else _constant(_to_float(x, where))
                         for x in parents])
        return _record(self, self.evaluate([p._data for p in parents], parents), parents)

    def evaluate(self, args: Sequence[float], operands: Sequence[Any]) -> float:
        """`forward(*args)`, with the engine's errors naming the op and its operands."""
        try:
            return self.forward(*args)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, operands, error) from None


OPS: dict[str, Primitive] = {}
"""Every primitive of the table by its canonical name, in declaration order (families such
as `power` appear once, as made with a typical parameter)."""


def declare(name: str, forward: Callable[..., float], formula: Formula, **fields: Any) -> Any:
    """Add a primitive to the table: its forward and its partials, written as formulas.

    Each formula is an expression in the operands (`x`, `y`; `x_i`, `w_i`, `b` for n-ary ops),
    the result `out` and the table's own functions; it becomes the derivative used by every
    backward pass, and the text the diagrams show.

    >>> cube = declare("cube", lambda x: x ** 3, {"x": "3 * x**2"}, register=False)
    >>> y = cube(Value(2.0)); y.backward(); y.parents[0].grad
    12.0
    """
    register = fields.pop("register", True)
    arity = fields.pop("arity", len(formula))
    if arity == 1 and fields.get("spelling") is None:  # most functions: math's and numpy's
        fields["spelling"] = (f"math.{name}({{0}})", f"np.{name}({{0}})")
    derivative = fields.pop("derivative", None) or _derivative_from(formula, fields)
    cls = _CALL_PATHS.get(arity, Primitive)
    op = cls(name, forward, derivative, arity, formula=formula, **fields)
    if register:
        if name in OPS and OPS[name].family is None:
            raise ValueError(f"declare: the table has an op named {name!r} already")
        OPS[name] = op
        _FORMULA_NAMES[name] = op
        if _CALL_PATHS and arity == 1 and op.family is None:  # after the table's own entries
            setattr(Value, name, _unary_method(op))
    return op


_CALL_PATHS: dict[int, type[Primitive]] = {}  # arity -> a subclass with a direct call path


def undeclare(name: str) -> Primitive:
    """Take an op declared with `declare` out of the table again (and its method off Value).

    >>> _ = declare("twice", lambda x: 2 * x, {"x": "2"}); undeclare("twice").name
    'twice'
    >>> "twice" in OPS, hasattr(Value, "twice")
    (False, False)
    """
    op = OPS.pop(name)
    _FORMULA_NAMES.pop(name, None)
    if getattr(Value, name, None) is not None and name not in _BUILT_IN:
        delattr(Value, name)
    return op


def _derivative_from(formula: Formula, fields: Mapping[str, Any]) -> Derivative:
    operands = ", ".join(formula)
    partials = ", ".join(f"({text})" for text in formula.values())
    body = partials if len(formula) == 1 else f"({partials},)"
    parameter = ""
    if fields.get("parameter") is not None:  # power's n, leaky_relu's slope
        parameter = f", {_PARAMETER_NAMES[fields['family']]}={fields['parameter']!r}"
    source = f"lambda {operands}, out{parameter}: {body}"
    return eval(source, _FORMULA_NAMES)  # noqa: S307 - the table's own formulas, never user text


_PARAMETER_NAMES = {"power": "n", "leaky_relu": "slope"}
_FORMULA_NAMES: dict[str, Any] = {"__builtins__": {}}  # the table's functions, by name

# -- arithmetic --------------------------------------------------------------------------------
# The formulas are the local derivatives: d(x + y)/dx = 1, d(x * y)/dx = y, and so on.

add = declare("add", lambda x, y: x + y, {"x": "1", "y": "1"},
              symbol="+", infix=True, spelling=("{0} + {1}", "{0} + {1}"),
              doc="x + y.")
sub = declare("sub", lambda x, y: x - y, {"x": "1", "y": "-1"},
              symbol="-", infix=True, spelling=("{0} - {1}", "{0} - {1}"),
              doc="x - y.")
mul = declare("mul", lambda x, y: x * y, {"x": "y", "y": "x"},
              symbol="*", infix=True, spelling=("{0} * {1}", "{0} * {1}"),
              doc="x * y.")
neg = declare("neg", lambda x: -x, {"x": "-1"},
              symbol="-", spelling=("-{0}", "-{0}"),
              doc="-x.")
div = declare("div", lambda x, y: _divide(x, y), {"x": "1 / y", "y": "-out / y"},
              symbol="/", infix=True, spelling=("{0} / {1}", "{0} / {1}"),
              sample=(((-2.0, 2.0),), ((-2.0, -0.5), (0.5, 2.0))),
              doc="x / y (a primitive, so Values divide exactly as floats do).")
pow = declare("pow", lambda x, y: _pow_forward(x, y),  # noqa: A001 - the maths name
              {"x": "y * x**(y - 1)", "y": "out * log(x)"},
              symbol="pow", spelling=("math.pow({0}, {1})", "np.power({0}, {1})"),
              domain=(Domain(0.0, math.inf, low_open=True), Domain()),
              sample=(((0.5, 2.0),), ((-1.5, 1.5),)),
              doc="x ** y for a Value exponent (base > 0).")
# -- the larger and the smaller (their derivatives are indicators, declared further down) ------
maximum = declare("maximum", lambda x, y: x if x >= y else y,
                  {"x": "greater_equal(x, y)", "y": "1 - greater_equal(x, y)"},
                  symbol="max", apart=True,
                  spelling=("{0} if {0} >= {1} else {1}", "np.where({0} >= {1}, {0}, {1})"),
                  doc="The larger of x and y (ties go to x).")
minimum = declare("minimum", lambda x, y: x if x <= y else y,
                  {"x": "greater_equal(y, x)", "y": "1 - greater_equal(y, x)"},
                  symbol="min", apart=True,
                  spelling=("{0} if {0} <= {1} else {1}", "np.where({0} <= {1}, {0}, {1})"),
                  doc="The smaller of x and y (ties go to x).")
# -- exponentials and logarithms ---------------------------------------------------------------
exp = declare("exp", math.exp, {"x": "out"},                     # d e^x/dx = e^x
              sample=((-1.5, 1.5),), doc="e ** x.")
log = declare("log", math.log, {"x": "1 / x"},
              domain=Domain(0.0, math.inf, low_open=True), sample=((0.5, 3.0),),
              doc="Natural logarithm.")
log1p = declare("log1p", math.log1p, {"x": "1 / (1 + x)"},
                domain=Domain(-1.0, math.inf, low_open=True), sample=((-0.5, 2.0),),
                doc="log(1 + x), accurate for small x.")
expm1 = declare("expm1", math.expm1, {"x": "out + 1"},
                sample=((-1.5, 1.5),), doc="e ** x - 1, accurate for small x.")
sqrt = declare("sqrt", math.sqrt, {"x": "0.5 / out"},             # 1 / (2 sqrt x)
               domain=Domain(0.0, math.inf), sample=((0.25, 3.0),), doc="Square root.")
# -- trigonometric and hyperbolic --------------------------------------------------------------
sin = declare("sin", lambda x: _periodic(math.sin, x), {"x": "cos(x)"},
              sample=((-3.0, 3.0),), doc="Sine.")
cos = declare("cos", lambda x: _periodic(math.cos, x), {"x": "-sin(x)"},
              sample=((-3.0, 3.0),), doc="Cosine.")
tan = declare("tan", lambda x: _periodic(math.tan, x), {"x": "1 + out**2"},
              sample=((-1.0, 1.0),), doc="Tangent.")
asin = declare("asin", math.asin, {"x": "1 / sqrt(1 - x**2)"},
               domain=Domain(-1.0, 1.0), sample=((-0.8, 0.8),),
               spelling=("math.asin({0})", "np.arcsin({0})"), doc="Inverse sine.")
acos = declare("acos", math.acos, {"x": "-1 / sqrt(1 - x**2)"},
               domain=Domain(-1.0, 1.0), sample=((-0.8, 0.8),),
               spelling=("math.acos({0})", "np.arccos({0})"), doc="Inverse cosine.")
atan = declare("atan", math.atan, {"x": "1 / (1 + x**2)"},
               spelling=("math.atan({0})", "np.arctan({0})"), doc="Inverse tangent.")
sinh = declare("sinh", math.sinh, {"x": "cosh(x)"},
               sample=((-1.5, 1.5),), doc="Hyperbolic sine.")
cosh = declare("cosh", math.cosh, {"x": "sinh(x)"},
               sample=((-1.5, 1.5),), doc="Hyperbolic cosine.")
tanh = declare("tanh", math.tanh, {"x": "1 - out**2"}, doc="Hyperbolic tangent.")
# -- activations -------------------------------------------------------------------------------
sigmoid = declare("sigmoid", lambda x: _sigmoid(x), {"x": "out * (1 - out)"},
                  sample=((-3.0, 3.0),), spelling=("_sigmoid({0})", "_sigmoid_array({0})"),
                  doc="Logistic sigmoid 1 / (1 + e ** -x), stable for large |x|.")
softplus = declare("softplus", lambda x: _softplus(x), {"x": "sigmoid(x)"},
                   sample=((-3.0, 3.0),), spelling=("_softplus({0})", "_softplus_array({0})"),
                   doc="log(1 + e ** x), stable for large |x|.")
# Indicators: the derivatives of the kinked ops below, written as ops rather than as `if`s on
# the data, so that a derivative recorded with create_graph=True (or compiled) stays right for
# every input. They are flat away from their jumps.
step = declare("step", lambda x: 1.0 if x > 0.0 else 0.0, {"x": "0"}, kinks=(0.0,),
               spelling=("1.0 if {0} > 0.0 else 0.0", "({0} > 0.0) * 1.0"),
               doc="1.0 where x > 0, else 0.0 (relu's derivative).")
sign = declare("sign", lambda x: _sign(x), {"x": "0"}, kinks=(0.0,),
               spelling=("_sign({0})", "np.sign({0})"),
               doc="1.0, -1.0 or 0.0 by the sign of x (abs's derivative).")
greater_equal = declare("greater_equal", lambda x, y: 1.0 if x >= y else 0.0,
                        {"x": "0", "y": "0"}, symbol=">=", apart=True,
                        spelling=("1.0 if {0} >= {1} else 0.0", "({0} >= {1}) * 1.0"),
                        doc="1.0 where x >= y, else 0.0 (max's derivative).")
relu = declare("relu", lambda x: 0.0 if x <= 0.0 else x, {"x": "step(x)"}, kinks=(0.0,),
               spelling=("0.0 if {0} <= 0.0 else {0}", "np.maximum({0}, 0.0)"),
               doc="max(x, 0); its derivative at 0 is taken as 0.")
abs_ = declare("abs", abs, {"x": "sign(x)"}, kinks=(0.0,),
               spelling=("abs({0})", "abs({0})"),
               doc="|x|; its derivative at 0 is taken as 0.")
erf = declare("erf", math.erf, {"x": "1.1283791670955126 * exp(-x**2)"},  # 2/sqrt(pi) e^-x^2
              spelling=("math.erf({0})", "_erf_array({0})"), doc="The error function.")
# -- many operands as one node -----------------------------------------------------------------
sum_ = declare("sum", lambda *xs: _fsum(xs), {"x_i": "1"}, arity=0, symbol="sum",
               derivative=lambda *xs_and_out: (1.0,) * (len(xs_and_out) - 1),
               doc="The sum of any number of operands, as one node.")
dot_ = declare("dot", lambda *operands: _dot_forward(operands),
               {"w_i": "x_i", "x_i": "w_i", "b": "1"}, arity=0, symbol="dot",
               derivative=lambda *operands_and_out: _dot_partials(operands_and_out[:-1]),
               doc="sum_i w_i x_i (+ b) as one node; operands are w_1..w_n, x_1..x_n "
                   "and an optional bias b.")


@functools.lru_cache(maxsize=4096)
def power(n: float) -> Primitive:
    """The primitive x ** n for a fixed number n (one per exponent, cached).

    >>> power(2.0)(Value(3.0)).data
    9.0
    """
    n = _to_float(n, "power")
    return declare(
        "power", _power_forward(n), {"x": "0" if n == 0.0 else "n * x**(n - 1)"},
        symbol=f"**{n:g}", family="power", parameter=n, register=False,
        domain=None if n == int(n) else Domain(0.0, math.inf, low_open=n < 0),
        sample=_power_sample(n), spelling=("math.pow({0}, {p})", "np.power({0}, {p})"),
        doc=f"x ** {n:g}.")


def _power_sample(n: float) -> tuple[tuple[float, float], ...]:
    # where x ** n stays tame: small bases for whole powers, positive ones for fractional
    if n != int(n):
        return ((0.5, 2.0),)
    if n < 0:
        return ((-2.0, -0.5), (0.5, 2.0))
    return ((-2.0, 2.0),) if n <= 2 else ((-1.5, 1.5),)


@functools.lru_cache(maxsize=256)
def leaky(slope: float) -> Primitive:
    """The primitive leaky_relu with a fixed negative slope (cached).

    >>> leaky(0.1)(-2.0)
    -0.2
    """
    slope = _to_float(slope, "leaky_relu's slope")
    return declare(
        "leaky_relu", lambda x: x if x > 0.0 else slope * x,
        {"x": "slope + (1 - slope) * step(x)"}, kinks=(0.0,),
        symbol=f"leaky_relu({slope:g})", family="leaky_relu", parameter=slope, register=False,
        spelling=("{0} if {0} > 0.0 else {p} * {0}", "np.where({0} > 0.0, {0}, {p} * {0})"),
        doc=f"x above 0, {slope:g} x below.")




# ==============================================================================================
# 3. Composed ops: no derivative code of their own
# ==============================================================================================


def leaky_relu(x: Operand, slope: Operand = 0.01) -> Any:
    """x above 0 and slope * x below.

    >>> leaky_relu(-2.0, 0.1)
    -0.2
    """
    if isinstance(slope, Value):
        raise TypeError("leaky_relu: the slope must be a plain number, not a Value "
                        f"(got {_describe(slope)}); write maximum(x, slope * x) to learn it")
    return leaky(_to_float(slope, "leaky_relu's slope"))(x)


def silu(x: Operand) -> Any:
    """x * sigmoid(x) (also called swish).

    >>> round(silu(1.0), 6)
    0.731059
    """
    return x * sigmoid(x)


def gelu(x: Operand) -> Any:
    """x * Phi(x), the Gaussian error linear unit (exact form with erf).

    >>> round(gelu(1.0), 6)
    0.841345
    """
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def square(x: Operand) -> Any:
    """x ** 2.

    >>> square(Value(3.0)).data
    9.0
    """
    return x * x if isinstance(x, Value) else _to_float(x, "square") ** 2


def sum_values(values: Iterable[Operand]) -> Any:
    """The sum of many Values as one node (one backward step instead of n - 1).

    >>> sum_values([Value(1.0), 2.0, Value(3.0)]).data
    6.0
    """
    operands = tuple(values)
    if not operands:
        return 0.0
    return sum_.apply(operands)


def dot(weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None
        ) -> Any:
    """sum_i weights[i] * inputs[i] (+ bias) as one node: a neuron's pre-activation.

    >>> w = [Value(1.0), Value(2.0)]; d = dot(w, [3.0, 4.0], bias=0.5); d.backward()
    >>> d.data, w[1].grad
    (11.5, 4.0)
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: weights and inputs differ in length ({len(weights)} vs {len(inputs)})")
    operands = (*weights, *inputs) if bias is None else (*weights, *inputs, bias)
    if not operands:
        return 0.0
    return dot_.apply(operands)


def mean(values: Iterable[Operand]) -> Any:
    """The arithmetic mean.

    >>> mean([Value(1.0), Value(2.0)]).data
    1.5
    """
    operands = tuple(values)
    if not operands:
        raise ValueError("mean: no values given")
    return sum_values(operands) * (1.0 / len(operands))


# ----------------------------------------------------------------------------------------------
# Declaring a primitive from outside
# ----------------------------------------------------------------------------------------------


def primitive(*partials: Callable[..., Any], name: str | None = None,
              formula: Sequence[str] | str | None = None) -> Callable[
        [Callable[..., float]], Primitive]:
    """Declare a new op from its float function and one partial derivative per operand.

    Each partial takes the same operands as the function. Write the partials with this
    library's functions (`autograd.sigmoid`, `autograd.exp`, ...) and higher-order
    derivatives work too. `formula=` gives the partials' text for the diagrams (one string
    per operand, in x, y, z, ... and out); without it they read `d name/dx`.

    >>> @primitive(lambda x: sigmoid(x), formula="sigmoid(x)")
    ... def softplus(x):
    ...     return math.log1p(math.exp(x))
    >>> y = softplus(Value(0.0)); y.backward(); y.parents[0].grad
    0.5
    """
    if not partials:
        raise TypeError("primitive: give one partial derivative per operand")
    texts = (formula,) if isinstance(formula, str) else formula
    if texts is not None and len(texts) != len(partials):
        raise TypeError(f"primitive: {len(texts)} formula(s) for {len(partials)} operand(s)")

    def declare_user_op(user_forward: Callable[..., float]) -> Primitive:
        op_name = name or getattr(user_forward, "__name__", "primitive")

        def forward(*xs: float) -> float:
            result = user_forward(*xs)
            if type(result) is float:
                return result
            return _to_float(result, f"{op_name} (its result)")

        def derivative(*operands_and_out: Any) -> Any:
            operands = operands_and_out[:-1]
            results = []
            for position, partial in enumerate(partials):
                result = partial(*operands)
                if result is None or not isinstance(result, (Value, numbers.Real)):
                    raise TypeError(
                        f"{op_name}: its partial derivative for operand {position} returned "
                        f"{type(result).__name__} {result!r}, not a number")
                results.append(result)
            return results[0] if len(partials) == 1 else tuple(results)

        names = "xyzuvw"[:len(partials)] if len(partials) <= 6 else [
            f"x{i}" for i in range(len(partials))]
        shown = texts or [f"d {op_name}/d{n}" for n in names]
        op = declare(op_name, forward, dict(zip(names, shown)), derivative=derivative,
                     register=False, doc=user_forward.__doc__)
        op.user_formula = texts is not None  # type: ignore[attr-defined]
        return op

    return declare_user_op


# ==============================================================================================
# 4. backward: the topological order, then the chain rule in one loop
# ==============================================================================================


def topological_order(root: Value) -> list[Value]:
    """Every node the root depends on, each after all of its parents; no recursion.

    >>> x = Value(1.0); y = x * x + x
    >>> [v.op.name if v.op else v.data for v in topological_order(y)]
    [1.0, 'mul', 'add']
    """
    # Depth first, parents in order. A node is pushed back under a None marker while its
    # parents are sorted; popping the marker means they all are.
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    pop, push, append, visit = stack.pop, stack.append, order.append, visited.add
    while stack:
        node = pop()
        if node is None:
            append(pop())  # type: ignore[arg-type]
        elif node not in visited:
            visit(node)
            parents = node.parents
            if parents:
                push(node)
                push(None)
                for parent in reversed(parents):
                    if parent not in visited:
                        push(parent)
            else:
                append(node)
    return order


def _run_backward(root: Value, seed: Operand, create_graph: bool) -> None:
    """One backward pass from `root`: sort, then apply the chain rule node by node.

    For every node, from the output back to the inputs:

        parent.grad += node.grad * d node / d parent

    where `d node / d parent` is the op's local derivative from the table. Nodes made by ops
    start the pass at 0; leaves add the whole pass's gradient to what they held. If the pass
    is interrupted (Ctrl-C, an error), every gradient is put back as it was before it.
    """
    if not isinstance(seed, Value):
        seed = _to_float(seed, "backward")
    # The nodes the pass changes, listed as it changes them: those made by ops (sorted, or
    # still on the sort's stack; one just popped holds a mark, which reads 0.0), and the
    # leaves with the gradients they held.
    order: list[Value] = []
    stack: list[Value] = []
    leaves: list[Value] = []
    held: list[Any] = []
    try:
        _backward_order(root, order, stack, leaves, held)
        root.grad = seed if create_graph or not isinstance(seed, Value) else seed._data
        if create_graph:
            for node in (*order[:-1], *leaves):  # recorded sums start from a plain 0.0
                node.grad = 0.0
            _chain_rule_recorded(order, root)
        else:
            _chain_rule(order, root, _mode.hooks)  # noqa: F821 - written out at import
        _add_held(leaves, held, create_graph)
    except BaseException:
        for node in (*order, *stack):  # nodes made by ops start every pass at zero
            node.grad = 0.0
        for leaf, grad in zip(leaves, held):  # leaves get back exactly what they held
            leaf.grad = grad
        raise


def _chain_rule_step(node: Value, g: float) -> None:
    """parent.grad += g * (d node / d parent), for each parent, in floats."""
    op: Primitive = node.op  # type: ignore[assignment]
    parents = node.parents
    try:
        partials = op.derivative(*[p._data for p in parents], node._data)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
        raise _derivative_error(op, node, error) from None
    if op.arity == 1:
        partials = (partials,)
    for parent, partial in zip(parents, partials):
        parent.grad += g * partial


def _chain_rule_recorded(order: list[Value], root: Value) -> None:
    """The chain rule with every multiply and add recorded as Values (create_graph=True)."""
    with enable_grad():
        if not isinstance(root.grad, Value):
            root.grad = _constant(root.grad)
        hooks = _mode.hooks
        try:
            for node in reversed(order):
                _mode.step = (node, root)  # hooks hear which step made the nodes below
                _chain_rule_step_recorded(node, root)
                if hooks is not None:
                    hooks.on_backward_step(node, root)
        finally:
            _mode.step = None


def _chain_rule_step_recorded(node: Value, root: Value) -> None:
    """parent.grad += node.grad * (d node / d parent), for each parent, recorded as Values."""
    op: Primitive = node.op  # type: ignore[assignment]
    g = node.grad
    try:
        partials = op.derivative(*node.parents, node)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
        failure = _derivative_error(op, node, error)
        failure.root = root  # type: ignore[attr-defined]
        raise failure from None
    if op.arity == 1:
        partials = (partials,)
    for parent, partial in zip(node.parents, partials):
        if isinstance(parent, Constant):
            continue
        contribution = g if (type(partial) is float and partial == 1.0) else g * partial
        parent.grad = contribution if _is_zero(parent.grad) else parent.grad + contribution


def _is_zero(grad: Any) -> bool:
    return type(grad) is float and grad == 0.0


def _add_held(leaves: list[Value], held: list[Any], create_graph: bool) -> None:
    # The pass's gradient is complete: add it to what each leaf held before the pass.
    for leaf, before in zip(leaves, held):
        if before.__class__ is float and before == 0.0:
            continue
        if create_graph:
            leaf.grad = before if _is_zero(leaf.grad) else before + leaf.grad
        else:
            leaf.grad = before + (leaf.grad if leaf.grad.__class__ is float else leaf.grad)


class _Mark(float):
    """A 0.0 that the sort tells apart from every other 0.0 by its identity (see below)."""

    __slots__ = ()


def _backward_order(root: Value, order: list[Value], stack: list[Value],
                    leaves: list[Value], held: list[Any]) -> None:
    """Fill `order` with the nodes made by ops that `root` depends on, parents first, and
    `leaves` with the leaves met and `held` with the gradients they held. Every grad they
    hold afterwards is 0.0, so the pass sums into them alone (`_add_held` adds the leaves'
    back).

    While sorting, a node's `grad` slot holds its mark, so the sort needs no set of visited
    nodes. The marks are two zeros made for this pass, told apart from any other number by
    identity: `sorting` (the node's parents are being sorted) and `done` (the node is in
    the order, or is a leaf met in this pass). Being zeros, they are where the chain rule
    starts summing, and a node that an interrupted pass leaves marked still reads 0.0.
    """
    if root._x is None:
        if not isinstance(root, Constant):
            leaves.append(root)
            held.append(root.grad)
            root.grad = 0.0
        return
    sorting, done = _Mark(), _Mark()
    # Depth first. A node is met twice: first it goes back on the stack, marked `sorting`,
    # under the parents not yet met; when it is popped again they are all sorted, so it
    # joins the order. (No parent can be marked `sorting`: that would be a cycle.)
    stack.append(root)
    pop = stack.pop
    while True:
        try:
            node = pop()
        except IndexError:  # the stack is empty: every node is in the order
            break
        mark = node.grad
        if mark is sorting:  # met again: its parents are sorted
            order.append(node)
            node.grad = done
            continue
        if mark is done:  # pushed twice, by two children: already in the order
            continue
        stack.append(node)
        node.grad = sorting
        # Push the parents not yet met, the last first (so the first is sorted first). A
        # leaf is listed, with the gradient it held, the first time it is met. The two
        # parents of a binary node are read from their slots, with no tuple built.
        y = node._y
        if y is _MANY:
            for parent in node._x[::-1]:
                mark = parent.grad
                if mark is not done:
                    if parent._x is not None:
                        stack.append(parent)
                    elif parent.__class__ is not Constant:
                        leaves.append(parent)
                        held.append(mark)
                        parent.grad = done
            continue
        if y is not None:
            mark = y.grad
            if mark is not done:
                if y._x is not None:
                    stack.append(y)
                elif y.__class__ is not Constant:
                    leaves.append(y)
                    held.append(mark)
                    y.grad = done
        x = node._x
        mark = x.grad
        if mark is not done:
            if x._x is not None:
                stack.append(x)
            elif x.__class__ is not Constant:
                leaves.append(x)
                held.append(mark)
                x.grad = done


def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """d output / d input for each input, leaving every `.grad` of the graph as it was.

    With `create_graph=True` the results are Values that can be differentiated again.

    >>> x = Value(2.0); y = x ** 3
    >>> (dx,) = gradients(y, [x], create_graph=True); dx.data
    12.0
    >>> gradients(dx, [x])
    [12.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients: the output must be a Value, got {_describe(output)}")
    for position, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"gradients: inputs[{position}] must be a Value, got {_describe(x)}")
    with _backward_lock:
        order = topological_order(output)
        members = set(order)
        saved = [node.grad for node in order]
        outside = [x for x in inputs if x not in members]
        saved_outside = [x.grad for x in outside]
        try:
            for node in order:
                node.grad = 0.0
            _run_backward(output, 1.0, create_graph)
            results = [x.grad if x in members else 0.0 for x in inputs]
        finally:
            for node, grad in zip(order, saved):
                node.grad = grad
            for node, grad in zip(outside, saved_outside):
                node.grad = grad
    if create_graph:
        results = [r if isinstance(r, Value) else _constant(r) for r in results]
    return results


# Backward passes take turns: two threads may differentiate graphs that share nodes (each
# pass sorts with marks in the nodes' grad slots and sums into shared leaves).
_backward_lock = threading.RLock()


# ==============================================================================================
# 5. Machinery: modes, hooks, views, errors, and the speed paths generated from the table
# ==============================================================================================

# -- grad mode and hooks, per thread -----------------------------------------------------------
# Ops read the module-wide count `_slow_threads` of threads that record with something
# switched on (no_grad, hooks). While it is 0, the usual case, every op records plainly
# without reading its thread's mode.

_slow_threads = 0
_slow_threads_lock = threading.Lock()


class Hooks:
    """What the engine tells a watcher installed with `hooks(...)`: subclass and override.

    The forward side hears of every node an op makes (`on_node`, with `step` set to the
    backward step being recorded when create_graph=True), every constant made from a plain
    number (`on_leaf`) and every comparison of a Value with data (`on_compare`); the backward
    side, of every node right after it has pushed its gradient to its parents
    (`on_backward_step`). Errors raised by ops carry their op and operands (`OpError`), so a
    watcher needs nothing else. `autograd.anomaly` and `autograd.compile` are built on this.

    >>> class Count(Hooks):
    ...     made = 0
    ...     def on_node(self, node, step):
    ...         self.made += 1
    >>> counter = Count()
    >>> with hooks(counter):
    ...     y = Value(1.0) * 2 + 3
    >>> counter.made
    2
    """

    def on_node(self, node: Value, step: tuple[Value, Value] | None) -> None:
        """An op made `node`; `step` is (node, output) of the backward step being recorded."""

    def on_leaf(self, leaf: Value) -> None:
        """A constant was made from a plain number."""

    def on_compare(self, a: Value, b: Any, how: str) -> None:
        """`a` was compared with `b` by `how` ('<', '==', ...) or tested for truth."""

    def on_backward_step(self, node: Value, root: Value) -> None:
        """`node` has pushed its gradient to its parents in the pass from `root`."""


class _Mode(threading.local):
    grad_enabled: bool = True
    hooks: Hooks | None = None
    step: tuple[Value, Value] | None = None
    plain: bool = True

    def refresh(self) -> None:
        global _slow_threads
        plain = self.grad_enabled and self.hooks is None
        if plain != self.plain:
            with _slow_threads_lock:
                _slow_threads += -1 if plain else 1
            self.plain = plain


_mode = _Mode()


def is_grad_enabled() -> bool:
    """Whether ops in this thread record the graph.

    >>> is_grad_enabled()
    True
    """
    return _mode.grad_enabled


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    previous = _mode.grad_enabled
    _mode.grad_enabled = enabled
    _mode.refresh()
    try:
        yield
    finally:
        _mode.grad_enabled = previous
        _mode.refresh()


def no_grad() -> Any:
    """Context in which ops compute values but record no graph (per thread).

    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents, y.op
    ((), None)
    """
    return _grad_mode(False)


def enable_grad() -> Any:
    """Context that switches recording back on, e.g. inside `no_grad()`.

    >>> with no_grad():
    ...     with enable_grad():
    ...         y = Value(2.0) * 3
    >>> y.op.name
    'mul'
    """
    return _grad_mode(True)


@contextmanager
def hooks(watcher: Hooks) -> Iterator[None]:
    """Install `watcher` (a `Hooks`) in this thread; the previous one comes back after.

    >>> with hooks(Hooks()):
    ...     (Value(1.0) + 1).op.name
    'add'
    """
    if not isinstance(watcher, Hooks):
        raise TypeError(f"hooks: expected a Hooks instance, got {type(watcher).__name__}")
    previous = _mode.hooks
    _mode.hooks = watcher
    _mode.refresh()
    try:
        yield
    finally:
        _mode.hooks = previous
        _mode.refresh()


_MANY = object()  # in a node's `_y` slot: `_x` holds the tuple of its operands
_WHOLE_FLOATS = 2 ** 53  # every int up to this size is exactly a float


def _parent_slots(parents: tuple[Value, ...]) -> tuple[Any, Any]:
    """What a node's `_x` and `_y` slots hold for these parents."""
    n = len(parents)
    if n == 2:
        return parents
    if n == 1:
        return parents[0], None
    return (None, None) if n == 0 else (parents, _MANY)


def _record(op: Primitive, data: float, parents: tuple[Value, ...]) -> Value:
    """The node `op` produced: in the graph when recording, a plain leaf otherwise."""
    out = _new_value(Value)
    out._data = data
    out.grad = 0.0
    out.label = None
    if not _slow_threads or _mode.plain:
        out._x, out._y = _parent_slots(parents)
        out.op = op
        return out
    if _mode.grad_enabled:
        out._x, out._y = _parent_slots(parents)
        out.op = op
    else:
        out._x = out._y = None
        out.op = None
    watcher = _mode.hooks
    if watcher is not None:
        watcher.on_node(out, _mode.step)
    return out


_new_value = object.__new__


def _constant(data: float) -> Value:
    """A leaf for a plain number met inside an expression: it takes no gradient."""
    out = _new_value(Constant)
    out._data = data
    out._x = out._y = None
    out.op = None
    out.label = None
    if _slow_threads:
        _announce_leaf(out)
    return out


def _announce_leaf(leaf: Value) -> None:
    watcher = _mode.hooks
    if watcher is not None:
        watcher.on_leaf(leaf)


# -- views: how a Value shows itself, supplied by the layers above -----------------------------

_VIEWS: dict[str, Callable[..., Any]] = {}


def register_view(kind: str, view: Callable[..., Any]) -> None:
    """Supply how Values show themselves: 'tree' (`v.tree()`) or 'mimebundle' (Jupyter).

    The engine imports nothing above it; `autograd` registers its diagrams here on import.

    >>> register_view("tree", _VIEWS["tree"]) if "tree" in _VIEWS else None
    """
    if kind not in ("tree", "mimebundle"):
        raise ValueError(f"register_view: unknown kind {kind!r}; known: tree, mimebundle")
    _VIEWS[kind] = view


def _view(kind: str) -> Callable[..., Any]:
    try:
        return _VIEWS[kind]
    except KeyError:
        raise RuntimeError(f"Value.{kind}: no view is registered; `import autograd` "
                           "registers the diagrams") from None


# -- numbers in, errors out ----------------------------------------------------------------------


def _describe(operand: Any) -> str:
    if isinstance(operand, Value):
        if operand.label:
            return f"{operand.label!r} = {operand._data!r}"
        return repr(operand._data)
    return f"{type(operand).__name__} {operand!r}"


def _to_float(x: Any, where: str) -> float:
    """`x` as a float, or a TypeError naming `where` and the offending operand."""
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:
            raise OverflowError(
                f"{where}: {type(x).__name__} {_short(x)} is too large for a float") from None
    if isinstance(x, Value):
        raise TypeError(f"{where}: expected a real number, got the Value {_describe(x)}; "
                        "pass x.data for its number, or the Value itself where an op takes it")
    raise TypeError(f"{where}: expected a real number or a Value, got {_describe(x)}")


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 24 else f"{text[:10]}...{text[-6:]} ({len(text)} digits)"


def _is_foreign_array(x: Any) -> bool:
    # Arrays (numpy and the like) get the chance to broadcast an operator over a Value
    # themselves: the operator methods return NotImplemented for them.
    cls = x.__class__
    if cls is float or cls is int or cls is Value:
        return False
    return hasattr(x, "__array_ufunc__") and not isinstance(x, numbers.Real)


class OpError(ArithmeticError):
    """Mixed into the engine's errors from an op: carries `op`, `operands`, `phase`
    ('forward' or 'backward'), and for backward, the `node` and the pass's `root`.

    >>> try:
    ...     log(Value(0.0, label="x"))
    ... except OpError as error:
    ...     error.op.name, error.phase
    ('log', 'forward')
    """

    op: Primitive
    operands: tuple[Any, ...]
    phase: str
    node: Value | None
    root: Value | None
    step: tuple[Value, Value] | None


def _op_error(kind: type[Exception], message: str, op: Primitive, operands: Sequence[Any],
              phase: str, node: Value | None = None) -> Exception:
    cls = _OP_ERRORS[kind]
    error = cls(message)
    error.op, error.operands, error.phase = op, tuple(operands), phase
    error.node, error.root = node, None
    error.step = _mode.step  # (node, output) of a backward step being recorded, if any
    return error


class _DomainError(ValueError, OpError):
    pass


class _ZeroDivision(ZeroDivisionError, OpError):
    pass


class _Overflow(OverflowError, OpError):
    pass


class _Type(TypeError, OpError):
    pass


_OP_ERRORS: dict[type[Exception], type[Exception]] = {
    ValueError: _DomainError, ZeroDivisionError: _ZeroDivision, OverflowError: _Overflow,
    TypeError: _Type}
for _cls, _base in ((_DomainError, ValueError), (_ZeroDivision, ZeroDivisionError),
                    (_Overflow, OverflowError), (_Type, TypeError)):
    _cls.__name__ = _cls.__qualname__ = _base.__name__  # tracebacks read "ValueError: ..."
    _cls.__module__ = "builtins"


def _call_text(op: Primitive, shown: Sequence[str]) -> str:
    if op.family == "power":
        return f"{shown[0]} ** {_g(op.parameter or 0.0)}"
    if op.infix and len(shown) == 2:
        return f"{shown[0]} {op.symbol} {shown[1]}"
    return f"{op.name}({', '.join(shown)})"


def _forward_error(op: Primitive, operands: Sequence[Any], error: Exception) -> Exception:
    shown = [_describe(x) if isinstance(x, Value) else repr(x) for x in operands]
    call = _call_text(op, shown)
    if isinstance(error, OverflowError):
        message = f"{call}: overflow, the result is too large for a float"
        return _op_error(OverflowError, message, op, operands, "forward")
    if isinstance(error, ZeroDivisionError):
        return _op_error(ZeroDivisionError, f"{call}: {error}", op, operands, "forward")
    domain = ""
    if op.domain:
        names = ("x", "y") if len(op.domain) == 2 else ("x",)
        where = [d.describe(n) for d, n in zip(op.domain, names)
                 if d.describe(n) != "every real number"]
        domain = f"; {op.name} is defined for {' and '.join(where)}" if where else ""
    message = f"{call}: operand outside the domain{domain} ({error})"
    return _op_error(ValueError, message, op, operands, "forward")


def _derivative_error(op: Primitive, node: Value, error: Exception) -> Exception:
    shown = ", ".join(_describe(p) for p in node.parents)
    message = f"backward through {op.name}({shown}): the local derivative is not finite ({error})"
    kind: type[Exception] = ValueError
    if isinstance(error, TypeError):
        message = (f"backward through {op.name}({shown}): {error}" if op.name in str(error)
                   else f"backward through {op.name}({shown}) with create_graph=True: its "
                   f"derivative must be written with autograd's functions, not math's ({error})")
        kind = TypeError
    elif isinstance(error, OverflowError):
        kind = OverflowError
    elif isinstance(error, ZeroDivisionError):
        kind = ZeroDivisionError
    return _op_error(kind, message, op, node.parents, "backward", node)


# -- forward float functions that need more than one line ----------------------------------------


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _sign(x: Any) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def _softplus(x: float) -> float:
    # log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _periodic(f: Callable[[float], float], x: float) -> float:
    # IEEE: sin, cos and tan of an infinity are nan (math raises instead)
    return f(x) if not math.isinf(x) else math.nan


def _power_forward(n: float) -> Callable[[float], float]:
    def forward(x: float) -> float:
        if x == 0.0 and n < 0:
            raise ZeroDivisionError("0.0 cannot be raised to a negative power")
        return math.pow(x, n)

    return forward


def _divide(x: float, y: float) -> float:
    if y == 0.0:
        raise ZeroDivisionError("division by zero")
    return x / y


def _pow_forward(x: float, y: float) -> float:
    if x <= 0.0:
        raise ValueError("the base must be positive when the exponent is a Value")
    return math.pow(x, y)


def _fsum(xs: Sequence[float]) -> float:
    """The correctly rounded sum; with infinities (or beyond the float range), IEEE's sum."""
    try:
        return math.fsum(xs)
    except (ValueError, OverflowError):  # inf - inf, or an intermediate overflow
        return sum(xs)


def _dot_forward(operands: Sequence[float]) -> float:
    n = len(operands) // 2
    products = list(map(operator.mul, operands[:n], operands[n:2 * n]))
    if len(operands) % 2:
        products.append(operands[-1])
    return _fsum(products)


def _dot_partials(operands: Sequence[Any]) -> tuple[Any, ...]:
    n = len(operands) // 2
    bias = (1.0,) if len(operands) % 2 else ()
    return (*operands[n:2 * n], *operands[:n], *bias)  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1


# -- the speed paths, generated from the table ---------------------------------------------------
# The operators of Value and the inner loop of the chain rule are written out as source code
# from the table's entries (their `spelling` and `formula`), so the most common ops run without
# a call per node. Every other op takes the general path through `derivative`.

_INLINE = (mul, add, sub)  # binary ops whose forward cannot raise: built inline by operators


def _building(op: str, data: str, x: str, y: str, indent: str) -> str:
    """The lines that make a node in place and return it: every speed path ends with them."""
    lines = ("out = _new_value(Value)", f"out._data = {data}", "out.grad = 0.0", f"out._x = {x}",
             f"out._y = {y}", f"out.op = {op}", "out.label = None", "return out")
    return "".join(f"\n{indent}{line}" for line in lines)


def _operator_source(op: Primitive, method: str, reflected: bool) -> str:
    """An operator method of Value: `self <op> other`, or `other <op> self` if reflected.

    For the inline ops it builds the node in place when `other` is a Value (the common case)
    or a plain float or int (held by a Constant leaf); anything else, and any recording
    mode, takes the general path through the op, which checks and explains.
    """
    left, right = ("other", "self") if reflected else ("self", "other")
    general = f"return {op.name}({left}, {right})"
    first, second = ("number", "self") if reflected else ("self", "number")
    if op not in _INLINE:  # its forward may raise: the op's own call path runs it
        on_values = "" if reflected else f"""
    if cls is Value:
        {general}"""
        return f"""
def {method}(self, other):
    cls = other.__class__{on_values}
    if (cls is float or cls is int) and not _slow_threads:  # a plain number, as a Constant
        try:
            number = _constant(float(other))
        except OverflowError:  # an int too large for a float: the general path says so
            {general}
        return {op.name}({first}, {second})
    if _is_foreign_array(other):
        return NotImplemented
    {general}
"""
    spelling = op.spelling[0]  # type: ignore[index]
    on_values = "" if reflected else f"""
    if other.__class__ is Value and not _slow_threads:{_building(
        op.name, spelling.format("self._data", "other._data"), "self", "other", "        ")}"""
    on_numbers = _building(op.name, spelling.format(f"{first}._data", f"{second}._data"),
                           first, second, "        ")
    return f"""
def {method}(self, other):{on_values}
    cls = other.__class__
    if (cls is float or cls is int) and not _slow_threads:  # a number, held by a Constant
        try:
            number = _constant(float(other))
        except OverflowError:  # an int too large for a float: the general path says so
            {general}{on_numbers}
    if _is_foreign_array(other):
        return NotImplemented
    {general}
"""


def _negation_source() -> str:
    """-x, built in place like the inline binary ops (its forward cannot raise either)."""
    data = neg.spelling[0].format("self._data")  # type: ignore[index]
    return f"""
def __neg__(self):
    if _slow_threads:
        return neg(self){_building("neg", data, "self", "None", "    ")}
"""


def _unary_methods_source() -> str:
    """x.exp(), x.tanh(), ...: a method per unary op that calls its forward and builds the
    node in place (one call, where `op(x)` would make two)."""
    node = _building("op", "data", "self", "None", "        ")
    return f"""
def _unary_method_of(op):
    def method(self):
        if _slow_threads:
            return op(self)
        try:
            data = op.forward(self._data)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(op, (self,), error) from None{node}
    return method
"""


def _chain_rule_source() -> str:
    """The chain-rule loop, with the inline ops' partials written out from their formulas."""
    branches = []
    for op in _INLINE:
        lines = []
        for parent, formula in zip(("x", "y"), (op.formula or {}).values()):
            partial = formula.replace("x", "x._data").replace("y", "y._data")
            term = "g" if partial == "1" else "-g" if partial == "-1" else f"g * {partial}"
            lines.append(f"                {parent}.grad += {term}")
        branches.append(f"            {'elif' if branches else 'if'} op is {op.name}:  # {op.formula}\n"
                        "                x = node._x\n                y = node._y\n"
                        + "\n".join(lines))
    return f"""
def _chain_rule(order, root, watcher):
    for node in reversed(order):
        op = node.op
        g = node.grad
        try:
{chr(10).join(branches)}
            elif op is dot_:  # {dot_.formula}
                parents = node.parents
                n = len(parents) // 2
                for w, x in zip(parents[:n], parents[n:n + n]):
                    w.grad += g * x._data
                    x.grad += g * w._data
                if len(parents) % 2:
                    parents[-1].grad += g
            elif op is sum_:  # {sum_.formula}
                for x in node.parents:
                    x.grad += g
            elif op.arity == 1:  # any other op of one operand: its derivative, called
                x = node._x
                x.grad += g * op.derivative(x._data, node._data)
            elif op.arity == 2:  # ... of two operands
                x = node._x
                y = node._y
                dx, dy = op.derivative(x._data, y._data, node._data)
                x.grad += g * dx
                y.grad += g * dy
            else:
                _chain_rule_step(node, g)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
            if not (isinstance(error, OpError) and error.node is node):
                error = _derivative_error(op, node, error)
            error.root = root
            raise error from None
        if watcher is not None:
            watcher.on_backward_step(node, root)
"""


def _unary_method(op: Primitive) -> Callable[[Value], Value]:
    method = _unary_method_of(op)  # noqa: F821 - written out and compiled at import
    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = f"{op.__doc__} The method form of `autograd.{op.name}`."
    return method


def _generated(source: str) -> Any:
    return compile(source, "<autograd.engine: generated from the op table>", "exec")


def _install_operators() -> None:
    """Write out the speed paths from the table, compile them once, and give Value its
    operators and a method for every unary function (x.exp(), x.tanh(), x.abs(), ...)."""
    operators = (("__add__", add, False), ("__radd__", add, True),
                 ("__sub__", sub, False), ("__rsub__", sub, True),
                 ("__mul__", mul, False), ("__rmul__", mul, True),
                 ("__truediv__", div, False), ("__rtruediv__", div, True))
    source = "".join([*(_operator_source(op, method, reflected)
                        for method, op, reflected in operators),
                      _negation_source(), _unary_methods_source(), _chain_rule_source()])
    namespace = globals()  # the generated code reads the module's live names
    exec(_generated(source), namespace)  # noqa: S102 - written from the table, never user text
    for method, _, _ in operators:
        setattr(Value, method, namespace.pop(method))
    Value.__neg__ = namespace.pop("__neg__")  # type: ignore[method-assign]
    for op in OPS.values():
        if op.arity == 1 and op.family is None:
            setattr(Value, op.name, _unary_method(op))


_MISSING: Any = object()


class _Unary(Primitive):
    """A one-operand primitive with a direct call path (the common case in a network)."""

    def __call__(self, x: Any = _MISSING, *extra: Any) -> Any:  # type: ignore[override]
        if extra or x is _MISSING:
            given = len(extra) + (x is not _MISSING)
            raise TypeError(f"{self.shown}: takes 1 operand, got {given}")
        if x.__class__ is float:  # a plain number: e.g. relu's derivative during backward
            try:
                return self.forward(x)
            except (ValueError, ZeroDivisionError, OverflowError) as error:
                raise _forward_error(self, (x,), error) from None
        if not isinstance(x, Value):
            if _is_foreign_array(x):
                return self.apply((x,))
            return self.evaluate((_to_float(x, self.shown),), (x,))
        try:
            data = self.forward(x._data)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, (x,), error) from None
        if _slow_threads:
            return _record(self, data, (x,))
        out = _new_value(Value)
        out._data = data
        out.grad = 0.0
        out._x = x
        out._y = None
        out.op = self
        out.label = None
        return out


class _Binary(Primitive):
    """A two-operand primitive with a direct call path."""

    def __call__(self, a: Any = _MISSING, b: Any = _MISSING, *extra: Any) -> Any:  # type: ignore[override]
        if extra or b is _MISSING:
            given = len(extra) + (a is not _MISSING) + (b is not _MISSING)
            raise TypeError(f"{self.shown}: takes 2 operands, got {given}")
        if not isinstance(a, Value) or not isinstance(b, Value):
            return self.apply((a, b))
        try:
            data = self.forward(a._data, b._data)
        except (ValueError, ZeroDivisionError, OverflowError) as error:
            raise _forward_error(self, (a, b), error) from None
        if _slow_threads:
            return _record(self, data, (a, b))
        out = _new_value(Value)
        out._data = data
        out.grad = 0.0
        out._x = a
        out._y = b
        out.op = self
        out.label = None
        return out


def _as_unary_binary() -> None:
    # The table's entries were declared before these classes existed (story order): give
    # each its direct call path now.
    for op in [*OPS.values(), maximum, minimum]:
        if op.arity == 1 and op.__class__ is Primitive:
            op.__class__ = _Unary
        elif op.arity == 2 and op.__class__ is Primitive:
            op.__class__ = _Binary


_CALL_PATHS.update({1: _Unary, 2: _Binary})
_BUILT_IN = frozenset(vars(Value))  # Value's own attributes, never removed by undeclare
OPS["power"] = power(2.0)  # the families in the table, each with a typical parameter
OPS["leaky_relu"] = leaky(0.01)
_as_unary_binary()
_install_operators()
pow_ = pow  # the names of earlier versions
