"""The commands under hostile files and options: bounded sizes, divergence, one-line errors."""

from __future__ import annotations

import io
import json
import math
import resource
import time

import pytest
from support import require

from autograd import losses, nn
from autograd.cli import main
from autograd.files import _digest, load_checkpoint, save_checkpoint
from autograd.training import (
    MAX_PARAMETERS,
    Backend,
    ModelTooLarge,
    StepResult,
    TrainConfig,
    TrainingDiverged,
    engine_scores,
    engine_step,
    mlp_parameter_count,
    train,
)


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def _forged(path, architecture, parameters, metadata=None):
    """A model file with a valid checksum, whatever it claims."""
    save_checkpoint(path, architecture, parameters, metadata or {})


class TestBoundedArchitectures:
    def test_a_small_file_cannot_ask_for_a_huge_network(self, tmp_path, capsys):
        # the file of the report: 100,000 inputs and 100,000 neurons, a valid checksum,
        # and a handful of parameters
        path = tmp_path / "huge.json"
        _forged(path, {"type": "MLP", "n_in": 100_000, "sizes": [100_000],
                       "activation": "relu", "output_activation": "identity"},
                {f"w.{i}": 0.0 for i in range(50)}, {"dataset": {"name": "moons"}})
        started = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        assert main(["evaluate", str(path)]) == 1
        assert time.perf_counter() - started < 5
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB
        err = _one_line(capsys.readouterr().err)
        assert str(path) in err and "architecture.sizes" in err
        assert "10,000,100,000 parameters" in err and "limit of 2,000,000" in err

    def test_the_architecture_must_match_the_parameters_in_the_file(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        _forged(path, {"type": "MLP", "n_in": 2, "sizes": [3, 1], "activation": "relu",
                       "output_activation": "identity"},
                {f"w.{i}": 0.0 for i in range(5)}, {"dataset": {"name": "moons"}})
        assert main(["evaluate", str(path)]) == 1
        err = _one_line(capsys.readouterr().err)
        assert f"describes {mlp_parameter_count(2, [3, 1])} parameters but the file holds 5" \
            in err

    def test_the_limit_can_be_raised_and_lowered(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [8, 1], seed=0).save(path, {"dataset": {"name": "xor", "samples": 20}})
        count = mlp_parameter_count(2, [8, 1])
        assert main(["evaluate", str(path), "--max-parameters", str(count - 1)]) == 1
        err = _one_line(capsys.readouterr().err)
        assert f"{count} parameters, more than the limit of {count - 1}" in err
        assert main(["evaluate", str(path), "--max-parameters", str(count)]) == 0

    def test_train_refuses_a_huge_hidden_layer_at_once(self, tmp_path, capsys):
        started = time.perf_counter()
        assert main(["train", "--hidden", "1000000000", "--output",
                     str(tmp_path / "m.json")]) == 2
        assert time.perf_counter() - started < 10
        err = _one_line(capsys.readouterr().err)
        expected = mlp_parameter_count(64, [1_000_000_000, 10])
        assert err == (f"train: --hidden: a 64 -> 1000000000 -> 10 network has {expected:,} "
                       f"parameters, more than the limit of {MAX_PARAMETERS:,} (give "
                       f"--max-parameters to raise it)")
        assert list(tmp_path.iterdir()) == []

    def test_train_with_a_lowered_limit(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        args = ["train", "--dataset", "xor", "--samples", "40", "--epochs", "1", "--hidden",
                "4", "--output", str(path)]
        count = mlp_parameter_count(2, [4, 1])
        assert main([*args, "--max-parameters", str(count - 1)]) == 2
        assert f"has {count} parameters" in capsys.readouterr().err
        assert main([*args, "--max-parameters", str(count)]) == 0

    def test_too_many_layers(self, tmp_path, capsys):
        assert main(["train", "--dataset", "xor", "--hidden", ",".join(["1"] * 1001),
                     "--output", str(tmp_path / "m.json")]) == 2
        assert "1,002 layers are more than the limit of 1,000" in \
            _one_line(capsys.readouterr().err)

    def test_the_python_api_checks_before_building(self):
        with pytest.raises(ModelTooLarge) as caught:
            train(TrainConfig(dataset="xor", hidden=(10**6, 10**6), samples=20))
        assert caught.value.parameters == mlp_parameter_count(2, [10**6, 10**6, 1])
        result = train(TrainConfig(dataset="xor", hidden=(3,), samples=20, epochs=1,
                                   max_parameters=None), out=io.StringIO())
        assert result.epochs_done == 1

    @pytest.mark.slow
    def test_a_model_of_200_000_parameters_is_evaluated(self, tmp_path, capsys):
        # wide but scored on few examples (20 points), so the time is the file's and the
        # network's construction, not the scoring
        path = tmp_path / "big.json"
        model = nn.MLP(2, [450, 450, 1], seed=0)
        assert model.n_parameters > 200_000
        model.save(path, {"dataset": {"name": "xor", "samples": 20}})
        started = time.perf_counter()
        loaded = load_checkpoint(path, max_parameters=MAX_PARAMETERS)
        assert time.perf_counter() - started < 30
        assert loaded.parameters == model.state_dict()
        assert main(["evaluate", str(path)]) == 0
        out = capsys.readouterr().out
        assert f"parameters={model.n_parameters}" in out and "held-out accuracy" in out


class TestDeepAndBrokenFiles:
    def test_deeply_nested_json_is_one_line(self, tmp_path, capsys):
        path = tmp_path / "deep.json"
        path.write_text('{"a": ' + "[" * 2000 + "]" * 2000 + "}")
        assert main(["evaluate", str(path)]) == 1
        err = _one_line(capsys.readouterr().err)
        # the parser refuses the nesting (up to 3.12) or reads it and the fields are wrong
        assert err.startswith(f"evaluate: {path}: ")
        assert "nested too deeply" in err or "field 'architecture': missing" in err

    @pytest.mark.parametrize("content", ["", "{", "[1, 2]", '{"format": 1}', "\xff\xfe"],
                             ids=["empty", "truncated", "list", "fields", "not-utf8"])
    def test_malformed_files_are_one_line_naming_the_file(self, tmp_path, capsys, content):
        path = tmp_path / "m.json"
        path.write_bytes(content.encode("latin-1"))
        assert main(["evaluate", str(path)]) == 1
        assert str(path) in _one_line(capsys.readouterr().err)

    def test_a_missing_file(self, tmp_path, capsys):
        assert main(["evaluate", str(tmp_path / "none.json")]) == 1
        assert "none.json" in _one_line(capsys.readouterr().err)


def _scores_turn_nan(at_call: int) -> Backend:
    """A dynamic backend whose step reports a nan score (with a finite loss) from `at_call`."""
    calls = {"n": 0}

    def step(model, inputs, labels, loss_fn):
        calls["n"] += 1
        result = engine_step(model, inputs, labels, loss_fn)
        if calls["n"] >= at_call:
            return StepResult(result.loss, [[math.nan] * len(row) for row in result.scores])
        return result

    return Backend("nan-scores", step, engine_scores)


class TestDivergence:
    @pytest.mark.parametrize("engine", ["dynamic", "compiled"])
    def test_the_reported_run_fails_and_saves_nothing(self, tmp_path, capsys, engine):
        if engine == "compiled":
            require("numpy", "fast")
        path = tmp_path / "m.json"
        status = main(["train", "--dataset", "xor", "--samples", "40", "--epochs", "1",
                       "--lr", "1e308", "--engine", engine, "--output", str(path)])
        assert status == 1
        err = _one_line(capsys.readouterr().err)
        assert err == ("train: training diverged at epoch 1 (the held-out outputs are not "
                       "finite); try a smaller --lr; nothing saved")
        assert list(tmp_path.iterdir()) == []  # neither a model nor a report

    def test_a_nan_output_with_a_finite_loss_is_divergence(self, tmp_path):
        path = tmp_path / "m.json"
        with pytest.raises(TrainingDiverged) as caught:
            train(TrainConfig(dataset="moons", samples=60, epochs=4, output=str(path)),
                  out=io.StringIO(), backend=_scores_turn_nan(at_call=5))  # 2 batches/epoch
        assert caught.value.epoch == 3
        assert caught.value.detail == "an output is not finite"
        assert math.isfinite(caught.value.loss)
        assert load_checkpoint(path).metadata["epoch"] == 2

    def test_an_infinite_weight_is_divergence_too(self):
        def step(model, inputs, labels, loss_fn):
            result = engine_step(model, inputs, labels, loss_fn)
            model.parameters()[0].grad = 1e308  # lr 10 takes this weight to -inf
            return result

        with pytest.raises(TrainingDiverged) as caught:
            train(TrainConfig(dataset="xor", samples=40, epochs=2, optimizer="sgd", lr=10.0,
                              momentum=0.0), out=io.StringIO(),
                  backend=Backend("huge-gradient", step, engine_scores))
        assert caught.value.epoch == 1 and caught.value.detail == "a weight is not finite"
        assert caught.value.result.epochs_done == 0

    def test_evaluate_refuses_a_model_that_outputs_nan(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        model = nn.MLP(2, [4, 1], seed=0)
        for p in model.parameters():
            p.data = 1e308 if p.data >= 0 else -1e308  # finite weights, overflowing outputs
        model.save(path, {"dataset": {"name": "xor", "samples": 40}})
        assert main(["evaluate", str(path)]) == 1
        err = _one_line(capsys.readouterr().err)
        assert err.startswith(f"evaluate: {path}: not scored: the model outputs [")
        assert "for example 0" in err


class TestOutputPaths:
    def test_an_empty_output_path_is_named_as_such(self, capsys):
        assert main(["train", "--dataset", "xor", "--output", ""]) == 2
        err = _one_line(capsys.readouterr().err)
        assert err == "train: cannot write the model to '': the path is empty"
        assert "folder" not in err

    def test_an_unwritable_report_path_is_refused_before_training(self, tmp_path, capsys):
        assert main(["train", "--dataset", "xor", "--output", str(tmp_path / "m.json"),
                     "--report", str(tmp_path)]) == 2
        captured = capsys.readouterr()
        assert "cannot write the report to" in captured.err and "folder" in captured.err
        assert "epoch" not in captured.out and list(tmp_path.iterdir()) == []

    def test_graph_checks_its_output_before_printing(self, tmp_path, capsys):
        for output in (str(tmp_path / "missing" / "g.dot"), str(tmp_path / "sub.dot")):
            if output.endswith("sub.dot"):
                (tmp_path / "sub.dot").mkdir()
            assert main(["graph", "x * 2", "--at", "x=1", "-o", output]) == 2
            captured = capsys.readouterr()
            assert captured.out == ""
            assert f"cannot write {output}" in _one_line(captured.err)


class TestNumberFormat:
    @pytest.mark.parametrize(("spec", "problem"), [
        (".999999999f", "precision 999999999 is more than 20 digits"),
        (".21g", "precision 21 is more than 20 digits"),
        ("1000000000.3f", "width 1000000000 is more than 40 characters"),
        ("." + "9" * 5000 + "f", "precision 999999999999... is more than 20 digits"),
    ], ids=["huge-precision", "just-over", "huge-width", "digits-beyond-int-limit"])
    def test_bounded_at_once(self, tmp_path, capsys, spec, problem):
        started = time.perf_counter()
        assert main(["graph", "x * 2", "--at", "x=1", "--number-format", spec, "-o",
                     str(tmp_path / "g.dot")]) == 2
        assert time.perf_counter() - started < 2
        captured = capsys.readouterr()
        assert captured.out == "" and list(tmp_path.iterdir()) == []
        assert _one_line(captured.err) == f"autograd graph: error: --number-format: {problem}"

    def test_the_largest_allowed_precision_works(self, tmp_path, capsys):
        target = tmp_path / "g.dot"
        assert main(["graph", "x / 3", "--at", "x=1", "--number-format", ".20f", "-o",
                     str(target)]) == 0
        assert f"{1 / 3:.20f}" in target.read_text()


class TestCompiledBackendLoss:
    def test_the_loss_function_chooses_the_formula(self):
        require("numpy", "fast")
        from autograd.training.compiled import compiled_backend

        backend = compiled_backend()
        model = nn.MLP(2, [3, 2], seed=1)
        inputs, labels = [[0.5, -1.0], [1.0, 2.0]], [0, 1]
        step = backend.step(model, inputs, labels, losses.cross_entropy)
        expected = losses.cross_entropy([[v for v in row] for row in step.scores], labels)
        assert step.loss == pytest.approx(float(expected), rel=1e-12)
        binary = nn.MLP(2, [3, 1], seed=1)
        step = backend.step(binary, inputs, labels, losses.binary_cross_entropy)
        expected = losses.binary_cross_entropy([row[0] for row in step.scores], labels)
        assert step.loss == pytest.approx(float(expected), rel=1e-12)

    def test_other_losses_are_refused_by_name(self):
        require("numpy", "fast")
        from autograd.training.compiled import compiled_backend

        backend = compiled_backend()
        with pytest.raises(ValueError, match="not mse"):
            backend.step(nn.MLP(2, [1]), [[0.0, 1.0]], [1], losses.mse)
        with pytest.raises(ValueError, match="binary_cross_entropy does not fit a model "
                                             "with 2 outputs"):
            backend.step(nn.MLP(2, [2]), [[0.0, 1.0]], [1], losses.binary_cross_entropy)


def test_forged_checksums_are_what_the_reader_computes(tmp_path):
    # the helper above writes through the library; check it agrees with the format
    path = tmp_path / "m.json"
    _forged(path, {"n_in": 1}, {"w": 0.25})
    document = json.loads(path.read_text())
    assert document["sha256"] == _digest(document["architecture"], document["metadata"],
                                         document["parameters"])
