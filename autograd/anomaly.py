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

import math
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from types import FrameType, TracebackType
from typing import Any

from autograd import engine
from autograd.engine import Primitive, Value, topological_order

__all__ = ["AnomalyError", "detect_anomaly"]

_ENGINE_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_OUR_MODULES = frozenset({engine.__name__, __name__, "contextlib"})


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
        return f"{x.data!r} (from {x.op.name})" if x.op is not None else repr(x.data)
    return repr(x)


def _call_text(op: str, inputs: Sequence[Any]) -> str:
    return f"{op}({', '.join(_shown(x) for x in inputs)})"


def _node_text(node: Value) -> str:
    op = node.op.name if node.op is not None else "leaf"
    return f"{node.label!r} ({op})" if node.label else f"<{op}>"


def _finite(x: Any) -> bool:
    return math.isfinite(x.data if isinstance(x, Value) else x)


def _user_location(frame: FrameType | None) -> str | None:
    """'file:line in function' of the innermost running frame outside this package."""
    while frame is not None:
        if frame.f_globals.get("__name__") not in _OUR_MODULES:
            return _location(frame, frame.f_lineno)
        frame = frame.f_back
    return None


def _location(frame: FrameType, line: int) -> str:
    return f"{frame.f_code.co_filename}:{line} in {frame.f_code.co_name}"


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


def _running_frames(frame: FrameType | None) -> Iterator[FrameType]:
    while frame is not None:
        yield frame
        frame = frame.f_back


def _backward_step(frames: Iterable[FrameType]) -> tuple[Value, Value] | None:
    """(node, output) of the engine's backward loop among `frames`, innermost first, if any.

    Only looked up once something went wrong, so it costs nothing on the healthy path.
    """
    for frame in frames:
        if frame.f_globals.get("__name__") != engine.__name__:
            continue
        local = frame.f_locals
        node, output = local.get("node"), local.get("root")
        if isinstance(node, Value) and node.op is not None and isinstance(output, Value):
            return node, output
    return None


class _Watcher:
    """The per-context state: the hooks installed in the engine and what they have seen."""

    def __init__(self) -> None:
        # The backward pass in progress: its output, the nodes it covers, the steps done.
        self.output: Value | None = None
        self.members: set[Value] = set()
        self.done: set[Value] = set()

    def on_forward(self, node: Value) -> None:
        if math.isfinite(node.data):
            return
        caller = sys._getframe(1)
        op_name = node.op.name if node.op is not None else "an op"
        step = _backward_step(_running_frames(caller))
        if step is not None:  # made while recording a gradient (create_graph=True)
            stepped, output = step
            raise AnomalyError(
                "backward", stepped.op.name, stepped.parents,  # type: ignore[union-attr]
                node=stepped, chain=_path_to_output(stepped, output),
                detail=f"the recorded gradient step {_call_text(op_name, node.parents)} "
                f"gave {node.data!r}",
                where=_user_location(caller),
            )
        op = node.op.name if node.op is not None else None
        # with no parents recorded (under no_grad) the inputs are unknown
        raise AnomalyError(
            "forward", op, node.parents, node=node,
            detail=f"the result is {node.data!r}",
            where=_user_location(caller),
        )

    def on_backward(self, node: Value) -> None:
        # backward visits the output first, then nodes in reverse topological order
        if node not in self.members or node in self.done:
            self.output = node
            self.members = set(topological_order(node))
            self.done = set()
        self.done.add(node)
        bad = [p for p in node.parents if not _finite(p.grad)]
        if not bad:
            return
        upstream = node.grad.data if isinstance(node.grad, Value) else node.grad
        pushed = ", ".join(
            f"{_shown(p)} got gradient {(p.grad.data if isinstance(p.grad, Value) else p.grad)!r}"
            for p in bad
        )
        assert self.output is not None
        raise AnomalyError(
            "backward", node.op.name if node.op is not None else None, node.parents,
            node=node, chain=_path_to_output(node, self.output),
            detail=f"with upstream gradient {upstream!r}, {pushed}",
            where=_user_location(sys._getframe(1)),
        )

    def convert(self, error: BaseException, tb: TracebackType | None) -> AnomalyError | None:
        """The engine's own error (domain, division by zero, overflow) as an AnomalyError."""
        frames, lines = [], []
        while tb is not None:
            frames.append(tb.tb_frame)
            lines.append(tb.tb_lineno)
            tb = tb.tb_next
        if not frames or frames[-1].f_globals.get("__name__") != engine.__name__:
            return None  # raised by the user's code, not by an op
        first_engine = next(
            i for i, fr in enumerate(frames) if fr.f_globals.get("__name__") == engine.__name__
        )
        where = None
        if first_engine:  # the user's line that called into the engine
            where = _location(frames[first_engine - 1], lines[first_engine - 1])
        # a backward step that failed: the engine's backward loop holds the node and the output
        step = _backward_step(reversed(frames))
        if step is not None:
            node, output = step
            return AnomalyError(
                "backward", node.op.name, node.parents,  # type: ignore[union-attr]
                node=node, chain=_path_to_output(node, output),
                detail=_strip_call(str(error)), where=where,
            )
        # a forward step that failed: the innermost frame of a Primitive holds it and its operands
        for frame in reversed(frames):
            local = frame.f_locals
            op = local.get("self")
            if isinstance(op, Primitive):
                operands = _operands_in(local)
                return AnomalyError(
                    "forward", op.name, operands, detail=_strip_call(str(error)), where=where,
                )
        # a composed op such as "/", whose message starts with the op: "/: division by zero (...)"
        op_name, sep, detail = str(error).partition(": ")
        if sep and op_name and " " not in op_name:
            return AnomalyError("forward", op_name, (), detail=detail, where=where)
        return AnomalyError("forward", None, (), detail=str(error), where=where)


def _operands_in(local: dict[str, Any]) -> tuple[Any, ...]:
    if "operands" in local:
        return tuple(local["operands"])
    if "a" in local and "b" in local:
        return (local["a"], local["b"])
    if "x" in local:
        return (local["x"],)
    return ()


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
    autograd.anomaly.AnomalyError: forward: *('a' = 0.0, 'b' = inf) failed: the result is nan...
    """

    def __init__(self) -> None:
        self._stacks: list[ExitStack] = []

    def __enter__(self) -> detect_anomaly:
        watcher = _Watcher()
        stack = ExitStack()
        stack.enter_context(engine.forward_hook(watcher.on_forward))
        stack.enter_context(engine.backward_hook(watcher.on_backward))
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
