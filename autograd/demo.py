"""The `demo` command under its older module name: it lives in `autograd.cli.demo`.

>>> from autograd.demo import gate_demo
>>> gate_demo()[0]
('y', 500.0, 1.0)
"""

from autograd.cli.demo import gate_demo, register, run

__all__ = ["gate_demo", "register", "run"]
