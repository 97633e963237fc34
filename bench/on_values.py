"""The workloads written on `autograd.Value` (the dynamic engine).

Two formulations of the MLP: the library's (`autograd.nn.MLP`: one n-ary `dot` node per
neuron, the bias riding along as a weight on a constant input 1, then the activation), and
micrograd's (one `*` and one `+` node per weight), built here on our Values to count nodes.

>>> model, params = mlp_model((2, 1), seed=0)
>>> loss = mlp_loss(model, params, [[1.0, 2.0]], [1.0], alpha=0.0)
>>> loss.backward(); len(params), loss.data >= 0.0
(3, True)
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd import Value, dot, exp, log, relu, sum_values, tanh
from autograd.losses import cross_entropy, logsumexp
from autograd.nn import MLP
from bench.problems import CHAIN_A, CHAIN_B, CHAIN_X0, Dag, mlp_weights

Layer = list[tuple[list[Value], Value]]


def mlp_model(sizes: tuple[int, ...], seed: int) -> tuple[MLP, list[Value]]:
    """`autograd.nn.MLP` with ReLU hidden layers and the benchmark's weights (uniform [-1, 1])."""
    model = MLP(sizes[0], list(sizes[1:]), activation="relu", seed=seed)
    numbers = [w for rows, biases in mlp_weights(sizes, seed)
               for row, b in zip(rows, biases) for w in (*row, b)]
    params = model.parameters()
    for p, x in zip(params, numbers):
        p.data = x
    return model, params


def mlp_loss(model: MLP, params: list[Value], xs: Sequence[Sequence[float]],
             ys: Sequence[float], alpha: float) -> Value:
    """mean(relu(1 - y * score)) + alpha * sum(p^2): the SVM max-margin loss."""
    margins = [relu(1.0 + (-y) * one_output(model(x))) for x, y in zip(xs, ys)]
    data_loss = sum_values(margins) * (1.0 / len(margins))
    return data_loss + alpha * sum_values([p * p for p in params])


def one_output(out: Value | list[Value]) -> Value:
    """A one-output model's Value (versions before 2026-12 returned a list of one; the same
    benchmark runs on them for before/after tables)."""
    return out[0] if isinstance(out, list) else out


def binary_model(sizes: tuple[int, ...], seed: int) -> tuple[list[Layer], list[Value]]:
    """The same MLP as lists of weight Values, for micrograd's formulation."""
    layers: list[Layer] = []
    params: list[Value] = []
    for rows, biases in mlp_weights(sizes, seed):
        layer: Layer = []
        for row, bias in zip(rows, biases):
            neuron = ([Value(w) for w in row], Value(bias))
            layer.append(neuron)
            params += [*neuron[0], neuron[1]]
        layers.append(layer)
    return layers, params


def binary_loss(layers: list[Layer], params: list[Value], xs: Sequence[Sequence[float]],
                ys: Sequence[float], alpha: float) -> Value:
    """The MLP-step loss with one `*` and one `+` node per weight, as micrograd builds it."""
    margins = []
    for x, y in zip(xs, ys):
        activations: Sequence[object] = [Value(v) for v in x]
        for k, layer in enumerate(layers):
            outputs = []
            for weights, bias in layer:
                z = sum((w * a for w, a in zip(weights, activations)), bias)
                outputs.append(z if k == len(layers) - 1 else relu(z))
            activations = outputs
        margins.append(relu(1.0 + (-y) * activations[0]))
    return sum(margins) * (1.0 / len(margins)) + alpha * sum(p * p for p in params)


def sgd_update(params: Sequence[Value], lr: float) -> None:
    """p <- p - lr * dloss/dp, then clear the gradient for the next step."""
    for p in params:
        p.data -= lr * p.grad
        p.grad = 0.0


def dag_graph(dag: Dag) -> tuple[Value, list[Value]]:
    """The DAG built from Values: its output node and its input leaves."""
    leaves = [Value(x) for x in dag.inputs]
    return dag_function(dag)(leaves), leaves


def dag_function(dag: Dag):
    """The DAG as a function of its inputs (for `autograd.compile`)."""
    def run(inputs: list[Value]) -> Value:
        nodes = list(inputs)
        append = nodes.append
        for op, a, b in dag.nodes:
            if op == "tanh":
                append(tanh(nodes[a]))
            elif op == "+":
                append(nodes[a] + nodes[b])
            else:
                append(nodes[a] * nodes[b])
        return nodes[-1]
    return run


def chain_graph(n: int) -> tuple[Value, list[Value]]:
    """x <- tanh(x * a + b) n times (3 n nodes): the output and the leaves (x0, a, b)."""
    x0, a, b = Value(CHAIN_X0), Value(CHAIN_A), Value(CHAIN_B)
    x = x0
    for _ in range(n):
        x = tanh(x * a + b)
    return x, [x0, a, b]


def digits_batch_loss(model: MLP, xs: Sequence[Sequence[float]], labels: Sequence[int]) -> Value:
    """The digits run's loss on one mini-batch: softmax cross-entropy, mean over the batch."""
    return cross_entropy([model(x) for x in xs], labels)


def digits_sample_loss(model: MLP, x: Sequence[Value], onehot: Sequence[Value]) -> Value:
    """One sample's cross-entropy, with the target as a one-hot row (traceable by compile):
    log sum_k e^(z_k) - t . z."""
    z = model(x)
    return logsumexp(z) - dot(list(onehot), z)


def digits_sample_loss_plain(model: MLP, x: Sequence[Value], onehot: Sequence[Value]) -> Value:
    """The same loss written with engine ops only: log(sum_k e^(z_k)) - t . z."""
    z = model(x)
    return log(sum_values([exp(zk) for zk in z])) - dot(list(onehot), z)
