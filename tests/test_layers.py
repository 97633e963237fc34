"""The package's layers, as pyproject.toml writes them down, checked with import-linter."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd"


def test_the_import_contracts_hold():
    pytest.importorskip("importlinter", reason="import-linter is in the test extra")
    command = Path(sys.executable).parent / "lint-imports"
    if not command.exists():
        pytest.skip(f"no lint-imports next to {sys.executable}")
    result = subprocess.run([str(command), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-3000:]
    assert "Contracts: 2 kept, 0 broken." in report


def test_the_engine_imports_the_standard_library_only():
    tree = ast.parse((PACKAGE / "engine.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "collections", "contextlib", "dataclasses", "functools",
                        "math", "numbers", "operator", "threading", "typing"}, imported


def test_no_frame_reading_and_nothing_attached_to_value_from_outside():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"sys\._getframe|f_locals|inspect\.currentframe", text), path
        if path.name != "engine.py":
            assert not re.search(r"\bValue\.\w+\s*=[^=]", text), path
            assert not re.search(r"setattr\(\s*Value\b", text), path
