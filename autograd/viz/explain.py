"""The words and maths of each step: a forward step as the user wrote it, a backward edge as
its local derivative (formula, then numbers) and its chain-rule product.

>>> from autograd import Value
>>> from autograd.viz.view import view_of
>>> x1, x2 = Value(100.0, label="x1"), Value(2.0, label="x2")
>>> v = x1 * x2; v.label = "v"; v.backward()
>>> say = Explainer(view_of(v))
>>> say.forward(v).text
'v = x1 * x2 = 100 * 2 = 200'
>>> say.local(v, 0, 2.0).text
'dv/dx1 = x2 = 2'
>>> say.product(v, 0, 1.0, 2.0, 2.0).text
'x1.grad += v.grad * dv/dx1 = 1 * 2 = 2'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd.engine import Constant, Value, maximum, minimum, neg
from autograd.engine import pow as pow_op
from autograd.viz.formula import (
    FormulaError,
    Term,
    Tree,
    binary,
    call,
    fold,
    math_block,
    negate,
    parse,
    write,
)
from autograd.viz.view import GraphView, GroupPath, number_formatter, short_name

__all__ = ["Explainer", "Line"]

MANY = 6  # sums with more terms than this are written with an ellipsis
ELLIPSIS = Term("<mi>⋯</mi>", "...")
_INFIX = {"+": "add", "-": "sub", "*": "mul", "/": "div"}


@dataclass(frozen=True)
class Line:
    """One line of maths: its MathML content and its plain text.

    >>> Line("<mi>x</mi>", "x").block()[:6]
    '<math '
    """

    ml: str
    text: str

    def block(self) -> str:
        """The line as a <math> element, its text as the annotation."""
        return math_block(self.ml, self.text)


def _join(parts: Sequence[Term], sign: str = "=") -> Line:
    mo = {"=": "=", "+=": "+="}[sign]
    ml = f"<mo>{mo}</mo>".join(p.ml for p in parts)
    return Line(ml, f" {sign} ".join(p.text for p in parts))


def _sum(terms: Sequence[Term]) -> Term:
    """t1 + t2 + ... (an ellipsis in the middle of long sums)."""
    if len(terms) > MANY:
        terms = [*terms[:3], ELLIPSIS, terms[-1]]
    total = terms[0]
    for term in terms[1:]:
        total = binary("add", total, term)
    return total


def _fraction(top: Term, bottom: Term, text: str) -> Term:
    return Term(f"<mfrac><mrow>{top.ml}</mrow><mrow>{bottom.ml}</mrow></mfrac>", text, "frac")


def _cached_parse(text: str, cache: dict[str, Tree | None]) -> Tree | None:
    if text not in cache:
        try:
            cache[text] = parse(text)
        except FormulaError:
            cache[text] = None  # a generic form such as 'd my_op/dx': shown as a fraction
    return cache[text]


class Explainer:
    """Writes the lines of the explainer for the graph of `view` (numbers by `fmt`).

    >>> from autograd import Value
    >>> from autograd.viz.view import view_of
    >>> n = Value(0.8814, label="n"); o = n.tanh(); o.label = "o"
    >>> say = Explainer(view_of(o))
    >>> say.local(o, 0, 0.5).text
    'do/dn = 1 - tanh(n)^2 = 1 - 0.7071^2 = 0.5'
    """

    def __init__(self, view: GraphView, fmt: Callable[[float], str] | None = None) -> None:
        self.view = view
        self.fmt = fmt or number_formatter(".4g")
        self._names: dict[tuple[Value, GroupPath | None], Term] = {}
        self.context: GroupPath | None = None  # names inside this group drop its prefix
        self._forward: dict[Value, Term] = {}
        self._trees: dict[str, Tree | None] = {}
        self._numbers: dict[float, Term] = {}

    # -- terms -----------------------------------------------------------------------------------

    def number(self, x: float) -> Term:
        """A number, written by the page's number format."""
        term = self._numbers.get(x)
        if term is None:
            term = self._numbers[x] = Term.number(self.fmt(x))
        return term

    def name(self, node: Value) -> Term:
        """The node by name (short inside the `context` group); a constant by its number."""
        key = (node, self.context)
        term = self._names.get(key)
        if term is None:
            if isinstance(node, Constant) and not node.parents:
                term = self.number(node.data)
            else:
                term = Term.name(short_name(self.view.name(node), self.context))
            self._names[key] = term
        return term

    def within(self, node: Value | None) -> GroupPath | None:
        """Name nodes from here on as seen from inside the group of `node` (its parameters
        read `w.0`, `b`), or with full names for None; returns that group."""
        self.context = None if node is None else self.view.group_of(node)
        self._forward.clear()
        return self.context

    def grad_of(self, node: Value) -> Term:
        """'x.grad', set as maths."""
        name = self.name(node)
        return Term(f"<mrow>{name.ml}<mtext>.grad</mtext></mrow>", f"{name.text}.grad")

    def partial(self, node: Value, parent: Value) -> Term:
        """The local derivative's name: ∂v/∂p (plain text dv/dp)."""
        top, bottom = self.name(node), self.name(parent)
        return _fraction(Term(f"<mo>∂</mo>{top.ml}", ""), Term(f"<mo>∂</mo>{bottom.ml}", ""),
                         f"d{top.text}/d{bottom.text}")

    def applied(self, node: Value, operands: Sequence[Term]) -> Term:
        """The op of `node` applied to `operands`, as the user wrote it: infix where the op is
        infix, a neuron's dot product as w·x + b, a call otherwise."""
        op = node.op
        assert op is not None
        if op.infix and op.symbol in _INFIX and len(operands) == 2:
            return binary(_INFIX[op.symbol], operands[0], operands[1])
        if op is neg:
            return negate(operands[0])
        if op.family == "power" and op.parameter is not None:
            return binary("pow", operands[0], Term.number(f"{op.parameter:g}"))
        if op is pow_op:
            return binary("pow", operands[0], operands[1])
        roles = op.formula or {}
        if op.arity == 0 and list(roles) == ["x_i"]:
            return _sum(operands)
        if op.arity == 0 and {"w_i", "x_i"} <= set(roles):
            n = len(operands) // 2
            terms = [binary("mul", operands[i], operands[n + i]) for i in range(n)]
            if len(operands) % 2:
                terms.append(operands[-1])
            return _sum(terms)
        if op is maximum or op is minimum:
            return call("max" if op is maximum else "min", list(operands))
        return call(op.family or op.name, list(operands))

    def symbolic(self, node: Value) -> Term:
        """The op of `node` applied to its operands' names (constants by their numbers)."""
        term = self._forward.get(node)
        if term is None:
            term = self.applied(node, [self.name(p) for p in node.parents])
            self._forward[node] = term
        return term

    # -- lines -----------------------------------------------------------------------------------

    def forward(self, node: Value) -> Line:
        """`v = x1 * x2 = 100 * 2 = 200`: the op as written, with names, then with numbers."""
        parts = [self.name(node), self.symbolic(node)]
        numeric = self.applied(node, [self.number(p.data) for p in node.parents])
        if numeric.text != parts[-1].text:
            parts.append(numeric)
        value = self.number(node.data)
        if value.text != parts[-1].text:
            parts.append(value)
        return _join(parts)

    def roles(self, node: Value, k: int) -> tuple[str | None, dict[str, int]]:
        """The formula key of operand `k` and the operand each formula name stands for."""
        op = node.op
        assert op is not None
        formula = op.formula or {}
        keys = list(formula)
        count = len(node.parents)
        if op.arity != 0:
            return (keys[k] if k < len(keys) else None), {key: i for i, key in enumerate(keys)}
        if keys == ["x_i"]:
            return "x_i", {"x_i": k}
        if {"w_i", "x_i"} <= set(keys):
            n = count // 2
            if k < n:
                return "w_i", {"w_i": k, "x_i": n + k}
            if k < 2 * n:
                return "x_i", {"w_i": k - n, "x_i": k}
            return ("b" if "b" in formula else None), {}
        return None, {}

    def local(self, node: Value, k: int, value: float | None) -> Line:
        """`do/dn = 1 - tanh(n)^2 = 1 - 0.7071^2 = 0.5`: the partial of `node` with respect to
        its operand `k`, as a formula in names, then in numbers, then its value."""
        op = node.op
        assert op is not None
        parent = node.parents[k]
        key, where = self.roles(node, k)
        parts = [self.partial(node, parent)]
        text = (op.formula or {}).get(key) if key is not None else None
        tree = _cached_parse(text, self._trees) if text is not None else None
        if tree is not None and op.parameter is not None:  # power's n, leaky_relu's slope
            tree = fold(tree, {free: op.parameter for free in ("n", "slope")})
        if tree is not None:
            names = {name: self.name(node.parents[i]) for name, i in where.items()}
            numbers = {name: self.number(node.parents[i].data) for name, i in where.items()}
            names["out"] = self.symbolic(node)
            numbers["out"] = self.number(node.data)
            for term in (write(tree, names), write(tree, numbers)):
                if term.text != parts[-1].text:
                    parts.append(term)
        elif text is not None:  # a user primitive without a formula: d my_op/dx
            op_name = op.family or op.name
            operand = key or "x"
            parts.append(_fraction(Term(f"<mo>d</mo><mi>{op_name}</mi>", ""),
                                   Term(f"<mo>d</mo>{Term.name(operand).ml}", ""),
                                   f"d {op_name}/d{operand}"))
        if value is not None:
            shown = self.number(value)
            if shown.text != parts[-1].text:
                parts.append(shown)
        else:
            parts.append(Term("<mtext>?</mtext>", "?"))
        return _join(parts)

    def product(self, node: Value, k: int, g: float, local: float | None,
                flow: float | None) -> Line:
        """`n.grad += o.grad * do/dn = 1 * 0.5 = 0.5`: the chain rule for one edge."""
        parent = node.parents[k]
        symbolic = binary("mul", self.grad_of(node), self.partial(node, parent))
        first = Line(f"{self.grad_of(parent).ml}<mo>+=</mo>{symbolic.ml}",
                     f"{self.grad_of(parent).text} += {symbolic.text}")
        rest: list[Term] = []
        if local is not None:
            rest.append(binary("mul", self.number(g), self.number(local)))
        rest.append(self.number(flow) if flow is not None else Term("<mtext>?</mtext>", "?"))
        tail = _join(rest)
        return Line(f"{first.ml}<mo>=</mo>{tail.ml}", f"{first.text} = {tail.text}")

    def running(self, parent: Value, terms: Sequence[float], total: float) -> Line:
        """`x.grad = 0.1415 + 1.5 = 1.641`: a gradient that sums several edges."""
        shown = [self.number(t) for t in terms]
        return _join([self.grad_of(parent), _sum(shown), self.number(total)])

    def seed(self, root: Value) -> Line:
        """`y.grad = dy/dy = 1`: where the backward pass starts."""
        return _join([self.grad_of(root), self.partial(root, root), Term.number("1")])

    def expansion(self, node: Value, uses: Sequence[tuple[Value, int, float | None, float]]
                  ) -> tuple[Line, list[Line], Line | None]:
        """The full gradient of `node`: dL/dx = the sum, over the ops that use x, of their
        gradient times their local derivative. Gives the head (`x.grad = dL/dx`), one line per
        use (`dL/dc * dc/dx = g * l = product`) and the total (None for the output itself).

        `uses` lists (consumer, operand index, local derivative, consumer's gradient).
        """
        root = self.view.root
        d_root = Term(f"<mo>∂</mo>{self.name(root).ml}", "")
        whole = _fraction(d_root, Term(f"<mo>∂</mo>{self.name(node).ml}", ""),
                          f"d{self.name(root).text}/d{self.name(node).text}")
        if node is root:
            return _join([self.grad_of(node), whole, Term.number("1")]), [], None
        head = _join([self.grad_of(node), whole])
        lines, total = [], 0.0
        for consumer, k, local, g in uses:
            upstream = _fraction(d_root, Term(f"<mo>∂</mo>{self.name(consumer).ml}", ""),
                                 f"d{self.name(root).text}/d{self.name(consumer).text}")
            parts = [binary("mul", upstream, self.partial(consumer, consumer.parents[k]))]
            if local is not None:
                parts += [binary("mul", self.number(g), self.number(local)),
                          self.number(g * local)]
                total += g * local
            lines.append(_join(parts))
        end = _join([Term("", ""), self.number(total)])
        return head, lines, Line(end.ml, end.text.strip())


def constant_note(fmt: Callable[[float], str], node: Value) -> str:
    """The words for an operand that takes no gradient.

    >>> constant_note(str, Value(2.0, requires_grad=False))
    '2.0 is a constant: it takes no gradient'
    """
    return f"{fmt(node.data)} is a constant: it takes no gradient"
