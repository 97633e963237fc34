"""The same workloads on other engines, when they are installed (never required, never
vendored): micrograd (`pip install micrograd`) and PyTorch on 0-dim tensors."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from bench.problems import CHAIN_A, CHAIN_B, CHAIN_X0, Dag, mlp_weights


def optional(module: str) -> ModuleType | None:
    """The module, or None when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# -- micrograd ------------------------------------------------------------------------------


def micrograd_mlp(sizes: tuple[int, ...], seed: int) -> tuple[Any, list[Any]]:
    """micrograd's MLP with the benchmark's weights."""
    from micrograd.nn import MLP

    model = MLP(sizes[0], list(sizes[1:]))
    params = model.parameters()
    numbers = [w for rows, biases in mlp_weights(sizes, seed)
               for row, b in zip(rows, biases) for w in (*row, b)]
    for p, x in zip(params, numbers):
        p.data = x
    return model, params


def micrograd_loss(model: Any, params: list[Any], xs: Sequence[Sequence[float]],
                   ys: Sequence[float], alpha: float) -> Any:
    """micrograd's demo loss: mean(relu(1 - y * score)) + alpha * sum(p^2)."""
    from micrograd.engine import Value

    inputs = [[Value(v) for v in x] for x in xs]
    scores = [model(x) for x in inputs]
    margins = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
    return sum(margins) * (1.0 / len(margins)) + alpha * sum(p * p for p in params)


def micrograd_chain(n: int) -> Any:
    """x <- x * a + b, n times (micrograd has no tanh): to show where its recursion ends."""
    from micrograd.engine import Value

    x, a, b = Value(CHAIN_X0), Value(CHAIN_A), Value(CHAIN_B)
    for _ in range(n):
        x = x * a + b
    return x


def count_micrograd_nodes(root: Any) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


# -- PyTorch, 0-dim tensors ------------------------------------------------------------------


def torch_mlp(sizes: tuple[int, ...], seed: int) -> tuple[list[Any], list[Any]]:
    """Per layer, per neuron: (weights, bias) as 0-dim tensors that require gradients."""
    import torch

    layers, params = [], []
    for rows, biases in mlp_weights(sizes, seed):
        layer = []
        for row, b in zip(rows, biases):
            ws = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in row]
            bias = torch.tensor(b, dtype=torch.float64, requires_grad=True)
            layer.append((ws, bias))
            params += [*ws, bias]
        layers.append(layer)
    return layers, params


def torch_loss(layers: list[Any], params: list[Any], xs: Sequence[Sequence[float]],
               ys: Sequence[float], alpha: float) -> Any:
    """The MLP-step loss, one scalar tensor op per micrograd node."""
    import torch

    margins = []
    for x, y in zip(xs, ys):
        activations = [torch.tensor(v, dtype=torch.float64) for v in x]
        for k, layer in enumerate(layers):
            outputs = []
            for ws, bias in layer:
                z = bias
                for w, a in zip(ws, activations):
                    z = z + w * a
                outputs.append(z if k == len(layers) - 1 else torch.relu(z))
            activations = outputs
        margins.append(torch.relu(1.0 + (-y) * activations[0]))
    return sum(margins) * (1.0 / len(margins)) + alpha * sum(p * p for p in params)


def torch_dag(dag: Dag) -> tuple[Any, list[Any]]:
    import torch

    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in dag.inputs]
    nodes = list(leaves)
    for op, a, b in dag.nodes:
        if op == "tanh":
            nodes.append(torch.tanh(nodes[a]))
        elif op == "+":
            nodes.append(nodes[a] + nodes[b])
        else:
            nodes.append(nodes[a] * nodes[b])
    return nodes[-1], leaves


def torch_chain(n: int) -> tuple[Any, list[Any]]:
    import torch

    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for v in (CHAIN_X0, CHAIN_A, CHAIN_B)]
    x, a, b = leaves
    for _ in range(n):
        x = torch.tanh(x * a + b)
    return x, leaves
