"""Find the op that first produced nan or inf, forward or backward.

Inside `with detect_anomaly():` every op checks the value it produced and every backward step
checks the gradients it pushed; the first nan or inf raises `AnomalyError` at that node, naming
its op, its inputs' values and labels, and, in the backward pass, the chain of nodes that leads
from it to the output. Errors the engine raises itself inside the context (log(0), division by
zero, overflow) become `AnomalyError` too, with the same details. The checks are per thread and
cost nothing outside the context.

>>> from autograd import Value, log
>>> x = Value(0.0, label="x")
>>> with detect_anomaly():
...     y = log(x) * 2
Traceback (most recent call last):
...
autograd.anomaly.AnomalyError: forward: log('x' = 0.0) failed: ...
"""

from __future__ import annotations

import contextlib
import math
import os
import traceback
from collections import deque
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any

from autograd import engine
from autograd.engine import Hooks, OpError, Value, topological_order

__all__ = ["AnomalyError", "detect_anomaly"]

_ENGINE_ERRORS = (ValueError, ZeroDivisionError, OverflowError, TypeError)
_PACKAGE = "autograd"
_HERE = os.path.dirname(os.path.abspath(engine.__file__)) + os.sep
_CONTEXTLIB = os.sep + os.path.basename(contextlib.__file__)


class AnomalyError(FloatingPointError):
    """A forward or backward step gave nan or inf (or failed) inside `detect_anomaly()`.

    Attributes: `phase` ("forward" or "backward"), `op` (the op's name, or None when unknown),
    `inputs` (the op's operands: Values or numbers), `node` (the Value whose step went wrong,
    when it exists), `chain` (backward only: the nodes from `node` to the output) and `where`
    (the file, line and function of the user's code that ran the op, when known).

    >>> error = AnomalyError("forward", "log", (0.0,), detail="the result is -inf")
    >>> str(error)
    'forward: log(0.0) failed: the result is -inf'
    """

    def __init__(
        self,
        phase: str,
        op: str | None,
        inputs: Sequence[Any],
        *,
        detail: str,
        node: Value | None = None,
        chain: Sequence[Value] = (),
        where: str | None = None,
    ) -> None:
        self.phase = phase
        self.op = op
        self.inputs = tuple(inputs)
        self.node = node
        self.chain = tuple(chain)
        self.where = where
        self.detail = detail
        super().__init__(self._message())

    def _message(self) -> str:
        if self.op is None:
            call = "an op"
        elif self.inputs:
            call = _call_text(self.op, self.inputs)
        else:
            call = self.op
        parts = [f"{self.phase}: {call} failed: {self.detail}"]
        if self.node is not None and self.node.label:
            parts.append(f"node {self.node.label!r}")
        if self.chain:
            parts.append("path to the output: " + " -> ".join(_node_text(n) for n in self.chain))
        if self.where:
            parts.append(f"at {self.where}")
        return "; ".join(parts)


def _shown(x: Any) -> str:
    if isinstance(x, Value):
        if x.label:
            return f"{x.label!r} = {x.data!r}"
        return f"{x.data!r} (from {x.op.symbol})" if x.op is not None else repr(x.data)
    return repr(x)


def _call_text(op: str, inputs: Sequence[Any]) -> str:
    return f"{op}({', '.join(_shown(x) for x in inputs)})"


def _node_text(node: Value) -> str:
    op = node.op.symbol if node.op is not None else "leaf"
    return f"{node.label!r} ({op})" if node.label else f"<{op}>"


def _finite(x: Any) -> bool:
    return math.isfinite(x.data if isinstance(x, Value) else x)


def _user_location(frames: Iterable[tuple[str, str, int, str]]) -> str | None:
    """'file:line in function' of the innermost entry outside this package, from
    (module name, file, line, function) entries, innermost first."""
    for module, filename, line, function in frames:
        if not module.startswith(_PACKAGE):
            return f"{filename}:{line} in {function}"
    return None


def _stack_here() -> list[tuple[str, str, int, str]]:
    # the running stack, innermost first, as (module, file, line, function)
    entries = []
    for summary in reversed(traceback.extract_stack()):
        module = _module_of(summary.filename)
        entries.append((module, summary.filename, summary.lineno or 0, summary.name))
    return entries


def _stack_of(tb: TracebackType | None) -> list[tuple[str, str, int, str]]:
    # the frames a traceback went through, innermost first
    entries = []
    for summary in reversed(traceback.extract_tb(tb)):
        entries.append((_module_of(summary.filename), summary.filename, summary.lineno or 0,
                        summary.name))
    return entries


def _module_of(filename: str) -> str:
    # this package's own files are the ones below its folder; contextlib runs our contexts
    if filename.startswith((_HERE, "<autograd")) or filename.endswith(_CONTEXTLIB):
        return _PACKAGE
    return "?"


def _path_to_output(node: Value, output: Value) -> list[Value]:
    """The shortest path of nodes from `node` down to `output` (both included)."""
    children: dict[Value, list[Value]] = {}
    for n in topological_order(output):
        for parent in n.parents:
            children.setdefault(parent, []).append(n)
    came_from: dict[Value, Value | None] = {node: None}
    queue = deque([node])
    while queue:
        current = queue.popleft()
        if current is output:
            path = []
            step: Value | None = current
            while step is not None:
                path.append(step)
                step = came_from[step]
            return path[::-1]
        for child in children.get(current, ()):
            if child not in came_from:
                came_from[child] = current
                queue.append(child)
    return [node]


class _Watcher(Hooks):
    """The hooks installed in the engine, and what they have seen: the numbers every node was
    made from, so a backward step can tell that a leaf's data changed after the forward pass."""

    def __init__(self) -> None:
        self.made_from: dict[Value, tuple[float, ...]] = {}

    def on_node(self, node: Value, step: tuple[Value, Value] | None) -> None:
        if node.parents:
            self.made_from[node] = tuple(p.data for p in node.parents)
        if math.isfinite(node.data):
            return
        where = _user_location(_stack_here())
        op_name = node.op.name if node.op is not None else "an op"
        if step is not None:  # made while recording a gradient (create_graph=True)
            stepped, output = step
            raise AnomalyError(
                "backward", stepped.op.name, stepped.parents,  # type: ignore[union-attr]
                node=stepped, chain=_path_to_output(stepped, output),
                detail=f"the recorded gradient step {_call_text(op_name, node.parents)} "
                f"gave {node.data!r}",
                where=where,
            )
        op = node.op.name if node.op is not None else None
        # with no parents recorded (under no_grad) the inputs are unknown
        raise AnomalyError("forward", op, node.parents, node=node,
                           detail=f"the result is {node.data!r}", where=where)

    def on_backward_step(self, node: Value, root: Value) -> None:
        made_from = self.made_from.get(node)
        if made_from is not None:
            for parent, then in zip(node.parents, made_from):
                now = parent.data
                if now != then and not (math.isnan(now) and math.isnan(then)):
                    raise AnomalyError(
                        "backward", node.op.name if node.op is not None else None,
                        node.parents, node=node, chain=_path_to_output(node, root),
                        detail=f"the data of {_shown(parent)} changed from {then!r} after the "
                        "forward pass, so this local derivative would be taken at the wrong "
                        "point; recompute the forward pass after changing data",
                        where=_user_location(_stack_here()),
                    )
        bad = [p for p in node.parents if not _finite(p.grad)]
        if not bad:
            return
        upstream = node.grad.data if isinstance(node.grad, Value) else node.grad
        pushed = ", ".join(
            f"{_shown(p)} got gradient {(p.grad.data if isinstance(p.grad, Value) else p.grad)!r}"
            for p in bad
        )
        raise AnomalyError(
            "backward", node.op.name if node.op is not None else None, node.parents,
            node=node, chain=_path_to_output(node, root),
            detail=f"with upstream gradient {upstream!r}, {pushed}",
            where=_user_location(_stack_here()),
        )

    def convert(self, error: BaseException, tb: TracebackType | None) -> AnomalyError | None:
        """The engine's own error (domain, division by zero, overflow) as an AnomalyError."""
        if not isinstance(error, OpError):
            return None  # raised by the user's code, not by an op
        where = _user_location(_stack_of(tb))
        detail = _strip_call(str(error))
        if error.phase == "backward" and error.node is not None:
            node = error.node
            chain = _path_to_output(node, error.root) if error.root is not None else [node]
            return AnomalyError("backward", error.op.name, node.parents, node=node,
                                chain=chain, detail=detail, where=where)
        if error.step is not None:  # an op failed while a gradient was being recorded
            node, output = error.step
            return AnomalyError("backward", node.op.name, node.parents,  # type: ignore[union-attr]
                                node=node, chain=_path_to_output(node, output),
                                detail=detail, where=where)
        return AnomalyError("forward", error.op.name, error.operands, detail=detail,
                            where=where)


def _strip_call(message: str) -> str:
    """The engine's message without its leading call text, which the anomaly shows already.

    >>> _strip_call("log('x' = 0.0): operand outside the domain")
    'operand outside the domain'
    """
    depth, quote = 0, ""
    for i, char in enumerate(message):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and message.startswith(": ", i):
            return message[i + 2:]
    return message


class detect_anomaly:
    """Context (or decorator) that raises `AnomalyError` at the first op giving nan or inf.

    Per thread. Outside it no hook is installed, so nothing is checked and nothing is slowed.

    >>> import math
    >>> from autograd import Value
    >>> a, b = Value(0.0, label="a"), Value(math.inf, label="b")
    >>> with detect_anomaly():
    ...     c = a * b + 1                                   # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd.anomaly.AnomalyError: forward: mul('a' = 0.0, 'b' = inf) failed: the result is nan...
    """

    def __init__(self) -> None:
        self._stacks: list[ExitStack] = []

    def __enter__(self) -> detect_anomaly:
        watcher = _Watcher()
        stack = ExitStack()
        stack.enter_context(engine.hooks(watcher))
        stack.push(_Converter(watcher))
        self._stacks.append(stack)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return bool(self._stacks.pop().__exit__(exc_type, exc, tb))

    def __call__(self, function: Any) -> Any:
        import functools

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly():
                return function(*args, **kwargs)

        return checked


class _Converter:
    """Exit callback that turns the engine's errors raised inside the context into anomalies."""

    def __init__(self, watcher: _Watcher) -> None:
        self.watcher = watcher

    def __call__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, _ENGINE_ERRORS) or isinstance(exc, AnomalyError):
            return False
        anomaly = self.watcher.convert(exc, tb)
        if anomaly is None:
            return False
        raise anomaly from exc
