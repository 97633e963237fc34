"""The function around a program's statements: its header, the loop over a batch, the return.

The writer fills three places with statements (before the loop, inside it, after it); the
layout puts them into the function of the mode: straight-line code for one point, a for loop
over the samples of a batch, or numpy statements on whole batches. It unpacks list arguments
into names, heads each part with a comment, and returns the value and the gradients, each in
the shape of its argument.

>>> import autograd
>>> print(autograd.compile(lambda w: w[0] * w[1]).trace([2.0, 3.0]).source)
def f(w):
    w_0, w_1 = w
    # forward
    t = w_0 * w_1
    return t, ([w_1, w_0],)
"""

from __future__ import annotations

from typing import Protocol

from autograd.compile.arguments import Argument, Shape, dimensions, nest
from autograd.compile.graph import Program
from autograd.compile.matrices import Matrices
from autograd.compile.spelling import Expr
from autograd.engine import Value

__all__ = ["Layout"]


class _Places(Protocol):
    """What the layout reads of the writer: the program, its statements by place, and the
    names and expressions it gave to values."""

    program: Program
    mode: str
    array: bool
    many: bool
    forward_only: bool
    function_name: str
    lines: dict[str, list[tuple[bool, str]]]
    names: dict[Value, str]
    reads: set[Value]
    matrices: Matrices

    def read(self, node: Value) -> Expr:
        """The expression of a value, noted as read."""


class Layout:
    """The function around a writer's statements (`source()`).

    >>> import autograd
    >>> f = autograd.compile(lambda w, x: w * x, batch_args=["x"]).trace(2.0, [1.0, 3.0])
    >>> print(f.source)
    def f(w, x):
        B = len(x)
        # shared by every sample
        total = 0.0
        outputs = []
        # the samples
        for x_s in x:
            # forward, one sample
            t = w * x_s
            # backward, one sample: g_v is d(output)/d(v)
            total += x_s
            outputs.append(t)
        return outputs, (total,)
    """

    def __init__(self, writer: _Places) -> None:
        self.writer = writer

    def source(self) -> str:
        """The source of the whole function."""
        w = self.writer
        arguments = w.program.arguments
        out = w.read(w.program.output).text
        body: list[str] = []
        for a in arguments:
            # (numpy mode reads weights as matrices: it unpacks only what it reads one by one)
            if not a.batched and a.shape is not None and \
                    (not w.array or any(leaf in w.reads for leaf in a.leaves)):
                body.append(f"{self._unpack(a)} = {a.name}")
        if w.mode == "scalar":
            return self._scalar(body, out)
        if w.mode == "loop":
            return self._loop(body, out)
        return self._array(body, out)

    def _scalar(self, body: list[str], out: str) -> str:
        w = self.writer
        body += self._statements("before", "# forward", "# backward: g_v is d(output)/d(v)")
        value = f"({out}, {self._aux()})" if w.program.aux is not None else out
        gradients = [self._gradient(a) for a in w.program.arguments if a.wanted]
        return self._function(body, value, gradients, self._aux())

    def _loop(self, body: list[str], out: str) -> str:
        w = self.writer
        arguments = w.program.arguments
        batch = [a for a in arguments if a.batched]
        per_sample = [a for a in batch if a.wanted]
        body.append(f"B = len({batch[0].name})")
        body += self._statements("before", "# shared by every sample")
        body.append("outputs = []")
        if w.program.aux is not None:
            body.append("extras = []")
        body += [f"g_{a.name} = []" for a in per_sample]
        names = ", ".join(f"{a.name}_s" for a in batch)
        sources = ", ".join(a.name for a in batch)
        head = f"for {names} in zip({sources}):" if len(batch) > 1 else \
            f"for {names} in {sources}:"
        loop = [f"{self._unpack(a)} = {a.name}_s" for a in batch if a.shape is not None]
        loop += self._statements("loop", "# forward, one sample",
                                "# backward, one sample: g_v is d(output)/d(v)")
        loop.append(f"outputs.append({out})")
        if w.program.aux is not None:
            loop.append(f"extras.append({self._aux()})")
        loop += [f"g_{a.name}.append({self._gradient(a)})" for a in per_sample]
        results = [f"g_{a.name}" if a.batched else self._gradient(a)
                   for a in arguments if a.wanted]
        body += ["# the samples", head] + ["    " + line for line in loop]
        body += self._statements("after", "# sums over the batch")
        value = "(outputs, extras)" if w.program.aux is not None else "outputs"
        return self._function(body, value, results, "extras")

    def _array(self, body: list[str], out: str) -> str:
        w = self.writer
        arguments = w.program.arguments
        batch = [a for a in arguments if a.batched]
        body.append(f"B = len({batch[0].name})")
        for a in batch:
            if a.shape is None:
                body.append(f"{a.name}_s = np.asarray({a.name}, dtype=float)")
            else:
                matrix = w.matrices.lanes[a.leaves[0]][0].matrix
                body.append(f"{matrix} = _columns({a.name}, {len(a.leaves)})")
        results = [f"_per_sample({self._gradient(a)}, B)" if a.batched else self._gradient(a)
                   for a in arguments if a.wanted]
        body += self._statements("before", "# shared by every sample")
        body += self._statements("loop", "# forward, all samples at once",
                                "# backward, all samples at once")
        body += self._statements("after", "# sums over the batch")
        value = f"_per_sample({out}, B)"
        if w.program.aux is not None:
            value = f"({value}, {self._aux()})"
        return self._function(body, value, results, self._aux())

    def _aux(self) -> str:
        w = self.writer
        program = w.program
        if program.aux is None:
            return ""
        if w.array and program.aux_shape is not None and \
                len(program.aux_shape) == len(program.aux):
            matrix = w.matrices.whole_lanes(program.aux)
            if matrix is not None:  # one row of aux per sample
                return f"{matrix}.T"
        items = [w.read(x).text for x in program.aux]
        if w.array:
            items = [f"_per_sample({text}, B)" for text in items]
        if program.aux_shape is None:
            return items[0]
        text = repr(nest(items, program.aux_shape)).replace("'", "")
        return f"np.stack({text}, axis=-1)" if w.array else text

    def _statements(self, where: str, forward_header: str, backward_header: str | None = None
                   ) -> list[str]:
        w = self.writer
        out: list[str] = []
        part = None
        for forward, text in w.lines[where]:
            header = forward_header if forward or backward_header is None else backward_header
            if header != part:
                out.append(header)
                part = header
            out.append(text)
        return out

    def _function(self, body: list[str], value: str, gradients: list[str], outputs: str) -> str:
        w = self.writer
        result = ", ".join(gradients)
        if len(gradients) != 1 or w.many:
            result = f"({result}{',' if len(gradients) == 1 else ''})"
        body.append(f"return {outputs}" if w.forward_only else f"return {value}, {result}")
        names = ", ".join(a.name for a in w.program.arguments)
        return "\n".join([f"def {w.function_name}({names}):"] +
                         ["    " + line for line in body])

    def _unpack(self, argument: Argument) -> str:
        w = self.writer
        names = iter([w.names[leaf] for leaf in argument.leaves])

        def target(shape: Shape) -> str:
            if shape is None:
                return next(names)
            inner = ", ".join(target(s) for s in shape)
            return f"({inner},)" if len(shape) == 1 else f"({inner})"

        text = target(argument.shape)
        return text[1:-1] if text.startswith("(") else text

    def _gradient(self, argument: Argument) -> str:
        """The source of an argument's gradient, in the argument's shape."""
        w = self.writer
        def one(leaf: Value) -> str:
            g = w.program.gradients.get(leaf)
            return "0.0" if g is None else w.read(g).text

        if w.array:
            summed = w.matrices.gradient_lines(argument.name, len(argument.leaves))
            if summed is not None:  # the weights' gradients are matrices: one array
                name, lines = summed
                for i, leaf in enumerate(argument.leaves):
                    if leaf in w.program.gradients:
                        lines.append(f"{name}[{i}] += {one(leaf)}")
                w.lines["after"] += [(False, line) for line in lines]
                return f"{name}.reshape({dimensions(argument.shape)})"
        items = [one(leaf) for leaf in argument.leaves]
        if argument.shape is None:
            text = items[0]
            return f"float({text})" if w.array and not argument.batched else text
        text = repr(nest(items, argument.shape)).replace("'", "")
        return f"np.array({text}, dtype=float)" if w.array and not argument.batched else text
