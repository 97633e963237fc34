"""Every file the library writes, and the model files it reads back.

**Writing.** `write_bytes` and `write_text` are the one way the package writes a file: the
data goes to a temporary file in the target's folder, which is flushed and synced, then
renamed over the target, and the folder is synced so the rename itself survives a crash.
A crash, a full disk or a Ctrl-C leaves the old file or the new one, never half of one.

What a path may name is decided once, here:

- a **regular file** is replaced (its permission bits are kept);
- a **new path** in an existing folder is created;
- a **symbolic link** is followed to its final target, and that target is written (atomically,
  in the target's own folder), so the link stays a link and its file gets the new contents;
  a dangling link creates its target;
- **anything else is refused** with an `UnwritableError` naming the path and what it is: a
  folder, a character or block device (such as ``/dev/null``), a FIFO, a socket, a link loop,
  or the empty path. Replacing those would turn a device into a regular file or silently
  write nowhere. Use shell redirection for devices and pipes.

The check runs just before the write (and `why_unwritable` lets a command run it before any
work); a path swapped for a device between the two is not guarded against. A file with
several hard links is replaced, so the other names keep the old contents.

**Model files.** One JSON object, with no pickle anywhere::

    {"format": "scalar-autograd-model", "version": 1,
     "architecture": {...}, "metadata": {...},
     "parameters": {"layers.0.neurons.0.w.0": 0.1234, ...},
     "sha256": "<hex digest of the canonical JSON of the three fields above>"}

Floats are written with `repr`, so they read back bit for bit; the checksum catches a file
that was edited or damaged in a way that still parses. Reading parses the text once, in time
linear in its size, and every malformed file (bad JSON, nesting too deep, a wrong field, too
large) is a `CheckpointError` whose one-line message names the file and the field.

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
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

__all__ = [
    "BYTES_PER_PARAMETER",
    "FORMAT",
    "MAX_DEPTH",
    "VERSION",
    "Checkpoint",
    "CheckpointError",
    "UnwritableError",
    "atomic_write_text",
    "finite_float",
    "load_checkpoint",
    "save_checkpoint",
    "why_unwritable",
    "write_bytes",
    "write_text",
]

FORMAT = "scalar-autograd-model"
VERSION = 1
MAX_DEPTH = 100  # nesting of lists and objects in a model file's architecture and metadata
# A size bound checked before a file is read when the reader limits the parameter count: a
# parameter takes about 60 bytes as written (name, number, separators); the rest is slack
# for long names and the metadata.
BYTES_PER_PARAMETER = 200
_SLACK_BYTES = 4 * 1024 * 1024


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


class UnwritableError(OSError):
    """A path the library will not write to; the message names the path and the reason.

    >>> error = UnwritableError("/dev/null", "it is a character device, not a regular file")
    >>> str(error)
    'cannot write /dev/null: it is a character device, not a regular file'
    >>> error.filename, isinstance(error, OSError)
    ('/dev/null', True)
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        shown = os.fspath(path)
        self.message = f"cannot write {shown or repr(shown)}: {reason}"
        super().__init__(self.message)
        self.filename = shown
        self.strerror = reason

    def __str__(self) -> str:
        return self.message


_KINDS = (
    (stat.S_ISDIR, "it is a folder, not a regular file"),
    (stat.S_ISCHR, "it is a character device, not a regular file"),
    (stat.S_ISBLK, "it is a block device, not a regular file"),
    (stat.S_ISFIFO, "it is a FIFO (named pipe), not a regular file"),
    (stat.S_ISSOCK, "it is a socket, not a regular file"),
)


def _target(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The real path a write to `path` lands on, and why it is refused (None: it is fine)."""
    given = os.fspath(path)
    if isinstance(given, bytes):
        given = os.fsdecode(given)
    if not given:
        return given, "the path is empty"
    real = os.path.realpath(given)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        if os.path.islink(real):  # realpath stops at a loop and returns a link
            return real, "it is a symbolic link that loops"
        return real, None  # a new path; a missing folder is reported by the write itself
    except OSError as error:
        if os.path.islink(given) or os.path.islink(real):
            return real, "it is a symbolic link that loops"
        return real, error.strerror or str(error)
    for test, reason in _KINDS:
        if test(mode):
            return real, reason
    if not stat.S_ISREG(mode):
        return real, "it is not a regular file"
    return real, None


def why_unwritable(path: str | os.PathLike[str]) -> str | None:
    """Why writing a file at `path` would fail, or None when it looks fine.

    Checks what `write_bytes` refuses (see the module docstring), a missing folder and a
    folder without write permission, so a command can refuse before doing any work.

    >>> why_unwritable("model.json") is None, why_unwritable("."), why_unwritable("")
    (True, 'it is a folder, not a regular file', 'the path is empty')
    """
    real, reason = _target(path)
    if reason is not None:
        return reason
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} is not writable"
    return None


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replace the file at `path` by `data` in one step; returns `path` as a Path.

    Follows symbolic links; refuses folders, devices, FIFOs and sockets (`UnwritableError`).

    >>> import tempfile, pathlib
    >>> write_bytes(pathlib.Path(tempfile.mkdtemp()) / "a.txt", b"hello").read_bytes()
    b'hello'
    """
    real, reason = _target(path)
    if reason is not None:
        raise UnwritableError(path, reason)
    folder = os.path.dirname(real) or "."
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=folder)
    except OSError as error:
        # Name the file the caller asked for, not the temporary one beside it.
        raise type(error)(error.errno, error.strerror, os.fspath(path)) from None
    try:
        os.chmod(temporary, _file_mode(real))
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """`write_bytes` of `text` as UTF-8, with newlines written as '\\n' on every platform.

    >>> import tempfile, pathlib
    >>> write_text(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "héllo\\n").read_bytes()
    b'h\\xc3\\xa9llo\\n'
    """
    return write_bytes(path, text.encode("utf-8"))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """`write_text` under its older name (kept for code that imports it from checkpoint).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> atomic_write_text(path, "hello")
    >>> open(path).read()
    'hello'
    """
    write_text(path, text)


def _file_mode(target: str) -> int:
    # Keep the mode of the file being replaced; a new file gets what open() would give it.
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: str) -> None:
    # Make the rename itself durable where the platform allows opening a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------
# Model files
# ----------------------------------------------------------------------------------------------


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
        number = value if type(value) is float and math.isfinite(value) else finite_float(value)
        if not isinstance(name, str) or number is None:
            raise CheckpointError(path, f"parameters.{name}",
                                  f"not saved: not a finite number: {value!r:.60}")
        checked[name] = number
    architecture = _json_checked(architecture, "architecture", path)
    metadata = _json_checked(metadata or {}, "metadata", path)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture,
        "metadata": metadata,
        "parameters": checked,
        "sha256": _digest(architecture, metadata, checked),
    }
    write_text(path, _layout(document))


def _layout(document: Mapping[str, Any]) -> str:
    """JSON with one top-level field per line, and one line per metadata entry and parameter."""

    def compact(value: Any) -> str:
        # The same encoder as the checksum, so what is written is what was summed.
        return json.dumps(value, allow_nan=False, separators=(", ", ": "))

    def one_per_line(mapping: Mapping[str, Any], numbers_only: bool) -> str:
        if not mapping:
            return "{}"
        if numbers_only:  # finite floats: repr is exactly what json writes, only faster
            entries = ",\n".join(f"  {encode_basestring_ascii(key)}: {value!r}"
                                 for key, value in mapping.items())
        else:
            entries = ",\n".join(f"  {compact(key)}: {compact(value)}"
                                 for key, value in mapping.items())
        return "{\n" + entries + "\n }"

    lines = []
    for key, value in document.items():
        shown = (one_per_line(value, key == "parameters") if key in ("metadata", "parameters")
                 else compact(value))
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
    else, or nesting deeper than `MAX_DEPTH`, raises `CheckpointError` naming the entry,
    e.g. ``metadata.loss``.
    """
    if not isinstance(value, Mapping):
        raise CheckpointError(path, where, f"expected an object, got {value!r:.60}")
    root: dict[str, Any] = {}
    # (source, copy, dotted name, depth): containers still to copy into their new plain twin
    stack: list[tuple[Any, Any, str, int]] = [(value, root, where, 1)]
    while stack:
        source, copy, name, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CheckpointError(path, name, f"nested more than {MAX_DEPTH} levels deep")
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
                stack.append((item, plain, inner, depth + 1))
            elif isinstance(item, (list, tuple)):
                plain = [None] * len(item)
                stack.append((item, plain, inner, depth + 1))
            else:
                raise CheckpointError(path, inner, f"cannot be written as JSON: "
                                                   f"{type(item).__name__} {item!r:.60}")
            copy[key] = plain
    return root


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_text(path: str | os.PathLike[str], max_parameters: int | None) -> str:
    # A device, FIFO or socket could block or never end: only regular files are read.
    details = os.stat(path)
    for test, reason in _KINDS:
        if test(details.st_mode):
            raise CheckpointError(path, None, reason.replace("regular file", "model file"))
    if max_parameters is not None:
        limit = _SLACK_BYTES + BYTES_PER_PARAMETER * max_parameters
        size = details.st_size
        if size > limit:
            raise CheckpointError(path, None, f"{size:,} bytes is more than a model of at most "
                                              f"{max_parameters:,} parameters needs "
                                              f"({limit:,} bytes)")
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except UnicodeDecodeError as error:
        raise CheckpointError(path, None, f"not UTF-8 text ({error})") from None


def load_checkpoint(path: str | os.PathLike[str], *,
                    max_parameters: int | None = None) -> Checkpoint:
    """Read and check a model file; raise `CheckpointError` naming the faulty field.

    With `max_parameters`, a file larger than such a model could be is refused before it is
    read, and one holding more parameters is refused before they are checked.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> atomic_write_text(path, '{"format": "scalar-autograd-model", "version": 1')
    >>> load_checkpoint(path)
    Traceback (most recent call last):
    ...
    autograd.files.CheckpointError: ...: not valid JSON (truncated or damaged?): ...
    """
    text = _read_text(path, max_parameters)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise CheckpointError(path, None, "not a model file: lists or objects nested too "
                                          "deeply to read") from None
    except ValueError as error:
        raise CheckpointError(path, None, f"not valid JSON (truncated or damaged?): {error}") \
            from None
    del text
    if not isinstance(document, dict):
        raise CheckpointError(path, None, f"expected a JSON object, got {type(document).__name__}")
    expected = {"format", "version", "architecture", "metadata", "parameters", "sha256"}
    for key in sorted(expected - document.keys()):
        raise CheckpointError(path, key, "missing")
    for key in sorted(document.keys() - expected):
        raise CheckpointError(path, key, "unexpected field")
    if document["format"] != FORMAT:
        raise CheckpointError(path, "format",
                              f"expected {FORMAT!r}, got {document['format']!r:.60}")
    if document["version"] != VERSION or isinstance(document["version"], bool):
        raise CheckpointError(path, "version",
                              f"expected {VERSION}, got {document['version']!r:.60}")
    for key in ("architecture", "metadata", "parameters"):
        if not isinstance(document[key], dict):
            raise CheckpointError(path, key, f"expected an object, got {document[key]!r:.60}")
    parameters = document["parameters"]
    if max_parameters is not None and len(parameters) > max_parameters:
        raise CheckpointError(path, "parameters", f"{len(parameters):,} parameters, more than "
                                                  f"the limit of {max_parameters:,}")
    converted: list[tuple[str, float]] = []  # whole numbers become floats after the checksum
    for name, value in parameters.items():
        # json gives a float for every number with a fraction or exponent: the fast path
        if type(value) is not float or not math.isfinite(value):
            number = finite_float(value)
            if number is None:
                raise CheckpointError(path, f"parameters.{name}",
                                      f"expected a finite number, got {value!r:.60}")
            converted.append((name, number))
    for key in ("architecture", "metadata"):
        _json_checked(document[key], key, path)  # 1e400 reads as inf: name it here
    if not isinstance(document["sha256"], str):
        raise CheckpointError(path, "sha256", "expected a hex string")
    if _digest(document["architecture"], document["metadata"], parameters) != document["sha256"]:
        raise CheckpointError(path, "sha256",
                              "does not match the contents: the file was edited or damaged")
    parameters.update(converted)
    return Checkpoint(
        architecture=document["architecture"],
        parameters=parameters,
        metadata=document["metadata"],
    )
