"""The interactive HTML page: self-contained, deterministic, stepping through the forward and
backward passes; checked in a real headless Chromium."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import IN_CI, require

from autograd import Value, to_html

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def neuron() -> tuple[Value, dict[str, Value]]:
    """o = tanh(x1 w1 + x2 w2 + b), the classic two-input neuron."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def payload(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page,
                      flags=re.S)
    assert match is not None
    return json.loads(match.group(1))


class TestPage:
    def test_steps_forward_then_backward(self) -> None:
        o, _ = neuron()
        data = payload(to_html(o))
        phases = [step["phase"] for step in data["steps"]]
        ops = 5  # two products, two sums, tanh
        assert phases == ["start"] + ["forward"] * ops + ["seed"] + ["backward"] * ops
        assert data["forward"] == data["backward"] == ops

    def test_gradients_arrive_in_order(self) -> None:
        o, leaves = neuron()
        data = payload(to_html(o))
        by_name = {node["name"]: node for node in data["nodes"]}
        t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
        local = 1 - t * t  # d tanh(n)/dn
        assert by_name["o"]["grads"][0][1] == "1"
        assert by_name["n"]["grads"][-1][1] == f"{local:.4g}"
        assert by_name["x1"]["grads"][-1][1] == f"{local * -3.0:.4g}"  # times w1
        assert by_name["w1"]["grads"][-1][1] == f"{local * 2.0:.4g}"  # times x1
        # A gradient arrives only after the gradient of the node it flows from.
        arrival = {name: by_name[name]["grads"][0][0] for name in ("x1", "n", "o")}
        assert arrival["x1"] > arrival["n"] > arrival["o"]
        assert all(leaf.grad == 0.0 for leaf in leaves.values())  # the graph is left untouched

    def test_offline_and_deterministic(self) -> None:
        o, _ = neuron()
        page = to_html(o)
        assert page == to_html(neuron()[0])
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
        assert "<link" not in page and not re.search(r"<script[^>]* src=", page)
        assert "@import" not in page and "url(http" not in page

    def test_labels_cannot_break_out_of_the_page(self) -> None:
        x = Value(1.0, label="</script><script>alert(1)</script>")
        page = to_html(x * 2)
        assert page.count("</script>") == 2  # the data block and the viewer
        assert "<script>alert(1)" not in page

    def test_size_limit_and_direction(self) -> None:
        y = Value(0.0, label="x")
        for _ in range(30):
            y = y + 1.0
        page = to_html(y, max_nodes=12, rankdir="TB")
        assert "49 more nodes" in page
        assert len(payload(page)["nodes"]) == 12
        with pytest.raises(ValueError, match="rankdir"):
            to_html(y, rankdir="RL")

    def test_a_failing_backward_pass_is_reported(self) -> None:
        x = Value(0.0, label="x")
        y = x.sqrt()  # d sqrt(x)/dx = 1 / (2 sqrt x) is infinite at 0
        data = payload(to_html(y))
        assert "backward pass stopped" in data["note"]


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if IN_CI:
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return path


@pytest.mark.browser
def test_stepping_in_headless_chromium(tmp_path: Path) -> None:
    sync_api = require("playwright.sync_api", "browser")
    executable = chromium_or_skip()
    o, _ = neuron()
    target = tmp_path / "neuron.html"
    target.write_text(to_html(o), encoding="utf-8")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda r: problems.append(r.url)
                    if not r.url.startswith(("file:", "data:", "about:")) else None)
            page.goto(target.as_uri())

            def grad(node_id: str) -> str:
                return page.text_content(f"#{node_id} .t-grad") or ""

            def pending() -> int:
                return page.locator("g.node.pending").count()

            ids = {page.text_content(f"#v{i} .t-name").split()[0]: f"v{i}"  # type: ignore[union-attr]
                   for i in range(page.locator("g.value").count())
                   if page.locator(f"#v{i} .t-name").count()}
            start_caption = page.text_content("#caption") or ""
            assert start_caption.startswith("Start")
            assert grad(ids["o"]) == "grad ?"
            start_pending = pending()
            assert start_pending > 0

            page.click("#next")
            assert page.text_content("#caption") != start_caption
            assert pending() < start_pending
            assert "forward 1/5" in (page.text_content("#phase") or "")

            page.click("#last")
            t = math.tanh(2.0 * -3.0 + 6.8813735870195432)
            assert grad(ids["o"]) == "grad 1"
            assert grad(ids["x1"]) == f"grad {(1 - t * t) * -3.0:.4g}"
            assert pending() == 0
            end_grads = [grad(ids[name]) for name in ("x1", "w1", "x2", "w2")]

            page.click("#prev")
            assert [grad(ids[name]) for name in ("x1", "w1", "x2", "w2")] != end_grads

            page.keyboard.press("Home")
            assert page.text_content("#caption") == start_caption
            page.keyboard.press("ArrowRight")
            assert pending() < start_pending

            page.hover(f"#{ids['x1']}")
            details = page.text_content("#details") or ""
            assert "x1 (input)" in details and f"{(1 - t * t) * -3.0:.4g}" in details

            page.click("#play")
            page.wait_for_function(
                "document.getElementById('phase').textContent.includes('forward 2/5')",
                timeout=10_000)
            page.click("#play")  # pause
            assert page.text_content("#play") == "play"
        finally:
            browser.close()
    assert problems == []


def test_an_operand_used_twice_shows_its_running_total_edge_by_edge():
    # d/dx of x*x + 2 sin x at 1.5: the sin branch gives 2 cos 1.5 = 0.1415, then x*x adds
    # 1.5 twice; the page must show 1.641 after the first edge and 3.141 after the second
    from autograd import Value, sin, to_html

    x = Value(1.5, "x")
    y = x * x + sin(x) * 2.0 + 3.0
    page = to_html(y)
    assert "x.grad += 1.5 (now 1.641); x.grad += 1.5 (now 3.141)" in page
