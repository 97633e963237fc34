"""The plain-float baseline: each workload written out as straight-line Python float code.

The generator below writes the forward computation and, statement by statement, its
hand-derived gradient (the chain rule applied by the generator, not by any engine), then
`exec`s the source. Nothing here imports the engine: the baseline is independent of it.

>>> step = mlp_step_function((2, 1))
>>> params = [0.5, -0.25, 0.0]                       # w0, w1, b
>>> loss = step(params, [[1.0, 2.0]], [1.0], 0.0, 0.0)
>>> loss                                             # relu(1 - 1 * (0.5 - 0.5 + 0))
1.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from bench.problems import Dag


def _compile(source: str, name: str) -> Callable[..., object]:
    namespace: dict[str, object] = {"tanh": math.tanh}
    exec(compile(source, f"<baseline {name}>", "exec"), namespace)
    return namespace[name]  # type: ignore[return-value]


def _parameter_names(sizes: tuple[int, ...]) -> list[list[tuple[list[str], str]]]:
    """Per layer, per neuron: the weight names and the bias name, numbered p0, p1, ..."""
    layers = []
    k = 0
    for n_in, n_out in itertools.pairwise(sizes):
        neurons = []
        for _ in range(n_out):
            weights = [f"p{k + i}" for i in range(n_in)]
            neurons.append((weights, f"p{k + n_in}"))
            k += n_in + 1
        layers.append(neurons)
    return layers


def mlp_step_source(sizes: tuple[int, ...], with_backward: bool = True) -> str:
    """Source of `step(P, X, Y, lr, alpha)` for an MLP with ReLU hidden layers and a linear
    output, the SVM max-margin loss mean(relu(1 - y s)) + alpha * sum(p^2) and, when
    `with_backward`, the gradient and an SGD update of the list P in place.
    Returns the loss."""
    layers = _parameter_names(sizes)
    params = [p for layer in layers for weights, bias in layer for p in (*weights, bias)]
    out = ["def step(P, X, Y, lr, alpha):", f"    {', '.join(params)}, = P"]
    if with_backward:
        out.append("    " + " = ".join(f"g{p}" for p in params) + " = 0.0")
    out += ["    total = 0.0", "    inv_n = 1.0 / len(Y)", "    for x, y in zip(X, Y):"]
    body: list[str] = []
    inputs = [f"x{i}" for i in range(sizes[0])]
    body.append(f"{', '.join(inputs)}, = x")
    activations = [inputs]
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        outputs = []
        for j, (weights, bias) in enumerate(layer):
            terms = " + ".join(f"{w} * {a}" for w, a in zip(weights, activations[-1]))
            body.append(f"z{k}_{j} = {terms} + {bias}")
            if not last:
                body.append(f"h{k}_{j} = z{k}_{j} if z{k}_{j} > 0.0 else 0.0")
                outputs.append(f"h{k}_{j}")
            else:
                outputs.append(f"z{k}_{j}")
        activations.append(outputs)
    (score,) = activations[-1]
    body.append(f"m = 1.0 - y * {score}")
    body.append("total += m if m > 0.0 else 0.0")
    if with_backward:
        # d loss/d m = 1/n where the margin is violated; d m/d score = -y
        body.append("gm = inv_n if m > 0.0 else 0.0")
        body.append(f"g{score} = -y * gm")
        for k in range(len(layers) - 1, -1, -1):
            below = activations[k]
            for j, (weights, bias) in enumerate(layers[k]):
                gz = f"gz{k}_{j}"
                if k == len(layers) - 1:
                    body.append(f"{gz} = g{score}")
                else:
                    # d relu(z)/dz = 1 above 0, else 0
                    body.append(f"{gz} = gh{k}_{j} if z{k}_{j} > 0.0 else 0.0")
                for w, a in zip(weights, below):
                    body.append(f"g{w} += {gz} * {a}")  # d z/d w = a
                body.append(f"g{bias} += {gz}")
                if k > 0:
                    for i, w in enumerate(weights):  # d z/d a = w
                        op = "=" if j == 0 else "+="
                        body.append(f"gh{k - 1}_{i} {op} {gz} * {w}")
    out += [f"        {line}" for line in body]
    squares = " + ".join(f"{p} * {p}" for p in params)
    out.append(f"    loss = total * inv_n + alpha * ({squares})")
    if with_backward:
        # d (alpha sum p^2)/d p = 2 alpha p, then p <- p - lr g
        out.append("    two_alpha = 2.0 * alpha")
        updates = ", ".join(f"{p} - lr * (g{p} + two_alpha * {p})" for p in params)
        out.append(f"    P[:] = [{updates}]")
    out.append("    return loss")
    return "\n".join(out) + "\n"


def mlp_step_function(sizes: tuple[int, ...], with_backward: bool = True) -> Callable[..., float]:
    """`step(P, X, Y, lr, alpha)`, compiled from `mlp_step_source`."""
    return _compile(mlp_step_source(sizes, with_backward), "step")  # type: ignore[return-value]


def dag_source(dag: Dag, with_backward: bool = True) -> str:
    """Source of `run(inputs)` returning the output and (with backward) the input gradients."""
    n_in = len(dag.inputs)
    out = ["def run(inputs):", f"    {', '.join(f'v{i}' for i in range(n_in))}, = inputs"]
    for k, (op, a, b) in enumerate(dag.nodes, start=n_in):
        if op == "tanh":
            out.append(f"    v{k} = tanh(v{a})")
        else:
            out.append(f"    v{k} = v{a} {op} v{b}")
    root = n_in + len(dag.nodes) - 1
    if not with_backward:
        out.append(f"    return v{root}")
        return "\n".join(out) + "\n"
    assigned = {root}
    out.append(f"    g{root} = 1.0")

    def accumulate(target: int, term: str) -> None:
        op = "+=" if target in assigned else "="
        assigned.add(target)
        out.append(f"    g{target} {op} {term}")

    for k in range(root, n_in - 1, -1):
        op, a, b = dag.nodes[k - n_in]
        if k not in assigned:
            continue
        if op == "tanh":
            accumulate(a, f"g{k} * (1.0 - v{k} * v{k})")  # d tanh/dx = 1 - tanh^2
        elif op == "+":
            accumulate(a, f"g{k}")
            accumulate(b, f"g{k}")
        else:
            accumulate(a, f"g{k} * v{b}")  # d(ab)/da = b
            accumulate(b, f"g{k} * v{a}")
    grads = ", ".join(f"g{i}" if i in assigned else "0.0" for i in range(n_in))
    out.append(f"    return v{root}, [{grads}]")
    return "\n".join(out) + "\n"


def dag_function(dag: Dag, with_backward: bool = True) -> Callable[..., object]:
    """`run(inputs)`, compiled from `dag_source`."""
    return _compile(dag_source(dag, with_backward), "run")


def chain_forward(x0: float, a: float, b: float, n: int) -> float:
    """x <- tanh(a x + b), n times. A loop: a straight-line function of a million statements
    would take longer to compile than to run."""
    x = x0
    tanh = math.tanh
    for _ in range(n):
        x = tanh(x * a + b)
    return x


def chain_step(x0: float, a: float, b: float, n: int) -> tuple[float, float, float, float]:
    """The chain forward, then its gradient by hand: (output, d/dx0, d/da, d/db)."""
    tanh = math.tanh
    xs = [x0] * (n + 1)
    x = x0
    for i in range(1, n + 1):
        x = tanh(x * a + b)
        xs[i] = x
    g = 1.0
    ga = gb = 0.0
    for i in range(n, 0, -1):
        y = xs[i]
        gs = g * (1.0 - y * y)  # d tanh/ds = 1 - tanh^2
        ga += gs * xs[i - 1]    # d s/d a = x
        gb += gs                # d s/d b = 1
        g = gs * a              # d s/d x = a
    return x, g, ga, gb


def softmax_step_source(sizes: tuple[int, ...]) -> str:
    """Source of `step(P, X, T, lr)`: one mini-batch of an MLP with ReLU hidden layers and a
    softmax cross-entropy output (targets T one-hot), then an SGD update of P in place.
    Returns the mean loss."""
    layers = _parameter_names(sizes)
    params = [p for layer in layers for weights, bias in layer for p in (*weights, bias)]
    n_classes = sizes[-1]
    out = ["def step(P, X, T, lr):", f"    {', '.join(params)}, = P",
           "    " + " = ".join(f"g{p}" for p in params) + " = 0.0",
           "    total = 0.0", "    inv_n = 1.0 / len(X)", "    for x, t in zip(X, T):"]
    body = [f"{', '.join(f'x{i}' for i in range(sizes[0]))}, = x",
            f"{', '.join(f't{k}' for k in range(n_classes))}, = t"]
    activations = [[f"x{i}" for i in range(sizes[0])]]
    for k, layer in enumerate(layers):
        last = k == len(layers) - 1
        outputs = []
        for j, (weights, bias) in enumerate(layer):
            terms = " + ".join(f"{w} * {a}" for w, a in zip(weights, activations[-1]))
            body.append(f"z{k}_{j} = {terms} + {bias}")
            if last:
                outputs.append(f"z{k}_{j}")
            else:
                body.append(f"h{k}_{j} = z{k}_{j} if z{k}_{j} > 0.0 else 0.0")
                outputs.append(f"h{k}_{j}")
        activations.append(outputs)
    logits = activations[-1]
    top = len(layers) - 1
    # loss = log sum_k e^(z_k) - t . z, shifted by the largest logit
    body.append(f"m = max({', '.join(logits)})")
    for k, z in enumerate(logits):
        body.append(f"e{k} = exp({z} - m)")
    body.append(f"s = {' + '.join(f'e{k}' for k in range(n_classes))}")
    dot_t = " + ".join(f"t{k} * {z}" for k, z in enumerate(logits))
    body.append(f"total += log(s) + m - ({dot_t})")
    # d loss / d z_k = softmax_k - t_k, over the batch mean
    for k, z in enumerate(logits):
        body.append(f"g{z} = (e{k} / s - t{k}) * inv_n")
    for k in range(len(layers) - 1, -1, -1):
        below = activations[k]
        for j, (weights, bias) in enumerate(layers[k]):
            gz = f"gz{k}_{j}"
            if k == top:
                body.append(f"{gz} = gz{k}_{j}")
            else:
                body.append(f"{gz} = gh{k}_{j} if z{k}_{j} > 0.0 else 0.0")  # relu' = step
            for w, a in zip(weights, below):
                body.append(f"g{w} += {gz} * {a}")
            body.append(f"g{bias} += {gz}")
            if k > 0:
                for i, w in enumerate(weights):
                    op = "=" if j == 0 else "+="
                    body.append(f"gh{k - 1}_{i} {op} {gz} * {w}")
    out += [f"        {line}" for line in body]
    out.append(f"    P[:] = [{', '.join(f'{p} - lr * g{p}' for p in params)}]")
    out.append("    return total * inv_n")
    return "\n".join(out) + "\n"


def softmax_step_function(sizes: tuple[int, ...]) -> Callable[..., float]:
    """`step(P, X, T, lr)`, compiled from `softmax_step_source`."""
    namespace: dict[str, object] = {"exp": math.exp, "log": math.log}
    source = softmax_step_source(sizes)
    exec(compile(source, "<baseline softmax step>", "exec"), namespace)
    return namespace["step"]  # type: ignore[return-value]
