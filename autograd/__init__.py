"""autograd: a scalar reverse-mode automatic differentiation engine with a graph you can see.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> y.data, x.grad
(10.0, 7.0)

Every primitive of the op table (`autograd.engine.OPS`) is a function here under its name:

>>> from autograd import tanh, maximum
>>> tanh(0.0), maximum(1.0, 2.0)
(0.0, 2.0)

The compiler, the diagrams and the command line load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from autograd import engine
from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import (
    OPS,
    Constant,
    Primitive,
    Value,
    dot,
    enable_grad,
    gelu,
    gradients,
    is_grad_enabled,
    leaky_relu,
    mean,
    no_grad,
    power,
    primitive,
    silu,
    square,
    sum_values,
    topological_order,
)
from autograd.functional import (
    GradcheckError,
    GradcheckReport,
    grad,
    gradcheck,
    gradgradcheck,
    hessian,
    numerical_grad,
    value_and_grad,
)
from autograd.checking import ExplainReport, explain
from autograd.functional import Dual, hvp, jacobian, jvp, linearize
from autograd.rng import manual_seed

__version__ = "0.1.0"

# Every primitive of the table under its canonical name (autograd.exp, autograd.maximum, ...);
# the families power(n) and leaky_relu(x, slope) are the factory and the composed function.
_FAMILIES = {"power": power, "leaky_relu": leaky_relu, "dot": dot, "sum": sum_values}
globals().update({name: _FAMILIES.get(name, op) for name, op in OPS.items()})
sum = sum_values  # noqa: A001 - autograd.sum(values): many addends as one node
pow_ = OPS["pow"]  # the name of earlier versions
abs_ = OPS["abs"]

# Heavier parts, imported on first use: name -> (module, attribute or None for the module).
_LAZY: dict[str, tuple[str, str | None]] = {
    "compile": ("autograd.compile", None),  # the package, callable as compile itself
    "CompiledFunction": ("autograd.compile", "CompiledFunction"),
    "TraceError": ("autograd.compile", "TraceError"),
    "draw": ("autograd.viz", "draw"),
    "to_dot": ("autograd.viz", "to_dot"),
    "to_html": ("autograd.viz", "to_html"),
    "data": ("autograd.data", None),
    "losses": ("autograd.losses", None),
    "nn": ("autograd.nn", None),
    "optim": ("autograd.optim", None),
    "viz": ("autograd.viz", None),
    "testing": ("autograd.testing", None),
    "checking": ("autograd.checking", None),
    "cost": ("autograd.cost", None),
    "count_ops": ("autograd.cost", "count_ops"),
    "rng": ("autograd.rng", None),
}


def __getattr__(name: str) -> Any:
    if name in OPS:  # an op declared in the table after this module was loaded
        return OPS[name]
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'autograd' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# How a Value shows itself (v.tree(), Jupyter's display) is drawn by autograd.viz, which the
# engine does not import: it is registered here, and loaded when first asked for.
def _tree(value: Value, **options: Any) -> str:
    return importlib.import_module("autograd.viz").text_tree(value, **options)


def _mimebundle(value: Value, include: Any = None, exclude: Any = None) -> Any:
    return importlib.import_module("autograd.viz").value_mimebundle(value, include, exclude)


engine.register_view("tree", _tree)
engine.register_view("mimebundle", _mimebundle)

# (abs, pow, sum and compile are not star-exported: they would hide Python's own)
__all__ = sorted([
    *[name for name in OPS if name not in ("abs", "pow", "sum")],
    "AnomalyError",
    "CompiledFunction",
    "Constant",
    "GradcheckError",
    "GradcheckReport",
    "Primitive",
    "TraceError",
    "Value",
    "data",
    "detect_anomaly",
    "dot",
    "draw",
    "enable_grad",
    "gelu",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "leaky_relu",
    "losses",
    "manual_seed",
    "mean",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "power",
    "primitive",
    "rng",
    "silu",
    "square",
    "sum_values",
    "to_dot",
    "to_html",
    "topological_order",
    "value_and_grad",
    # forward mode, Jacobians, explain and the cost of a derivative
    "Dual",
    "ExplainReport",
    "checking",
    "cost",
    "count_ops",
    "explain",
    "hvp",
    "jacobian",
    "jvp",
    "linearize",
])
