"""autograd: a scalar reverse-mode automatic differentiation engine with a graph you can see.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> y.data, x.grad
(10.0, 7.0)
"""

from autograd import data, losses, nn, optim, rng, viz
from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.compiled import (
    CompiledFunction,
    TraceError,
    compile,  # noqa: F401 - autograd.compile(f); not star-exported
)
from autograd.engine import (
    Primitive,
    Value,
    acos,
    asin,
    atan,
    cos,
    cosh,
    dot,
    enable_grad,
    erf,
    exp,
    expm1,
    gelu,
    gradients,
    greater_equal,
    is_grad_enabled,
    leaky_relu,
    log,
    log1p,
    maximum,
    mean,
    minimum,
    no_grad,
    power,
    primitive,
    relu,
    sigmoid,
    sign,
    silu,
    sin,
    sinh,
    softplus,
    sqrt,
    square,
    step,
    sum_values,
    tan,
    tanh,
    topological_order,
)
from autograd.engine import abs_ as abs  # noqa: F401 - abs(x) on floats and Values
from autograd.engine import pow_ as pow  # noqa: F401 - pow(x, y) with a Value exponent
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
from autograd.rng import manual_seed
from autograd.viz import draw, to_dot
from autograd.viz_html import to_html

sum = sum_values  # autograd.sum(values): many addends as one node

# Seeing a Value: Jupyter shows its diagram, `v.tree()` prints it as text. Attached here so that
# the engine imports nothing else of the package.
Value._repr_mimebundle_ = viz.value_mimebundle  # type: ignore[attr-defined]
Value.tree = viz.text_tree  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
    "CompiledFunction",
    "GradcheckError",
    "GradcheckReport",
    "Primitive",
    "TraceError",
    "Value",
    "acos",
    "asin",
    "atan",
    "cos",
    "cosh",
    "data",
    "detect_anomaly",
    "dot",
    "draw",
    "enable_grad",
    "erf",
    "exp",
    "expm1",
    "gelu",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "gradients",
    "greater_equal",
    "hessian",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "log1p",
    "losses",
    "manual_seed",
    "maximum",
    "mean",
    "minimum",
    "nn",
    "no_grad",
    "numerical_grad",
    "optim",
    "power",
    "primitive",
    "relu",
    "rng",
    "sigmoid",
    "sign",
    "silu",
    "sin",
    "sinh",
    "softplus",
    "sqrt",
    "square",
    "step",
    "sum_values",
    "tan",
    "tanh",
    "to_dot",
    "to_html",
    "topological_order",
    "value_and_grad",
]
