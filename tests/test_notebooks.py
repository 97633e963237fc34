"""The tutorial notebooks run top to bottom in a fresh kernel, and their final checks pass.

Each notebook ends in cells that assert the numbers it claims, so executing it is the test.
The kernel imports the package from this checkout and draws with matplotlib's Agg backend.
"""

from __future__ import annotations

import json
import os
import pathlib
import time

import pytest
from support import require

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.notebook  # needs the notebooks extra; left out of the nox runs

# A notebook must finish (kernel start included) within this many seconds on a 2-core machine.
TIME_LIMIT_SECONDS = 60.0


def test_the_eight_tutorials_are_there() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 9)], NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_clean(path: pathlib.Path) -> None:
    nbformat = require("nbformat", "notebooks")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name}: no code cells"
    assert all(not cell.outputs and cell.execution_count is None for cell in code), (
        f"{path.name}: stored with outputs; clear them before committing"
    )
    # The last code cell holds the checks of the numbers the notebook claims.
    assert "assert " in code[-1].source, f"{path.name}: the last code cell asserts nothing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = require("nbformat", "notebooks")
    nbclient = require("nbclient", "notebooks")
    require("ipykernel", "notebooks")
    require("matplotlib", "notebooks")
    require("hypothesis", "test")  # notebook 8 runs property tests

    # The kernel inherits this environment: the package from this checkout, no GUI backend.
    path_entries = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path_entries))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=int(TIME_LIMIT_SECONDS),
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    deadline = time.monotonic() + TIME_LIMIT_SECONDS
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"{path.name}: still running after {TIME_LIMIT_SECONDS:.0f} s "
                            f"(stopped before cell {index})")
            # The per-cell timeout is whatever is left of the notebook's budget.
            client.timeout = max(1, int(remaining) + 1)
            client.execute_cell(cell, index)

    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    # Diagrams and explainers stay light: no output of a cell reaches 1 MB.
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            size = len(json.dumps(output))
            assert size < 1_000_000, f"{path.name}: cell {index} has a {size // 1024} KB output"
