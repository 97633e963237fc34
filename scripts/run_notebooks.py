"""Re-execute the tutorial notebooks and write them back with their outputs.

    python scripts/run_notebooks.py              # every notebook in notebooks/
    python scripts/run_notebooks.py 05 07        # the ones whose names start with these

Each notebook runs top to bottom in a fresh kernel that imports the package from this
checkout and draws its plots inline. What changes from run to run and says nothing (execution
timestamps, the kernel's version details) is left out, so a re-run of an unchanged notebook
rewrites the same outputs, apart from the cells tagged `nondeterministic` (timings).
tests/test_notebooks.py re-executes the notebooks the same way and compares with what is
committed.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"

# Cells whose outputs differ from run to run (timings) carry this tag in their metadata; only
# the kinds of their outputs are compared.
NONDETERMINISTIC = "nondeterministic"
# Matplotlib's inline backend, whatever MPLBACKEND the calling environment sets.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# The notebook-level metadata kept: which kernel runs it and its language.
KEPT_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def notebooks(prefixes: list[str] | None = None) -> list[pathlib.Path]:
    """The tutorial notebooks, in order; only those whose names start with a given prefix."""
    found = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        found = [p for p in found if any(p.name.startswith(prefix) for prefix in prefixes)]
    return found


def kernel_environment() -> dict[str, str]:
    """The environment the kernel inherits: the package from this checkout, inline plots."""
    environment = dict(os.environ)
    entries = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    environment["PYTHONPATH"] = os.pathsep.join(entries)
    environment["MPLBACKEND"] = INLINE_BACKEND
    environment["PYTHONHASHSEED"] = "0"
    return environment


def execute(path: pathlib.Path, time_limit: float | None = None) -> Any:
    """Run the notebook at `path` in a fresh kernel and return it with its outputs, tidied.

    `time_limit` bounds the whole run, kernel start included (TimeoutError past it); a cell
    that raises stops the run with nbclient's CellExecutionError naming the cell.
    """
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=int(time_limit) if time_limit else None,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(kernel_environment())
    try:
        start = time.monotonic()
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if time_limit is not None:
                    remaining = time_limit - (time.monotonic() - start)
                    if remaining <= 0:
                        raise TimeoutError(f"{path.name}: still running after {time_limit:.0f} s "
                                           f"(stopped before cell {index})")
                    # The per-cell timeout is whatever is left of the notebook's budget.
                    client.timeout = max(1, int(remaining) + 1)
                client.execute_cell(cell, index)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return tidy(notebook)


def tidy(notebook: Any) -> Any:
    """Drop what changes from run to run and says nothing: timestamps, kernel version details."""
    notebook.metadata = json.loads(json.dumps(KEPT_METADATA))
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
            for number, output in enumerate(cell.outputs):
                output.get("metadata", {}).pop("transient", None)
                data = output.get("data", {})
                # Object reprs carry memory addresses, and widgets a random model id (their
                # state is not stored); both are fixed so a re-run rewrites the same file.
                if isinstance(data.get("text/plain"), str | list):
                    data["text/plain"] = normalise_text(_joined(data["text/plain"]))
                view = data.get(WIDGET_VIEW)
                if isinstance(view, dict) and "model_id" in view:
                    view["model_id"] = f"cell{index}-output{number}"
    return notebook


def merged_streams(outputs: list[Any]) -> list[Any]:
    """Outputs with consecutive stream outputs of one stream joined: how a printed text is
    split into messages depends on the kernel's timing, not on the notebook."""
    merged: list[Any] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous = dict(previous)
            previous["text"] = _joined(previous.get("text", "")) + _joined(output.get("text", ""))
            merged[-1] = type(output)(previous)
        else:
            merged.append(output)
    return merged


def _joined(text: str | list[str]) -> str:
    return "".join(text) if isinstance(text, list) else text


def write(notebook: Any, path: pathlib.Path) -> None:
    """Write `notebook` to `path` atomically (a temporary file renamed over the old one)."""
    import nbformat

    temporary = path.with_name(f".{path.name}.tmp")
    nbformat.write(notebook, temporary)
    os.replace(temporary, path)


def normalise_text(text: str) -> str:
    """Text output with memory addresses (0x7f...) replaced, so reprs compare across runs."""
    return _ADDRESS.sub("0x…", text)


def output_kinds(output: Any) -> tuple[str, ...]:
    """An output's type and, for rich outputs, the sorted media types it carries."""
    kind = output.get("output_type", "")
    if kind == "stream":
        return (kind, output.get("name", ""))
    return (kind, *sorted(output.get("data", {})))


def output_text(output: Any) -> str | None:
    """The deterministic text of an output: stream text, or a result's text/plain (not of
    images, widgets or HTML, whose text repr is a placeholder)."""
    kind = output.get("output_type", "")
    if kind == "stream":
        text = output.get("text", "")
    elif kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        if "text/plain" not in data or any(key != "text/plain" for key in data):
            return None
        text = data["text/plain"]
    elif kind == "error":
        text = "\n".join([output.get("ename", ""), output.get("evalue", "")])
    else:
        return None
    if isinstance(text, list):
        text = "".join(text)
    return normalise_text(text)


def differences(committed: Any, fresh: Any) -> Iterator[str]:
    """Where the outputs of a fresh run differ from the committed ones, one line per cell."""
    old_cells = [c for c in committed.cells if c.cell_type == "code"]
    new_cells = [c for c in fresh.cells if c.cell_type == "code"]
    if len(old_cells) != len(new_cells):
        yield f"{len(old_cells)} code cells committed, {len(new_cells)} after re-running"
        return
    for number, (old, new) in enumerate(zip(old_cells, new_cells), start=1):
        where = f"code cell {number} ({first_line(new.source)!r})"
        old_outputs, new_outputs = merged_streams(old.outputs), merged_streams(new.outputs)
        old_kinds = [output_kinds(o) for o in old_outputs]
        new_kinds = [output_kinds(o) for o in new_outputs]
        if old_kinds != new_kinds:
            yield f"{where}: outputs {old_kinds} committed, {new_kinds} now"
            continue
        if NONDETERMINISTIC in new.metadata.get("tags", []):
            continue
        for o, n in zip(old_outputs, new_outputs):
            before, after = output_text(o), output_text(n)
            if before != after:
                yield f"{where}: output text changed:\n{diff_lines(before, after)}"
                break


def first_line(source: str | list[str]) -> str:
    """The first line of a cell's source, shortened, to name the cell."""
    text = "".join(source) if isinstance(source, list) else source
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 60 else line[:57] + "..."


def diff_lines(before: str | None, after: str | None) -> str:
    """A short unified diff of two texts."""
    import difflib

    lines = difflib.unified_diff((before or "").splitlines(), (after or "").splitlines(),
                                 "committed", "re-run", lineterm="", n=1)
    return "\n".join(list(lines)[:20])


def main(argv: list[str]) -> int:
    """Re-execute the notebooks named by prefix (all by default) and rewrite them in place."""
    paths = notebooks(argv)
    if not paths:
        print(f"no notebook in {NOTEBOOK_DIR.name}/ starts with {' or '.join(argv)}",
              file=sys.stderr)
        return 2
    for path in paths:
        start = time.monotonic()
        notebook = execute(path)
        write(notebook, path)
        largest = max((len(json.dumps(o)) for c in notebook.cells for o in c.get("outputs", [])),
                      default=0)
        print(f"{path.name}: {time.monotonic() - start:5.1f} s, "
              f"{path.stat().st_size // 1024} KB, largest output {largest // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
