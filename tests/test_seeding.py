"""Fresh random weights unless seeded; `seed=` and `autograd.manual_seed` make them reproducible."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
from autograd import nn, rng
from autograd.cli import main

ROOT = Path(__file__).resolve().parent.parent


class TestFreshWeights:
    def test_each_unseeded_model_draws_new_weights(self):
        a, b = nn.MLP(3, [4, 2]).state_dict(), nn.MLP(3, [4, 2]).state_dict()
        assert a.keys() == b.keys()
        assert all(a[name] != b[name] for name in a if not name.endswith(".b"))

    @pytest.mark.parametrize("make", [lambda: nn.Neuron(5), lambda: nn.Layer(5, 3),
                                      lambda: nn.MLP(5, [3])])
    def test_neurons_and_layers_too(self, make):
        assert make().state_dict() != make().state_dict()

    def test_every_process_starts_differently(self):
        # The library's generator is seeded from the system on import, not from a constant.
        code = "from autograd import nn; print(nn.MLP(2, [3]).state_dict())"
        runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, cwd=ROOT,
                               env={"PYTHONPATH": str(ROOT), "PATH": ""}).stdout
                for _ in range(2)]
        assert runs[0].startswith("{") and runs[0] != runs[1]


class TestManualSeed:
    def test_restarting_the_generator_repeats_a_sequence_of_models(self):
        autograd.manual_seed(11)
        first = [nn.MLP(2, [3, 1]).state_dict(), nn.Layer(2, 2).state_dict()]
        autograd.manual_seed(11)
        again = [nn.MLP(2, [3, 1]).state_dict(), nn.Layer(2, 2).state_dict()]
        assert first == again
        assert first[0] != nn.MLP(2, [3, 1]).state_dict()  # the sequence moves on
        autograd.manual_seed(12)
        assert nn.MLP(2, [3, 1]).state_dict() != first[0]

    def test_pythons_global_random_state_is_left_alone(self):
        state = random.getstate()
        autograd.manual_seed(5)
        nn.MLP(4, [6, 2])
        nn.MLP(4, [6, 2], seed=1)
        assert random.getstate() == state

    def test_the_seed_must_be_an_integer(self):
        with pytest.raises(TypeError, match=r"manual_seed: seed must be an integer, got 1\.5"):
            autograd.manual_seed(1.5)
        with pytest.raises(TypeError, match="MLP: seed must be an integer, got 'x'"):
            nn.MLP(2, [1], seed="x")
        with pytest.raises(TypeError, match="Neuron: seed must be an integer, got True"):
            nn.Neuron(2, seed=True)


class TestSeedArgument:
    def test_a_seed_gives_the_same_model_whatever_the_generator_did(self):
        autograd.manual_seed(1)
        a = nn.MLP(3, [5, 2], activation="tanh", seed=42).state_dict()
        nn.MLP(3, [5, 2])  # moves the library's generator
        assert nn.MLP(3, [5, 2], activation="tanh", seed=42).state_dict() == a

    def test_a_seeded_model_or_a_load_does_not_move_the_librarys_generator(self, tmp_path):
        path = tmp_path / "m.json"
        nn.MLP(2, [3, 1], seed=0).save(path)
        autograd.manual_seed(7)
        expected = rng.generator().random()
        autograd.manual_seed(7)
        nn.MLP(3, [5, 2], seed=9)
        nn.MLP.load(path)
        assert rng.generator().random() == expected

    def test_a_generator_can_be_given_instead(self):
        a = nn.MLP(3, [4], rng=random.Random(3)).state_dict()
        assert a == nn.MLP(3, [4], rng=random.Random(3)).state_dict()
        with pytest.raises(ValueError, match="MLP: give seed= or rng=, not both"):
            nn.MLP(3, [4], seed=1, rng=random.Random(1))
        with pytest.raises(TypeError, match=r"Layer: rng must be a random\.Random, got int"):
            nn.Layer(3, 4, rng=5)

    def test_the_seed_is_remembered(self):
        assert nn.MLP(2, [1], seed=3).seed == 3
        assert nn.MLP(2, [1]).seed is None


class TestTrainCommand:
    def test_default_seed_keeps_the_model_file_bit_identical(self, tmp_path, capsys):
        # The command seeds with --seed (default 0), so the library's generator has no say.
        paths = [tmp_path / f"{name}.json" for name in ("a", "b", "c")]
        for i, path in enumerate(paths):
            autograd.manual_seed(100 + i)
            extra = ["--seed", "0"] if i == 2 else []
            status = main(["train", "--dataset", "xor", "--samples", "40", "--epochs", "2",
                           "--output", str(path), *extra])
            assert status == 0
        capsys.readouterr()
        assert paths[0].read_bytes() == paths[1].read_bytes() == paths[2].read_bytes()
        assert json.loads(paths[0].read_text())["parameters"]
