"""The command line: `python -m autograd COMMAND ...` (also installed as `autograd`).

Each command lives in its own module, which adds its sub-parser in `register(subparsers)`
and sets `run` (a function of the parsed arguments returning the exit status).

>>> build_parser().prog
'autograd'
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Modules that each add one or more commands.
COMMAND_MODULES: tuple[str, ...] = (
    "autograd.demo", "autograd.training", "autograd.graph_command", "autograd.cost_command",
)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every command's sub-parser."""
    parser = argparse.ArgumentParser(
        prog="autograd",
        description="A scalar autodiff engine with a computational graph you can see.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` and run the chosen command; returns the exit status."""
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
