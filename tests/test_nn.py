"""nn: parameters and names, initialisation, forward values, and gradients against the seeds."""

from __future__ import annotations

import itertools
import math
import random
import re
import statistics

import pytest
from support import require

from autograd import Value, losses, nn, optim


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class TestParameters:
    def test_names_are_readable_and_ordered(self):
        model = nn.MLP(2, [3, 1], seed=0)
        names = [name for name, _ in model.named_parameters()]
        assert names[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                             "layers.0.neurons.0.b", "layers.0.neurons.1.w.0"]
        assert names[-1] == "layers.1.neurons.0.b"
        assert "layers.1.neurons.0.w.2" in names
        assert len(set(names)) == len(names)

    def test_count_follows_the_layer_sizes(self):
        model = nn.MLP(64, [32, 10])
        assert model.n_parameters == (64 + 1) * 32 + (32 + 1) * 10
        assert len(model.parameters()) == model.n_parameters
        assert "parameters=2410" in repr(model)
        assert "64 -> 32 -> 10" in repr(model)

    def test_parameters_are_the_named_values(self):
        model = nn.MLP(3, [2, 2])
        assert model.parameters() == [v for _, v in model.named_parameters()]
        assert all(isinstance(p, Value) and p.is_leaf for p in model.parameters())

    def test_zero_grad(self):
        model = nn.MLP(2, [2, 1])
        model([1.0, 2.0]).backward()
        assert any(p.grad != 0.0 for p in model.parameters())
        model.zero_grad()
        assert all(p.grad == 0.0 for p in model.parameters())

    def test_custom_module_finds_nested_parameters(self):
        class Pair(nn.Module):
            def __init__(self):
                self.first = nn.Neuron(2, seed=1)
                self.scales = [Value(1.0), Value(2.0)]
                self._hidden = Value(9.0)  # private attributes are not parameters

        names = [name for name, _ in Pair().named_parameters()]
        assert names == ["first.w.0", "first.w.1", "first.b", "scales.0", "scales.1"]


class TestInitialisation:
    def test_same_seed_same_weights_and_global_state_untouched(self):
        state = random.getstate()
        a = nn.MLP(4, [5, 3], seed=7).state_dict()
        b = nn.MLP(4, [5, 3], seed=7).state_dict()
        assert random.getstate() == state
        assert a == b
        assert a != nn.MLP(4, [5, 3], seed=8).state_dict()

    def test_relu_layers_get_he_normal_weights(self):
        layer = nn.Layer(200, 100, activation="relu", seed=0)
        weights = [w.data for n in layer.neurons for w in n.w]
        assert statistics.fmean(weights) == pytest.approx(0.0, abs=0.005)
        assert statistics.pstdev(weights) == pytest.approx(math.sqrt(2 / 200), rel=0.03)

    @pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
    def test_tanh_and_sigmoid_layers_get_glorot_uniform_weights(self, activation):
        layer = nn.Layer(120, 80, activation=activation, seed=0)
        weights = [w.data for n in layer.neurons for w in n.w]
        limit = math.sqrt(6 / (120 + 80))
        assert max(abs(w) for w in weights) <= limit
        assert max(abs(w) for w in weights) > 0.95 * limit
        # a uniform on [-l, l] has standard deviation l / sqrt(3)
        assert statistics.pstdev(weights) == pytest.approx(limit / math.sqrt(3), rel=0.03)

    def test_biases_start_at_zero(self):
        assert all(n.b.data == 0.0 for layer in nn.MLP(3, [4, 2]).layers for n in layer.neurons)

    def test_bad_arguments_are_named(self):
        with pytest.raises(ValueError, match="unknown activation 'swish'"):
            nn.MLP(2, [3], activation="swish")
        with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive integer"):
            nn.MLP(2, [3, 0])
        with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
            nn.MLP(2, [1])([1.0, 2.0, 3.0])


class TestForward:
    @pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
    def test_outputs_equal_the_layer_formula(self, activation):
        g = {"relu": lambda z: max(z, 0.0), "tanh": math.tanh, "sigmoid": _sigmoid,
             "identity": lambda z: z}[activation]
        model = nn.MLP(3, [4, 2], activation=activation, output_activation="sigmoid", seed=3)
        x = [0.5, -1.5, 2.0]
        a = x
        for i, layer in enumerate(model.layers):
            act = g if i == 0 else _sigmoid
            # Z = W A + b, A = g(Z)
            a = [act(sum(w.data * ai for w, ai in zip(n.w, a)) + n.b.data)
                 for n in layer.neurons]
        assert [o.data for o in model(x)] == pytest.approx(a, abs=1e-12)

    def test_accepts_values_as_inputs_and_backpropagates_to_them(self):
        model = nn.MLP(2, [1], output_activation="identity", seed=0)
        x = [Value(1.0), Value(2.0)]
        model(x).backward()
        assert [xi.grad for xi in x] == [w.data for w in model.layers[0].neurons[0].w]


class TestSeedsExamples:
    def test_pytorch_example_loss_goes_down(self):
        # Article 002: Linear(10, 20) -> ReLU -> Linear(20, 1), MSE, SGD lr 0.01, 5 samples.
        rng = random.Random(0)
        inputs = [[rng.gauss(0, 1) for _ in range(10)] for _ in range(5)]
        targets = [[rng.gauss(0, 1)] for _ in range(5)]
        model = nn.MLP(10, [20, 1], activation="relu", seed=0)
        optimizer = optim.SGD(model.parameters(), lr=0.01)
        history = []
        for _ in range(30):
            outputs = [model(x) for x in inputs]
            loss = losses.mse(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.data)
        assert history[1] < history[0]
        assert history[-1] < 0.8 * history[0]
        assert all(b <= a for a, b in itertools.pairwise(history))

    def test_layer_formulas_give_the_same_gradients(self):
        # Articles 001/003/004: Z[l] = W[l] A[l-1] + b[l], A[l] = sigmoid(Z[l]),
        # J = 1/2 (A[L] - y)^2 per example, averaged over the batch;
        # dZ = dA * g'(Z), dW = dZ A[l-1], db = dZ, dA[l-1] = dZ W.
        model = nn.MLP(3, [4, 2], activation="sigmoid", output_activation="sigmoid", seed=11)
        batch = [([0.2, -0.4, 0.9], [1.0, 0.0]), ([-1.1, 0.3, 0.5], [0.0, 1.0]),
                 ([0.7, 0.8, -0.2], [1.0, 1.0])]
        W = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
        b = [[n.b.data for n in layer.neurons] for layer in model.layers]
        dW = [[[0.0] * len(row) for row in Wl] for Wl in W]
        db = [[0.0] * len(bl) for bl in b]
        for x, y in batch:
            A = [x]
            for Wl, bl in zip(W, b):
                Z = [sum(w * a for w, a in zip(row, A[-1])) + bj for row, bj in zip(Wl, bl)]
                A.append([_sigmoid(z) for z in Z])
            dA = [a - t for a, t in zip(A[-1], y)]            # dJ/dA[L] = A[L] - y
            for layer in reversed(range(len(W))):
                a_out, a_in = A[layer + 1], A[layer]
                dZ = [da * s * (1 - s) for da, s in zip(dA, a_out)]  # sigmoid' = s (1 - s)
                for j, dz in enumerate(dZ):
                    db[layer][j] += dz / len(batch)
                    for k, a in enumerate(a_in):
                        dW[layer][j][k] += dz * a / len(batch)
                dA = [sum(dZ[j] * W[layer][j][k] for j in range(len(dZ)))
                      for k in range(len(a_in))]                # a unit's paths add up

        total = 0.0
        for x, y in batch:
            outputs = model(x)
            total = total + sum(0.5 * (o - t) * (o - t) for o, t in zip(outputs, y))
        loss = total * (1.0 / len(batch))
        loss.backward()
        for layer_index, layer in enumerate(model.layers):
            for j, neuron in enumerate(layer.neurons):
                assert neuron.b.grad == pytest.approx(db[layer_index][j], abs=1e-12)
                assert [w.grad for w in neuron.w] == pytest.approx(dW[layer_index][j], abs=1e-12)

    def test_one_neuron_chain_of_article_002(self):
        # y_hat = w2 (w1 x), L = 1/2 (y - y_hat)^2: dL/dw2 = -(y - y_hat) w1 x,
        # dL/dw1 = -(y - y_hat) w2 x.
        w1, w2, x, y = Value(0.5), Value(-1.5), 2.0, 0.3
        y_hat = w2 * (w1 * x)
        loss = 0.5 * (y - y_hat) * (y - y_hat)
        loss.backward()
        error = y - y_hat.data
        assert w2.grad == pytest.approx(-error * 0.5 * x)
        assert w1.grad == pytest.approx(-error * -1.5 * x)


class TestStateDict:
    def test_round_trip_between_models(self):
        a, b = nn.MLP(3, [4, 1], seed=1), nn.MLP(3, [4, 1], seed=2)
        b.load_state_dict(a.state_dict())
        assert b.state_dict() == a.state_dict()
        assert b([1.0, 2.0, 3.0]).data == a([1.0, 2.0, 3.0]).data

    def test_bad_state_is_rejected_without_changing_anything(self):
        model = nn.MLP(2, [1], seed=0)
        before = model.state_dict()
        state = dict(before)
        state["layers.0.neurons.0.w.0"] = 5.0
        state["layers.0.neurons.0.b"] = float("nan")
        message = re.escape("'layers.0.neurons.0.b' must be a finite number")
        with pytest.raises(ValueError, match=message):
            model.load_state_dict(state)
        assert model.state_dict() == before
        with pytest.raises(ValueError, match="unexpected parameter 'extra'"):
            model.load_state_dict({**before, "extra": 1.0})
        message = re.escape("missing parameter 'layers.0.neurons.0.w.1'")
        with pytest.raises(ValueError, match=message):
            model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 0.0})


class TestParameterDiscovery:
    def test_a_shared_parameter_is_listed_once_and_updated_once(self):
        class Tied(nn.Module):
            def __init__(self):
                self.a = Value(1.0)
                self.b = self.a

        model = Tied()
        assert [name for name, _ in model.named_parameters()] == ["a"]
        assert model.n_parameters == 1
        model.a.grad = 1.0
        optim.SGD(model.parameters(), lr=0.5).step()
        assert model.a.data == 0.5  # 1 - 0.5 * 1, one update

    def test_nested_lists_tuples_and_dicts_are_walked(self):
        class Deep(nn.Module):
            def __init__(self):
                self.nested = [[Value(3.0)], ()]
                self.table = {"x": (Value(4.0),), 7: [nn.Neuron(1, seed=0)]}
                self.config = {"sizes": [1, 2]}

        names = [name for name, _ in Deep().named_parameters()]
        assert names == ["nested.0.0", "table.x.0", "table.7.0.w.0", "table.7.0.b"]

    def test_deep_nesting_needs_no_recursion(self):
        class Russian(nn.Module):
            def __init__(self):
                box: list = [Value(1.0)]
                for _ in range(5000):
                    box = [box]
                self.box = box

        assert len(Russian().named_parameters()) == 1

    def test_a_container_holding_itself_ends(self):
        class Loop(nn.Module):
            def __init__(self):
                self.items = [Value(1.0)]
                self.items.append(self.items)

        assert [name for name, _ in Loop().named_parameters()] == ["items.0"]

    def test_a_parameter_under_an_unnameable_key_is_an_error(self):
        class Odd(nn.Module):
            def __init__(self):
                self.table = {(1, 2): Value(1.0)}

        with pytest.raises(TypeError, match="cannot be named"):
            Odd().named_parameters()


class TestStateDictNumbers:
    def test_huge_integer_is_rejected_by_name(self):
        model = nn.MLP(1, [1], seed=0)
        state = {**model.state_dict(), "layers.0.neurons.0.b": 10 ** 400}
        with pytest.raises(ValueError, match=re.escape("'layers.0.neurons.0.b' must be a fin")):
            model.load_state_dict(state)

    def test_numpy_scalars_are_accepted_as_floats(self):
        np = require("numpy", "fast")
        model = nn.MLP(1, [1], seed=0)
        model.load_state_dict({"layers.0.neurons.0.w.0": np.float32(0.5),
                               "layers.0.neurons.0.b": np.int64(-2)})
        assert model.state_dict() == {"layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.b": -2.0}
        assert all(type(p.data) is float for p in model.parameters())
