"""The `graph` command under its older module name: it lives in `autograd.cli.graph`.

>>> from autograd.graph_command import parse_assignments
>>> parse_assignments(["x=2"])
{'x': 2.0}
"""

from autograd.cli.graph import (
    CommandError,
    check_options,
    parse_assignments,
    register,
    run,
    run_graph,
)

__all__ = ["CommandError", "check_options", "parse_assignments", "register", "run", "run_graph"]
