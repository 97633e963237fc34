"""Derivatives as functions: reverse mode (`grad`, `value_and_grad`, `hessian`), forward mode
(`jvp`, `linearize`, dual numbers), and both together (`jacobian`, `hvp`).

`grad`, `value_and_grad` and `hessian` turn a Python function of floats, written with this
library's ops and functions (`autograd.exp`, `autograd.sin`, ...), into a function that returns
its derivatives. They compose: `grad(grad(f))` is the second derivative.

A transform called while another one is evaluating its function (inside the outer function,
with recording on) records its own graph and returns Values, so that the outer transform can
differentiate through it, also when the inner function only closes over the outer variable.
Called at the top level, or under `no_grad()`, transforms return plain floats.

Forward mode pushes a tangent (a direction of the inputs) from the inputs to the output and
gives the directional derivative; reverse mode pulls the gradient from the output back to the
inputs. Both use the same local derivatives, the `derivative` of each primitive in the engine's
table: there is no second table. How forward mode reaches those derivatives: a dual number
`Dual(value, tangent)` carries a value and its derivative along one direction, and applying a
primitive to duals takes the result's tangent from the primitive's own local partials,
sum_k d(out)/d(operand_k) * tangent_k. The library's functions take floats and Values, not
duals, so `jvp` does not run f on duals: it runs f once on Values, recording its graph, and
then gives every node a dual, in topological order, from its parents' duals and its own op,
exactly as `Dual.apply` does. When the primals or tangents are Values (or a transform is
differentiating the call), that push is itself recorded with Values, so forward mode and
reverse mode compose either way round: `grad` of a `jvp`, `jvp` of a `grad` (`hvp`).

>>> from autograd import sin
>>> d2sin = grad(grad(sin))
>>> round(d2sin(1.0), 12) == round(-sin(1.0), 12)          # d²/dx² sin x = -sin x
True
>>> jvp(lambda x, y: x * sin(y))(2.0, 0.0, tangents=(1.0, 1.0))   # sin y + x cos y along (1, 1)
(0.0, 2.0)

`numerical_grad`, `gradcheck` and `gradgradcheck` live in `autograd.checking` and are kept
importable from here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from autograd import engine
from autograd._calling import (
    _MATH_HINT,
    _MATH_ON_A_VALUE,  # noqa: F401 - what math says when given a Value, read by autograd.compiled
    Argnums,
    _call_on_values,
    _check_argnums,
    _derivatives,
    _evaluate_and_differentiate,
    _inside_transform,
    _is_real,
    _name_of,
    _nested,
    _positions,
    _scalar_output,
    _wrap,
)
from autograd.checking import (  # moved to autograd.checking; still importable from here
    GradcheckEntry,
    GradcheckError,
    GradcheckReport,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)
from autograd.engine import Primitive, Value, enable_grad, topological_order

__all__ = [
    "Dual",
    "GradcheckEntry",
    "GradcheckError",
    "GradcheckReport",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "linearize",
    "numerical_grad",
    "tangent_hook",
    "value_and_grad",
]


# ----------------------------------------------------------------------------------------------
# Function transforms.
# ----------------------------------------------------------------------------------------------


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of a scalar function `f`, as a function of the same arguments.

    `argnums` picks the arguments to differentiate: an int gives one derivative, a tuple a
    tuple of them. Called with floats, the result is floats; called with Values, or from inside
    the function of another transform (recording on), it is Values that can be differentiated
    again, so transforms compose, even when `f` only closes over the outer variable.
    Extra keyword arguments are passed to `f` and not differentiated.

    >>> from autograd import exp, sin
    >>> grad(lambda x, y: x * x * y)(3.0, 2.0)                  # d(x²y)/dx = 2xy
    12.0
    >>> grad(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)  # (2xy, x²)
    (12.0, 9.0)
    >>> grad(grad(grad(exp)))(0.0)                              # every derivative of e^x is e^x
    1.0
    >>> grad(lambda x: grad(lambda y: x * y * y)(1.0))(3.0)    # d/dx [d/dy x y² at y = 1] = 2
    2.0
    """
    _check_argnums(argnums, "grad")

    def gradient_of_f(*args: Any, **kwargs: Any) -> Any:
        return _evaluate_and_differentiate(f, argnums, args, kwargs, "grad")[1]

    gradient_of_f.__name__ = f"grad({_name_of(f)})"
    gradient_of_f.__doc__ = f"The gradient of {_name_of(f)} with respect to argnums={argnums!r}."
    return gradient_of_f


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Like `grad`, but the function returns `(f(*args), gradient)` from one forward pass.

    >>> from autograd import log
    >>> value_and_grad(lambda x: x * log(x))(1.0)                 # x log x, 1 + log x
    (0.0, 1.0)
    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (10.0, (5.0, 2.0))
    """
    _check_argnums(argnums, "value_and_grad")

    def value_and_gradient_of_f(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _evaluate_and_differentiate(f, argnums, args, kwargs, "value_and_grad")

    value_and_gradient_of_f.__name__ = f"value_and_grad({_name_of(f)})"
    return value_and_gradient_of_f


def hessian(f: Callable[..., Any], argnums: Argnums | None = None) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar function, as nested lists.

    By default over every positional argument; `argnums` picks some. Row i holds the
    derivatives of d f / d x_i. One backward pass builds the gradient as a graph, then one
    more pass per input differentiates it (reverse over reverse). The matrix is symmetric, so
    each pass fills its row from the diagonal on and the entries below are mirrored: the
    result is exactly symmetric, and nested (Value) entries are shared rather than recorded
    twice. For H v without the matrix, use `hvp`.

    >>> def rosenbrock(x, y):
    ...     return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    >>> hessian(rosenbrock)(1.0, 1.0)                           # [[802, -400], [-400, 200]]
    [[802.0, -400.0], [-400.0, 200.0]]
    """
    _check_argnums(argnums, "hessian")

    def hessian_of_f(*args: Any, **kwargs: Any) -> list[list[Any]]:
        positions = _positions(argnums, len(args), "hessian")
        nested = _nested(args)
        with enable_grad():
            wrapped, inputs = _wrap(args, positions, "hessian")
            out = _scalar_output(_call_on_values(f, wrapped, kwargs, "hessian"), f, "hessian")
            firsts = _derivatives(out, inputs, nested=True)
            n = len(inputs)
            matrix: list[list[Any]] = [[None] * n for _ in range(n)]
            for i, first in enumerate(firsts):
                # d²f / dx_i dx_j = d²f / dx_j dx_i: row i from the diagonal on
                for j, entry in enumerate(_derivatives(first, inputs[i:], nested), start=i):
                    matrix[i][j] = matrix[j][i] = entry
            return matrix

    hessian_of_f.__name__ = f"hessian({_name_of(f)})"
    return hessian_of_f


# ----------------------------------------------------------------------------------------------
# Forward mode: dual numbers, and tangents pushed through a recorded graph.
# ----------------------------------------------------------------------------------------------


def _exactly(x: Any, number: float) -> bool:
    """Whether `x` is the plain float `number` (a Value is never just a number here)."""
    return type(x) is float and x == number


def _tangent(op: Primitive, operands: Sequence[Any], out: Any, tangents: Sequence[Any]) -> Any:
    """The tangent of `op`'s result: sum_k d(out)/d(operand_k) * tangent_k.

    The partials are the op's own local derivative, `op.derivative(*operands, out)`: floats
    for float operands, Values (recorded) for Value operands. A tangent that is exactly 0.0
    contributes nothing and is not multiplied (only a plain float counts as exactly zero: a
    Value holding 0.0 still carries a graph).

    >>> _tangent(engine.mul, (3.0, 4.0), 12.0, (1.0, 0.5))        # 4 * 1 + 3 * 0.5
    5.5
    """
    partials = op.derivative(*operands, out)
    if op.arity == 1:
        t = tangents[0]
        return 0.0 if _exactly(t, 0.0) else partials * t
    total: Any = None
    for partial, t in zip(partials, tangents):
        if _exactly(t, 0.0):
            continue
        term = t if _exactly(partial, 1.0) else partial * t
        total = term if total is None else total + term
    return 0.0 if total is None else total


class Dual:
    """A dual number value + tangent·ε (with ε² = 0): a value and its derivative along one
    direction.

    Applying a primitive to duals takes the value from the op and the tangent from the op's
    own local derivative (the `derivative` the backward pass uses):
    f(a + a'ε, b + b'ε) = f(a, b) + (df/da a' + df/db b') ε. Arithmetic operators work on
    duals directly; any primitive, built in or declared with `autograd.primitive`, through
    `Dual.apply(op, *operands)`. Values and tangents may be floats or Values. `jvp` gives
    every node of a recorded graph its dual in exactly this way.

    >>> from autograd import sin, exp
    >>> x = Dual(3.0, 1.0)                   # x = 3, moving at speed 1
    >>> x * x + 2 * x                        # x² + 2x = 15; its derivative 2x + 2 = 8
    Dual(15.0, 8.0)
    >>> Dual.apply(sin, Dual(0.0, 2.0))       # sin 0 = 0; slope cos 0 = 1, times 2
    Dual(0.0, 2.0)
    >>> y = Dual(2.0, 0.0)                    # held fixed
    >>> (x / y) ** 2                          # (x/y)², derivative 2 (x/y) / y = 1.5
    Dual(2.25, 1.5)
    """

    __slots__ = ("tangent", "value")

    def __init__(self, value: Any, tangent: Any = 0.0) -> None:
        for what, x in (("value", value), ("tangent", tangent)):
            if not (isinstance(x, Value) or _is_real(x)):
                raise TypeError(f"Dual: the {what} must be a real number or a Value, "
                                f"got {type(x).__name__} {x!r}")
        self.value = value if isinstance(value, Value) else float(value)
        self.tangent = tangent if isinstance(tangent, Value) else float(tangent)

    @staticmethod
    def apply(op: Primitive, *operands: Any) -> Dual:
        """`op` applied to duals (or plain numbers and Values, whose tangent is 0).

        >>> from autograd import maximum
        >>> Dual.apply(maximum, Dual(1.0, 5.0), 0.5)     # the larger operand passes its tangent
        Dual(1.0, 5.0)
        """
        values = [x.value if isinstance(x, Dual) else x for x in operands]
        tangents = [x.tangent if isinstance(x, Dual) else 0.0 for x in operands]
        out = op(*values)
        return Dual(out, _tangent(op, values, out, tangents))

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def __add__(self, other: Any) -> Dual:
        return Dual.apply(engine.add, self, other)

    def __radd__(self, other: Any) -> Dual:
        return Dual.apply(engine.add, other, self)

    def __mul__(self, other: Any) -> Dual:
        return Dual.apply(engine.mul, self, other)

    def __rmul__(self, other: Any) -> Dual:
        return Dual.apply(engine.mul, other, self)

    def __neg__(self) -> Dual:
        return Dual.apply(engine.mul, self, -1.0)

    def __pos__(self) -> Dual:
        return self

    def __sub__(self, other: Any) -> Dual:
        return self + (-other)

    def __rsub__(self, other: Any) -> Dual:
        return other + (-self)

    def __truediv__(self, other: Any) -> Dual:
        return Dual.apply(engine.div, self, other)

    def __rtruediv__(self, other: Any) -> Dual:
        return Dual.apply(engine.div, other, self)

    def __pow__(self, exponent: Any) -> Dual:
        if isinstance(exponent, (Dual, Value)):
            return Dual.apply(engine.pow_, self, exponent)
        return Dual.apply(engine.power(exponent), self)

    def __rpow__(self, base: Any) -> Dual:
        return Dual.apply(engine.pow_, base, self)


class _TangentHooks(threading.local):
    hook: Callable[[Value], None] | None = None


_tangent_hooks = _TangentHooks()


@contextmanager
def tangent_hook(hook: Callable[[Value], None]) -> Iterator[None]:
    """Call `hook(node)` on every node whose tangent a forward-mode pass computes, in this
    thread (`autograd.count_ops` counts with it).

    >>> seen = []
    >>> with tangent_hook(seen.append):
    ...     _ = jvp(lambda x: x * x + 1.0)(3.0, tangents=1.0)
    >>> [node.data for node in seen]
    [9.0, 10.0]
    """
    previous = _tangent_hooks.hook
    _tangent_hooks.hook = hook
    try:
        yield
    finally:
        _tangent_hooks.hook = previous


class _Linearization:
    """f's recorded graph at one point, ready to push tangents through (one pass per push).

    `steps` are the nodes that depend on an input, in topological order; the inputs' tangents
    sit in slots 1..n, the steps' after them, and slot 0 holds the 0.0 of everything else.
    """

    def __init__(self, outputs: Sequence[Any], inputs: Sequence[Value], nested: bool,
                 caller: str) -> None:
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.nested = nested
        self.caller = caller
        slot = {x: 1 + k for k, x in enumerate(inputs)}
        steps: list[Value] = []
        seen: set[Value] = set()
        for out in outputs:
            if not isinstance(out, Value):
                continue
            for node in topological_order(out):  # the orders of several outputs, merged
                if node in seen:
                    continue
                seen.add(node)
                if node not in slot and any(p in slot for p in node.parents):
                    slot[node] = 1 + len(inputs) + len(steps)
                    steps.append(node)
        self.steps = steps
        self.slot = slot
        # per step: its slot, op, node, operands' data and operands' slots
        self.plan: list[tuple[int, Primitive, Value, tuple[float, ...], tuple[int, ...]]] = [
            (slot[node], node.op, node, tuple(p.data for p in node.parents),  # type: ignore[misc]
             tuple(slot.get(p, 0) for p in node.parents)) for node in steps]

    def push(self, tangents: Sequence[Any]) -> list[Any]:
        """The outputs' tangents for the inputs' `tangents`: one forward-mode pass."""
        recorded = self.nested or any(isinstance(t, Value) for t in tangents)
        ts: list[Any] = [0.0, *tangents] + [0.0] * len(self.steps)
        hook = _tangent_hooks.hook
        tangent = _tangent
        node: Value | None = None
        try:
            if recorded:  # with Values: the pass is recorded, to be differentiated again
                with enable_grad(), _inside_transform():
                    for k, op, node, _, slots in self.plan:
                        ts[k] = tangent(op, node.parents, node, [ts[s] for s in slots])
                        if hook is not None:
                            hook(node)
            else:  # on floats: each node's local derivative at its recorded operands
                for k, op, node, operands, slots in self.plan:
                    ts[k] = tangent(op, operands, node.data, [ts[s] for s in slots])
                    if hook is not None:
                        hook(node)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError) as error:
            raise self._error(node, error) from None
        results = []
        for out in self.outputs:
            t = ts[self.slot[out]] if isinstance(out, Value) and out in self.slot else 0.0
            if recorded:
                results.append(t if isinstance(t, Value) else Value(float(t)))
            else:
                results.append(t.data if isinstance(t, Value) else float(t))
        return results

    def _error(self, node: Value | None, error: Exception) -> Exception:
        if node is None or node.op is None:  # pragma: no cover - raised before any node
            return error
        shown = ", ".join(repr(p.data) for p in node.parents)
        where = f"{self.caller}: forward mode through {node.op.name}({shown})"
        if isinstance(error, TypeError):
            if _MATH_HINT in str(error):
                return error
            return TypeError(f"{where}: its derivative must be written with autograd's "
                             f"functions, {_MATH_HINT} ({error})")
        return type(error)(f"{where}: the local derivative is not finite ({error})")


def _outputs(out: Any, f: Callable[..., Any], caller: str) -> tuple[list[Any], bool]:
    """f's result as a list of outputs (numbers or Values), and whether it was one output."""
    if isinstance(out, Value) or _is_real(out):
        return [out], True
    if isinstance(out, (list, tuple)):
        for k, item in enumerate(out):
            if not (isinstance(item, Value) or _is_real(item)):
                raise TypeError(f"{caller}: {_name_of(f)} returned {type(item).__name__} "
                                f"{item!r} at position {k}; expected numbers or Values")
        return list(out), False
    raise TypeError(f"{caller}: {_name_of(f)} must return a number, a Value or a list of "
                    f"them, got {type(out).__name__}")


def _linearized(f: Callable[..., Any], argnums: Argnums | None, primals: Sequence[Any],
                kwargs: dict[str, Any], caller: str) -> tuple[Any, list[Value], list[Any],
                                                               bool, bool]:
    """Record f at `primals`: (values, inputs, outputs, one output?, nested?)."""
    positions = _positions(argnums, len(primals), caller)
    nested = _nested(primals)
    with enable_grad():
        wrapped, inputs = _wrap(primals, positions, caller)
        out = _call_on_values(f, wrapped, kwargs, caller)
    outputs, single = _outputs(out, f, caller)
    values = [o if nested or not isinstance(o, Value) else o.data for o in outputs]
    values = [v if isinstance(v, Value) else float(v) for v in values]
    return values, inputs, outputs, single, nested


def _checked_tangents(tangents: Any, n: int, one: bool, caller: str) -> list[Any]:
    """One tangent (a number or a Value) per differentiated argument."""
    if isinstance(tangents, Value) or _is_real(tangents):
        if not one and n != 1:
            raise ValueError(f"{caller}: one tangent given for {n} differentiated arguments; "
                             f"give a sequence of {n}")
        tangents = [tangents]
    elif one:
        raise TypeError(f"{caller}: with an int argnums the tangent is one number or Value, "
                        f"got {type(tangents).__name__}")
    elif isinstance(tangents, (list, tuple)):
        tangents = list(tangents)
        if len(tangents) != n:
            raise ValueError(f"{caller}: {len(tangents)} tangent(s) given for {n} "
                             "differentiated argument(s)")
    else:
        raise TypeError(f"{caller}: tangents must be a number, a Value or a sequence of them, "
                        f"got {type(tangents).__name__}")
    checked = []
    for k, t in enumerate(tangents):
        if type(t) is float or isinstance(t, Value):
            checked.append(t)
        elif _is_real(t):
            checked.append(float(t))
        else:
            raise TypeError(f"{caller}: tangent {k} must be a real number or a Value, "
                            f"got {type(t).__name__} {t!r}")
    return checked


def linearize(f: Callable[..., Any], argnums: Argnums | None = None) -> Callable[..., Any]:
    """f's value at a point together with its derivative there, as a function of tangents.

    `linearize(f)(*primals)` returns `(value, derivative)`: f is evaluated once, recording its
    graph, and each call `derivative(*tangents)` (one tangent per differentiated argument) is
    one forward-mode pass through that graph, giving the directional derivative. `argnums`
    picks the arguments (default: all). f may return one number or a list of them.

    >>> from autograd import sin
    >>> value, derivative = linearize(lambda x, y: x * sin(y))(2.0, 0.0)
    >>> value, derivative(1.0, 0.0), derivative(0.0, 1.0)     # sin y, then x cos y
    (0.0, 0.0, 2.0)
    """
    _check_argnums(argnums, "linearize")

    def linearized_f(*primals: Any, **kwargs: Any) -> tuple[Any, Callable[..., Any]]:
        values, inputs, outputs, single, nested = _linearized(f, argnums, primals, kwargs,
                                                              "linearize")
        graph = _Linearization(outputs, inputs, nested, "linearize")

        def derivative(*tangents: Any) -> Any:
            seeds = _checked_tangents(list(tangents), len(inputs), False, "linearize")
            result = graph.push(seeds)
            return result[0] if single else result

        derivative.__name__ = f"derivative of {_name_of(f)}"
        return (values[0] if single else values), derivative

    linearized_f.__name__ = f"linearize({_name_of(f)})"
    return linearized_f


def _jvp(f: Callable[..., Any], argnums: Argnums | None, primals: Sequence[Any], tangents: Any,
         kwargs: dict[str, Any], caller: str) -> tuple[Any, Any]:
    values, inputs, outputs, single, nested = _linearized(f, argnums, primals, kwargs, caller)
    seeds = _checked_tangents(tangents, len(inputs), isinstance(argnums, int), caller)
    result = _Linearization(outputs, inputs, nested, caller).push(seeds)
    return (values[0], result[0]) if single else (values, result)


def jvp(f: Callable[..., Any], argnums: Argnums | None = None) -> Callable[..., Any]:
    """Forward mode: `jvp(f)(*primals, tangents=...)` returns `(f(*primals), directional
    derivative)`.

    The directional derivative is J v, the derivative of f along the tangents v (one per
    differentiated argument: a sequence, or one number when there is one argument), found
    by pushing v forward through f's graph with each primitive's own local derivative (see
    `Dual`). `argnums` picks the arguments (default: all). f may return one number or a list
    of them, and then both results are lists. Composes with reverse mode: Value primals or
    tangents, or a call inside another transform, give Values that can be differentiated.

    >>> from autograd import exp, sin
    >>> jvp(sin)(0.0, tangents=1.0)                         # sin 0, cos 0
    (0.0, 1.0)
    >>> jvp(lambda x, y: [x * y, x + y])(2.0, 3.0, tangents=(1.0, 0.0))
    ([6.0, 5.0], [3.0, 1.0])
    >>> grad(lambda x: jvp(exp)(x, tangents=1.0)[1])(0.0)   # d/dx of (d/dx e^x) at 0
    1.0
    """
    _check_argnums(argnums, "jvp")

    def jvp_of_f(*primals: Any, tangents: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _jvp(f, argnums, primals, tangents, kwargs, "jvp")

    jvp_of_f.__name__ = f"jvp({_name_of(f)})"
    return jvp_of_f


_MODES = ("forward", "reverse", "auto")


def jacobian(f: Callable[..., Any], argnums: Argnums | None = None,
             mode: str = "auto") -> Callable[..., Any]:
    """The matrix of first derivatives d f_i / d x_j of f: R^n -> R^m, as nested lists.

    `mode="forward"` pushes one tangent per input (n forward-mode passes, one column each);
    `"reverse"` runs one backward pass per output (m passes, one row each); `"auto"` picks
    forward when n < m and reverse otherwise. Both share one recorded evaluation of f.
    Row i is output i; with one output (a number) the result is one row, and with an int
    `argnums` each row is one number, as with `grad`.

    >>> def polar(r, t):
    ...     return [r * cos(t), r * sin(t)]
    >>> from autograd import cos, sin
    >>> jacobian(polar)(2.0, 0.0)                           # [[cos t, -r sin t], [sin t, r cos t]]
    [[1.0, 0.0], [0.0, 2.0]]
    >>> jacobian(polar, mode="reverse")(2.0, 0.0) == jacobian(polar, mode="forward")(2.0, 0.0)
    True
    """
    _check_argnums(argnums, "jacobian")
    if mode not in _MODES:
        raise ValueError(f"jacobian: mode must be 'forward', 'reverse' or 'auto', got {mode!r}")

    def jacobian_of_f(*args: Any, **kwargs: Any) -> Any:
        _, inputs, outputs, single, nested = _linearized(f, argnums, args, kwargs, "jacobian")
        n, m = len(inputs), len(outputs)
        forward = mode == "forward" or (mode == "auto" and n < m)
        if forward:
            graph = _Linearization(outputs, inputs, nested, "jacobian")
            columns = [graph.push([1.0 if k == j else 0.0 for k in range(n)]) for j in range(n)]
            rows = [[columns[j][i] for j in range(n)] for i in range(m)]
        else:
            with enable_grad():
                rows = [_derivatives(out, inputs, nested) for out in outputs]
        if isinstance(argnums, int):
            rows = [row[0] for row in rows]
        return rows[0] if single else rows

    jacobian_of_f.__name__ = f"jacobian({_name_of(f)})"
    return jacobian_of_f


def hvp(f: Callable[..., Any]) -> Callable[..., Any]:
    """The Hessian of a scalar function times a vector: `hvp(f)(x, v)` = H(x) v.

    Forward mode over reverse mode: the tangent v is pushed through the recorded graph of the
    gradient (a `jvp` of `grad(f)`), so the cost is a small multiple of one gradient and the
    n-by-n Hessian is never formed. `x` is the point (a number for a function of one
    argument, or a sequence with one number per argument of f) and `v` has its shape.

    >>> def rosenbrock(x, y):
    ...     return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    >>> hvp(rosenbrock)((1.0, 1.0), (1.0, 0.0))             # the first column of the Hessian
    [802.0, -400.0]
    >>> hvp(lambda x: x ** 4)(2.0, 0.5)                     # 12 x² v
    24.0
    """

    def hvp_of_f(x: Any, v: Any, **kwargs: Any) -> Any:
        single = isinstance(x, Value) or _is_real(x)
        if single:
            point, direction = [x], v
        else:
            if not isinstance(x, Sequence) or isinstance(x, str):
                raise TypeError(f"hvp: the point must be a number or a sequence of numbers, "
                                f"got {type(x).__name__}")
            point = list(x)
            if isinstance(v, Value) or _is_real(v) or not isinstance(v, Sequence) or \
                    len(v) != len(point):
                raise ValueError(f"hvp: v must be a sequence of {len(point)} numbers, like x")
            direction = list(v)
        gradient = grad(f, argnums=tuple(range(len(point))))

        def gradient_of_f(*xs: Any) -> Any:
            return gradient(*xs, **kwargs)

        gradient_of_f.__name__ = f"grad({_name_of(f)})"
        _, tangent = _jvp(gradient_of_f, None, point, direction, {}, "hvp")
        return tangent[0] if single else tangent

    hvp_of_f.__name__ = f"hvp({_name_of(f)})"
    return hvp_of_f
