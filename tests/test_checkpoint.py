"""Model files: exact round trip, atomic writes, and damaged or mismatched files rejected."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from support import require

from autograd import checkpoint, nn
from autograd.checkpoint import CheckpointError


def _bits(state: dict[str, float]) -> dict[str, str]:
    return {name: value.hex() for name, value in state.items()}


def _rewrite(path, edit) -> None:
    """Apply `edit` to the parsed file and store it with a fresh, valid checksum."""
    with open(path) as stream:
        document = json.load(stream)
    edit(document)
    body = {key: document[key] for key in ("architecture", "metadata", "parameters")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    document["sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
    with open(path, "w") as stream:
        json.dump(document, stream)


@pytest.fixture
def saved(tmp_path):
    model = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=9)
    path = tmp_path / "model.json"
    model.save(path, metadata={"note": "test", "accuracy": 0.1 + 0.2})
    return model, path


class TestRoundTrip:
    def test_bit_for_bit(self, saved):
        model, path = saved
        loaded = nn.MLP.load(path)
        assert _bits(loaded.state_dict()) == _bits(model.state_dict())
        assert loaded.architecture == model.architecture
        x = [0.3, -0.7, 1.1]
        assert [o.data for o in loaded(x)] == [o.data for o in model(x)]

    def test_awkward_floats_survive(self, tmp_path):
        model = nn.MLP(2, [2], seed=0)
        awkward = [1e-310, -0.0, 0.1 + 0.2, 1.7976931348623157e308, -2.2250738585072014e-308, 1 / 3]
        for p, value in zip(model.parameters(), awkward):
            p.data = value
        path = tmp_path / "m.json"
        model.save(path)
        assert _bits(nn.MLP.load(path).state_dict()) == _bits(model.state_dict())

    def test_instance_load_fills_in_the_weights(self, saved):
        model, path = saved
        other = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=1)
        assert other.load(path) is other
        assert other.state_dict() == model.state_dict()

    def test_metadata_and_plain_json(self, saved):
        _, path = saved
        assert checkpoint.load_checkpoint(path).metadata == {"note": "test",
                                                             "accuracy": 0.1 + 0.2}
        with open(path) as stream:
            document = json.load(stream)  # plain JSON, no pickle
        assert document["format"] == "scalar-autograd-model"
        assert document["architecture"]["sizes"] == [4, 2]

    def test_same_model_same_bytes(self, tmp_path):
        a, b = tmp_path / "a.json", tmp_path / "b.json"
        nn.MLP(2, [3, 1], seed=5).save(a)
        nn.MLP(2, [3, 1], seed=5).save(b)
        assert a.read_bytes() == b.read_bytes()


class TestRejected:
    def test_truncated(self, saved):
        _, path = saved
        text = path.read_text()
        path.write_text(text[: len(text) // 2])
        with pytest.raises(CheckpointError, match="not valid JSON") as caught:
            nn.MLP.load(path)
        assert str(path) in str(caught.value)

    def test_edited_number_fails_the_checksum(self, saved):
        _, path = saved
        document = json.loads(path.read_text())
        name = next(iter(document["parameters"]))
        document["parameters"][name] += 1.0
        path.write_text(json.dumps(document))
        with pytest.raises(CheckpointError, match="edited or damaged") as caught:
            nn.MLP.load(path)
        assert caught.value.field == "sha256"

    def test_renamed_parameter_is_named(self, saved):
        _, path = saved

        def rename(document):
            value = document["parameters"].pop("layers.1.neurons.0.b")
            document["parameters"]["layers.1.neurons.0.bias"] = value

        _rewrite(path, rename)
        with pytest.raises(CheckpointError) as caught:
            nn.MLP.load(path)
        assert caught.value.field == "parameters.layers.1.neurons.0.b"
        assert "missing" in str(caught.value)

    def test_extra_parameter_is_named(self, saved):
        _, path = saved
        _rewrite(path, lambda d: d["parameters"].update({"layers.2.neurons.0.b": 0.0}))
        with pytest.raises(CheckpointError, match="unexpected") as caught:
            nn.MLP.load(path)
        assert caught.value.field == "parameters.layers.2.neurons.0.b"

    def test_wrong_shape_in_architecture(self, saved):
        _, path = saved
        _rewrite(path, lambda d: d["architecture"].update(sizes=[5, 2]))
        with pytest.raises(CheckpointError) as caught:
            nn.MLP.load(path)
        assert caught.value.field.startswith("parameters.layers.0.neurons.4")

    @pytest.mark.parametrize(("edit", "field"), [
        (lambda d: d["architecture"].update(sizes=[4, 0]), "architecture.sizes.1"),
        (lambda d: d["architecture"].update(activation="swish"), "architecture.activation"),
        (lambda d: d["architecture"].pop("n_in"), "architecture.n_in"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": "0.5"}),
         "parameters.layers.0.neurons.0.b"),
        (lambda d: d["parameters"].update({"layers.0.neurons.0.b": True}),
         "parameters.layers.0.neurons.0.b"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(format="something else"), "format"),
        (lambda d: d.pop("metadata"), "metadata"),
    ])
    def test_bad_fields_are_named(self, saved, edit, field):
        _, path = saved
        with open(path) as stream:
            document = json.load(stream)
        edit(document)
        if "metadata" in document and "parameters" in document:
            body = {key: document[key] for key in ("architecture", "metadata", "parameters")}
            canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
            document["sha256"] = hashlib.sha256(canonical.encode()).hexdigest()
        path.write_text(json.dumps(document))
        with pytest.raises(CheckpointError) as caught:
            nn.MLP.load(path)
        assert caught.value.field == field
        assert repr(field) in str(caught.value)

    def test_non_finite_number(self, saved):
        _, path = saved
        path.write_text(path.read_text().replace(": 0.0", ": NaN", 1))
        with pytest.raises(CheckpointError, match="not valid JSON"):
            nn.MLP.load(path)

    def test_mismatched_model_for_instance_load(self, saved):
        _, path = saved
        other = nn.MLP(3, [5, 2], activation="tanh", output_activation="sigmoid")
        before = other.state_dict()
        with pytest.raises(CheckpointError, match="the file has \\[4, 2\\]") as caught:
            other.load(path)
        assert caught.value.field == "architecture.sizes"
        assert other.state_dict() == before

    def test_not_an_object(self, tmp_path):
        path = tmp_path / "list.json"
        path.write_text("[1, 2]")
        with pytest.raises(CheckpointError, match="expected a JSON object"):
            nn.MLP.load(path)


class TestAtomicWrite:
    def test_failed_replace_keeps_the_old_file_and_no_temp_file(self, saved, monkeypatch):
        model, path = saved
        before = path.read_bytes()

        def broken_replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", broken_replace)
        for p in model.parameters():
            p.data += 1.0
        with pytest.raises(OSError, match="disk full"):
            model.save(path)
        assert path.read_bytes() == before
        assert sorted(os.listdir(path.parent)) == ["model.json"]

    def test_interrupt_during_sync_keeps_the_old_file(self, saved, monkeypatch):
        model, path = saved
        before = path.read_bytes()

        def interrupted(fd):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            model.save(path)
        assert path.read_bytes() == before
        assert sorted(os.listdir(path.parent)) == ["model.json"]

    def test_new_file_gets_the_usual_permissions(self, tmp_path):
        path = tmp_path / "new.txt"
        checkpoint.atomic_write_text(path, "x")
        umask = os.umask(0)
        os.umask(umask)
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask

    def test_non_finite_parameter_is_not_saved(self, tmp_path):
        model = nn.MLP(1, [1], seed=0)
        model.parameters()[0].data = float("inf")
        with pytest.raises(ValueError, match="not a finite number"):
            model.save(tmp_path / "m.json")
        assert not (tmp_path / "m.json").exists()


class TestWhatSaveAccepts:
    def test_metadata_key_that_is_not_a_string_is_named_and_nothing_written(self, tmp_path):
        path = tmp_path / "m.json"
        with pytest.raises(CheckpointError, match="keys must be strings") as caught:
            nn.MLP(2, [1]).save(path, {1: 2})
        assert caught.value.field == "metadata.1"
        assert not path.exists()

    def test_non_finite_metadata_is_named(self, tmp_path):
        path = tmp_path / "m.json"
        with pytest.raises(CheckpointError, match="finite number") as caught:
            nn.MLP(2, [1]).save(path, {"run": {"losses": [0.5, float("nan")]}})
        assert caught.value.field == "metadata.run.losses.1"
        assert str(path) in str(caught.value)
        assert not path.exists()

    def test_metadata_that_is_not_json_is_named(self, tmp_path):
        with pytest.raises(CheckpointError, match="cannot be written as JSON") as caught:
            nn.MLP(2, [1]).save(tmp_path / "m.json", {"when": object()})
        assert caught.value.field == "metadata.when"

    def test_nested_metadata_reads_back_as_written(self, tmp_path):
        path = tmp_path / "m.json"
        metadata = {"run": {"losses": [0.5, 0.25], "tags": ("a", None, True)}, "epoch": 3}
        nn.MLP(2, [1]).save(path, metadata)
        assert checkpoint.load_checkpoint(path).metadata == {
            "run": {"losses": [0.5, 0.25], "tags": ["a", None, True]}, "epoch": 3}

    def test_numpy_scalars_are_written_as_plain_numbers(self, tmp_path):
        np = require("numpy", "fast")
        path = tmp_path / "m.json"
        checkpoint.save_checkpoint(path, {"n_in": np.int64(2)}, {"w": np.float32(0.5)},
                                   {"loss": np.float64(0.25)})
        loaded = checkpoint.load_checkpoint(path)
        assert loaded.parameters == {"w": 0.5}
        assert loaded.metadata == {"loss": 0.25}
        assert type(loaded.architecture["n_in"]) is int

    def test_missing_directory_names_the_target(self, tmp_path):
        target = tmp_path / "no" / "dir" / "m.json"
        with pytest.raises(FileNotFoundError) as caught:
            nn.MLP(2, [1]).save(target)
        assert caught.value.filename == str(target)


class TestHugeNumbers:
    def test_huge_integer_parameter_is_named(self, saved):
        _, path = saved
        _rewrite(path, lambda d: d["parameters"].__setitem__("layers.0.neurons.0.b", 10 ** 400))
        with pytest.raises(CheckpointError, match="expected a finite number") as caught:
            nn.MLP.load(path)
        assert caught.value.field == "parameters.layers.0.neurons.0.b"

    def test_overflowing_float_in_metadata_is_named(self, saved):
        _, path = saved
        path.write_text(path.read_text().replace('"note": "test"', '"note": 1e400'))
        with pytest.raises(CheckpointError, match="finite number") as caught:
            checkpoint.load_checkpoint(path)
        assert caught.value.field == "metadata.note"

    def test_finite_float(self):
        assert checkpoint.finite_float(2) == 2.0
        assert checkpoint.finite_float(10 ** 400) is None
        assert checkpoint.finite_float(float("-inf")) is None
        assert checkpoint.finite_float(False) is None
        assert checkpoint.finite_float("1.0") is None
