"""The train command's compiled backend gives the dynamic engine's results, only faster."""

from __future__ import annotations

import io

import pytest
from support import require

from autograd.training import DYNAMIC, TrainConfig, backend_named, train

require("numpy", "fast")


def run(config: TrainConfig, engine: str):
    return train(config, out=io.StringIO(), err=io.StringIO(), backend=backend_named(engine))


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(dataset="digits", hidden=(16,), epochs=2, output=None),
        TrainConfig(dataset="moons", epochs=15, samples=120, output=None),
        TrainConfig(dataset="spirals", epochs=5, samples=90, optimizer="sgd", ema=0.9,
                    output=None),
    ],
    ids=["digits", "moons", "spirals-sgd-ema"],
)
def test_compiled_and_dynamic_training_agree(config):
    compiled = run(config, "compiled")
    dynamic = run(config, "dynamic")
    assert compiled.test_accuracy == dynamic.test_accuracy
    assert compiled.train_accuracy == dynamic.train_accuracy
    assert compiled.loss == pytest.approx(dynamic.loss, rel=1e-9)
    for p, q in zip(compiled.model.parameters(), dynamic.model.parameters()):
        assert p.data == pytest.approx(q.data, rel=1e-9, abs=1e-12)


def test_auto_picks_the_compiled_backend_when_numpy_is_there():
    assert backend_named("auto").name == "compiled"
    assert backend_named("dynamic") is DYNAMIC
    with pytest.raises(ValueError, match="unknown engine 'fast'"):
        backend_named("fast")


def test_compiled_scores_equal_the_engine_scores():
    from autograd.nn import MLP

    model = MLP(3, [5, 4], activation="tanh", seed=3)
    inputs = [[0.1, -0.2, 0.3], [1.0, 0.5, -1.5], [0.0, 0.0, 0.0]]
    fast = backend_named("compiled").scores(model, inputs)
    slow = DYNAMIC.scores(model, inputs)
    for row_fast, row_slow in zip(fast, slow):
        assert row_fast == pytest.approx(row_slow, rel=1e-12, abs=1e-15)
