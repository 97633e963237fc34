"""The `demo` command: the add and multiply gates of y = x1 * x2 + x3, forward and backward.

>>> rows = gate_demo()
>>> rows[-1]
('x3', 300.0, 1.0)
"""

from __future__ import annotations

import argparse
from typing import Any

from autograd.engine import Value


def gate_demo() -> list[tuple[str, float, float]]:
    """Evaluate y = x1 * x2 + x3 at (100, 2, 300), backpropagate, and list (name, value, grad)."""
    x1, x2, x3 = Value(100.0, "x1"), Value(2.0, "x2"), Value(300.0, "x3")
    y = x1 * x2 + x3
    y.label = "y"
    y.backward()
    return [(v.label or "", v.data, v.grad) for v in (y, x1, x2, x3)]


def run(args: argparse.Namespace) -> int:
    """Print the gate example."""
    print("y = x1 * x2 + x3, then y.backward():")
    for name, data, grad in gate_demo():
        print(f"  {name:>2} = {data:7g}   dy/d{name} = {grad:g}")
    return 0


def register(subparsers: Any) -> None:
    """Add the `demo` command."""
    parser = subparsers.add_parser("demo", help="show the add and multiply gates backpropagating")
    parser.set_defaults(run=run)
