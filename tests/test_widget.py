"""The explainer in a notebook: the anywidget widget (the `widget` extra) carries the page's
data and runs the page's viewer; without anywidget it says which extra to install; the
static page shows inline without it."""

from __future__ import annotations

import base64
import html
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from support import require
from test_html import CHROMIUM_ARGS, VIEWPORT, chromium_or_skip, gate

from autograd.viz import notebook as widget_module
from autograd.viz.explainer import page_data, unpack, viewer_assets


def test_the_widget_carries_the_page_data() -> None:
    anywidget = require("anywidget", "widget")
    y = gate()
    shown = widget_module.widget(y, quiz=True)
    assert isinstance(shown, anywidget.AnyWidget)
    assert unpack(shown.data) == page_data(y, quiz=True)
    css, js = viewer_assets()
    assert shown._esm == js and "export default" in js and shown._css == css


def test_without_anywidget_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget now fails
    widget_module._widget_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=re.escape("pip install 'scalar-autograd[widget]'")):
            widget_module.widget(gate())
    finally:
        widget_module._widget_class.cache_clear()
    shown = widget_module.inline(gate())  # the static page still works
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in shown._repr_html_()


def test_inline_page_is_the_html_page() -> None:
    y = gate()
    frame = widget_module.inline(y, height=500)._repr_html_()
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1))  # type: ignore[union-attr]
    assert page.startswith("<!DOCTYPE html>") and "height: 500px" in frame


def test_the_widget_module_runs_as_anywidget_runs_it(tmp_path: Path) -> None:
    """anywidget imports `_esm` as a module and calls its default export's render with a
    model and an element: done here in Chromium with a stand-in model."""
    sync_api = require("playwright.sync_api", "browser")
    executable = chromium_or_skip()
    css, js = viewer_assets()
    y = gate()
    packed = widget_module.pack(page_data(y))
    source = base64.b64encode(js.encode("utf-8")).decode("ascii")
    page_text = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style></head>
<body><p>a notebook cell above</p><div id="cell"></div><script type="module">
const js = new TextDecoder().decode(Uint8Array.from(atob("{source}"), (c) => c.charCodeAt(0)));
const url = URL.createObjectURL(new Blob([js], {{ type: "text/javascript" }}));
const widget = (await import(url)).default;
const model = {{ get: (name) => "{packed}", on: () => {{}} }};
await widget.render({{ model, el: document.getElementById("cell") }});
document.body.dataset.rendered = "1";
</script></body></html>"""
    target = tmp_path / "widget.html"
    target.write_text(page_text, encoding="utf-8")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser: Any = playwright.chromium.launch(executable_path=executable,
                                                  args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(target.as_uri())
            page.wait_for_selector("body[data-rendered]", timeout=15_000)
            root = page.locator("#cell.ag-explainer")
            assert root.count() == 1 and "ag-in-widget" in (root.get_attribute("class") or "")
            # In a notebook the keys belong to the widget, not to the whole page.
            page.keyboard.press("ArrowRight")
            assert root.get_attribute("data-step") == "0"
            root.focus()
            page.keyboard.press("End")
            assert root.get_attribute("data-step") == str(len(page_data(y)["steps"]) - 1)
            lines = page.eval_on_selector_all("#cell .ag-caption annotation",
                                              "els => els.map(e => e.textContent)")
            assert "x1.grad += mul1.grad * dmul1/dx1 = 1 * 2 = 2" in lines
            page.screenshot(path=str(tmp_path / "widget.png"))
        finally:
            browser.close()
    assert problems == []
