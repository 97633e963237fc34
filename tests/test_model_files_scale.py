"""Model files at scale: loading is linear in the parameter count, and the size a file (or a
constructor call) asks for is checked against a limit before anything is built."""

from __future__ import annotations

import random
import struct
import time
import tracemalloc

import pytest

from autograd import nn
from autograd.checkpoint import CheckpointError, save_checkpoint


def _bits(state: dict[str, float]) -> dict[str, bytes]:
    return {name: struct.pack("<d", value) for name, value in state.items()}


def _architecture(n_in: int, sizes: list[int]) -> dict[str, object]:
    return {"type": "MLP", "n_in": n_in, "sizes": sizes, "activation": "relu",
            "output_activation": "identity"}


class TestLargeModels:
    @pytest.mark.slow
    def test_a_200k_parameter_model_saves_and_loads_quickly_and_exactly(self, tmp_path):
        model = nn.MLP(500, [400, 10], seed=0)
        assert model.n_parameters == 204_410 == nn.parameter_count(500, [400, 10])
        path = tmp_path / "big.json"
        start = time.perf_counter()
        model.save(path)
        saved = time.perf_counter()
        loaded = nn.MLP.load(path)
        done = time.perf_counter()
        assert _bits(loaded.state_dict()) == _bits(model.state_dict())
        x = [random.Random(1).uniform(-1, 1) for _ in range(500)]
        assert [o.data for o in loaded(x)] == [o.data for o in model(x)]
        # Seconds each on a loaded 2-core machine; loading was quadratic before (a 55,210
        # parameter model took 100 s), which these bounds would catch many times over.
        assert saved - start < 60, f"save took {saved - start:.1f} s"
        assert done - saved < 60, f"load took {done - saved:.1f} s"

    def test_names_and_values_are_walked_once(self):
        # named_parameters, state_dict and load_state_dict on one model agree, in order
        model = nn.MLP(30, [20, 5], seed=2)
        names = [name for name, _ in model.named_parameters()]
        assert names == list(model.state_dict())
        assert len(set(names)) == len(names) == model.n_parameters
        state = {name: float(i) for i, name in enumerate(names)}
        model.load_state_dict(state)
        assert [p.data for p in model.parameters()] == [float(i) for i in range(len(names))]


class TestParameterCount:
    @pytest.mark.parametrize("seed", range(20))
    def test_the_count_from_the_sizes_matches_the_built_model(self, seed):
        rng = random.Random(seed)
        n_in = rng.randint(1, 12)
        sizes = [rng.randint(1, 9) for _ in range(rng.randint(1, 4))]
        assert nn.parameter_count(n_in, sizes) == nn.MLP(n_in, sizes).n_parameters

    def test_a_constructor_call_beyond_the_limit_is_one_line_and_builds_nothing(self):
        tracemalloc.start()
        try:
            with pytest.raises(ValueError) as caught:
                nn.MLP(64, [10**9, 10])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        message = str(caught.value)
        assert "\n" not in message
        assert message.startswith("MLP: 64 -> 1,000,000,000 -> 10 has 75,000,000,010 parameters")
        assert f"limit of {nn.MAX_PARAMETERS:,}" in message and "max_parameters" in message
        assert peak < 1_000_000

    def test_the_limit_is_overridable(self):
        with pytest.raises(ValueError, match="121 parameters, over the limit of 100"):
            nn.MLP(10, [10, 1], max_parameters=100)
        assert nn.MLP(10, [10, 1], max_parameters=121).n_parameters == 121
        assert nn.MLP(10, [10, 1], max_parameters=None).n_parameters == 121

    def test_absurd_sizes_are_described_not_printed(self):
        with pytest.raises(ValueError, match=r"2 -> about 10\^5000 has about 10\^5000 param"):
            nn.MLP(2, [10**5000])
        with pytest.raises(ValueError, match=r"3 -> \.\.\. \(10000 layers\) has 4,199,660 p"):
            nn.MLP(3, [20] * 10_000)


class TestFilesAskingForTooMuch:
    def test_a_small_file_asking_for_a_huge_network_is_refused_before_building(self, tmp_path):
        # 5 KB with a valid checksum, asking for ten billion parameters
        path = tmp_path / "huge.json"
        save_checkpoint(path, _architecture(100_000, [100_000]), {"x": 0.0},
                        {"padding": "." * 5000})
        tracemalloc.start()
        try:
            with pytest.raises(CheckpointError) as caught:
                nn.MLP.load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        message = str(caught.value)
        assert "\n" not in message and str(path) in message
        assert "field 'architecture.sizes'" in message
        assert "10,000,100,000 parameters, over the limit of 2,000,000" in message
        assert peak < 5_000_000

    def test_the_file_limit_is_overridable(self, tmp_path):
        path = tmp_path / "m.json"
        nn.MLP(10, [10, 1], seed=0).save(path)
        with pytest.raises(CheckpointError, match="121 parameters, over the limit of 50"):
            nn.MLP.load(path, max_parameters=50)
        assert nn.MLP.load(path, max_parameters=121).n_parameters == 121
        assert nn.MLP.load(path, max_parameters=None).n_parameters == 121

    def test_a_file_whose_parameters_disagree_with_its_architecture_names_the_entry(
            self, tmp_path):
        path = tmp_path / "m.json"
        model = nn.MLP(2, [2], seed=0)
        state = model.state_dict()
        save_checkpoint(path, model.architecture, {**state, "layers.0.neurons.9.b": 1.0})
        with pytest.raises(CheckpointError, match=r"'parameters\.layers\.0\.neurons\.9\.b': "
                                                  r"unexpected"):
            nn.MLP.load(path)
        del state["layers.0.neurons.1.w.0"]
        save_checkpoint(path, model.architecture, state)
        with pytest.raises(CheckpointError,
                           match=r"'parameters\.layers\.0\.neurons\.1\.w\.0': missing"):
            nn.MLP.load(path)
