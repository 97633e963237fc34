"""The test suite on every CPython the package supports (3.10 to 3.13) that this machine has.

    nox                      # every supported interpreter found; absent ones are skipped
    nox -p 3.12              # one of them
    nox -- -k files          # arguments after -- go to pytest

An interpreter is looked up as ``python3.X`` on PATH; when that is missing or is a pyenv shim
that does not run, the newest ``$PYENV_ROOT/versions/3.X.*/bin`` (``~/.pyenv`` by default) is
put at the front of PATH. An interpreter found nowhere is skipped with a printed line.

These runs are kept lean: each installs the package with the `test-core` extra (pytest,
hypothesis, numpy and the renderer) and leaves out the tests marked `browser` (they drive
Chromium) and `notebook` (they execute the notebooks in a Jupyter kernel). The README's test
command runs everything on the main interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
LEAN = "not browser and not notebook"

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = False  # CI too: an absent one is skipped
if hasattr(nox.options, "download_python"):  # newer nox could fetch a missing one: don't
    nox.options.download_python = "never"


def _runs(executable: str) -> bool:
    try:
        return subprocess.run([executable, "-c", "pass"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _on_path(name: str) -> str | None:
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        candidate = Path(folder or ".") / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _pyenv_folder(version: str) -> Path | None:
    """The bin folder of the newest pyenv-installed CPython `version` (e.g. 3.12.1 for 3.12)."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = []
    for folder in (root / "versions").glob(f"{version}.*"):
        match = re.fullmatch(rf"{re.escape(version)}\.(\d+)", folder.name)
        if match and (folder / "bin" / f"python{version}").exists():
            found.append((int(match.group(1)), folder / "bin"))
    return max(found)[1] if found else None


def _find_interpreters() -> None:
    """Make each supported interpreter reachable as python3.X on PATH, and say what is where."""
    for version in PYTHONS:
        name = f"python{version}"
        current = _on_path(name)
        if current and _runs(current):
            print(f"nox: {name}: {current}")
            continue
        folder = _pyenv_folder(version)
        if folder is not None and _runs(str(folder / name)):
            os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"
            print(f"nox: {name}: {folder / name}")
        else:
            print(f"nox: {name} not found: its session is skipped")


_find_interpreters()


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The suite without the browser and notebook tests."""
    session.install("-e", ".[test-core]")
    # Only the test-core extra is installed here: tests of the other extras skip (with their
    # reason printed) even under CI, where the main run treats a missing extra as a failure.
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", LEAN,
                *session.posargs, env={"AUTOGRAD_LEAN_RUN": "1"})
