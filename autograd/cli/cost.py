"""The `cost` command: one gradient computed four ways, with op counts and times.

    python -m autograd cost --params 10 100 1000 --plot cost.png

Prints `autograd.cost.compare_methods`'s table for each size and, with `--plot`, writes the
log-log plot (needs the `plots` extra). Bad input gets one line on stderr and status 2.

>>> import io, contextlib
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = run_cost([10], budget=0.05, repeats=1)
>>> status, out.getvalue().split()[:4]
(0, ['gradient', 'of', 'an', 'MLP'])
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd.cost import cost_curve, plot_costs
from autograd.files import write_bytes

_PLOT_FORMATS = (".png", ".svg", ".pdf")


def run_cost(sizes: Sequence[int], *, budget: float = 2.0, repeats: int = 3,
             plot: str | None = None) -> int:
    """Print the table for each size; draw the plot to `plot` when given. Returns the status."""
    bad = [n for n in sizes if n < 1]
    if bad or not sizes:
        print(f"cost: --params must be positive whole numbers, got {bad[0] if bad else 'none'}",
              file=sys.stderr)
        return 2
    if not budget > 0:
        print(f"cost: --budget must be a positive number of seconds, got {budget}",
              file=sys.stderr)
        return 2
    if plot is not None and Path(plot).suffix.lower() not in _PLOT_FORMATS:
        print(f"cost: --plot {plot}: the file must end in {', '.join(_PLOT_FORMATS)}",
              file=sys.stderr)
        return 2
    curve = cost_curve(sizes, budget=budget, repeats=repeats)
    print("\n\n".join(str(comparison) for comparison in curve))
    if plot is not None:
        try:
            figure = plot_costs(curve)
        except ImportError as error:
            print(f"cost: {error}", file=sys.stderr)
            return 2
        buffer = io.BytesIO()
        figure.savefig(buffer, format=Path(plot).suffix[1:].lower(), dpi=120)
        try:
            written = write_bytes(plot, buffer.getvalue())
        except OSError as error:
            print(f"cost: cannot write {plot}: {error.strerror or error}", file=sys.stderr)
            return 2
        print(f"wrote {written}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the `cost` command from parsed arguments."""
    return run_cost(args.params, budget=args.budget, repeats=args.repeats, plot=args.plot)


def register(subparsers: Any) -> None:
    """Add the `cost` command.

    >>> parser = argparse.ArgumentParser(); register(parser.add_subparsers())
    >>> parser.parse_args(["cost", "--params", "10", "100"]).params
    [10, 100]
    """
    parser = subparsers.add_parser(
        "cost",
        help="time one gradient four ways: differences, forward, reverse, compiled",
        description=(
            "Take the gradient of a small network's loss by central differences (2n forward "
            "passes), forward mode (n tangent passes), reverse mode (one forward, one "
            "backward) and compiled reverse mode, and print what each cost in ops and time. "
            "Methods that would run longer than --budget are timed for part of their passes "
            "and extrapolated (the table says so)."
        ),
        epilog="example: autograd cost --params 10 100 1000 --plot cost.png",
    )
    parser.add_argument("--params", type=int, nargs="+", default=[10, 100, 1000], metavar="N",
                        help="network sizes in parameters (default 10 100 1000)")
    parser.add_argument("--budget", type=float, default=2.0, metavar="SECONDS",
                        help="time spent measuring each per-parameter method (default 2)")
    parser.add_argument("--repeats", type=int, default=3, metavar="K",
                        help="best of K runs for the reverse modes (default 3)")
    parser.add_argument("--plot", metavar="FILE",
                        help="also write the log-log plot (.png, .svg or .pdf; plots extra)")
    parser.set_defaults(run=run)
