"""The training report: its charts are computed right, it is offline and escaped, the commands
write it, and it renders in a real headless Chromium with no console error and no request."""

from __future__ import annotations

import io
import itertools
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import require
from test_html import CHROMIUM_ARGS, chromium_or_skip

from autograd import nn
from autograd.cli import main
from autograd.files import load_checkpoint
from autograd.training import (
    Backend,
    TrainConfig,
    engine_scores,
    engine_step,
    evaluate_model,
    layer_grad_norms,
    load_dataset,
    render_report,
    report_path,
    svg,
    train,
)
from autograd.training.html_report import MAX_IMAGES, history_from_metadata

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(page: str) -> dict[str, ET.Element]:
    """Every <svg> with an id in the page, parsed (so each must be well-formed XML)."""
    found = {}
    for match in re.finditer(r"<svg\b.*?</svg>", page, flags=re.S):
        element = ET.fromstring(match.group(0))
        if element.get("id"):
            found[element.get("id")] = element
    return found


def _polyline_points(element: ET.Element) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, pair.split(","))) for pair in line.get("points").split()]
            for line in element.iter(f"{SVG}polyline")]


class TestCharts:
    def test_nice_ticks_cover_the_range_with_round_steps(self):
        for low, high in [(0.0, 1.0), (0.013, 0.87), (1.0, 137.0), (-3.2, 7.9), (5.0, 5.0)]:
            ticks = svg.nice_ticks(low, high, 5)
            assert ticks[0] <= low and ticks[-1] >= high
            steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
            assert len(steps) == 1
            step = steps.pop()
            mantissa = step / 10 ** math.floor(math.log10(step))
            assert round(mantissa, 9) in (1.0, 2.0, 2.5, 5.0)
            assert 2 <= len(ticks) <= 12

    def test_log_ticks_are_powers_of_ten_around_the_data(self):
        ticks = svg.log_ticks(3e-5, 2.0)
        assert ticks[0] <= 3e-5 and ticks[-1] >= 2.0
        assert all(math.log10(t) == round(math.log10(t)) for t in ticks)

    def test_a_point_lands_where_the_axes_say(self):
        chart = svg.line_chart([svg.Series("s", [(1, 0.0), (2, 0.5), (3, 1.0)])], title="t",
                               x_label="x", y_label="y", y_range=(0.0, 1.0), chart_id="c")
        element = ET.fromstring(chart)
        (line,) = _polyline_points(element)
        (x1, y1), (x2, y2), (x3, y3) = line
        assert x2 - x1 == pytest.approx(x3 - x2) and x3 > x1  # evenly spaced epochs
        assert y2 == pytest.approx((y1 + y3) / 2) and y1 > y3  # 0.5 halfway, up is larger

    def test_a_gap_splits_the_line(self):
        chart = svg.line_chart([svg.Series("s", [(1, 1.0), (2, 2.0), (3, None), (4, 1.0),
                                                 (5, 3.0)])],
                               title="t", x_label="x", y_label="y")
        assert [len(run) for run in _polyline_points(ET.fromstring(chart))] == [2, 2]

    def test_log_scale_puts_decades_evenly(self):
        chart = svg.line_chart([svg.Series("s", [(1, 0.01), (2, 0.1), (3, 1.0)])], title="t",
                               x_label="x", y_label="y", log_y=True)
        (line,) = _polyline_points(ET.fromstring(chart))
        ys = [y for _, y in line]
        assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2], abs=0.02)

    def test_heatmap_shades_by_share_of_the_row(self):
        element = ET.fromstring(svg.heatmap([[9, 1], [0, 3]], title="m", row_label="true",
                                            column_label="predicted"))
        cells = [g for g in element.iter(f"{SVG}g") if g.get("class") == "cell"]
        fills = [cell.find(f"{SVG}rect").get("fill") for cell in cells]
        texts = [cell.find(f"{SVG}text").text for cell in cells]
        assert texts == ["9", "1", "0", "3"]
        assert fills[2] == "#ffffff"  # an empty cell stays white
        darkness = [sum(int(f[i:i + 2], 16) for i in (1, 3, 5)) for f in fills]
        assert darkness[3] < darkness[0] < darkness[1]  # 3/3 darker than 9/10 darker than 1/10

    def test_pixel_image_maps_ink_to_grey(self):
        element = ET.fromstring(svg.pixel_image([0.0, 1.0, 0.5, 0.25], 2))
        rects = list(element.iter(f"{SVG}rect"))[1:]  # after the white background
        assert [(r.get("x"), r.get("y"), r.get("fill")) for r in rects] == [
            ("1", "0", "#000000"), ("0", "1", "#808080"), ("1", "1", "#bfbfbf")]

    def test_labels_are_escaped(self):
        chart = svg.line_chart([svg.Series("<b>&", [(1, 1.0)])], title="</svg><script>",
                               x_label="x", y_label="y")
        assert "<script>" not in chart and "&lt;b&gt;&amp;" in chart
        ET.fromstring(chart)


class TestGradientNorms:
    def test_layer_norms_match_an_independent_sum(self):
        model = nn.MLP(3, [4, 2], seed=2)
        from autograd import losses

        engine_step(model, [[0.1, -0.4, 0.9], [1.0, 0.0, -1.0]], [1, 0], losses.cross_entropy)
        norms = layer_grad_norms(model)
        for layer, norm in zip(model.layers, norms):
            assert norm == pytest.approx(math.sqrt(sum(p.grad ** 2 for p in layer.parameters())),
                                         rel=1e-12)
        assert all(n > 0 for n in norms)

    def test_history_holds_the_mean_norm_over_each_epochs_batches(self):
        seen: list[list[float]] = []

        def step(model, inputs, labels, loss_fn):
            result = engine_step(model, inputs, labels, loss_fn)
            seen.append([math.sqrt(sum(p.grad ** 2 for p in layer.parameters()))
                         for layer in model.layers])
            return result

        result = train(TrainConfig(dataset="moons", samples=60, epochs=2, hidden=(5,)),
                       out=io.StringIO(), backend=Backend("recording", step, engine_scores))
        per_epoch = len(seen) // 2  # 48 training examples in batches of 32
        for epoch, entry in enumerate(result.history):
            batch_norms = seen[epoch * per_epoch:(epoch + 1) * per_epoch]
            for layer in range(2):
                mean = sum(norms[layer] for norms in batch_norms) / per_epoch
                assert entry["grad_norms"][layer] == pytest.approx(mean, rel=1e-12)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A short digits run through the command line: the model file and its report."""
    folder = tmp_path_factory.mktemp("digits")
    path = folder / "digits.json"
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        status = main(["train", "--epochs", "3", "--hidden", "12", "--output", str(path)])
    assert status == 0
    return path, Path(report_path(path)), out.getvalue()


class TestTheCommands:
    def test_train_writes_the_report_beside_the_model(self, digits_run):
        path, report, printed = digits_run
        assert report == path.with_name("digits.report.html") and report.exists()
        assert f"wrote the report to {report}" in printed
        assert "held-out accuracy" in printed and "confusion matrix" in printed
        page = report.read_text(encoding="utf-8")
        charts = _svgs(page)
        assert {"loss-chart", "accuracy-chart", "gradient-chart", "confusion"} <= set(charts)
        assert [len(run) for run in _polyline_points(charts["loss-chart"])] == [3]
        assert len(_polyline_points(charts["accuracy-chart"])) == 2  # training and held-out
        assert len(_polyline_points(charts["gradient-chart"])) == 2  # one line per layer
        cells = [g for g in charts["confusion"].iter(f"{SVG}g") if g.get("class") == "cell"]
        assert len(cells) == 100

    def test_the_report_agrees_with_the_file(self, digits_run):
        path, report, _ = digits_run
        metadata = load_checkpoint(path).metadata
        page = report.read_text(encoding="utf-8")
        assert f"{100 * metadata['test_accuracy']:.2f}%" in page
        held_out = round(metadata["test_accuracy"] * 359)
        wrong = 359 - held_out
        assert f"Misread digits: {wrong} of 359" in page
        assert page.count('<figure class="digit">') == min(wrong, MAX_IMAGES)
        counts = [int(t) for t in re.findall(r'<g class="cell">.*?>(\d+)</text>', page)]
        assert sum(counts) == 359 and sum(counts[k * 11] for k in range(10)) == held_out
        assert [entry["epoch"] for entry in metadata["history"]] == [1, 2, 3]

    def test_evaluate_writes_the_same_report(self, digits_run, tmp_path, capsys):
        path, report, _ = digits_run
        again = tmp_path / "again.html"
        assert main(["evaluate", str(path), "--report", str(again)]) == 0
        assert f"wrote the report to {again}" in capsys.readouterr().out
        strip = re.compile(r"<tr><th>file</th>.*?</tr>")
        assert strip.sub("", again.read_text()) == strip.sub("", report.read_text())

    def test_no_report_and_a_chosen_path(self, tmp_path, capsys):
        args = ["train", "--dataset", "xor", "--samples", "40", "--epochs", "2"]
        assert main([*args, "--output", str(tmp_path / "a.json"), "--no-report"]) == 0
        assert "wrote the report" not in capsys.readouterr().out
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
        assert main([*args, "--output", str(tmp_path / "b.json"), "--report",
                     str(tmp_path / "r.html")]) == 0
        assert (tmp_path / "r.html").exists() and not (tmp_path / "b.report.html").exists()

    def test_a_file_without_history_says_so(self, tmp_path):
        path = tmp_path / "m.json"
        nn.MLP(2, [3, 1], seed=0).save(path, {"dataset": {"name": "moons", "samples": 40}})
        assert main(["evaluate", str(path), "--report", str(tmp_path / "r.html")]) == 0
        page = (tmp_path / "r.html").read_text()
        assert "no per-epoch history" in page and 'id="confusion"' in page
        assert 'id="misread-points"' in page  # a set in the plane: points over the regions


class TestHostileMetadata:
    def test_history_from_a_file_is_checked(self):
        history = history_from_metadata([
            {"epoch": 1, "loss": "1", "train_accuracy": 0.5, "grad_norms": [1e400, -1.0]},
            {"epoch": True}, "x", {"loss": 1.0}, {"epoch": 10**400}, {"epoch": -1},
            {"epoch": 3, "loss": 10**400, "grad_norms": [10**400]},
            {"epoch": 2, "loss": 0.3, "grad_norms": "no"}])
        assert history == [
            {"epoch": 1, "loss": None, "train_accuracy": 0.5, "test_accuracy": None,
             "grad_norms": [None, -1.0]},
            {"epoch": 3, "loss": None, "train_accuracy": None, "test_accuracy": None,
             "grad_norms": [None]},
            {"epoch": 2, "loss": 0.3, "train_accuracy": None, "test_accuracy": None,
             "grad_norms": []}]
        assert history_from_metadata({"epoch": 1}) == []

    def test_text_from_a_file_cannot_inject_markup(self, tmp_path):
        dataset = load_dataset("xor", samples=20)
        model = nn.MLP(2, [2, 1], seed=0)
        page = render_report(model, dataset, evaluate_model(model, dataset), [],
                             training={"optimizer": "<script>alert(1)</script>"},
                             model_path="<img src=x onerror=alert(1)>.json")
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page

    def test_evaluate_draws_a_hostile_history_without_failing(self, tmp_path, capsys):
        path = tmp_path / "m.json"
        history = [{"epoch": k, "loss": 1.0 / k, "train_accuracy": 2.0, "test_accuracy": "x",
                    "grad_norms": [0.5] * 200} for k in range(1500, 0, -1)]
        history.append({"epoch": 10**30, "loss": 10**400})
        nn.MLP(2, [3, 1], seed=0).save(path, {"dataset": {"name": "xor", "samples": 20},
                                             "history": history,
                                             "training": {"lr": "9" * 10_000}})
        report = tmp_path / "r.html"
        assert main(["evaluate", str(path), "--report", str(report)]) == 0
        charts = _svgs(report.read_text())
        assert len(_polyline_points(charts["gradient-chart"])) == 2  # one per layer, not 200
        (loss,) = _polyline_points(charts["loss-chart"])
        assert len(loss) <= svg.MAX_POINTS + 1
        assert [x for x, _ in loss] == sorted(x for x, _ in loss)  # epochs in order
        assert "9" * 41 not in report.read_text()
        capsys.readouterr()

    def test_the_page_loads_nothing(self, digits_run):
        page = digits_run[1].read_text(encoding="utf-8")
        assert "default-src 'none'" in page  # the browser may fetch nothing at all
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
        assert "<script" not in page and "<link" not in page and "url(" not in page


@pytest.mark.browser
def test_the_report_in_headless_chromium(digits_run, tmp_path):
    sync_api = require("playwright.sync_api", "browser")
    executable = chromium_or_skip()
    _, report, _ = digits_run
    problems: list[str] = []
    shots = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda r: problems.append(r.url)
                    if not r.url.startswith("file:") else None)
            page.goto(report.as_uri())
            for chart in ("loss-chart", "accuracy-chart", "gradient-chart", "confusion"):
                box = page.locator(f"#{chart}").bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 150, chart
                lines = page.locator(f"#{chart} polyline").count()
                assert lines >= (0 if chart == "confusion" else 1), chart
                shots[chart] = page.locator(f"#{chart}").screenshot()
            cells = page.locator("#confusion g.cell")
            assert cells.count() == 100
            digits = page.locator("figure.digit")
            assert digits.count() >= 1
            image = digits.first.locator("svg").bounding_box()
            assert image is not None and image["width"] >= 60 and image["height"] >= 60
            caption = digits.first.locator("figcaption").text_content() or ""
            assert re.fullmatch(r"\d read as \d", caption.strip())
            full = tmp_path / "report.png"
            page.screenshot(path=str(full), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert full.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name, png in shots.items():
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000, name


def test_the_history_is_json_and_small(digits_run):
    path = digits_run[0]
    metadata = load_checkpoint(path).metadata
    assert len(json.dumps(metadata["history"])) < 2000
