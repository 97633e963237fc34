"""The application's shape: the command line on top of training, both on the library, no
cycles, commands imported plainly, old module paths still working."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "autograd"


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at any level (function bodies included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _package_imports(path: Path) -> set[str]:
    return {name for name in _imports(path) if name == "autograd" or name.startswith("autograd.")}


def _modules(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).glob("*.py"))


def test_training_never_imports_the_command_line():
    for path in _modules("training"):
        assert not {m for m in _package_imports(path) if m.startswith("autograd.cli")}, path


def test_the_library_imports_neither_training_nor_the_command_line():
    application = ("autograd.training", "autograd.cli", "autograd.compiled_training",
                   "autograd.graph_command", "autograd.expression", "autograd.demo")
    aliases = {"compiled_training.py", "graph_command.py", "expression.py", "demo.py",
               "__main__.py", "cost_command.py"}
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name in aliases:
            continue
        used = {m for m in _package_imports(path) if m.startswith(application)}
        assert not used, f"{path.name} imports {used}"


def test_files_uses_the_standard_library_only():
    assert _package_imports(PACKAGE / "files.py") == set()


def test_no_cycle_inside_training():
    # module -> the training modules it imports; a cycle would show as a path back to itself
    graph = {}
    for path in _modules("training"):
        name = f"autograd.training.{path.stem}" if path.stem != "__init__" else \
            "autograd.training"
        graph[name] = {m for m in _package_imports(path) if m.startswith("autograd.training.")}
        graph[name] = {m if m.count(".") == 2 else ".".join(m.split(".")[:3])
                       for m in graph[name]}
    for start in graph:
        if start == "autograd.training":
            continue
        seen, stack = set(), list(graph[start])
        while stack:
            module = stack.pop()
            assert module != start, f"{start} imports itself through {seen}"
            if module not in seen:
                seen.add(module)
                stack.extend(graph.get(module, ()))


def test_the_command_line_imports_its_commands_plainly():
    source = (PACKAGE / "cli" / "__init__.py").read_text(encoding="utf-8")
    assert "importlib" not in source and "__import__" not in source
    assert {"autograd.cli.demo", "autograd.cli.train", "autograd.cli.graph"} <= \
        _imports(PACKAGE / "cli" / "__init__.py")


def test_importing_training_does_not_load_the_compiled_backend():
    code = ("import sys, autograd.training; "
            "print('autograd.training.compiled' in sys.modules, 'autograd.cli' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(("old", "new", "name"), [
    ("autograd.checkpoint", "autograd.files", "load_checkpoint"),
    ("autograd.compiled_training", "autograd.training.compiled", "compiled_backend"),
    ("autograd.expression", "autograd.cli.expression", "parse"),
    ("autograd.graph_command", "autograd.cli.graph", "run_graph"),
    ("autograd.demo", "autograd.cli.demo", "gate_demo"),
    ("autograd.training", "autograd.training.loop", "train"),
    ("autograd.cli", "autograd.cli", "main"),
])
def test_old_module_paths_are_aliases(old, new, name):
    assert getattr(importlib.import_module(old), name) is \
        getattr(importlib.import_module(new), name)


def test_moved_command_functions_say_where_they_went():
    import autograd.training

    with pytest.raises(AttributeError, match=r"moved to autograd\.cli\.train\.register"):
        autograd.training.register  # noqa: B018
    from autograd.cli.train import register, run_evaluate, run_train

    assert callable(register) and callable(run_train) and callable(run_evaluate)


def test_the_console_script_and_python_m():
    from autograd.cli import main

    entry = (PACKAGE.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'autograd = "autograd.cli:main"' in entry
    assert callable(main)
    result = subprocess.run([sys.executable, "-m", "autograd", "demo"], capture_output=True,
                            text=True, check=True)
    assert "dy/dx1 = 2" in result.stdout


def test_optional_imports_name_the_extra(monkeypatch):
    from autograd import _optional
    from autograd.training import compiled

    monkeypatch.setitem(sys.modules, "numpy", None)  # as if numpy were not installed
    with pytest.raises(ImportError, match=r"pip install 'scalar-autograd\[fast\]'") as caught:
        compiled.compiled_backend()
    assert "the compiled training backend needs numpy" in str(caught.value)
    assert _optional.available("numpy") is False
    from autograd.training import backend_named

    assert backend_named("auto").name == "dynamic"  # auto falls back without numpy
