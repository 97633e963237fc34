"""Training: the loop reaches its targets, is reproducible, survives Ctrl-C; the commands."""

from __future__ import annotations

import io
import json

import pytest
from support import require

from autograd import losses, nn, training
from autograd.checkpoint import load_checkpoint
from autograd.cli import main
from autograd.training import TrainConfig, accuracy, engines, train
from autograd.training import text_report as terminal_report


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _quiet_train(config: TrainConfig, **kwargs) -> training.TrainResult:
    return train(config, out=io.StringIO(), err=io.StringIO(), **kwargs)


def _interrupting(at_epoch: int, at_batch: int) -> training.Backend:
    calls = {"n": 0}

    def step(model, inputs, labels, loss_fn):
        calls["n"] += 1
        if calls["n"] == (at_epoch - 1) * batches_per_epoch + at_batch:
            raise KeyboardInterrupt
        return training.engine_step(model, inputs, labels, loss_fn)

    batches_per_epoch = 2  # 60 samples -> 48 training examples in batches of 32
    return training.Backend("interrupting", step, training.engine_scores)


class TestTargets:
    @pytest.mark.slow
    def test_moons_with_16_16_1_reaches_full_training_accuracy(self):
        result = _quiet_train(TrainConfig(dataset="moons", output=None))
        assert result.model.sizes == (16, 16, 1)
        split = result.dataset.split
        assert accuracy(result.model, split.train_inputs, split.train_labels) == 1.0
        assert result.test_accuracy >= 0.9

    def test_short_moons_run_learns(self):
        result = _quiet_train(TrainConfig(dataset="moons", epochs=15, samples=100, output=None))
        split = result.dataset.split
        assert accuracy(result.model, split.train_inputs, split.train_labels) >= 0.85
        assert result.history[-1]["loss"] < result.history[0]["loss"]

    @pytest.mark.slow
    def test_short_digits_run_reaches_a_lower_threshold(self):
        result = _quiet_train(TrainConfig(dataset="digits", hidden=(16,), epochs=3, output=None))
        assert len(result.dataset.split.test_labels) == 359
        assert result.test_accuracy >= 0.88


class TestReproducible:
    def test_same_seed_gives_identical_files(self, tmp_path):
        paths = [tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"]
        for path, seed in zip(paths, (3, 3, 4)):
            _quiet_train(TrainConfig(dataset="xor", epochs=3, samples=80, seed=seed,
                                     output=str(path)))
        assert paths[0].read_bytes() == paths[1].read_bytes()
        assert paths[0].read_bytes() != paths[2].read_bytes()


class TestInterrupt:
    def test_keeps_the_last_finished_epoch(self, tmp_path):
        path = tmp_path / "m.json"
        result = _quiet_train(
            TrainConfig(dataset="moons", epochs=5, samples=60, output=str(path)),
            backend=_interrupting(at_epoch=3, at_batch=2),
        )
        assert result.interrupted
        assert result.saved_epoch == 2
        assert load_checkpoint(path).metadata["epoch"] == 2
        nn.MLP.load(path)

    def test_command_exits_130_with_a_message(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setattr(engines, "DYNAMIC", _interrupting(at_epoch=2, at_batch=1))
        path = tmp_path / "m.json"
        status = main(["train", "--dataset", "moons", "--samples", "60", "--epochs", "4",
                       "--engine", "dynamic", "--output", str(path)])
        assert status == 130
        assert f"interrupted: {path} holds the model after epoch 1" in capsys.readouterr().err
        assert load_checkpoint(path).metadata["epoch"] == 1

    def test_interrupt_in_the_first_epoch_saves_nothing(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setattr(engines, "DYNAMIC", _interrupting(at_epoch=1, at_batch=1))
        path = tmp_path / "m.json"
        status = main(["train", "--dataset", "moons", "--samples", "60", "--engine", "dynamic",
                       "--output", str(path)])
        assert status == 130
        assert "nothing saved" in capsys.readouterr().err
        assert not path.exists()


class TestCommands:
    def test_train_then_evaluate(self, tmp_path, capsys):
        path = tmp_path / "xor.json"
        assert main(["train", "--dataset", "xor", "--epochs", "4", "--samples", "80",
                     "--hidden", "8", "--output", str(path)]) == 0
        printed = capsys.readouterr().out
        assert "training MLP(2 -> 8 -> 1" in printed
        assert "epoch   4/4" in printed
        assert "class  examples  correct  accuracy" in printed
        assert "confusion matrix" in printed
        assert f"saved the model to {path}" in printed
        held_out = next(line for line in printed.splitlines() if line.startswith("held-out"))

        assert main(["evaluate", str(path)]) == 0
        again = capsys.readouterr().out
        assert held_out in again.splitlines()
        assert "trained for 4 epochs on xor" in again

    def test_evaluate_rejects_a_damaged_file(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [1]).save(path, {"dataset": {"name": "moons"}})
        document = json.loads(path.read_text())
        document["architecture"]["n_in"] = 3
        path.write_text(json.dumps(document))
        assert main(["evaluate", str(path)]) == 1
        assert "'sha256'" in capsys.readouterr().err

    def test_evaluate_needs_a_dataset_for_a_bare_model(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [3, 1]).save(path)
        assert main(["evaluate", str(path)]) == 1
        assert "--dataset" in capsys.readouterr().err
        assert main(["evaluate", str(path), "--dataset", "circles"]) == 0

    def test_bad_options_are_usage_errors(self, capsys):
        for argv in (["train", "--hidden", "a,b"], ["train", "--epochs", "0"],
                     ["train", "--ema", "1.5"], ["train", "--dataset", "mnist"]):
            with pytest.raises(SystemExit) as caught:
                main(argv)
            assert caught.value.code == 2
        capsys.readouterr()

    def test_ema_saves_the_averaged_weights(self, tmp_path):
        live_path, ema_path = tmp_path / "live.json", tmp_path / "ema.json"
        config = {"dataset": "xor", "epochs": 2, "samples": 80, "seed": 1}
        live = _quiet_train(TrainConfig(**config, output=str(live_path)))
        averaged = _quiet_train(TrainConfig(**config, ema=0.5, output=str(ema_path)))
        saved = load_checkpoint(ema_path)
        assert saved.metadata["weights"] == "ema"
        assert saved.parameters == averaged.model.state_dict()
        assert saved.parameters != live.model.state_dict()


class TestPieces:
    def test_engine_step_leaves_gradients_and_reports_scores(self):
        model = nn.MLP(2, [3, 2], seed=0)
        inputs, labels = [[0.5, -1.0], [1.0, 2.0]], [1, 0]
        step = training.engine_step(model, inputs, labels, losses.cross_entropy)
        assert step.scores == [[o.data for o in model(x)] for x in inputs]
        assert any(p.grad != 0.0 for p in model.parameters())
        expected = losses.cross_entropy(step.scores, labels)
        assert step.loss == pytest.approx(expected, abs=1e-15)

    def test_progress_bar_only_on_a_terminal(self):
        terminal, pipe = _Terminal(), io.StringIO()
        config = TrainConfig(dataset="xor", epochs=1, samples=40, output=None)
        train(config, out=io.StringIO(), err=terminal)
        train(config, out=io.StringIO(), err=pipe)
        assert "\repoch   1/1 [" in terminal.getvalue()
        assert "loss" in terminal.getvalue()
        assert pipe.getvalue() == ""

    def test_report_draws_misclassified_digits(self):
        dataset = training.load_dataset("digits")
        model = nn.MLP(64, [10], seed=0)  # untrained: plenty of mistakes
        out = io.StringIO()
        rate = training.report(model, dataset, out)
        text = out.getvalue()
        assert 0.0 <= rate < 0.5
        assert "misclassified; the first 4:" in text
        assert "█" in text or "▓" in text

    def test_ascii_shades_when_the_terminal_cannot_show_blocks(self):
        out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
        assert terminal_report._shades(out) == " .:o#"

    def test_draw_digit(self):
        picture = training.draw_digit([k / 63 for k in range(64)], shades=" .:o#")
        assert len(picture) == 8 and all(len(line) == 16 for line in picture)
        assert picture[0].startswith("  ") and picture[-1].endswith("##")


def _nan_from(at_epoch: int) -> training.Backend:
    """A dynamic backend whose loss turns to nan in epoch `at_epoch` (2 batches per epoch)."""
    calls = {"n": 0}

    def step(model, inputs, labels, loss_fn):
        calls["n"] += 1
        result = training.engine_step(model, inputs, labels, loss_fn)
        if calls["n"] > (at_epoch - 1) * 2:
            return training.StepResult(float("nan"), result.scores)
        return result

    return training.Backend("nan-later", step, training.engine_scores)


class TestDivergence:
    def test_huge_learning_rate_is_one_line_and_status_1(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        status = main(["train", "--dataset", "moons", "--samples", "40", "--optimizer", "sgd",
                       "--lr", "1e200", "--epochs", "2", "--engine", "dynamic",
                       "--output", str(path)])
        assert status == 1
        err = capsys.readouterr().err.strip()
        # 32 training examples: one batch per epoch. Its update makes the weights ~1e200, so
        # the held-out outputs at the end of epoch 1 are no longer finite: that epoch is not
        # a good one and is not saved.
        assert err.startswith("train: training diverged at epoch 1 (the held-out outputs are "
                              "not finite)")
        assert "try a smaller --lr" in err and len(err.splitlines()) == 1
        assert err.endswith("nothing saved")
        assert not path.exists()

    def test_compiled_engine_diverges_the_same_way(self, tmp_path, capsys):
        require("numpy", "fast")
        status = main(["train", "--dataset", "moons", "--samples", "40", "--optimizer", "sgd",
                       "--lr", "1e200", "--epochs", "2", "--engine", "compiled",
                       "--output", str(tmp_path / "m.json")])
        assert status == 1
        err = capsys.readouterr().err.strip()
        assert "training diverged at epoch 1" in err and len(err.splitlines()) == 1

    def test_the_last_good_epoch_stays_on_disk(self, tmp_path, monkeypatch, capsys):
        monkeypatch.setattr(engines, "DYNAMIC", _nan_from(at_epoch=3))
        path = tmp_path / "m.json"
        status = main(["train", "--dataset", "moons", "--samples", "60", "--epochs", "5",
                       "--engine", "dynamic", "--output", str(path)])
        assert status == 1
        err = capsys.readouterr().err
        assert "training diverged at epoch 3 (loss nan)" in err
        assert f"{path} keeps epoch 2" in err
        assert load_checkpoint(path).metadata["epoch"] == 2

    def test_the_python_api_raises(self):
        with pytest.raises(training.TrainingDiverged) as caught:
            _quiet_train(TrainConfig(dataset="moons", samples=60, epochs=4), backend=_nan_from(2))
        assert caught.value.epoch == 2
        assert caught.value.result.epochs_done == 1


class TestTinyDataSets:
    @pytest.mark.parametrize("samples", ["1", "3", "9"])
    def test_too_few_samples_is_a_usage_error(self, samples, capsys):
        with pytest.raises(SystemExit) as caught:
            main(["train", "--dataset", "moons", "--samples", samples])
        assert caught.value.code == 2
        assert "--samples" in capsys.readouterr().err

    def test_the_smallest_allowed_set_trains(self):
        result = _quiet_train(TrainConfig(dataset="xor", samples=training.MIN_SAMPLES, epochs=1,
                                          hidden=(2,)))
        assert result.dataset.split.test_labels

    def test_evaluate_rejects_a_file_asking_for_two_samples(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [1]).save(path, {"dataset": {"name": "moons", "samples": 2}})
        assert main(["evaluate", str(path)]) == 1
        err = capsys.readouterr().err
        assert "metadata.dataset" in err and "samples" in err

    def test_evaluate_rejects_a_dataset_field_that_is_not_an_object(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [1]).save(path, {"dataset": 5})
        assert main(["evaluate", str(path)]) == 1
        assert "metadata.dataset" in capsys.readouterr().err

    def test_accuracy_of_nothing_is_an_error(self):
        with pytest.raises(ValueError, match="no examples"):
            accuracy(nn.MLP(2, [1]), [], [])


class TestEvaluateDamagedNumbers:
    def test_huge_integer_parameter_is_one_line(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        nn.MLP(2, [1]).save(path, {"dataset": {"name": "moons", "samples": 20}})
        path.write_text(path.read_text().replace('"layers.0.neurons.0.b": 0.0',
                                                 '"layers.0.neurons.0.b": 1' + "0" * 400))
        assert main(["evaluate", str(path)]) == 1
        err = capsys.readouterr().err
        assert "parameters.layers.0.neurons.0.b" in err and len(err.splitlines()) == 1


class TestDefaultOutput:
    def test_the_python_api_writes_no_file_unless_asked(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        _quiet_train(TrainConfig(dataset="xor", samples=40, epochs=1))
        assert list(tmp_path.iterdir()) == []


class TestOutputPath:
    def test_a_missing_folder_is_refused_before_training(self, tmp_path, capsys):
        target = tmp_path / "missing" / "m.json"
        assert main(["train", "--dataset", "xor", "--epochs", "1", "--output", str(target)]) == 2
        captured = capsys.readouterr()
        assert f"train: cannot write the model to {target}: the folder" in captured.err
        assert "epoch" not in captured.out  # refused before any training

    def test_a_folder_as_output_is_refused(self, tmp_path, capsys):
        assert main(["train", "--dataset", "xor", "--epochs", "1", "--output",
                     str(tmp_path)]) == 2
        assert "it is a folder" in capsys.readouterr().err
