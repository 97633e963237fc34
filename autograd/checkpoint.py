"""Model files: JSON written atomically, read back with every field checked.

A model file is one JSON object::

    {"format": "scalar-autograd-model", "version": 1,
     "architecture": {...}, "metadata": {...},
     "parameters": {"layers.0.neurons.0.w.0": 0.1234, ...},
     "sha256": "<hex digest of the canonical JSON of the three fields above>"}

Floats are written with `repr`, so they read back bit for bit. The checksum catches a file
that was edited or damaged in a way that still parses. Writing goes to a temporary file in
the same directory, which is flushed, synced and then renamed over the target, so a crash
or a full disk leaves either the old file or the new one, never half of one. No pickle.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "m.json")
>>> save_checkpoint(path, {"n_in": 1}, {"w": 0.1}, {"note": "x"})
>>> load_checkpoint(path).parameters
{'w': 0.1}
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FORMAT",
    "VERSION",
    "Checkpoint",
    "CheckpointError",
    "atomic_write_text",
    "finite_float",
    "load_checkpoint",
    "save_checkpoint",
]

FORMAT = "scalar-autograd-model"
VERSION = 1


class CheckpointError(ValueError):
    """A model file that cannot be used; `field` names the part that is wrong.

    >>> str(CheckpointError("m.json", "version", "expected 1, got 7"))
    "m.json: field 'version': expected 1, got 7"
    """

    def __init__(self, path: str | os.PathLike[str], field: str | None, problem: str) -> None:
        self.path = os.fspath(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: field {field!r}: " if field else f"{self.path}: "
        super().__init__(where + problem)


@dataclass(frozen=True)
class Checkpoint:
    """The checked contents of a model file.

    >>> Checkpoint({"n_in": 1}, {"w": 0.5}).metadata
    {}
    """

    architecture: dict[str, Any]
    parameters: dict[str, float]
    metadata: dict[str, Any] = field(default_factory=dict)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Replace the file at `path` by `text` in one step (temp file, fsync, rename).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> atomic_write_text(path, "hello"); open(path).read()
    'hello'
    """
    target = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(target)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory
        )
    except OSError as error:
        # Report the file the caller asked for, not the temporary name beside it.
        raise type(error)(error.errno, error.strerror, os.fspath(path)) from None
    try:
        os.chmod(temporary, _file_mode(target))
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _file_mode(target: str) -> int:
    # Keep the mode of the file being replaced; a new file gets what open() would give it.
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_directory(directory: str) -> None:
    # Make the rename itself durable where the platform allows opening a directory.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _canonical(architecture: Any, metadata: Any, parameters: Any) -> str:
    body = {"architecture": architecture, "metadata": metadata, "parameters": parameters}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _digest(architecture: Any, metadata: Any, parameters: Any) -> str:
    return hashlib.sha256(_canonical(architecture, metadata, parameters).encode()).hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str],
    architecture: Mapping[str, Any],
    parameters: Mapping[str, float],
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write a model file atomically (see the module docstring for the layout).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> save_checkpoint(path, {"n_in": 2}, {"w.0": 0.1, "w.1": -2.5})
    >>> load_checkpoint(path).parameters["w.1"]
    -2.5
    """
    checked: dict[str, float] = {}
    for name, value in parameters.items():
        number = finite_float(value)
        if not isinstance(name, str) or number is None:
            raise CheckpointError(path, f"parameters.{name}",
                                  f"not saved: not a finite number: {value!r:.60}")
        checked[name] = number
    parameters = checked
    architecture = _json_checked(architecture, "architecture", path)
    metadata = _json_checked(metadata or {}, "metadata", path)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture,
        "metadata": metadata,
        "parameters": parameters,
        "sha256": _digest(architecture, metadata, parameters),
    }
    atomic_write_text(path, _layout(document))


def _layout(document: Mapping[str, Any]) -> str:
    """JSON with one top-level field per line, and one line per metadata entry and parameter."""

    def compact(value: Any) -> str:
        # The same encoder as the checksum, so what is written is what was summed.
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))

    def one_per_line(mapping: Mapping[str, Any]) -> str:
        if not mapping:
            return "{}"
        entries = ",\n".join(f"  {compact(key)}: {compact(value)}"
                             for key, value in mapping.items())
        return "{\n" + entries + "\n }"

    lines = []
    for key, value in document.items():
        shown = one_per_line(value) if key in ("metadata", "parameters") else compact(value)
        lines.append(f" {compact(key)}: {shown}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def finite_float(value: Any) -> float | None:
    """`value` as a float if it is a finite real number (not a bool), else None.

    Accepts any `numbers.Real` (ints, floats, numpy scalars); an int too large for a
    float gives None instead of an OverflowError.

    >>> finite_float(3), finite_float(float("nan")), finite_float(10 ** 400), finite_float(True)
    (3.0, None, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _json_checked(
    value: Mapping[str, Any], where: str, path: str | os.PathLike[str]
) -> dict[str, Any]:
    """A plain-JSON copy of `value`: str keys, finite numbers, lists, objects (no recursion).

    Numbers become int or float (so numpy scalars are written as plain numbers); anything
    else raises `CheckpointError` naming the entry, e.g. ``metadata.loss``.
    """
    if not isinstance(value, Mapping):
        raise CheckpointError(path, where, f"expected an object, got {value!r:.60}")
    root: dict[str, Any] = {}
    # (source, copy, dotted name): containers still to copy into their new plain twin
    stack: list[tuple[Any, Any, str]] = [(value, root, where)]
    while stack:
        source, copy, name = stack.pop()
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, item in items:
            if isinstance(source, Mapping) and not isinstance(key, str):
                raise CheckpointError(path, f"{name}.{key!r}",
                                      f"keys must be strings, got {type(key).__name__}")
            inner = f"{name}.{key}"
            if item is None or isinstance(item, (bool, str)):
                plain: Any = item
            elif isinstance(item, numbers.Integral):
                plain = int(item)
            elif isinstance(item, numbers.Real):
                plain = finite_float(item)
                if plain is None:
                    raise CheckpointError(path, inner,
                                          f"expected a finite number, got {item!r:.60}")
            elif isinstance(item, Mapping):
                plain = {}
                stack.append((item, plain, inner))
            elif isinstance(item, (list, tuple)):
                plain = [None] * len(item)
                stack.append((item, plain, inner))
            else:
                raise CheckpointError(path, inner, f"cannot be written as JSON: "
                                                   f"{type(item).__name__} {item!r:.60}")
            copy[key] = plain
    return root


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read and check a model file; raise `CheckpointError` naming the faulty field.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> atomic_write_text(path, '{"format": "scalar-autograd-model", "version": 1')
    >>> load_checkpoint(path)
    Traceback (most recent call last):
    ...
    autograd.checkpoint.CheckpointError: ...: not valid JSON (truncated or damaged?): ...
    """
    try:
        with open(path, encoding="utf-8") as stream:
            text = stream.read()
    except UnicodeDecodeError as error:
        raise CheckpointError(path, None, f"not UTF-8 text ({error})") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        raise CheckpointError(path, None, f"not valid JSON (truncated or damaged?): {error}") \
            from None
    if not isinstance(document, dict):
        raise CheckpointError(path, None, f"expected a JSON object, got {type(document).__name__}")
    expected = {"format", "version", "architecture", "metadata", "parameters", "sha256"}
    for key in sorted(expected - document.keys()):
        raise CheckpointError(path, key, "missing")
    for key in sorted(document.keys() - expected):
        raise CheckpointError(path, key, "unexpected field")
    if document["format"] != FORMAT:
        raise CheckpointError(path, "format", f"expected {FORMAT!r}, got {document['format']!r}")
    if document["version"] != VERSION or isinstance(document["version"], bool):
        raise CheckpointError(path, "version",
                              f"expected {VERSION}, got {document['version']!r}")
    for key in ("architecture", "metadata", "parameters"):
        if not isinstance(document[key], dict):
            raise CheckpointError(path, key, f"expected an object, got {document[key]!r:.60}")
    parameters = document["parameters"]
    numbers_read: dict[str, float] = {}
    for name, value in parameters.items():
        number = finite_float(value)
        if number is None:
            raise CheckpointError(path, f"parameters.{name}",
                                  f"expected a finite number, got {value!r:.60}")
        numbers_read[name] = number
    for key in ("architecture", "metadata"):
        _json_checked(document[key], key, path)  # 1e400 reads as inf: name it here
    if not isinstance(document["sha256"], str):
        raise CheckpointError(path, "sha256", "expected a hex string")
    if _digest(document["architecture"], document["metadata"], parameters) != document["sha256"]:
        raise CheckpointError(path, "sha256",
                              "does not match the contents: the file was edited or damaged")
    return Checkpoint(
        architecture=document["architecture"],
        parameters=numbers_read,
        metadata=document["metadata"],
    )
