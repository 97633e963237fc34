"""The documentation site: its examples run, `mkdocs build --strict` passes, and the built
pages (and the explainers they embed) load in headless Chromium without console errors and
without a request to any other host.

The build executes every notebook, so it takes a minute or more: the tests that need it are
marked slow, and share one build.
"""

from __future__ import annotations

import doctest
import functools
import http.server
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import IN_CI, require

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "_snippets" not in p.parts)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BUILD_TIMEOUT_SECONDS = 900


# ---------------------------------------------------------------------------------------------
# The pages' examples (no MkDocs needed)
# ---------------------------------------------------------------------------------------------


def test_the_site_has_its_pages() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "architecture.md", "sources.md", "notebooks/index.md",
            "explainers/index.md", "api/index.md"} <= names
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in names:  # every page is in the navigation
        assert page in config, f"{page} is not in mkdocs.yml's nav"


def test_getting_started_shows_the_two_setup_commands() -> None:
    text = (DOCS / "index.md").read_text(encoding="utf-8")
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install . && "
            "python -m autograd train") in text
    assert ('python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && '
            "python -m pytest") in text


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples_run(page: Path) -> None:
    # A page's examples run in order in one namespace, as a reader would run them.
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    test = parser.get_doctest("\n".join(blocks), {}, page.name, str(page), 0)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{page.name}: {result.failed} example(s) failed (see above)"


def test_sources_name_every_article() -> None:
    text = (DOCS / "sources.md").read_text(encoding="utf-8")
    snippet = (DOCS / "_snippets" / "sources.md").read_text(encoding="utf-8")
    titles = ["深度学习的反向传播手动推导", "深度学习:神经网络中反向传播的使用(pytorch)",
              "神经网络:深度学习基础", "一文搞懂什么是反向传播"]
    address = "https://blog.csdn.net/ChaoMing_H/article/details/142500493"
    for where in (text, snippet):
        assert address in where
        assert all(title in where for title in titles)
    # every notebook linked from the sources page exists
    for name in re.findall(r"notebooks/(\d\d_\w+\.ipynb)", text + snippet):
        assert (ROOT / "notebooks" / name).exists(), name


# ---------------------------------------------------------------------------------------------
# The build, and the built site in a browser
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built once with `mkdocs build --strict`, notebooks executed."""
    require("mkdocs", "docs")
    for module in ("material", "mkdocstrings", "mkdocs_jupyter", "mathjax"):
        require(module, "docs")
    site = tmp_path_factory.mktemp("site")
    # The notebooks' kernels inherit this environment. CI set (as CI sets it) gives hypothesis
    # its own "ci" profile, without per-example deadlines: timing on a shared machine is noisy.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1",
           "DOCS_EXECUTE_NOTEBOOKS": "true", "CI": os.environ.get("CI") or "true",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    seconds = time.monotonic() - started
    print(f"mkdocs build --strict took {seconds:.0f} s")
    assert run.returncode == 0, f"mkdocs build --strict failed:\n{run.stderr[-6000:]}"
    return site


@pytest.mark.slow
def test_build_is_strict_and_complete(built_site: Path) -> None:
    for page in ["index.html", "architecture/index.html", "sources/index.html",
                 "api/engine/index.html", "explainers/neuron/index.html",
                 "notebooks/01_chain_rule_and_gates/index.html",
                 "assets/mathjax/tex-svg.js"]:
        assert (built_site / page).is_file(), page
    for name in ("neuron", "reuse", "softmax", "mlp"):
        page = (built_site / "explainers" / "live" / f"{name}.html").read_text(encoding="utf-8")
        assert 'id="ag-data"' in page
    # the notebooks ran during the build: their pages hold outputs (images among them)
    moons = (built_site / "notebooks" / "05_two_moons" / "index.html").read_text(encoding="utf-8")
    plots = re.findall(r'<img[^>]* src="data:image/png;base64,', moons)
    # the data, the loss curve and the decision boundary
    assert len(plots) >= 3, f"the two-moons tutorial shows {len(plots)} plots"
    # the API reference was generated from the docstrings, examples fenced as code
    engine = (built_site / "api" / "engine" / "index.html").read_text(encoding="utf-8")
    assert "topological_order" in engine and "&gt;&gt;&gt;" in engine
    assert "&gt; &gt; &gt;" not in engine and "<blockquote>" not in engine
    # the op table was read from the engine
    architecture = (built_site / "architecture" / "index.html").read_text(encoding="utf-8")
    assert "1 - out**2" in architecture


def _chromium() -> str:
    path = "/usr/bin/chromium"
    if not Path(path).exists():
        if IN_CI:
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served_site(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1 by a thread of this process."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


BROWSED = ["", "guide/engine/", "architecture/", "sources/", "api/engine/", "api/viz/",
           "notebooks/", "notebooks/02_softmax_with_loss/", "notebooks/05_two_moons/",
           "explainers/", "explainers/neuron/", "explainers/reuse/", "explainers/softmax/",
           "explainers/mlp/"]


@pytest.mark.slow
def test_pages_load_in_chromium_without_errors(served_site: str) -> None:
    sync_api = require("playwright.sync_api", "browser")
    executable = _chromium()
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            where = {"url": ""}
            page.on("console", lambda m: problems.append(f"{where['url']}: console: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"{where['url']}: {e}"))
            page.on("requestfailed", lambda r: problems.append(
                f"{where['url']}: failed to load {r.url}"))
            page.on("request", lambda r: problems.append(f"{where['url']}: requested {r.url}")
                    if not r.url.startswith((served_site, "data:", "about:", "blob:")) else None)
            for path in BROWSED:
                where["url"] = served_site + path
                response = page.goto(where["url"], wait_until="load")
                status = response.status if response is not None else None
                assert status == 200, f"{path}: HTTP status {status}"
                assert page.title(), f"{path}: no title"
                for frame in page.locator("iframe.explainer").all():
                    frame.scroll_into_view_if_needed()  # lazy frames load once seen
                    inner = frame.element_handle().content_frame()
                    assert inner is not None, f"{path}: an explainer frame has no document"
                    inner.wait_for_selector(".ag-explainer[data-ready]", timeout=30_000)
                    before = inner.text_content(".ag-caption")
                    inner.click('[data-act="next"]')  # the embedded explainer runs
                    assert inner.text_content(".ag-caption") != before, f"{path}: explainer idle"
                if path.startswith("notebooks/0"):  # MathJax (served locally) typeset the maths
                    page.wait_for_selector("mjx-container svg", state="attached", timeout=20_000)
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
