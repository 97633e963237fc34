"""micrograd code runs with only its imports changed: the README example and the demo loop.

The loop below is written the way micrograd's demo notebook writes it (a list of Value rows,
`list(map(model, inputs))`, the SVM max-margin loss with `.relu()`, Python's `sum`, an L2
penalty over `model.parameters()`, `model.zero_grad()`, `p.data -= learning_rate * p.grad`),
on the library's own two moons.
"""

from __future__ import annotations

import math

import pytest

import autograd
from autograd import Value
from autograd.data import make_moons
from autograd.nn import MLP, Layer, Neuron


def readme_expression(a: Value, b: Value) -> Value:
    # micrograd's README example, statement for statement
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def readme_expression_on_floats(a: float, b: float) -> float:
    """The same expression on plain floats, for central differences."""
    relu = lambda z: max(z, 0.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    return f / 2.0 + 10.0 / f


class TestReadmeExample:
    def test_prints_micrograd_numbers(self, capsys):
        a = Value(-4.0)
        b = Value(2.0)
        g = readme_expression(a, b)
        print(f"{g.data:.4f}")
        g.backward()
        print(f"{a.grad:.4f}")
        print(f"{b.grad:.4f}")
        # the numbers micrograd's README says its own engine prints
        assert capsys.readouterr().out.split() == ["24.7041", "138.8338", "645.5773"]

    def test_gradients_agree_with_central_differences(self):
        a, b = Value(-4.0), Value(2.0)
        readme_expression(a, b).backward()
        h = 1e-5
        f = readme_expression_on_floats
        da = (f(-4.0 + h, 2.0) - f(-4.0 - h, 2.0)) / (2 * h)
        db = (f(-4.0, 2.0 + h) - f(-4.0, 2.0 - h)) / (2 * h)
        assert a.grad == pytest.approx(da, rel=1e-7)
        assert b.grad == pytest.approx(db, rel=1e-7)


class TestSignaturesAndShapes:
    def test_neuron_layer_mlp_take_micrograd_arguments(self):
        assert Neuron(3).nonlin and Neuron(3).activation == "relu"
        assert not Neuron(3, nonlin=False).nonlin
        assert Neuron(3, False).activation == "identity"  # nonlin given by position
        layer = Layer(3, 2, nonlin=False)
        assert not layer.nonlin and all(not n.nonlin for n in layer.neurons)
        model = MLP(2, [16, 16, 1])
        # micrograd: every layer but the last is non-linear
        assert [layer.nonlin for layer in model.layers] == [True, True, False]
        assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1

    def test_parameter_order_is_micrograds(self):
        # micrograd lists each neuron's weights then its bias, neuron by neuron, layer by layer
        model = MLP(2, [3, 1])
        expected = [p for layer in model.layers for n in layer.neurons for p in (*n.w, n.b)]
        assert model.parameters() == expected

    def test_one_output_is_a_value_several_are_a_list(self):
        x = [0.5, -1.0]
        one = MLP(2, [4, 1], seed=0)(x)
        assert isinstance(one, Value)
        several = MLP(2, [4, 3], seed=0)(x)
        assert isinstance(several, list) and len(several) == 3
        assert isinstance(Layer(2, 1)(x), Value)
        assert isinstance(Neuron(2)(x), Value)

    def test_arithmetic_on_a_single_output_is_arithmetic(self):
        # with a one-element list these were list repetition and a TypeError
        model = MLP(2, [4, 1], seed=3)
        score = model([0.5, -1.0]).data
        assert (2 * model([0.5, -1.0])).data == 2 * score
        assert (-1 * model([0.5, -1.0])).data == -score
        assert (1 + -1 * model([0.5, -1.0])).relu().data == max(1 - score, 0.0)

    def test_floats_and_values_as_inputs_give_the_same_output(self):
        model = MLP(2, [5, 1], seed=2)
        assert model([0.25, 0.75]).data == model([Value(0.25), Value(0.75)]).data
        assert model((0.25, 0.75)).data == model(iter([0.25, 0.75])).data

    def test_outputs_is_always_a_list(self):
        model = MLP(2, [4, 1], seed=0)
        (out,) = model.outputs([1.0, 2.0])
        assert out.data == model([1.0, 2.0]).data

    def test_zero_grad_resets_every_parameter(self):
        model = MLP(2, [4, 1], seed=1)
        model([1.0, 2.0]).backward()
        assert any(p.grad != 0 for p in model.parameters())
        model.zero_grad()
        assert all(p.grad == 0 for p in model.parameters())

    def test_a_single_value_is_not_a_list_of_inputs(self):
        with pytest.raises(TypeError, match="MLP: expected a list of 1 inputs"):
            MLP(1, [1], seed=0)(Value(1.0))
        with pytest.raises(ValueError, match="nonlin=False contradicts activation='tanh'"):
            Neuron(2, "tanh", nonlin=False)


@pytest.mark.slow
def test_micrograd_demo_loop_reaches_full_accuracy_on_two_moons():
    autograd.manual_seed(0)  # the demo seeds its generator too (random.seed(1337) there)
    X, y = make_moons(100, noise=0.1)
    y = [2 * label - 1 for label in y]  # labels -1 / +1
    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    def loss():
        inputs = [list(map(Value, row)) for row in X]
        scores = list(map(model, inputs))
        # svm "max-margin" loss, then L2 regularization
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))  # noqa: UP034 - as the demo
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(100):
        total_loss, acc = loss()  # forward
        model.zero_grad()  # backward
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100  # update (sgd)
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total_loss.data, acc))

    assert all(math.isfinite(loss_value) for loss_value, _ in history)
    assert history[0][1] < 0.95  # the untrained model makes mistakes
    assert history[-1][0] < 0.1 * history[0][0]
    assert history[-1][1] == 1.0
