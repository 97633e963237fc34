"""The `graph` command: evaluate an expression, backpropagate, print gradients, draw the graph.

    python -m autograd graph "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o neuron.svg

The expression goes through the safe parser of `autograd.cli.expression`; the diagram's format
follows the output file's extension (.svg, .png, .dot/.gv or .html). Broken or disallowed
input gets a one-line error on stderr and exit status 2.

>>> import io, contextlib
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = run_graph("x * y + 1", "x=2,y=5")
>>> status, out.getvalue().splitlines()[1].split()
(0, ['x', '=', '2', 'df/dx', '=', '5'])
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from autograd.cli.expression import FUNCTIONS, ExpressionError, parse
from autograd.engine import Value
from autograd.files import why_unwritable
from autograd.viz import DEFAULT_MAX_NODES, RendererNotFound, diagram_format, save, text_tree

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Python's format spec for floats: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_FLOAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+))?"
                         r"[eEfFgGn%]?", re.S)
# A double has 17 significant digits; more only spells out its binary expansion, and a
# huge precision or width makes every number in the diagram megabytes long.
MAX_PRECISION = 20
MAX_WIDTH = 40
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class CommandError(Exception):
    """Bad input to the command; the message is shown on one line."""


def parse_assignments(specs: Sequence[str]) -> dict[str, float]:
    """Variables from `--at` options such as 'x=2,w=-3'.

    >>> parse_assignments(["x=2,w=-3", "b=6.88"])
    {'x': 2.0, 'w': -3.0, 'b': 6.88}
    """
    values: dict[str, float] = {}
    for spec in specs:
        for part in spec.split(","):
            part = part.strip()
            if not part:
                continue
            name, sep, number = (s.strip() for s in part.partition("="))
            if not sep:
                raise CommandError(f"--at: expected NAME=NUMBER, got {part!r}")
            if not _NAME.fullmatch(name) or "__" in name or name in FUNCTIONS:
                raise CommandError(f"--at: {name!r} is not a usable variable name")
            if not _NUMBER.fullmatch(number):
                raise CommandError(f"--at: {name} = {number!r} is not a finite number")
            value = float(number)
            if value in (float("inf"), float("-inf")):
                raise CommandError(f"--at: {name} = {number!r} is too large")
            if name in values:
                raise CommandError(f"--at: {name!r} is given twice")
            values[name] = value
    return values


def _format(x: float) -> str:
    return f"{x:.6g}"


def check_options(output: str | None, number_format: str, max_nodes: int | None,
                  rankdir: str = "LR") -> int | None:
    """Refuse bad options before anything is evaluated; returns the node limit to draw with.

    `max_nodes` of None or 0 draws every node; otherwise it must be at least 1.

    >>> check_options("g.svg", ".3f", 0) is None, check_options(None, "e", 40)
    (True, 40)
    >>> try:
    ...     check_options(None, "d", None)
    ... except CommandError as error:
    ...     print(error)
    --number-format: 'd' is not a format for floats (such as .4g, .3f or e)
    >>> try:
    ...     check_options(None, ".999999999f", None)
    ... except CommandError as error:
    ...     print(error)
    --number-format: precision 999999999 is more than 20 digits
    """
    spec = _FLOAT_SPEC.fullmatch(number_format) if isinstance(number_format, str) else None
    # the bounds first: formatting with a precision of 10**9 would itself take gigabytes
    for part, limit, unit in (("precision", MAX_PRECISION, "digits"),
                              ("width", MAX_WIDTH, "characters")):
        digits = spec[part] if spec is not None else None
        if digits and (len(digits) > 4 or int(digits) > limit):
            shown = digits if len(digits) <= 12 else digits[:12] + "..."
            raise CommandError(f"--number-format: {part} {shown} is more than {limit} {unit}")
    try:
        if spec is None:
            raise ValueError(number_format)
        format(1.5, number_format)
    except (ValueError, TypeError):
        raise CommandError(f"--number-format: {number_format!r:.60} is not a format for floats "
                           "(such as .4g, .3f or e)") from None
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise CommandError(f"--rankdir: expected LR or TB, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not (max_nodes is None or isinstance(max_nodes, int)):
        raise CommandError(f"--max-nodes: expected a whole number, got {max_nodes!r}")
    if max_nodes is not None and max_nodes < 0:
        raise CommandError(f"--max-nodes: {max_nodes} is negative; give 0 to draw every node "
                           "or a positive limit")
    if output is not None:
        try:
            diagram_format(output)
        except ValueError as error:
            raise CommandError(str(error)) from None
        problem = why_unwritable(output)
        if problem:
            raise CommandError(f"cannot write {output}: {problem}")
    return max_nodes or None


def run_graph(expression: str, at: str | Sequence[str] = (), output: str | None = None,
              *, rankdir: str = "LR", number_format: str = ".4g", show_grad: bool = True,
              max_nodes: int | None = DEFAULT_MAX_NODES, tree: bool = False) -> int:
    """Do the command's work; returns the exit status (2 for bad input).

    Options are checked before anything is evaluated or printed. `max_nodes` of None or 0
    draws every node.
    """
    try:
        limit = check_options(output, number_format, max_nodes, rankdir)
        return _run(expression, [at] if isinstance(at, str) else list(at), output,
                    rankdir=rankdir, number_format=number_format, show_grad=show_grad,
                    max_nodes=limit, tree=tree)
    except RendererNotFound as error:
        _fail(str(error))
        return 1
    except (CommandError, ExpressionError, ArithmeticError, ValueError, TypeError) as error:
        _fail(str(error))
        return 2


def _fail(message: str) -> None:
    one_line = " ".join(message.split())
    print(f"autograd graph: error: {one_line}", file=sys.stderr)


def _run(expression: str, at: list[str], output: str | None, *, rankdir: str,
         number_format: str, show_grad: bool, max_nodes: int | None, tree: bool) -> int:
    parsed = parse(expression)
    given = parse_assignments(at)
    missing = [name for name in parsed.names if name not in given]
    if missing:
        hint = ",".join(f"{name}=..." for name in missing)
        raise CommandError(f"no value for {', '.join(map(repr, missing))}: add --at {hint}")
    unused = [name for name in given if name not in parsed.names]
    if unused:
        raise CommandError(f"--at gives {', '.join(map(repr, unused))}, "
                           "which the expression does not use")
    variables = {name: Value(given[name], label=name) for name in parsed.names}
    result: Any = parsed.evaluate(variables)
    if not isinstance(result, Value):
        result = Value(result, label="f")
    elif result.label is None:
        result.label = "f"
    result.backward()
    print(f"{expression} = {_format(result.data)}")
    width = max((len(name) for name in parsed.names), default=0)
    for name in parsed.names:
        value = variables[name]
        print(f"  {name:<{width}} = {_format(value.data):<10}  "
              f"d{result.label}/d{name} = {_format(value.grad)}")
    if not parsed.names:
        print("  (no variables: nothing to differentiate)")
    if tree:
        print(text_tree(result, number_format=number_format, show_grad=show_grad))
    if output is not None:
        try:
            written = save(result, output, rankdir=rankdir, number_format=number_format,
                           show_grad=show_grad, max_nodes=max_nodes, title=expression)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror or error}") from None
        print(f"wrote {written}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the `graph` command from parsed arguments."""
    return run_graph(args.expression, args.at, args.output, rankdir=args.rankdir,
                     number_format=args.number_format, show_grad=not args.no_grad,
                     max_nodes=args.max_nodes,
                     tree=args.tree)


def register(subparsers: Any) -> None:
    """Add the `graph` command.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(); register(parser.add_subparsers())
    >>> parser.parse_args(["graph", "x*x", "--at", "x=3"]).at
    ['x=3']
    """
    parser = subparsers.add_parser(
        "graph",
        help="evaluate an expression, backpropagate, and draw its graph",
        description=(
            "Evaluate EXPRESSION at the given values, backpropagate, print each variable's "
            "value and gradient, and draw the graph. The expression may use numbers, names, "
            "+ - * / **, parentheses and the functions " + ", ".join(sorted(FUNCTIONS)) + "."
        ),
        epilog='example: autograd graph "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o neuron.svg',
    )
    parser.add_argument("expression", help='e.g. "tanh(x*w + b)"')
    parser.add_argument("--at", action="append", default=[], metavar="NAME=NUMBER,...",
                        help="values of the variables, e.g. x=2,w=-3 (repeatable)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the diagram: .svg, .png, .dot/.gv or .html (interactive)")
    parser.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                        help="left to right (LR, default) or top to bottom (TB)")
    parser.add_argument("--number-format", default=".4g", metavar="SPEC",
                        help="format of numbers in the diagram (default .4g)")
    parser.add_argument("--no-grad", action="store_true", help="leave gradients out of the diagram")
    parser.add_argument("--max-nodes", type=int, default=DEFAULT_MAX_NODES, metavar="N",
                        help=f"draw at most N value nodes (default {DEFAULT_MAX_NODES}; 0: all)")
    parser.add_argument("--tree", action="store_true", help="also print the graph as a text tree")
    parser.set_defaults(run=run)
