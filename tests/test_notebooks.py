"""The tutorial notebooks are committed with their outputs, and those outputs are current.

Each notebook ends in cells that assert the numbers it claims and the shapes of what it plots,
so executing it is a test. The slow test re-executes every notebook the way
scripts/run_notebooks.py does (a fresh kernel importing the package from this checkout, plots
drawn inline) and compares the new outputs with the committed ones: stream text and plain-text
results exactly (memory addresses aside), images and widgets by kind only, and cells tagged
`nondeterministic` (timings) by kind only.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import time

import pytest
from support import require

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
REFRESH = "re-run the notebooks and commit them: python scripts/run_notebooks.py"

pytestmark = pytest.mark.notebook  # needs the notebooks extra; left out of the nox runs

# A notebook must finish (kernel start included) within this many seconds on a 2-core machine.
TIME_LIMIT_SECONDS = 60.0
# No single output (a plot, a diagram) may reach this size.
OUTPUT_LIMIT_BYTES = 1_000_000

# The articles each notebook takes figures from, named in a markdown cell near its top.
CREDITED = {
    "01": ["https://blog.csdn.net/ChaoMing_H/article/details/142500493"],
    "02": ["https://blog.csdn.net/ChaoMing_H/article/details/142500493"],
    "03": ["深度学习的反向传播手动推导", "深度学习:神经网络中反向传播的使用(pytorch)",
           "神经网络:深度学习基础", "一文搞懂什么是反向传播"],
    "04": ["https://blog.csdn.net/ChaoMing_H/article/details/142500493"],
    "06": ["神经网络:深度学习基础", "一文搞懂什么是反向传播"],
}


def _runner():
    """scripts/run_notebooks.py as a module: how the notebooks are executed and compared."""
    path = ROOT / "scripts" / "run_notebooks.py"
    spec = importlib.util.spec_from_file_location("run_notebooks", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_eight_tutorials_are_there() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(1, 9)], NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_with_its_outputs(path: pathlib.Path) -> None:
    nbformat = require("nbformat", "notebooks")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name}: no code cells"
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: not run top to bottom in one kernel (execution counts {counts}); {REFRESH}")
    for number, cell in enumerate(code, start=1):
        assert "execution" not in cell.metadata, f"{path.name}: code cell {number} keeps timestamps"
        for output in cell.outputs:
            assert output.output_type != "error", f"{path.name}: code cell {number} failed"
            size = len(json.dumps(output))
            assert size < OUTPUT_LIMIT_BYTES, (
                f"{path.name}: code cell {number} has a {size // 1024} KB output")
    assert set(notebook.metadata) == {"kernelspec", "language_info"}, (
        f"{path.name}: notebook metadata {sorted(notebook.metadata)}; {REFRESH}")
    # The last code cell holds the checks of the numbers and shapes the notebook shows.
    assert "assert " in code[-1].source, f"{path.name}: the last code cell asserts nothing"
    said = "".join(o.get("text", "") for o in code[-1].outputs if o.output_type == "stream")
    assert "all checks passed" in said, f"{path.name}: the committed checks did not pass; {REFRESH}"
    images = [o for cell in code for o in cell.outputs
              if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
    shows = "plt.show()" in "".join(c.source for c in code) or "draw(" in "".join(
        c.source for c in code)
    assert images or not shows, f"{path.name}: draws plots but stores none; {REFRESH}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_credits_its_sources(path: pathlib.Path) -> None:
    nbformat = require("nbformat", "notebooks")
    notebook = nbformat.read(path, as_version=4)
    top = "\n".join(c.source for c in notebook.cells[:3] if c.cell_type == "markdown")
    for name in CREDITED.get(path.name[:2], []):
        assert name in top, f"{path.name}: the source {name!r} is not credited near the top"


def test_the_timing_cells_are_marked_nondeterministic() -> None:
    nbformat = require("nbformat", "notebooks")
    runner = _runner()
    notebook = nbformat.read(NOTEBOOK_DIR / "04_numerical_vs_backprop.ipynb", as_version=4)
    timed = [c for c in notebook.cells if c.cell_type == "code" and "cost_curve(" in c.source]
    assert timed and all(runner.NONDETERMINISTIC in c.metadata.get("tags", []) for c in timed)


def test_the_comparison_catches_a_change() -> None:
    nbformat = require("nbformat", "notebooks")
    runner = _runner()
    committed = nbformat.read(NOTEBOOK_DIR / "02_softmax_with_loss.ipynb", as_version=4)
    fresh = nbformat.read(NOTEBOOK_DIR / "02_softmax_with_loss.ipynb", as_version=4)
    assert list(runner.differences(committed, fresh)) == []
    cell = next(c for c in fresh.cells if c.cell_type == "code" and c.outputs)
    cell.outputs[0]["text"] = "something else\n"
    found = list(runner.differences(committed, fresh))
    assert len(found) == 1 and "something else" in found[0] and "code cell" in found[0]
    # A memory address is not a difference; a dropped output is.
    assert runner.normalise_text("<x at 0x7f3a2b1c9d00>") == runner.normalise_text(
        "<x at 0x7fe01234abcd>")
    cell.outputs = []
    assert "outputs" in next(iter(runner.differences(committed, fresh)))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_outputs_are_current(path: pathlib.Path) -> None:
    nbformat = require("nbformat", "notebooks")
    require("nbclient", "notebooks")
    require("ipykernel", "notebooks")
    require("matplotlib_inline", "notebooks")
    require("hypothesis", "test")  # notebook 8 runs property tests
    runner = _runner()

    committed = nbformat.read(path, as_version=4)
    start = time.monotonic()
    try:
        fresh = runner.execute(path, time_limit=TIME_LIMIT_SECONDS)
    except TimeoutError as error:
        pytest.fail(str(error))
    elapsed = time.monotonic() - start
    assert elapsed < TIME_LIMIT_SECONDS
    for index, cell in enumerate(fresh.cells):
        for output in cell.get("outputs", []):
            size = len(json.dumps(output))
            assert size < OUTPUT_LIMIT_BYTES, (
                f"{path.name}: cell {index} has a {size // 1024} KB output")
    changed = list(runner.differences(committed, fresh))
    assert not changed, (
        f"{path.name}: the committed outputs are not what the notebook gives now; {REFRESH}\n"
        + "\n".join(changed))
