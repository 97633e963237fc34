"""The `cost` command moved to `autograd.cli.cost`; this name stays for old imports."""

from autograd.cli.cost import *  # noqa: F403
from autograd.cli.cost import register, run_cost  # noqa: F401
