"""The benchmark problems as plain data: seeded two moons, MLP weights, a random DAG, a chain.

Everything here is pure Python and seeded, so every engine (ours, the plain-float baseline,
micrograd, PyTorch) computes exactly the same numbers from the same description.

>>> xs, ys = two_moons(4, noise=0.1, seed=0)
>>> len(xs), sorted(set(ys))
(4, [-1.0, 1.0])
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

# MLP(2, [16, 16, 1]) as in the MLP-step workload.
MLP_SIZES = (2, 16, 16, 1)


def two_moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """`n` points on two interleaved half circles with Gaussian noise; labels are -1 and +1."""
    rng = random.Random(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    points: list[list[float]] = []
    labels: list[float] = []
    for i in range(n_upper):
        t = math.pi * i / max(n_upper - 1, 1)
        points.append([math.cos(t), math.sin(t)])
        labels.append(-1.0)
    for i in range(n_lower):
        t = math.pi * i / max(n_lower - 1, 1)
        points.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        labels.append(1.0)
    for point in points:
        point[0] += rng.gauss(0.0, noise)
        point[1] += rng.gauss(0.0, noise)
    return points, labels


def mlp_weights(sizes: tuple[int, ...], seed: int) -> list[tuple[list[list[float]], list[float]]]:
    """Per layer, the weight rows (one per neuron) and the biases, uniform in [-1, 1]."""
    rng = random.Random(seed)
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        rows = [[rng.uniform(-1.0, 1.0) for _ in range(n_in)] for _ in range(n_out)]
        biases = [0.0] * n_out
        layers.append((rows, biases))
    return layers


@dataclass(frozen=True)
class Dag:
    """A random expression DAG: `inputs` leaf values, then one (op, a, b) per node.

    Operand indices count leaves first, then nodes; `b` is -1 for tanh. The last node is the
    output, and every other node is used at least once (so backward reaches all of them).
    """

    inputs: tuple[float, ...]
    nodes: tuple[tuple[str, int, int], ...]


def random_dag(n_nodes: int, seed: int, n_inputs: int = 16, window: int = 64) -> Dag:
    """A DAG of `n_nodes` ops mixing +, * and tanh, with reuse, whose values stay in [-4, 4]."""
    rng = random.Random(seed)
    values = [rng.uniform(-1.0, 1.0) for _ in range(n_inputs)]
    pending = list(range(n_inputs))  # values nobody has used yet, oldest first
    nodes: list[tuple[str, int, int]] = []
    while len(nodes) < n_nodes:
        remaining = n_nodes - len(nodes)
        # Toward the end, fold every unused value into one output with +.
        if remaining <= len(pending) - 1 or remaining == 1:
            a = pending.pop(0)
            b = pending.pop(0) if pending else rng.randrange(len(values))
            op = "+"
        else:
            a = pending.pop(0) if pending else rng.randrange(len(values))
            b = len(values) - 1 - rng.randrange(min(window, len(values)))
            op = rng.choice("+*t")
        if op == "t":
            op, b = "tanh", -1
            result = math.tanh(values[a])
        elif op == "+":
            result = values[a] + values[b]
        else:
            result = values[a] * values[b]
        if abs(result) > 4.0 and remaining > len(pending) + 1:
            op, b = "tanh", -1
            result = math.tanh(values[a])
        nodes.append((op, a, b))
        values.append(result)
        pending.append(len(values) - 1)
    return Dag(tuple(values[:n_inputs]), tuple(nodes))


# The chain: x <- tanh(x * a + b), repeated; a and b are two shared leaves.
CHAIN_A = 0.9
CHAIN_B = 0.1
CHAIN_X0 = 0.5
