"""The compiled function: `compile(f)` and what calling it does.

The first call for each shape of arguments traces `f`, differentiates the trace, writes the
program out and compiles it with Python; later calls of that shape only read the arguments
as numbers and run the program. Errors of the maths are the engine's (see
`autograd.compile.errors`).

>>> import autograd
>>> f = compile(lambda x, y: x * autograd.exp(y))
>>> f(2.0, 0.0)                                  # (value, (d/dx, d/dy))
(2.0, (1.0, 2.0))
"""

from __future__ import annotations

import builtins
import inspect
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd.compile.adjoint import differentiate
from autograd.compile.arguments import (
    Argument,
    Shape,
    as_numbers,
    describe_shape,
    perturbed,
    quick_shape,
    read_argument,
    shape_of,
)
from autograd.compile.errors import engine_error, first_failure, told, untold
from autograd.compile.graph import merge_duplicates
from autograd.compile.spelling import numpy
from autograd.compile.trace import TraceError, trace
from autograd.compile.writer import Writer, argument_names, function_name
from autograd.engine import OpError

__all__ = ["CompiledFunction", "compile"]

_MATHS = (ArithmeticError, ValueError)  # what compiled code raises when its maths fails


@dataclass
class _Program:
    source: str
    function: Callable[..., Any]
    shapes: list[Shape]    # of each argument (of one sample, for a batched argument)
    batched: set[int]
    names: list[str]       # the arguments' names in the generated function
    array: bool            # numpy code

    def run(self, plain: Sequence[Any], strict: bool = True) -> Any:
        """The program on arguments read as numbers; numpy's floating-point flags raise
        (`strict`) or pass as IEEE arithmetic says."""
        if not self.array:
            return self.function(*plain)
        with numpy().errstate(**({"all": "raise", "under": "ignore"} if strict else
                                 {"all": "ignore"})):
            return self.function(*plain)


class CompiledFunction:
    """A function of Values compiled to Python source; see `compile`.

    Calling it returns `(value, gradients)`. `source` is the source written for the latest
    call's argument shapes.

    >>> import autograd
    >>> cube = compile(lambda x: x ** 3)
    >>> cube(2.0)
    (8.0, (12.0,))
    """

    def __init__(self, f: Callable[..., Any], argnums: int | tuple[int, ...] | None,
                 batch_args: Sequence[int | str], has_aux: bool) -> None:
        self.f = f
        self.name = getattr(f, "__name__", None) or type(f).__name__
        self.function_name = function_name(self.name)
        self.parameters = _parameter_names(f)
        self.batch_positions = tuple(sorted({self._position(b) for b in batch_args}))
        self.argnums = argnums
        self.has_aux = has_aux
        self._programs: dict[Any, _Program] = {}        # by the exact shapes of the arguments
        self._by_quick_shape: dict[Any, _Program] = {}  # the latest, by a cheap key
        self._latest: _Program | None = None

    def _position(self, which: int | str) -> int:
        if isinstance(which, str):
            if self.parameters is None or which not in self.parameters:
                raise ValueError(f"compile({self.name}): batch_args names {which!r}, which is "
                                 "not a parameter of the function")
            return self.parameters.index(which)
        if isinstance(which, bool) or not isinstance(which, int) or which < 0:
            raise TypeError(f"compile({self.name}): batch_args must hold parameter names or "
                            f"positions, got {which!r}")
        return which

    @property
    def source(self) -> str:
        """The Python source of the compiled function (after a call or `trace`)."""
        if self._latest is None:
            raise ValueError(f"compile({self.name}): not traced yet; call it, or call "
                             ".trace(*example_arguments), first")
        return self._latest.source

    def trace(self, *args: Any) -> CompiledFunction:
        """Trace and compile for arguments shaped like `args`, without running; returns self.

        >>> import autograd
        >>> print(compile(autograd.relu).trace(1.0).source)
        def relu(x):
            # forward
            t = 0.0 if x <= 0.0 else x
            # backward: g_v is d(output)/d(v)
            g_x = 1.0 if x > 0.0 else 0.0
            return t, (g_x,)
        """
        self._program(args)
        return self

    def __call__(self, *args: Any) -> Any:
        program, plain = self._program(args)
        try:
            return program.run(plain)
        except _MATHS as error:
            return self._recovered(error, program, plain, args)

    # -- errors of the maths ----------------------------------------------------------------

    def _engine_error(self, args: Sequence[Any]) -> OpError | None:
        return engine_error(self.f, args, self.has_aux, self.argnums == ())

    def _recovered(self, error: Exception, program: _Program, plain: Sequence[Any],
                   args: Sequence[Any]) -> Any:
        """The engine's error at the first sample where it fails; or, if it fails nowhere
        (numpy flagged what floats do silently), the results without the flags."""
        sample = None
        if not program.batched:
            found = self._engine_error(args)
            if found is not None:
                raise told(found, self.name) from None
        else:
            size = len(plain[min(program.batched)])

            def fails(start: int, end: int) -> bool:
                part = [x[start:end] if i in program.batched else x for i, x in enumerate(plain)]
                try:
                    program.run(part)
                except _MATHS:
                    return True
                return False

            def engine_fails(j: int) -> OpError | None:
                return self._engine_error(
                    [x[j] if i in program.batched else x for i, x in enumerate(args)])

            failure = first_failure(size, fails, engine_fails)
            if failure is not None:
                if failure[1] is not None:
                    raise told(failure[1], self.name, failure[0]) from None
                sample = failure[0]
        if program.array:
            try:
                return program.run(plain, strict=False)
            except _MATHS as again:
                error = again
        raise untold(error, self.name, program.names, args, sample) from error

    # -- programs, by the shapes of the arguments -------------------------------------------

    def _program(self, args: Sequence[Any]) -> tuple[_Program, list[Any]]:
        """The program for arguments shaped like `args` (compiled if new), and the arguments
        as it reads them."""
        self._check_batch(args)
        array = any(hasattr(args[i], "shape") for i in self.batch_positions if i < len(args))
        # a batched argument's shape is that of one sample: any batch size runs the same code
        quick = (array, tuple(quick_shape(a[0] if i in self.batch_positions and len(a) else a)
                              for i, a in enumerate(args)))
        program = self._by_quick_shape.get(quick)
        plain = None if program is None else self._arguments_for(program, args)
        if plain is None:  # the cheap key follows first items only: look up the exact shapes
            key = (array, self._exact_shapes(args))
            program = self._programs.get(key)
            if program is None:
                program = self._compile(args, array)
                self._programs[key] = program
            self._by_quick_shape[quick] = program
            plain = self._arguments_for(program, args)
            if plain is None:  # pragma: no cover - the exact shapes are the program's
                raise AssertionError(f"compile({self.name}): arguments do not fit their program")
        self._latest = program
        return program, plain

    def _check_batch(self, args: Sequence[Any]) -> None:
        """Batched arguments are sequences of samples, all of one length."""
        lengths: dict[int, int] = {}
        for i in self.batch_positions:
            if i >= len(args):
                continue
            x = args[i]
            if not isinstance(x, (list, tuple)) and getattr(x, "ndim", 0) < 1:
                name = argument_names(self.parameters, len(args))[i]
                raise TypeError(f"compile({self.name}): batched argument {name!r} must be a list "
                                f"or an array with one entry per sample, got "
                                f"{type(x).__name__} {reprlib.repr(x)}")
            lengths[i] = len(x)
        if len(set(lengths.values())) > 1:
            names = argument_names(self.parameters, len(args))
            raise ValueError(
                f"compile({self.name}): the batched arguments "
                f"{', '.join(repr(names[i]) for i in lengths)} differ in length "
                f"({' and '.join(str(n) for n in lengths.values())})")

    def _arguments_for(self, program: _Program, args: Sequence[Any]) -> list[Any] | None:
        """`args` with Values replaced by their data, or None if they do not fit `program`."""
        if len(args) != len(program.shapes):
            return None
        plain = []
        for i, (x, shape) in enumerate(zip(args, program.shapes)):
            fits, y = read_argument(x, shape, i in program.batched,
                                    f"compile({self.name}): argument {program.names[i]!r}")
            if not fits:
                return None
            plain.append(y)
        return plain

    def _exact_shapes(self, args: Sequence[Any]) -> tuple[Shape, ...]:
        """The shape of each argument (of one sample, for a batched argument)."""
        names = argument_names(self.parameters, len(args))
        shapes: list[Shape] = []
        for i, x in enumerate(args):
            where = f"compile({self.name}): argument {names[i]!r}"
            if i not in self.batch_positions:
                shapes.append(shape_of(x, where))
                continue
            if not len(x):
                shapes.append("empty")  # refused when compiled
                continue
            first = shape_of(x[0], f"{where}[0]")
            if not hasattr(x, "shape"):
                for j, sample in enumerate(x):
                    shape = shape_of(sample, f"{where}[{j}]")
                    if shape != first:
                        raise ValueError(
                            f"{where}: sample {j} is {describe_shape(shape)}, but sample 0 is "
                            f"{describe_shape(first)}; the samples of a batched argument must "
                            "all have one shape")
            shapes.append(first)
        return tuple(shapes)

    def _compile(self, args: Sequence[Any], array: bool) -> _Program:
        n = len(args)
        if any(p >= n for p in self.batch_positions):
            raise ValueError(f"compile({self.name}): batch_args points past the {n} argument(s)")
        batched = set(self.batch_positions)
        wanted = _wanted(self.argnums, n, batched, self.name)
        names = argument_names(self.parameters, n)
        samples: list[Any] = []
        others: list[Any] = []
        for i, arg in enumerate(args):
            if i not in batched:
                samples.append(arg)
                others.append(perturbed(as_numbers(arg)))
                continue
            if len(arg) == 0:
                raise ValueError(f"compile({self.name}): batched argument {names[i]!r} is empty")
            samples.append(as_numbers(arg[0]))
            others.append(as_numbers(arg[1]) if len(arg) > 1 else perturbed(samples[-1]))
        mode = "array" if array else ("loop" if batched else "scalar")
        many = not isinstance(self.argnums, int)
        try:
            source, writer = self._write(names, samples, batched, wanted, mode, many)
        except OpError:  # the maths fails at the traced sample: the engine says how
            found = self._engine_error([a[0] if i in batched else a for i, a in enumerate(args)])
            if found is None:
                raise
            raise told(found, self.name, 0 if batched else None) from None
        try:
            again, _ = self._write(names, others, batched, wanted, mode, many)
        except _MATHS:  # (TraceError too: f may reach the traced Values on its own)
            again = source  # the other point left some op's domain: nothing to compare
        if again != source:
            raise TraceError(
                f"compile({self.name}): traced at two points, the function gave different "
                "programs, so it uses the data of its arguments as constants (e.g. reads "
                "`.data`, or draws random numbers); compiled code would freeze them. First "
                f"difference:\n  {_first_difference(source, again)}")
        namespace = writer.namespace()
        code = builtins.compile(source, f"<compiled {self.name}>", "exec")
        exec(code, namespace)
        shapes = [a.shape for a in writer.program.arguments]
        return _Program(source, namespace[self.function_name], shapes, batched, names, array)

    def _write(self, names: list[str], samples: list[Any], batched: set[int], wanted: set[int],
               mode: str, many: bool) -> tuple[str, Writer]:
        arguments = [
            Argument(name, shape_of(sample, f"compile({self.name}): argument {name!r}"),
                     i in batched, i in wanted)
            for i, (name, sample) in enumerate(zip(names, samples))
        ]
        program = trace(self.f, self.name, arguments, samples, self.has_aux, not wanted)
        merge_duplicates(program)
        differentiate(program, self.name, vectorize=mode == "array")
        merge_duplicates(program)
        writer = Writer(program, mode, self.function_name, self.name, many, not wanted)
        return writer.write(), writer

    def __repr__(self) -> str:
        return f"<compiled {self.name}>"


def _parameter_names(f: Callable[..., Any]) -> list[str] | None:
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    names = []
    for p in signature.parameters.values():
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            return names or None
        names.append(p.name)
    return names


def _wanted(argnums: int | tuple[int, ...] | None, n: int, batched: set[int],
            name: str) -> set[int]:
    if argnums is None:
        wanted = {i for i in range(n) if i not in batched}
        if not wanted and batched:
            raise ValueError(f"compile({name}): every argument is batched; say which gradients "
                             "to return with argnums")
        return wanted
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for p in positions:  # () asks for no gradient: the outputs alone
        if isinstance(p, bool) or not isinstance(p, int) or not -n <= p < n:
            raise ValueError(f"compile({name}): argnums {argnums!r} does not fit {n} "
                             "argument(s)")
    return {p % n for p in positions}


def _first_difference(a: str, b: str) -> str:
    for line_a, line_b in zip(a.splitlines(), b.splitlines()):
        if line_a != line_b:
            return f"{line_a.strip()}  <->  {line_b.strip()}"
    return "(the programs differ in length)"


def compile(f: Callable[..., Any], *, argnums: int | tuple[int, ...] | None = None,
            batch_args: Sequence[int | str] = (), has_aux: bool = False) -> CompiledFunction:
    """Compile `f`, a function of Values returning one Value, to straight-line Python.

    The result returns `(value, gradients)`: with `argnums` an int, the gradient for that
    argument; otherwise a tuple with one gradient per argument in `argnums` (default: every
    argument not in `batch_args`). A gradient has the shape of its argument (a float, or
    lists of floats). Arguments may be numbers, Values or (nested) lists of them; leaf Values
    are traced as themselves, so `f` may reach them on its own (a model's parameters).

    `batch_args` names the arguments (by name or position) that hold one entry per sample;
    then the value is the list (or, for numpy input, the array) of per-sample outputs, and
    the gradients are summed over the samples (for numpy input, a list argument's gradient is
    a numpy array of its shape). The first call for each shape of arguments traces and
    compiles; pass leaf Values that `f` reaches on its own (a model's parameters) in that
    call, numbers or arrays of the same shape after. With `has_aux=True`, `f` returns
    `(output, aux)` and the value is `(output, aux)` (aux: numbers or lists of them, per
    sample when batched), with gradients of the output only.

    Where the engine would fail (log of a negative number, division by zero, an overflow,
    forward or backward), the compiled function fails with the engine's error, of the same
    type, naming the op and its operands, and for a batch, the first sample where it fails
    (`error.sample`).

    >>> import autograd
    >>> loss = compile(lambda w, x, y: (w[0] * x + w[1] - y) ** 2, argnums=0,
    ...                batch_args=["x", "y"])
    >>> losses, dw = loss([2.0, 1.0], [0.0, 1.0], [1.0, 2.0])
    >>> losses, dw                       # residuals 0 and 1: d/dw = 2 r (x, 1), summed
    ([0.0, 1.0], [2.0, 2.0])
    """
    if not callable(f):
        raise TypeError(f"compile: expected a function, got {type(f).__name__}")
    if isinstance(batch_args, (str, int)):
        batch_args = [batch_args]
    return CompiledFunction(f, argnums, batch_args, has_aux)
