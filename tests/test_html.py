"""The backprop explainer page: every step explains itself with the right numbers, checked in
the page data and in a real headless Chromium (captions, current node in view, quiz, node
panel, groups, load time). Screenshots of each case are written as test artefacts."""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from support import IN_CI, require
from test_viz import dot_bias_mlp_loss

import autograd
from autograd import Value, primitive, sin, to_html
from autograd.viz import renderer
from autograd.viz.explainer import page_data, unpack

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
SHOTS = os.environ.get("AUTOGRAD_SHOTS")  # a folder to keep copies of the screenshots in
pytestmark = pytest.mark.browser  # the explainer's tests: left out of the lean nox runs


# -- the graphs ---------------------------------------------------------------------------------


def gate() -> Value:
    """y = x1 * x2 + x3 at (100, 2, 300)."""
    x1, x2, x3 = Value(100.0, "x1"), Value(2.0, "x2"), Value(300.0, "x3")
    y = x1 * x2 + x3
    y.label = "y"
    y.backward()
    return y


def neuron() -> tuple[Value, list[Value]]:
    """o = tanh(x1 w1 + x2 w2 + b), the classic two-input neuron; its parameters."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, [w1, w2, b]


def used_twice() -> Value:
    """y = x * x + 2 sin x + 3: x feeds three edges."""
    x = Value(1.5, "x")
    y = x * x + sin(x) * 2.0 + 3.0
    y.label = "y"
    y.backward()
    return y


def mlp_loss() -> tuple[Value, list[tuple[str, Value]]]:
    """The squared error of MLP(2, [16, 16, 1]) on 4 points, after one backward pass."""
    model = autograd.nn.MLP(2, [16, 16, 1], seed=0)
    points = [([0.5, -1.0], 1.0), ([1.0, 0.2], -1.0), ([-0.3, 0.8], 1.0), ([0.0, 0.4], -1.0)]
    loss = autograd.sum_values([(model(x) - y) ** 2 for x, y in points])
    loss.label = "loss"
    loss.backward()
    return loss, model.named_parameters()


def plain(html: str) -> list[str]:
    """The plain-text form of every formula in a piece of the page."""
    return re.findall(r'<annotation encoding="text/plain">(.*?)</annotation>', html)


def captions(data: dict[str, Any]) -> str:
    return "\n".join(line for step in data["steps"] for line in plain(step["html"]))


# -- the page data ------------------------------------------------------------------------------


class TestSteps:
    def test_forward_then_backward(self) -> None:
        o, _ = neuron()
        data = page_data(o)
        phases = [step["phase"] for step in data["steps"]]
        ops = 5  # two products, two sums, tanh
        assert phases == ["start"] + ["forward"] * ops + ["seed"] + ["backward"] * ops
        assert data["forward"] == data["backward"] == ops

    def test_gate_forward_is_written_as_the_user_wrote_it(self) -> None:
        text = captions(page_data(gate()))
        assert "mul1 = x1 * x2 = 100 * 2 = 200" in text
        assert "y = mul1 + x3 = 200 + 300 = 500" in text

    def test_gate_backward_shows_local_derivative_and_product(self) -> None:
        text = captions(page_data(gate()))
        assert "dmul1/dx1 = x2 = 2" in text
        assert "x1.grad += mul1.grad * dmul1/dx1 = 1 * 2 = 2" in text
        assert "x2.grad += mul1.grad * dmul1/dx2 = 1 * 100 = 100" in text
        assert "x3.grad += y.grad * dy/dx3 = 1 * 1 = 1" in text
        assert "y.grad = dy/dy = 1" in text

    def test_tanh_local_derivative_reads_like_a_textbook(self) -> None:
        o, _ = neuron()
        text = captions(page_data(o))
        t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
        assert f"do/dn = 1 - tanh(n)^2 = 1 - {t:.4g}^2 = {1 - t * t:.4g}" in text
        assert f"n.grad += o.grad * do/dn = 1 * {1 - t * t:.4g} = {1 - t * t:.4g}" in text
        # MathML, not code: a fraction for the derivative, a superscript for the square
        step = next(s for s in page_data(o)["steps"] if "tanh(n)^2" in s["html"])
        assert "<mfrac>" in step["html"] and "<msup>" in step["html"]

    def test_a_node_used_twice_shows_its_running_sum(self) -> None:
        text = captions(page_data(used_twice()))
        # d/dx of x*x + 2 sin x at 1.5: the sin branch gives 2 cos 1.5 = 0.1415 first
        assert f"dsin1/dx = cos(x) = cos(1.5) = {math.cos(1.5):.4g}" in text
        assert "x.grad = 0.1415 + 1.5 = 1.641" in text
        assert "x.grad = 0.1415 + 1.5 + 1.5 = 3.141" in text

    def test_constants_take_no_gradient(self) -> None:
        data = page_data(used_twice())
        constants = [n for n in data["nodes"] if n["kind"] == "constant"]
        assert sorted(n["data"] for n in constants) == ["2", "3"]
        assert all("grads" not in n for n in constants)
        assert not re.search(r"(^|[\s=+*])[23]\.grad", captions(data), flags=re.M)
        assert any("3 is a constant: it takes no gradient" in s["html"] for s in data["steps"])

    def test_sub_and_neg_are_one_node_each(self) -> None:
        x, y = Value(3.0, "x"), Value(1.0, "y")
        z = -x - y
        z.label = "z"
        data = page_data(z)
        assert [n.get("op") for n in data["nodes"] if "op" in n] == ["neg", "-"]
        text = captions(data)
        assert "neg1 = -x = -3" in text and "z = neg1 - y = -3 - 1 = -4" in text
        assert "dz/dy = -1" in text and "dneg1/dx = -1" in text

    def test_a_neuron_with_dot_reads_w_dot_x_plus_b(self) -> None:
        w1, w2, b = Value(0.5, "w1"), Value(-1.0, "w2"), Value(0.25, "b")
        d = autograd.dot([w1, w2], [2.0, 3.0], bias=b)
        d.label = "d"
        data = page_data(d)
        (op,) = [n["op"] for n in data["nodes"] if "op" in n]
        assert op == "w·x + b"  # no `* 1` node for the bias
        text = captions(data)
        assert "d = w1 * 2 + w2 * 3 + b = 0.5 * 2 + (-1) * 3 + 0.25 = -1.75" in text
        assert "dd/dw1 = 2" in text and "dd/db = 1" in text

    def test_user_primitives_show_their_formula_or_a_generic_one(self) -> None:
        @primitive(lambda x: 3 * x * x, formula="3 * x**2")
        def cube(x: float) -> float:
            return x ** 3

        @primitive(lambda x: 2 * x)
        def square_it(x: float) -> float:
            return x * x

        x = Value(2.0, "x")
        y = cube(x) + square_it(x)
        text = captions(page_data(y))
        assert "dcube1/dx = 3 * x^2 = 3 * 2^2 = 12" in text
        assert "dsquare_it1/dx = d square_it/dx = 4" in text

    def test_the_page_leaves_the_graph_alone(self) -> None:
        o, leaves = neuron()
        before = [p.grad for p in leaves]
        page_data(o)
        assert [p.grad for p in leaves] == before

    def test_grads_arrive_after_the_node_they_flow_from(self) -> None:
        o, _ = neuron()
        data = page_data(o)
        by_name = {node["name"]: node for node in data["nodes"]}
        t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
        assert by_name["x1"]["grads"][-1][1] == f"{(1 - t * t) * -3.0:.4g}"  # times w1
        arrival = {name: by_name[name]["grads"][0][0] for name in ("x1", "n", "o")}
        assert arrival["x1"] > arrival["n"] > arrival["o"]

    def test_a_failing_backward_pass_is_reported(self) -> None:
        x = Value(0.0, label="x")
        y = x.sqrt()  # d sqrt(x)/dx = 1 / (2 sqrt x) is infinite at 0
        assert "backward pass stopped" in page_data(y)["note"]

    def test_the_panel_expansion_sums_every_use(self) -> None:
        data = page_data(used_twice())
        (x,) = [n for n in data["nodes"] if n["name"] == "x"]
        lines = plain(x["expansion"])
        assert lines[0] == "x.grad = dy/dx"
        assert len(lines) == 5 and lines[-1] == "= 3.141"  # three edges, then the total
        assert "dy/dsin1 * dsin1/dx = 2 * 0.07074 = 0.1415" in lines


class TestPage:
    def test_offline_and_deterministic(self) -> None:
        o, _ = neuron()
        page = to_html(o)
        assert page == to_html(neuron()[0])
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
        assert "<link" not in page and not re.search(r"<script[^>]* src=", page)
        assert "@import" not in page and "url(http" not in page

    def test_labels_cannot_break_out_of_the_page(self) -> None:
        x = Value(1.0, label="</script><script>alert(1)</script>")
        page = to_html(x * 2, title="<b>t</b>")
        assert page.count("</script>") == 2  # the data block and the viewer
        assert "<script>alert(1)" not in page and "<b>t</b>" not in page

    def test_options_are_those_of_every_diagram(self) -> None:
        y = gate()
        with pytest.raises(TypeError, match="unknown diagram option 'colour'"):
            to_html(y, colour=True)
        with pytest.raises(ValueError, match="rankdir"):
            to_html(y, rankdir="sideways")
        assert page_data(y, rankdir="TB")["rankdir"] == "TB"
        assert page_data(y, quiz=True)["quiz"] is True

    def test_size_limit(self) -> None:
        y = Value(0.0, label="x")
        for _ in range(30):
            y = y + 1.0
        data = page_data(y, max_nodes=12)
        assert data["hidden"] == 49 and len(data["nodes"]) == 12

    def test_groups_collapse_above_the_size_and_open_per_group(self) -> None:
        loss, named = mlp_loss()
        data = page_data(loss, params=named)
        names = [scene["name"] for scene in data["scenes"]]
        assert names == ["overview", "layers.0", "layers.1", "layers.2", "all"]
        assert data["start"] == 0
        overview = data["scenes"][0]
        assert {f"g{k}" for k, g in enumerate(data["groups"]) if g["outer"]} <= set(
            overview["boxes"])
        assert len(overview["boxes"]) < 60  # the whole network reads at a glance
        full = page_data(loss, params=named, collapse=False)
        assert full["scenes"][full["start"]]["name"] == "all"
        small = page_data(gate(), groups=True)
        assert [s["name"] for s in small["scenes"]] == ["all"]

    def test_without_a_renderer_the_page_says_how_to_get_one(
            self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(renderer, "find_renderer", lambda: None)
        data = page_data(gate())
        assert "scalar-autograd[render]" in data["layoutNote"]
        assert data["scenes"][0]["boxes"]  # laid out all the same

    def test_layout_comes_from_dot(self) -> None:
        if renderer.find_renderer() is None:
            if IN_CI:
                pytest.fail("no renderer: the render extra (graphviz-pure) must be installed")
            pytest.skip("needs a renderer (pip install 'scalar-autograd[render]')")
        data = page_data(gate())
        assert data["layoutNote"] == ""
        (scene,) = data["scenes"]
        assert all(path.startswith("M") and " C" in path for _, _, path, _ in scene["edges"])


# -- in Chromium ----------------------------------------------------------------------------------


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if IN_CI:
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser() -> Any:
    sync_api = require("playwright.sync_api", "browser")
    executable = chromium_or_skip()
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Viewer:
    """A page of the explainer open in Chromium, with the checks the tests share."""

    def __init__(self, browser: Any, html: str, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        target = folder / f"{name}.html"
        target.write_text(html, encoding="utf-8")
        self.problems: list[str] = []
        self.page = browser.new_page(viewport=VIEWPORT)
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("request", lambda r: self.problems.append(r.url)
                     if not r.url.startswith(("file:", "data:", "about:", "blob:")) else None)
        start = time.monotonic()
        self.page.goto(target.as_uri())
        self.page.wait_for_selector(".ag-explainer[data-ready]", timeout=30_000)
        self.load_seconds = time.monotonic() - start
        self.ready_ms = self.page.evaluate("performance.now()")

    def shot(self, label: str) -> Path:
        path = self.folder / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path))
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(SHOTS) / path.name)
        return path

    def walk(self) -> list[dict[str, Any]]:
        """Press the right arrow through every step, noting each step's formulas and
        whether every current node's box lies inside the graph's window."""
        return self.page.evaluate("""() => {
            const root = document.querySelector('.ag-explainer');
            const stage = root.querySelector('.ag-stage').getBoundingClientRect();
            const last = Number(root.querySelector('.ag-slider').max);
            const seen = [];
            for (let k = 0; k <= last; k += 1) {
                const next = new KeyboardEvent('keydown', {key: 'ArrowRight'});
                if (k > 0) document.dispatchEvent(next);
                const current = [...root.querySelectorAll('.ag-node.ag-current')];
                const inside = current.every((e) => {
                    const r = e.getBoundingClientRect();
                    return r.left >= stage.left - 1 && r.right <= stage.right + 1 &&
                           r.top >= stage.top - 1 && r.bottom <= stage.bottom + 1 &&
                           r.width > 2 && r.height > 2;
                });
                seen.push({step: Number(root.dataset.step), current: current.length, inside,
                           lines: [...root.querySelectorAll('.ag-caption annotation')]
                                  .map((a) => a.textContent)});
            }
            return seen;
        }""")

    def close(self) -> None:
        self.page.close()
        assert self.problems == []


def check_walk(root: Value, seen: list[dict[str, Any]], data: dict[str, Any]) -> None:
    """At every step: the current node is in view, and each backward caption holds, for every
    edge, the product of the right upstream gradient and the right local derivative (by
    central differences of the op's forward), with numbers that multiply out."""
    order = autograd.topological_order(root)
    assert len(order) == len(data["nodes"])  # nothing left out: the page's index is the order
    index = {node: i for i, node in enumerate(order)}  # by identity (== compares data)
    assert [s["step"] for s in seen] == list(range(len(data["steps"])))
    products = 0
    for s, step in zip(seen, data["steps"]):
        assert s["inside"], f"step {s['step']}: the current node is out of view"
        if step["phase"] != "start":
            assert s["current"] >= 1, f"step {s['step']}: nothing marked current"
        if step["phase"] != "backward":
            continue
        node = order[step["node"]]
        names = [operand_name(data, step["node"], index[p]) for p in node.parents]
        edges = 0
        for line in s["lines"]:
            match = re.fullmatch(r"(\S+)\.grad \+= \S+\.grad \* d\S+ = (\S+) \* (\S+) = (\S+)",
                                 line)
            if not match:
                continue
            edges += 1
            g, local, product = (float(v.strip("()")) for v in match.group(2, 3, 4))
            assert math.isclose(g * local, product, rel_tol=2e-3, abs_tol=1e-4), line
            assert math.isclose(g, node.grad, rel_tol=1e-3, abs_tol=1e-6), line
            k = names.index(match.group(1))
            xs = [p.data for p in node.parents]
            h = 1e-6 * max(1.0, abs(xs[k]))
            up, down = list(xs), list(xs)
            up[k] += h
            down[k] -= h
            slope = (node.op.forward(*up) - node.op.forward(*down)) / (2 * h)
            assert math.isclose(local, slope, rel_tol=2e-3, abs_tol=1e-4), (line, slope)
        takes = sum(1 for p in node.parents if p.requires_grad)
        assert edges == takes, f"step {s['step']}: {edges} products for {takes} edges"
        products += edges
    assert products > 0


def operand_name(data: dict[str, Any], at: int, parent: int) -> str:
    """How the caption of node `at`'s step names node `parent` (short inside its group)."""
    name = data["nodes"][parent]["name"]
    group = data["nodes"][at]["group"]
    if group >= 0:
        prefix = data["groups"][group]["path"] + "."
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("explainer")


def open_case(browser: Any, folder: Path, name: str, root: Value, **options: Any
              ) -> tuple[Viewer, dict[str, Any]]:
    html = to_html(root, **options)
    data = unpack(html.split('id="ag-data">')[1].split("<")[0])
    return Viewer(browser, html, folder, name), data


@pytest.mark.parametrize("case", ["gate", "neuron", "used_twice"])
def test_every_step_in_chromium(browser: Any, folder: Path, case: str) -> None:
    root = {"gate": gate, "neuron": lambda: neuron()[0], "used_twice": used_twice}[case]()
    viewer, data = open_case(browser, folder, case, root)
    viewer.shot("start")
    seen = viewer.walk()
    check_walk(root, seen, data)
    viewer.shot("end")
    if case == "gate":
        lines = next(s["lines"] for s in seen
                     if any(ln.startswith("x1.grad +=") for ln in s["lines"]))
        assert "x1.grad += mul1.grad * dmul1/dx1 = 1 * 2 = 2" in lines
    viewer.close()


def test_quiz_accepts_the_right_answer_and_rejects_a_wrong_one(browser: Any,
                                                               folder: Path) -> None:
    o, _ = neuron()
    viewer, data = open_case(browser, folder, "quiz", o, quiz=True)
    page = viewer.page
    first = next(k for k, s in enumerate(data["steps"]) if s.get("asks"))
    page.keyboard.press("End")
    page.keyboard.press("Home")
    for _ in range(first):
        page.keyboard.press("ArrowRight")
    assert page.locator(".ag-quiz").count() == 1
    assert page.locator("tr.row.ag-hidden-answer").count() >= 1  # the product is hidden
    grad_cells = page.locator(".ag-value .ag-t").all_text_contents()
    ask = data["steps"][first]["asks"][0]
    assert f"grad {ask['shown']}" not in grad_cells or ask["shown"] == "1"
    viewer.shot("quiz-question")
    page.fill(".ag-answer", str(ask["value"] + 1.0))  # wrong
    page.click(".ag-check")
    assert page.locator(".ag-wrong").count() == 1
    assert page.locator("tr.row.ag-hidden-answer").count() == 0  # the worked product shows
    assert page.evaluate("document.querySelector('.ag-explainer').dataset.step") == str(first)
    viewer.shot("quiz-wrong")
    page.keyboard.press("ArrowRight")
    step = first + 1
    while not data["steps"][step].get("asks"):
        page.keyboard.press("ArrowRight")
        step += 1
    ask = data["steps"][step]["asks"][0]
    page.fill(".ag-answer", ask["shown"])  # right, as the page would print it
    page.click(".ag-check")
    asks = data["steps"][step]["asks"]
    if len(asks) > 1 and len(asks) <= 3:  # a second edge of the same op: answer it too
        page.fill(".ag-answer", f"{asks[1]['value']:.6g}")
        page.click(".ag-check")
    assert page.evaluate("document.querySelector('.ag-explainer').dataset.step") == str(step + 1)
    assert "Right" in (page.text_content(".ag-banner") or "")
    viewer.shot("quiz-right")
    page.click('[data-act="quiz"]')  # off again: the hidden products show
    assert page.locator(".ag-quiz").count() == 0
    viewer.close()


def test_clicking_a_node_shows_its_gradient_and_its_paths(browser: Any, folder: Path) -> None:
    y = used_twice()
    viewer, data = open_case(browser, folder, "panel", y)
    page = viewer.page
    page.keyboard.press("End")
    (x,) = [i for i, n in enumerate(data["nodes"]) if n["name"] == "x"]
    page.click(f".ag-value[data-index='{x}']")
    body = page.text_content(".ag-panel-body") or ""
    assert "x" in body and "input" in body
    lines = page.eval_on_selector_all(".ag-panel annotation",
                                      "els => els.map(e => e.textContent)")
    assert lines[0] == "x.grad = dy/dx" and lines[-1] == "= 3.141"  # 2 cos 1.5 + 1.5 + 1.5
    on_path = page.locator(".ag-value.ag-onpath").count()
    assert on_path == 1 + sum(1 for n in data["nodes"] if n["kind"] == "intermediate")
    viewer.shot("panel")
    page.keyboard.press("Escape")
    assert page.locator(".ag-panel").is_hidden()
    # by keyboard: focus a node and press Enter
    page.focus(f".ag-value[data-index='{x}']")
    page.keyboard.press("Enter")
    assert page.locator(".ag-panel").is_visible()
    viewer.close()


@pytest.mark.slow
@pytest.mark.parametrize("written", ["nn", "dot_bias"])
def test_the_mlp_of_the_acceptance_is_usable(browser: Any, folder: Path, written: str) -> None:
    # As autograd.nn builds it, and as dot(w, x, bias=b) on plain-number inputs writes it.
    loss, named = mlp_loss() if written == "nn" else dot_bias_mlp_loss([16, 16, 1], 4)
    start = time.monotonic()
    viewer, data = open_case(browser, folder, f"mlp-{written}", loss, params=named)
    build = time.monotonic() - start
    page = viewer.page
    assert viewer.ready_ms < 2000, f"the page took {viewer.ready_ms:.0f} ms to be ready"
    # At fit the layered structure shows: the overview with one box per layer.
    assert page.locator(".ag-group").count() == 3
    viewer.shot("overview")
    seen = viewer.walk()
    check_walk(loss, seen, data)
    page.keyboard.press("Home")
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    viewer.shot("forward-40")
    page.keyboard.press("End")
    for _ in range(60):
        page.keyboard.press("ArrowLeft")
    viewer.shot("backward")
    page.click('[data-act="closeall"]')
    page.click(".ag-group >> nth=1")
    assert "layers.1" in (page.get_attribute(".ag-svg", "aria-label") or "")
    viewer.shot("layer-open")
    viewer.close()
    print(f"MLP page ({written}): built in {build:.1f} s, ready in {viewer.ready_ms:.0f} ms, "
          f"{(folder / f'mlp-{written}.html').stat().st_size // 1024} KB")
