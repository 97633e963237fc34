"""The command line: `python -m autograd COMMAND ...` (also installed as `autograd`).

Each command lives in its own module beside this one (`demo`, `train` for `train` and
`evaluate`, `graph` with its expression parser), which adds its sub-parser in
`register(subparsers)` and sets `run` (a function of the parsed arguments returning the exit
status). They are imported here plainly, so the command line's top is visible to a reader.

>>> build_parser().prog
'autograd'
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from autograd.cli import cost, demo, graph, train

__all__ = ["COMMANDS", "COMMAND_MODULES", "build_parser", "main"]

# The modules that each add one or more commands, in the order `--help` lists them.
COMMANDS = (demo, train, graph, cost)
COMMAND_MODULES: tuple[str, ...] = tuple(module.__name__ for module in COMMANDS)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command's sub-parser.

    >>> [build_parser().parse_args([name]).command for name in ("demo", "train")]
    ['demo', 'train']
    """
    parser = argparse.ArgumentParser(
        prog="autograd",
        description="A scalar autodiff engine with a computational graph you can see.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; returns the exit status.

    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     status = main(["demo"])
    >>> status, out.getvalue().splitlines()[0]
    (0, 'y = x1 * x2 + x3, then y.backward():')
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python's own flush at exit
        # from failing on the closed pipe too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
