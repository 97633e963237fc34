"""The `graph` command end to end: values and gradients printed, diagrams written by
extension, and one-line errors with exit status 2 for broken or hostile input."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import IN_CI, require

from autograd import viz
from autograd.cli import main
from autograd.viz.explainer import unpack

NEURON = ["graph", "tanh(x*w + b)", "--at", "x=2,w=-3,b=6.88"]


def neuron_gradients() -> dict[str, float]:
    """d tanh(xw + b) / d(x, w, b) from the closed form 1 - tanh^2."""
    t = math.tanh(2.0 * -3.0 + 6.88)
    return {"x": (1 - t * t) * -3.0, "w": (1 - t * t) * 2.0, "b": 1 - t * t}


def printed(stdout: str) -> dict[str, tuple[float, float]]:
    """Each variable's printed value and gradient: '  x = 2   df/dx = -1.50292'."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[1] == "=" and parts[3].startswith("df/d"):
            rows[parts[0]] = (float(parts[2]), float(parts[5]))
    return rows


def renderer_or_skip() -> None:
    require("graphviz", "render")
    if viz.find_renderer() is None:
        if IN_CI:
            pytest.fail("no renderer: the render extra (graphviz-pure) must be installed in CI")
        pytest.skip("needs a renderer (pip install 'scalar-autograd[render]')")


class TestSuccess:
    def test_prints_values_and_gradients(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(NEURON) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0] == f"tanh(x*w + b) = {math.tanh(0.88):.6g}"
        rows = printed(out)
        assert list(rows) == ["x", "w", "b"]
        expected = neuron_gradients()
        for name, value in {"x": 2.0, "w": -3.0, "b": 6.88}.items():
            assert rows[name][0] == value
            assert rows[name][1] == pytest.approx(expected[name], rel=1e-5)

    def test_writes_dot(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        target = tmp_path / "neuron.dot"
        assert main([*NEURON, "-o", str(target), "--rankdir", "TB"]) == 0
        text = target.read_text()
        assert text.startswith("digraph autograd {") and "rankdir=TB" in text
        assert 'label="tanh"' in text and "<b>x</b>" in text and "<b>f</b>" in text
        assert f"wrote {target}" in capsys.readouterr().out
        assert [p.name for p in tmp_path.iterdir()] == ["neuron.dot"]  # no temporary left

    def test_writes_svg(self, tmp_path: Path) -> None:
        renderer_or_skip()
        target = tmp_path / "neuron.svg"
        assert main([*NEURON, "-o", str(target)]) == 0
        root = ET.fromstring(target.read_bytes())
        ids = [g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")
               if g.get("class") == "node"]
        values = sorted(i for i in ids if i and i.startswith("v") and not i.endswith("_op"))
        assert values == ["v0", "v1", "v2", "v3", "v4", "v5"]  # x, w, x*w, b, +, tanh

    def test_writes_html(self, tmp_path: Path) -> None:
        target = tmp_path / "neuron.html"
        assert main([*NEURON, "-o", str(target)]) == 0
        page = target.read_text()
        assert page.startswith("<!DOCTYPE html>")
        data = unpack(page.split('id="ag-data">')[1].split("<")[0])
        said = "".join(step["html"] for step in data["steps"] if step["phase"] == "backward")
        assert "f = tanh(add1)" in said and "df/dadd1 = 1 - tanh(add1)^2" in said

    def test_tree_and_options(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["graph", "x * x", "--at", "x=3", "--tree", "--number-format", ".2f"]) == 0
        out = capsys.readouterr().out
        assert "f = *  data 9.00  grad 1.00" in out
        assert "x  data 3.00  grad 6.00  [#1]" in out  # d x^2/dx = 2x

    def test_constant_expression(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["graph", "2 ** 10 - 24"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("2 ** 10 - 24 = 1000\n") and "no variables" in out

    def test_repeated_at(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["graph", "a / b", "--at", "a=1", "--at", "b=4"]) == 0
        rows = printed(capsys.readouterr().out)
        assert rows == {"a": (1.0, 0.25), "b": (4.0, -1.0 / 16.0)}  # d(a/b)/db = -a/b^2


BAD = [
    (["x.__class__", "--at", "x=1"], "attribute access"),
    (["__import__('os').system('touch pwned')"], "not allowed"),
    (["lambda: 0"], "':'"),
    (["[x for x in y]", "--at", "x=1,y=2"], "comprehensions"),
    (["foo(x)", "--at", "x=1"], "unknown function 'foo'"),
    (["tanh(x", "--at", "x=1"], "never closed"),
    (["x)", "--at", "x=1"], "unbalanced"),
    (["(" * 10_000 + "x" + ")" * 10_000, "--at", "x=1"], "nested too deeply"),
    (["x ** 1e6", "--at", "x=1"], "exponent"),
    (["x * y", "--at", "x=1"], "no value for 'y'"),
    (["x", "--at", "x=1,z=2"], "does not use"),
    (["x", "--at", "x=nan"], "not a finite number"),
    (["x", "--at", "x=1e999"], "too large"),
    (["x", "--at", "x"], "NAME=NUMBER"),
    (["x", "--at", "x=1,x=2"], "twice"),
    (["x", "--at", "tanh=1"], "not a usable variable name"),
    (["log(x)", "--at", "x=-1"], "outside the domain"),
    (["1 / (x - x)", "--at", "x=1"], "division by zero"),
    (["exp(x)", "--at", "x=1000"], "overflow"),
    (["x", "--at", "x=1", "-o", "graph.jpeg"], "unknown diagram format"),
]


class TestErrors:
    @pytest.mark.parametrize(("arguments", "message"), BAD,
                             ids=[repr(a[0][:24]) for a, _ in BAD])
    def test_one_line_error_and_status_2(self, arguments: list[str], message: str,
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.chdir(tmp_path)
        assert main(["graph", *arguments]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("autograd graph: error: ")
        assert message in lines[0]
        assert list(tmp_path.iterdir()) == []  # nothing written, nothing executed

    @pytest.mark.parametrize(("options", "message"), [
        (["--number-format", "%d"], "--number-format"),
        (["--number-format", "d"], "--number-format"),
        (["--number-format", "s"], "--number-format"),
        (["--max-nodes", "-3"], "--max-nodes"),
        (["--max-nodes", "-3", "-o", "g.dot"], "--max-nodes"),
        (["-o", ".svg"], "unknown diagram format"),
        (["-o", "g.", "--tree"], "unknown diagram format"),
    ], ids=["%d", "d", "s", "max-nodes", "max-nodes-with-o", "dot-svg", "bare-dot"])
    def test_bad_options_fail_before_any_output(self, options: list[str], message: str,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.chdir(tmp_path)
        assert main([*NEURON, *options]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""  # nothing printed before the error
        lines = captured.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("autograd graph: error: ")
        assert message in lines[0]
        assert list(tmp_path.iterdir()) == []

    def test_max_nodes_zero_and_none_draw_everything(self, tmp_path: Path) -> None:
        from autograd.graph_command import run_graph

        expression = " + ".join(f"x*{k}" for k in range(1, 40))  # 79 value nodes
        for limit in (0, None):
            target = tmp_path / f"all_{limit}.dot"
            assert run_graph(expression, "x=1", str(target), max_nodes=limit) == 0
            assert "not drawn" not in target.read_text() and "more ->" not in target.read_text()
        limited = tmp_path / "limited.dot"
        assert main(["graph", expression, "--at", "x=1", "-o", str(limited),
                     "--max-nodes", "5"]) == 0
        assert "more ->" in limited.read_text()

    def test_unwritable_output(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main([*NEURON, "-o", str(tmp_path / "missing" / "g.dot")]) == 2
        assert "cannot write" in capsys.readouterr().err

    def test_no_renderer_keeps_the_dot(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        monkeypatch.setattr(viz.renderer, "find_renderer", lambda: None)
        assert main([*NEURON, "-o", str(tmp_path / "neuron.svg")]) == 1
        err = capsys.readouterr().err
        assert "scalar-autograd[render]" in err and "neuron.dot" in err
        assert (tmp_path / "neuron.dot").read_text().startswith("digraph autograd {")

    def test_missing_expression_is_a_usage_error(self) -> None:
        with pytest.raises(SystemExit) as caught:
            main(["graph"])
        assert caught.value.code == 2


def test_as_a_program(tmp_path: Path) -> None:
    """`python -m autograd graph ...` in a child process, as a user would run it."""
    renderer_or_skip()
    project = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(project), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "autograd", *NEURON, "-o", "neuron.svg"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = printed(done.stdout)
    assert rows["b"][1] == pytest.approx(neuron_gradients()["b"], rel=1e-5)
    ET.fromstring((tmp_path / "neuron.svg").read_bytes())
    bad = subprocess.run(
        [sys.executable, "-m", "autograd", "graph", "__import__('os')"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1
