"""Writing a differentiated program out as the source of one Python function.

Three modes: "scalar" (floats, one call, one point), "loop" (a for loop over the samples of a
batch) and "array" (numpy: every statement runs on all samples at once). Statements go to
three places: before the loop (values shared by every sample), inside it (per-sample values),
and after it (sums over the batch, and what depends on them). A value read once is written
inline; one read more often (or needed after the loop) gets a variable named after what it
is: `t` for forward values (or the node's label), `g_x` for the gradient of `x`.

>>> import autograd
>>> from autograd.compile.arguments import Argument
>>> from autograd.compile.adjoint import differentiate
>>> from autograd.compile.trace import trace
>>> arguments = [Argument("x", None, False, True)]
>>> program = trace(lambda x: autograd.exp(x) * x, "f", arguments, [1.0])
>>> differentiate(program, "f")
>>> print(Writer(program, "scalar", "f", "f", many=True).write())
def f(x):
    # forward
    t = math.exp(x)
    t1 = t * x
    # backward: g_v is d(output)/d(v)
    g_x = t + x * t
    return t1, (g_x,)
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from autograd import engine
from autograd.compile.adjoint import GRAD_BIAS, GRAD_WEIGHTS, TOTAL, is_marker
from autograd.compile.graph import DotGroup, Program, nodes_above
from autograd.compile.layout import Layout
from autograd.compile.matrices import Matrices, find_lanes
from autograd.compile.spelling import (
    MUL,
    Expr,
    Spelling,
    array_namespace,
    calling,
    float_namespace,
    literal,
    small_result,
    spell_dot,
    spell_sum,
    spelling_of,
)
from autograd.compile.trace import TraceError
from autograd.engine import Value

__all__ = ["IDENTIFIER", "RESERVED", "Writer", "argument_names", "function_name"]

RESERVED = frozenset({"math", "np", "B", "outputs", "extras", "__builtins__", "_sum", "_dot",
                      "_add_all", "_rows", "_columns", "_per_sample"})
"""Names the generated code uses for itself."""

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MAX_DEPTH = 40  # the longest chain of operators written as one expression
SUM, DOT = engine.OPS["sum"], engine.OPS["dot"]


def _usable(name: str) -> bool:
    return bool(IDENTIFIER.match(name)) and name not in RESERVED and \
        not keyword.iskeyword(name) and not hasattr(builtins, name) and not name.startswith("_")


def function_name(name: str) -> str:
    """The generated function's name: the traced function's, unless it would hide a name the
    code uses (then `f`).

    >>> function_name("loss"), function_name("<lambda>"), function_name("abs")
    ('loss', 'f', 'f')
    """
    return name if _usable(name) else "f"


def argument_names(parameters: Sequence[str] | None, n: int) -> list[str]:
    """The generated function's parameter names: the traced function's where usable, else
    `a0`, `a1`, ...

    >>> argument_names(["x", "np", "_w"], 4)
    ['x', 'a1', 'a2', 'a3']
    """
    names: list[str] = []
    for i in range(n):
        name = parameters[i] if parameters and i < len(parameters) else f"a{i}"
        if not _usable(name) or name in names:
            name = f"a{i}"
        names.append(name)
    return names


class Writer:
    """Writes a differentiated `Program` as one Python function (`write()`), and gives the
    names that function reads (`namespace()`; see the module's example for `write`).

    >>> from autograd.compile.graph import Program
    >>> from autograd import Value
    >>> writer = Writer(Program(Value(1.0), None, None, [], set()), "scalar", "f", "f", True)
    >>> writer.fresh("t"), writer.fresh("t"), sorted(writer.namespace())[:2]
    ('t', 't1', ['__builtins__', '_sum'])
    """

    def __init__(self, program: Program, mode: str, function_name: str, name: str,
                 many: bool, forward_only: bool = False) -> None:
        self.program = program
        self.mode = mode
        self.array = mode == "array"
        self.function_name = function_name
        self.name = name  # the traced function's, for messages
        self.many = many  # return a tuple of gradients even for one argument
        self.forward_only = forward_only  # return the outputs only, no gradients
        self.exprs: dict[Value, Expr] = {}
        self.depth: dict[Value, int] = {}
        self.names: dict[Value, str] = {}
        self.used: set[str] = set(RESERVED) | {a.name for a in program.arguments}
        self.counters: dict[str, int] = {}
        self.spellings: dict[Any, Spelling] = {}  # op -> how it is written
        self.helpers: dict[str, Any] = {}  # name -> a function the code calls
        self.helper_names: dict[int, str] = {}  # id(function) -> its name
        self.fixed: dict[str, Any] = {}  # names the spellings read (math, np, _sigmoid, ...)
        self.constants: dict[str, Any] = {}  # name -> numbers (numpy mode's index arrays)
        self.reads: set[Value] = set()  # values read one by one (not only as matrix rows)
        self.lines: dict[str, list[tuple[bool, str]]] = {"before": [], "loop": [], "after": []}
        self.forward: set[Value] = set()
        self.batched: set[Value] = set()
        self.after: set[Value] = set()
        self.group_of: dict[Value, DotGroup] = {}
        self.gradient_of: dict[Value, Value] = {}
        self.matrices = Matrices(self, {})

    def fresh(self, stem: str) -> str:
        """An unused variable name starting with `stem`."""
        name = stem
        while name in self.used or keyword.iskeyword(name) or hasattr(builtins, name):
            self.counters[stem] = k = self.counters.get(stem, 0) + 1
            name = f"{stem}{k}"
        self.used.add(name)
        return name

    def emit(self, node: Value | None, text: str) -> None:
        """A statement, in the place `node` belongs to."""
        where = "before" if node is None else self.section(node)
        self.lines[where].append((node is not None and node in self.forward, text))

    def section(self, node: Value) -> str:
        """Where `node` is computed: before the loop, inside it, or after it."""
        if self.mode == "scalar":
            return "before"
        if node in self.batched:
            return "loop"
        return "after" if node in self.after else "before"

    def small(self, node: Value) -> bool:
        """Whether `node`'s value is known to be small (its square cannot overflow)."""
        return small_result(node.op)

    # -- the graph -------------------------------------------------------------------------

    def write(self) -> str:
        """The source of the function."""
        program = self.program
        wanted = [leaf for a in program.arguments if a.wanted for leaf in a.leaves]
        roots = [program.output, *(program.aux or ())]
        roots += [program.gradients[x] for x in wanted if x in program.gradients]
        roots += [g for group in program.groups for g in (group.grad_weights, group.grad_bias)
                  if g is not None]  # (the inputs' gradient is read through its rows)
        order = nodes_above(roots)
        self.forward = set(nodes_above([program.output, *(program.aux or ())]))
        self._classify(order)
        if self.array:
            self.matrices = Matrices(self, find_lanes(order, program, self.batched))
        self.group_of = {m: g for g in program.groups for m in g.members}
        for node in order:
            if node.parents and not is_marker(node.op):
                self.spelling(node.op)  # names the spellings read are taken first
        held = self._held(order, roots)
        self._name_arguments()
        self.gradient_of = {g: leaf for leaf, g in program.gradients.items()}
        for node in order:
            self._write_node(node, held)
        return Layout(self).source()

    def _classify(self, order: list[Value]) -> None:
        """Per-sample values depend on a batched argument other than through a sum over the
        batch; values after the loop depend on such a sum."""
        self.batched = {leaf for a in self.program.arguments if a.batched for leaf in a.leaves}
        for node in order:
            if node.op is TOTAL or node.op is GRAD_WEIGHTS or node.op is GRAD_BIAS:
                self.after.add(node)
            elif node.parents:
                if any(p in self.batched for p in node.parents):
                    self.batched.add(node)
                if any(p in self.after for p in node.parents):
                    self.after.add(node)

    def _held(self, order: list[Value], roots: list[Value]) -> set[Value]:
        """The nodes that get a variable: read more than once, returned, read across places."""
        lanes = self.matrices.lanes
        uses = dict.fromkeys(order, 0)
        held = set(roots)
        for node in order:
            if node.parents and node not in lanes:
                counts = self._uses(node)
                for i, parent in enumerate(node.parents):
                    uses[parent] += counts[i] if i < len(counts) else 1
                    if node.op is TOTAL or self.section(parent) != self.section(node):
                        held.add(parent)
            for parent in node.parents:  # a lane's operand is read by the whole matrix
                if node in lanes and parent not in lanes:
                    held.add(parent)
        return held | {node for node, n in uses.items() if n != 1}

    def _uses(self, node: Value) -> tuple[int, ...]:
        op = node.op
        if op is SUM or op is DOT or is_marker(op):
            return ()
        return self.spelling(op).uses  # type: ignore[arg-type]

    def _name_arguments(self) -> None:
        for argument in self.program.arguments:
            if self.array and argument.batched and argument.shape is not None:
                matrix = self.fresh(f"{argument.name}_rows")
                self.matrices.lanes[argument.leaves[0]][0].matrix = matrix
                for i, leaf in enumerate(argument.leaves):
                    self.exprs[leaf] = Expr(f"{matrix}[{i}]")
                continue
            for i, leaf in enumerate(argument.leaves):
                if argument.shape is not None:
                    name = f"{argument.name}_{i}"
                else:  # one sample of a batched argument x is x_s
                    name = f"{argument.name}_s" if argument.batched else argument.name
                self.used.add(name)
                self.names[leaf] = name
                self.exprs[leaf] = Expr(name)

    def _write_node(self, node: Value, held: set[Value]) -> None:
        if node in self.exprs:
            return
        if not node.parents:
            if node not in self.program.made:
                raise TraceError(
                    f"compile({self.name}): the function reads a Value that is not one of its "
                    f"arguments (data {node.data!r}{_label(node)}); pass it as an argument, or "
                    "its value at trace time would be frozen into the compiled code")
            self.exprs[node] = literal(node.data)
            return
        if node in self.matrices.lanes:
            self.matrices.write_lane(node)
            return
        if node.op is TOTAL:
            self._write_total(node)
            return
        if is_marker(node.op):
            self.matrices.write_group_gradient(node)
            return
        expr, depth = self._expression(node)
        if (node in held or depth > _MAX_DEPTH) and not IDENTIFIER.match(expr.text) and \
                _literal_number(expr.text) is None:
            target = self.fresh(self._stem(node))
            self.emit(node, f"{target} = {expr.text}")
            self.names[node] = target
            expr, depth = Expr(target, small=self.small(node)), 0
        self.exprs[node] = expr
        self.depth[node] = depth

    def _stem(self, node: Value) -> str:
        """A variable name: t for forward values, g_name for the gradient of a named one."""
        if node in self.forward:
            label = node.label
            return label if label and IDENTIFIER.match(label) else "t"
        leaf = self.gradient_of.get(node)
        if leaf is not None:
            return "g_" + self.names[leaf]
        owner = self.program.adjoint_of.get(node)
        if owner is not None and owner in self.names:
            return "g_" + self.names[owner]
        return "g"

    def spelling(self, op: Any) -> Spelling:
        """How `op` is written in this program's code (its helper named on first use)."""
        spelling = self.spellings.get(op)
        if spelling is None:
            spelling = spelling_of(op, self.array) or calling(op, self.array)
            self.spellings[op] = spelling
            for name, value in spelling.names.items():
                self.fixed[name] = value
                self.used.add(name)
            if spelling.function is not None and id(spelling.function) not in self.helper_names:
                helper = self.fresh(spelling.stem)
                self.helper_names[id(spelling.function)] = helper
                self.helpers[helper] = spelling.function
        return spelling

    def read(self, node: Value) -> Expr:
        """The expression for `node`, noting that the program reads it as a number."""
        self.reads.add(node)
        return self.exprs[node]

    def _expression(self, node: Value) -> tuple[Expr, int]:
        parents = node.parents
        args = [self.read(p) for p in parents]
        depth = 1 + max((self.depth.get(p, 0) for p in parents), default=0)
        if self.array and (node.op is SUM or node.op is DOT):
            reduced = self.matrices.reduction(node, node.op is DOT)
            if reduced is not None:
                return reduced, depth
        return self.spelled(node, args), depth

    def spelled(self, node: Value, args: list[Expr]) -> Expr:
        """The source of `node`'s op applied to `args`."""
        op = node.op
        if op is SUM:
            return spell_sum(args, self.array)
        if op is DOT:
            return spell_dot(args, self.array)
        spelling = self.spelling(op)
        helper = self.helper_names.get(id(spelling.function), "")
        expr = spelling.write(args, helper)
        return replace(expr, small=True) if self.small(node) else expr

    def _write_total(self, node: Value) -> None:
        """The sum over the batch of a per-sample value."""
        (operand,) = node.parents
        expr = self.read(operand)
        if self.mode == "loop":
            name = self.fresh("total")
            self.lines["before"].append((False, f"{name} = 0.0"))
            self.lines["loop"].append((False, f"{name} += {expr.text}"))
            self.exprs[node] = Expr(name)
        elif operand in self.batched:
            self.exprs[node] = Expr(f"np.sum({expr.text})")
        elif expr.text == "1.0":
            self.exprs[node] = Expr("B")  # the batch's size: 1 per sample
        else:
            self.exprs[node] = Expr(f"{expr.wrapped(MUL)} * B", MUL)
        self.depth[node] = 0

    # -- what the function reads -----------------------------------------------------------

    def namespace(self) -> dict[str, Any]:
        """The globals of the generated function."""
        names = array_namespace() if self.array else float_namespace()
        names.update(self.fixed)
        names.update(self.helpers)
        if self.array:
            np = names["np"]
            names.update(_array_helpers(np))
            names.update((name, np.asarray(value)) for name, value in self.constants.items())
        return names


def _label(node: Value) -> str:
    return f", label {node.label!r}" if node.label else ""


def _literal_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _array_helpers(np: Any) -> dict[str, Any]:
    """How a numpy program takes its batch in and gives its results out."""

    def rows(parts: Sequence[Any], n: int) -> Any:
        # Stack rows (per-sample arrays, numbers, or 2-D blocks of rows) into one matrix.
        blocks = [p if getattr(p, "ndim", 0) == 2 else None for p in parts]
        out = np.empty((sum(1 if b is None else len(b) for b in blocks), n))
        i = 0
        for part, block in zip(parts, blocks):
            if block is None:
                out[i] = part
                i += 1
            else:
                out[i:i + len(block)] = block
                i += len(block)
        return out

    return {
        "_rows": rows,
        # a batch of samples (rows) as one matrix with a column per sample
        "_columns": lambda a, n: np.ascontiguousarray(
            np.asarray(a, dtype=float).reshape(len(a), n).T),
        # one value per sample, also for a value the same for every sample
        "_per_sample": lambda x, n: np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy(),
    }


