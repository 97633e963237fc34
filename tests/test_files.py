"""The one atomic writer and model-file reading: what a path may name, and hostile files."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd import files
from autograd.files import CheckpointError, UnwritableError, load_checkpoint, save_checkpoint


def _char_device(folder: Path, name: str = "null", minor: int = 3) -> Path:
    """A character device node in `folder` (a copy of /dev/null, or /dev/full with minor 7)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except (PermissionError, AttributeError, OSError) as error:
        pytest.skip(f"cannot make a device node here ({error}); needs root on Linux")
    return path


def _is_char_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


class TestWhatAPathMayName:
    def test_a_regular_file_is_replaced_and_keeps_its_mode(self, tmp_path):
        path = tmp_path / "a.txt"
        path.write_text("old")
        os.chmod(path, 0o600)
        assert files.write_text(path, "new") == path
        assert path.read_text() == "new"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert sorted(os.listdir(tmp_path)) == ["a.txt"]  # no temporary file left

    def test_a_new_path_gets_the_usual_permissions(self, tmp_path):
        path = tmp_path / "new.bin"
        files.write_bytes(path, b"\x00\x01")
        umask = os.umask(0)
        os.umask(umask)
        assert path.read_bytes() == b"\x00\x01"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask

    def test_a_symlink_is_followed_and_stays_a_link(self, tmp_path):
        real_folder = tmp_path / "real"
        real_folder.mkdir()
        target = real_folder / "model.json"
        target.write_text("old")
        link = tmp_path / "link.json"
        link.symlink_to(target)
        files.write_text(link, "new")
        assert link.is_symlink() and os.readlink(link) == str(target)
        assert target.read_text() == "new"
        assert sorted(os.listdir(tmp_path)) == ["link.json", "real"]  # written in real/

    def test_a_chain_of_links_reaches_the_final_target(self, tmp_path):
        target = tmp_path / "t.txt"
        target.write_text("old")
        (tmp_path / "b").symlink_to(target)
        (tmp_path / "a").symlink_to(tmp_path / "b")
        files.write_text(tmp_path / "a", "new")
        assert target.read_text() == "new" and (tmp_path / "a").is_symlink()

    def test_a_dangling_link_creates_its_target(self, tmp_path):
        link = tmp_path / "link.txt"
        link.symlink_to(tmp_path / "later.txt")
        files.write_text(link, "hello")
        assert link.is_symlink() and (tmp_path / "later.txt").read_text() == "hello"

    def test_a_link_loop_is_refused(self, tmp_path):
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        with pytest.raises(UnwritableError, match="loops"):
            files.write_text(tmp_path / "a", "x")
        assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()

    @pytest.mark.parametrize("minor", [3, 7], ids=["dev-null", "dev-full"])
    def test_a_character_device_is_refused_and_left_alone(self, tmp_path, minor):
        device = _char_device(tmp_path, minor=minor)
        with pytest.raises(UnwritableError) as caught:
            files.write_text(device, "x")
        message = str(caught.value)
        assert message == f"cannot write {device}: it is a character device, not a regular file"
        assert caught.value.filename == str(device)
        assert _is_char_device(device)
        assert sorted(os.listdir(tmp_path)) == [device.name]

    def test_a_link_to_a_device_is_refused_too(self, tmp_path):
        device = _char_device(tmp_path)
        link = tmp_path / "out.json"
        link.symlink_to(device)
        with pytest.raises(UnwritableError, match="character device"):
            files.write_text(link, "x")
        assert link.is_symlink() and _is_char_device(device)

    def test_a_fifo_is_refused_without_blocking(self, tmp_path):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        started = time.perf_counter()
        with pytest.raises(UnwritableError, match="FIFO"):
            files.write_text(fifo, "x")
        assert time.perf_counter() - started < 5
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)

    def test_a_socket_is_refused(self, tmp_path):
        path = tmp_path / "s"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            with pytest.raises(UnwritableError, match="socket"):
                files.write_text(path, "x")
            assert stat.S_ISSOCK(os.lstat(path).st_mode)
        finally:
            server.close()

    def test_a_folder_and_the_empty_path_are_refused(self, tmp_path):
        with pytest.raises(UnwritableError, match="it is a folder"):
            files.write_text(tmp_path, "x")
        with pytest.raises(UnwritableError, match="the path is empty") as caught:
            files.write_text("", "x")
        assert str(caught.value) == "cannot write '': the path is empty"

    def test_a_missing_folder_names_the_requested_path(self, tmp_path):
        target = tmp_path / "no" / "m.json"
        with pytest.raises(FileNotFoundError) as caught:
            files.write_text(target, "x")
        assert caught.value.filename == str(target)

    def test_why_unwritable_agrees_with_the_writer(self, tmp_path):
        device = _char_device(tmp_path)
        (tmp_path / "ro").mkdir()
        os.chmod(tmp_path / "ro", 0o500)
        cases = {
            str(tmp_path / "ok.json"): None,
            str(device): "it is a character device, not a regular file",
            str(tmp_path): "it is a folder, not a regular file",
            "": "the path is empty",
            str(tmp_path / "missing" / "m.json"): f"the folder {tmp_path / 'missing'} does not "
                                                  f"exist",
        }
        for path, reason in cases.items():
            assert files.why_unwritable(path) == reason, path
        if os.geteuid() != 0:  # root may write anywhere
            assert "not writable" in files.why_unwritable(str(tmp_path / "ro" / "m.json"))

    def test_an_interrupted_write_leaves_the_old_file(self, tmp_path, monkeypatch):
        path = tmp_path / "a.txt"
        path.write_text("old")

        def interrupted(fd):
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "fsync", interrupted)
        with pytest.raises(KeyboardInterrupt):
            files.write_text(path, "new")
        assert path.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["a.txt"]


class TestTheLibraryWritesThroughIt:
    def test_the_model_file_follows_a_link(self, tmp_path):
        from autograd.nn import MLP

        target = tmp_path / "real.json"
        link = tmp_path / "model.json"
        link.symlink_to(target)
        MLP(2, [1], seed=0).save(link)
        assert link.is_symlink() and load_checkpoint(target).architecture["n_in"] == 2

    def test_a_diagram_is_not_written_over_a_device(self, tmp_path):
        from autograd import Value, viz

        device = _char_device(tmp_path, "g.dot")
        with pytest.raises(UnwritableError, match="character device"):
            viz.save(Value(1.0) * 2, device)
        assert _is_char_device(device)


def test_graph_refuses_a_device_before_printing(tmp_path, capsys):
    from autograd.cli import main

    device = _char_device(tmp_path, "g.svg")
    assert main(["graph", "x * 2", "--at", "x=1", "-o", str(device)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (f"autograd graph: error: cannot write {device}: it is a "
                                    f"character device, not a regular file")
    assert _is_char_device(device)


def _nested(levels: int) -> str:
    return "[" * levels + "]" * levels


class TestHostileModelFiles:
    @pytest.mark.parametrize("levels", [2_000, 100_000])
    def test_deep_nesting_is_one_error_naming_the_file(self, tmp_path, levels):
        # a whole model file with its metadata nested `levels` deep (and a fitting checksum):
        # the parser gives up (up to 3.12; 3.13 reads 2,000 levels) or the field check does
        path = tmp_path / "deep.json"
        deep = _nested(levels)
        document = ('{"format": "scalar-autograd-model", "version": 1, "architecture": {}, '
                    f'"metadata": {{"a": {deep}}}, "parameters": {{}}, "sha256": "0"}}')
        path.write_text(document)
        with pytest.raises(CheckpointError) as caught:
            load_checkpoint(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: ") and "nested" in message
        assert "\n" not in message

    def test_deep_nesting_inside_metadata_is_named(self, tmp_path):
        path = tmp_path / "m.json"
        deep: list = []
        for _ in range(files.MAX_DEPTH + 5):
            deep = [deep]
        with pytest.raises(CheckpointError, match="nested more than") as caught:
            save_checkpoint(path, {"n_in": 1}, {"w": 0.5}, {"deep": deep})
        assert caught.value.field.startswith("metadata.deep")
        assert not path.exists()

    def test_a_fifo_is_not_read(self, tmp_path):
        fifo = tmp_path / "m.json"
        os.mkfifo(fifo)
        with pytest.raises(CheckpointError, match="FIFO"):
            load_checkpoint(fifo)  # opening it for reading would wait for a writer

    def test_a_device_is_not_read(self, tmp_path):
        device = _char_device(tmp_path, "zero", minor=5)  # /dev/zero never ends
        with pytest.raises(CheckpointError, match="character device, not a model file"):
            load_checkpoint(device)

    def test_a_folder_is_not_read(self, tmp_path):
        with pytest.raises(CheckpointError, match="it is a folder, not a model file"):
            load_checkpoint(tmp_path)

    def test_too_many_parameters_for_the_limit(self, tmp_path):
        path = tmp_path / "m.json"
        save_checkpoint(path, {"n_in": 1}, {f"w.{i}": 0.5 for i in range(10)})
        assert len(load_checkpoint(path, max_parameters=10).parameters) == 10
        with pytest.raises(CheckpointError, match="10 parameters, more than the limit of 9"):
            load_checkpoint(path, max_parameters=9)

    def test_a_file_larger_than_the_limit_allows_is_not_read(self, tmp_path, monkeypatch):
        path = tmp_path / "m.json"
        save_checkpoint(path, {"n_in": 1}, {"w": 0.5})
        with open(path, "a") as stream:
            stream.write(" " * (files._SLACK_BYTES + 10 * files.BYTES_PER_PARAMETER))
        calls = []
        monkeypatch.setattr(json, "loads", lambda *a, **k: calls.append(1))
        with pytest.raises(CheckpointError, match="bytes is more than a model of at most 10"):
            load_checkpoint(path, max_parameters=10)
        assert calls == []  # refused before parsing

    def test_whole_numbers_keep_the_checksum_and_read_as_floats(self, tmp_path):
        path = tmp_path / "m.json"
        save_checkpoint(path, {"n_in": 1}, {"w": 2.0})
        document = json.loads(path.read_text())
        document["parameters"]["w"] = 2  # the same number, written as an integer
        from autograd.files import _digest

        document["sha256"] = _digest(document["architecture"], document["metadata"],
                                     document["parameters"])
        path.write_text(json.dumps(document))
        loaded = load_checkpoint(path).parameters
        assert loaded == {"w": 2.0} and type(loaded["w"]) is float


class TestSpeed:
    def test_parameters_save_and_load_in_linear_time(self, tmp_path):
        # the parameter dictionary itself, through the file layer (the network is nn's part)
        small, large = 50_000, 200_000
        timings = {}
        for n in (small, large):
            path = tmp_path / f"m{n}.json"
            parameters = {f"layers.0.neurons.{i // 1000}.w.{i % 1000}": (i % 997) / 997 - 0.5
                          for i in range(n)}
            started = time.perf_counter()
            save_checkpoint(path, {"n_in": 1000}, parameters)
            loaded = load_checkpoint(path, max_parameters=n)
            timings[n] = time.perf_counter() - started
            assert loaded.parameters == parameters
        assert timings[large] < 30
        # four times the parameters: well under the sixteen times a quadratic pass would take
        assert timings[large] < 8 * timings[small] + 1.0


def test_loading_parses_the_file_once(tmp_path, monkeypatch):
    from autograd.cli import main
    from autograd.nn import MLP

    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path, {"dataset": {"name": "xor", "samples": 20}})
    real_loads = json.loads
    calls: list[int] = []

    def counting(text, *args, **kwargs):
        calls.append(len(text))
        return real_loads(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    assert main(["evaluate", str(path)]) == 0
    assert len(calls) == 1 and calls[0] == path.stat().st_size


def test_the_writer_is_the_only_one(tmp_path):
    # every module that writes files goes through autograd.files: no other rename or mkstemp
    package = Path(files.__file__).parent
    offenders = []
    for source in package.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        if source.name == "files.py":
            continue
        for needle in ("os.replace(", "mkstemp(", "os.rename("):
            if needle in text:
                offenders.append(f"{source.relative_to(package)}: {needle}")
    # viz.write_atomic is still defined for callers of that name; viz.save no longer uses it
    assert [o for o in offenders if not o.startswith("viz")] == []


def test_run_as_a_program_on_a_device_leaves_it(tmp_path):
    device = _char_device(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "train", "--dataset", "xor", "--samples", "40",
         "--epochs", "1", "--output", str(device)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"train: cannot write the model to {device}: it is a "
                                     f"character device, not a regular file")
    assert _is_char_device(device)
