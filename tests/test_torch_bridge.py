"""Graduating to PyTorch: `MLP.to_torch()` and `MLP.from_torch()` keep weights and outputs, and
training the same network for 20 SGD steps in both agrees to 1e-12 (float64).

Skipped, with the reason shown in the summary, when PyTorch is not installed.
"""

from __future__ import annotations

import math
import random
import struct

import pytest

torch = pytest.importorskip("torch", reason="needs torch (pip install 'scalar-autograd[torch]')")

from autograd import losses, nn, optim  # noqa: E402 - after the skip


def _bits(state: dict[str, float]) -> dict[str, bytes]:
    return {name: struct.pack("<d", value) for name, value in state.items()}


def _torch_state(seq) -> list[float]:
    """Every weight of a Sequential in the MLP's parameter order (per neuron: weights, bias)."""
    numbers = []
    for module in seq:
        if isinstance(module, torch.nn.Linear):
            for row, bias in zip(module.weight.tolist(), module.bias.tolist()):
                numbers += [*row, bias]
    return numbers


def _points(n: int, n_in: int, seed: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2, 2) for _ in range(n_in)] for _ in range(n)]


class TestToTorch:
    @pytest.mark.parametrize(("activation", "output_activation"),
                             [("relu", "identity"), ("tanh", "sigmoid"), ("sigmoid", "tanh"),
                              ("identity", "relu")])
    def test_same_weights_same_outputs(self, activation, output_activation):
        model = nn.MLP(4, [6, 5, 3], activation, output_activation, seed=1)
        seq = model.to_torch()
        kinds = [type(m).__name__ for m in seq]
        act = {"relu": ["ReLU"], "tanh": ["Tanh"], "sigmoid": ["Sigmoid"], "identity": []}
        assert kinds == ["Linear", *act[activation], "Linear", *act[activation], "Linear",
                         *act[output_activation]]
        assert all(p.dtype == torch.float64 and p.requires_grad for p in seq.parameters())
        assert _torch_state(seq) == [p.data for p in model.parameters()]  # exactly
        xs = _points(10, 4, seed=2)
        with torch.no_grad():
            theirs = seq(torch.tensor(xs, dtype=torch.float64)).tolist()
        ours = [[o.data for o in model.outputs(x)] for x in xs]
        for row_t, row_o in zip(theirs, ours):
            assert row_t == pytest.approx(row_o, rel=1e-14, abs=1e-15)

    def test_one_output_and_gradients_agree(self):
        model = nn.MLP(3, [5, 1], activation="tanh", seed=4)
        seq = model.to_torch()
        x = [0.3, -1.2, 0.8]
        out = model(x)
        out.backward()
        torch_out = seq(torch.tensor(x, dtype=torch.float64))
        assert torch_out.shape == (1,)
        torch_out.sum().backward()
        assert torch_out.item() == pytest.approx(out.data, rel=1e-15)
        torch_grads = []
        for module in seq:
            if isinstance(module, torch.nn.Linear):
                for row, b in zip(module.weight.grad.tolist(), module.bias.grad.tolist()):
                    torch_grads += [*row, b]
        assert torch_grads == pytest.approx([p.grad for p in model.parameters()], rel=1e-13)

    def test_torch_random_state_is_left_alone(self):
        before = torch.get_rng_state()
        nn.MLP(5, [7, 2], seed=0).to_torch()
        assert torch.equal(before, torch.get_rng_state())

    def test_the_torch_copy_is_independent(self):
        model = nn.MLP(2, [2], seed=0)
        seq = model.to_torch()
        with torch.no_grad():
            seq[0].weight.fill_(7.0)
        assert all(p.data != 7.0 for p in model.parameters())


class TestFromTorch:
    def test_round_trip_is_bit_exact(self):
        model = nn.MLP(3, [4, 4, 2], "tanh", "sigmoid", seed=8)
        back = nn.MLP.from_torch(model.to_torch())
        assert back.architecture == model.architecture
        assert _bits(back.state_dict()) == _bits(model.state_dict())

    def test_a_float32_torch_model_converts_exactly(self):
        torch.manual_seed(0)
        seq = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
        model = nn.MLP.from_torch(seq)
        assert repr(model) == ("MLP(3 -> 6 -> 2, activation='relu', "
                               "output_activation='identity', parameters=38)")
        assert [p.data for p in model.parameters()] == _torch_state(seq)
        xs = _points(5, 3, seed=3)
        with torch.no_grad():
            expected = seq.double()(torch.tensor(xs, dtype=torch.float64)).tolist()
        for x, row in zip(xs, expected):
            assert [o.data for o in model(x)] == pytest.approx(row, rel=1e-14, abs=1e-15)

    def test_identity_modules_and_a_lone_output_layer(self):
        seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(),
                                  torch.nn.Linear(3, 1), torch.nn.Sigmoid())
        model = nn.MLP.from_torch(seq)
        assert (model.activation, model.output_activation) == ("identity", "sigmoid")
        assert nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(4, 2))).sizes == (2,)

    @pytest.mark.parametrize(("modules", "message"), [
        (lambda: [torch.nn.Linear(2, 3), torch.nn.LeakyReLU(), torch.nn.Linear(3, 1)],
         r"module 1 \(LeakyReLU\) is not supported; an MLP is built from Linear, ReLU"),
        (lambda: [torch.nn.Linear(2, 3, bias=False)],
         r"module 0 \(Linear\) has no bias"),
        (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 3)],
         r"module 0 \(ReLU\) comes before any Linear layer"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()],
         r"module 2 \(Tanh\) follows another activation"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                  torch.nn.Tanh(), torch.nn.Linear(3, 1)],
         r"the hidden layers use different activations \(relu, tanh\)"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)],
         r"module 1 \(Linear\) takes 4 inputs but the layer before gives 3"),
        (lambda: [torch.nn.Conv1d(1, 1, 3)],
         r"module 0 \(Conv1d\) is not supported"),
        (lambda: [torch.nn.Sequential(torch.nn.Linear(2, 2))],
         r"module 0 \(Sequential\) is not supported"),
        (lambda: [], r"the Sequential holds no Linear layer"),
    ])
    def test_unsupported_networks_are_one_line_errors(self, modules, message):
        with pytest.raises(ValueError, match="MLP.from_torch: " + message) as caught:
            nn.MLP.from_torch(torch.nn.Sequential(*modules()))
        assert "\n" not in str(caught.value)

    def test_only_a_sequential_is_taken(self):
        with pytest.raises(ValueError, match=r"expected a torch\.nn\.Sequential .* got Linear"):
            nn.MLP.from_torch(torch.nn.Linear(2, 2))

    def test_non_finite_weights_and_size_limits_are_named(self):
        seq = torch.nn.Sequential(torch.nn.Linear(2, 2))
        with torch.no_grad():
            seq[0].bias[1] = float("nan")
        with pytest.raises(ValueError, match=r"'layers.0.neurons.1.b' must be a finite number"):
            nn.MLP.from_torch(seq)
        with pytest.raises(ValueError, match="6 parameters, over the limit of 5"):
            nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2)), max_parameters=5)


# The same network, data, loss and optimizer on both sides.
PARITY_CASES = {
    "tanh, mse, sgd": ("tanh", [8, 8, 1], 0.0),
    "relu, cross-entropy, momentum": ("relu", [8, 8, 3], 0.9),
    "sigmoid, binary cross-entropy, sgd": ("sigmoid", [6, 1], 0.0),
}


def _losses_for(sizes: list[int], name: str):
    if "mse" in name:
        return losses.mse, lambda out, t: ((out.squeeze(1) - t) ** 2).mean()
    if sizes[-1] > 1:
        return (losses.cross_entropy,
                lambda out, t: torch.nn.functional.cross_entropy(out, t.long()))
    return (losses.binary_cross_entropy,
            lambda out, t: torch.nn.functional.binary_cross_entropy_with_logits(out.squeeze(1), t))


@pytest.mark.parametrize("name", PARITY_CASES)
def test_twenty_sgd_steps_agree_with_pytorch(name):
    activation, sizes, momentum = PARITY_CASES[name]
    n_in, steps, lr = 3, 20, 0.1
    model = nn.MLP(n_in, sizes, activation=activation, seed=5)
    seq = model.to_torch()
    xs = _points(16, n_in, seed=6)
    rng = random.Random(7)
    if "mse" in name:
        targets = [rng.uniform(-1, 1) for _ in xs]
    else:
        targets = [rng.randrange(max(2, sizes[-1])) for _ in xs]
    ours_loss, theirs_loss = _losses_for(sizes, name)
    ours_opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    theirs_opt = torch.optim.SGD(seq.parameters(), lr=lr, momentum=momentum)
    x_t = torch.tensor(xs, dtype=torch.float64)
    t_t = torch.tensor(targets, dtype=torch.float64)

    loss_gaps = []
    for _ in range(steps):
        loss = ours_loss([model(x) for x in xs], targets)
        ours_opt.zero_grad()
        loss.backward()
        ours_opt.step()

        theirs_opt.zero_grad()
        torch_loss = theirs_loss(seq(x_t), t_t)
        torch_loss.backward()
        theirs_opt.step()
        loss_gaps.append(abs(loss.data - torch_loss.item()))

    ours = [p.data for p in model.parameters()]
    theirs = _torch_state(seq)
    gap = max(abs(a - b) for a, b in zip(ours, theirs))
    print(f"{name}: largest weight difference after {steps} steps {gap:.3e}, "
          f"largest loss difference {max(loss_gaps):.3e}")
    assert all(math.isfinite(w) for w in ours)
    assert max(abs(a - b) for a, b in zip(ours, [p.data for p in nn.MLP(
        n_in, sizes, activation=activation, seed=5).parameters()])) > 1e-3  # it did train
    assert gap < 1e-12
    assert max(loss_gaps) < 1e-12
    # and the trained torch model comes back as the trained scalar model
    back = nn.MLP.from_torch(seq)
    assert max(abs(a - b) for a, b in zip(back.state_dict().values(), ours)) < 1e-12
