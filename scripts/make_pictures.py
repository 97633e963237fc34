"""Make the README's pictures from the library itself.

    python scripts/make_pictures.py docs/images

writes four files into the folder given (created if missing):

- ``neuron.svg``: a tanh neuron's diagram, each value coloured by the size of its gradient
  (rendered by Graphviz, or by the `render` extra's renderer);
- ``stepping.png``: a frame of the step-through page of the same neuron (``autograd.to_html``),
  half way through the backward pass, taken in headless Chromium (the `browser` extra and
  Chromium);
- ``moons.png``: the decision boundary of an MLP trained on two moons (the `plots` extra);
- ``digits-confusion.png``: the confusion matrix of the `train` command's digit reader on its
  held-out images (the `plots` extra).

Everything is seeded, so the same library draws the same pictures.
"""

from __future__ import annotations

import argparse
import inspect
import io
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import autograd
from autograd import Value, training, viz

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NEURON_VALUES = {"x1": 2.0, "w1": -3.0, "x2": 0.01, "w2": 1.0, "b": 8.0}
# The step-through frame: the start, 5 forward steps, the seed, then 3 of the 5 backward steps.
FRAME_STEP = 7


def write_atomic(path: Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # what a plain open() would give, not mkstemp's 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def _import(module: str, extra: str, what: str) -> Any:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise SystemExit(f"make_pictures: {what} needs {module}: "
                         f"pip install 'scalar-autograd[{extra}]'") from None


def neuron(composed: bool) -> tuple[Value, list[Value]]:
    """o = tanh(w1 x1 + w2 x2 + b), near saturation, so its gradients span several colours.

    `composed` builds w·x + b from separate products and sums (one step each on the page);
    otherwise it is one `dot` node, as `autograd.nn.Neuron` builds it.
    """
    v = {name: Value(number, label=name) for name, number in NEURON_VALUES.items()}
    if composed:
        n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    else:
        n = autograd.dot([v["w1"], v["w2"]], [v["x1"], v["x2"]], v["b"])
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [v["w1"], v["w2"], v["b"]]


def neuron_diagram(folder: Path) -> Path:
    """The neuron's diagram after backward(), coloured by gradient, as SVG."""
    o, params = neuron(composed=False)
    o.backward()
    try:
        return viz.save(o, folder / "neuron.svg", params=params)
    except viz.RendererNotFound as missing:
        raise SystemExit(f"make_pictures: {missing}") from None


def _page(root: Value, **options: Any) -> str:
    """`autograd.to_html(root, ...)`, passing only the options this version of it takes."""
    accepted = inspect.signature(autograd.to_html).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted}
    page = autograd.to_html(root, **options)
    if not isinstance(page, str):
        raise SystemExit("make_pictures: autograd.to_html did not return the page's text")
    return page


def stepping_frame(folder: Path) -> Path:
    """A PNG of the step-through page half way through the backward pass."""
    sync_api = _import("playwright.sync_api", "browser", "the step-through frame")
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        raise SystemExit("make_pictures: the step-through frame needs Chromium "
                         "(apt-get install chromium)")
    o, params = neuron(composed=True)
    with tempfile.TemporaryDirectory() as scratch:
        page_path = Path(scratch) / "neuron.html"
        page_path.write_text(_page(o, params=params, title="o = tanh(x1 w1 + x2 w2 + b)"),
                             encoding="utf-8")
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            try:
                # The graph's panel may take 75% of the window's height: room for the neuron.
                page = browser.new_page(viewport={"width": 1280, "height": 760},
                                        device_scale_factor=1)
                page.goto(page_path.as_uri())
                page.wait_for_selector(".ag-explainer[data-ready]", timeout=30_000)
                page.keyboard.press("Home")
                for _ in range(FRAME_STEP):  # into the backward pass: each step's maths shows
                    page.keyboard.press("ArrowRight")
                png = page.screenshot(animations="disabled")
            finally:
                browser.close()
    return write_atomic(folder / "stepping.png", png)


def _node_id(page: Any, name: str) -> str:
    """The element id of the page's value node named `name`."""
    for i in range(page.locator("g.value").count()):
        label = page.locator(f"#v{i} .t-name")
        if label.count() and (label.text_content() or "").split()[0] == name:
            return f"v{i}"
    raise SystemExit(f"make_pictures: the step-through page has no node named {name!r}")


def _pyplot() -> Any:
    matplotlib = _import("matplotlib", "plots", "the plots")
    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "autograd", "font.size": 11})
    return _import("matplotlib.pyplot", "plots", "the plots")


def _backend() -> training.Backend:
    # The compiled path (numpy) when there is one: the same numbers as the dynamic engine,
    # much sooner.
    try:
        return training.backend_named("auto")
    except ImportError:
        return training.DYNAMIC


def _train(dataset: str) -> tuple[training.TrainResult, training.Backend]:
    backend = _backend()
    config = training.TrainConfig(dataset=dataset, seed=0, output=None)
    result = training.train(config, out=io.StringIO(), err=io.StringIO(), backend=backend)
    return result, backend


def _save_figure(figure: Any, path: Path) -> Path:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return write_atomic(path, buffer.getvalue())


def moons_boundary(folder: Path) -> Path:
    """The decision boundary of the `train --dataset moons` MLP, with its training points."""
    plt = _pyplot()
    result, backend = _train("moons")
    split = result.dataset.split
    xs = [p[0] for p in split.train_inputs + split.test_inputs]
    ys = [p[1] for p in split.train_inputs + split.test_inputs]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    steps = 160
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    scores = backend.scores(result.model, [[x, y] for y in gy for x in gx])
    grid = [[scores[j * steps + i][0] for i in range(steps)] for j in range(steps)]

    figure, axes = plt.subplots(figsize=(6.4, 4.6))
    axes.contourf(gx, gy, grid, levels=[-1e300, 0.0, 1e300], colors=["#f6c9a6", "#b8d4f0"])
    axes.contour(gx, gy, grid, levels=[0.0], colors=["#444444"], linewidths=1.0)
    for label, colour, marker in ((0, "#d2691e", "o"), (1, "#1f5fa8", "s")):
        for inputs, labels, filled in ((split.train_inputs, split.train_labels, True),
                                       (split.test_inputs, split.test_labels, False)):
            points = [p for p, y in zip(inputs, labels) if y == label]
            axes.scatter([p[0] for p in points], [p[1] for p in points], s=22, marker=marker,
                         facecolors=colour if filled else "white", edgecolors=colour,
                         linewidths=1.0,
                         label=f"class {label}, {'training' if filled else 'held out'}")
    hidden = " -> ".join(str(n) for n in result.model.sizes)
    axes.set_title(f"MLP(2 -> {hidden}) trained on two moons\n"
                   f"accuracy: {100 * result.train_accuracy:.1f}% training, "
                   f"{100 * result.test_accuracy:.1f}% held out", fontsize=10.5)
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    axes.legend(loc="lower left", fontsize=8, framealpha=0.9)
    figure.tight_layout()
    path = _save_figure(figure, folder / "moons.png")
    plt.close(figure)
    return path


def digits_confusion(folder: Path) -> Path:
    """The confusion matrix of the `train` command's digit reader on the held-out digits."""
    plt = _pyplot()
    result, backend = _train("digits")
    split = result.dataset.split
    n = result.dataset.n_classes
    confusion = [[0] * n for _ in range(n)]
    for scores, truth in zip(backend.scores(result.model, split.test_inputs), split.test_labels):
        confusion[truth][training.predicted_class(scores)] += 1
    right = sum(confusion[k][k] for k in range(n))

    figure, axes = plt.subplots(figsize=(5.6, 5.0))
    image = axes.imshow(confusion, cmap="Blues")
    peak = max(max(row) for row in confusion)
    for i in range(n):
        for j in range(n):
            count = confusion[i][j]
            if count:
                axes.text(j, i, str(count), ha="center", va="center", fontsize=9,
                          color="white" if count > peak / 2 else "#222222")
    axes.set_xticks(range(n))
    axes.set_yticks(range(n))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(f"Held-out digits: {right} of {len(split.test_labels)} read right "
                   f"({100 * right / len(split.test_labels):.1f}%)", fontsize=10.5)
    figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    figure.tight_layout()
    path = _save_figure(figure, folder / "digits-confusion.png")
    plt.close(figure)
    return path


PICTURES: dict[str, Callable[[Path], Path]] = {
    "neuron": neuron_diagram,
    "stepping": stepping_frame,
    "moons": moons_boundary,
    "digits": digits_confusion,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Make the pictures named (all by default) in the folder given."""
    parser = argparse.ArgumentParser(description="Make the README's pictures from the library.")
    parser.add_argument("folder", type=Path, help="where to write them (e.g. docs/images)")
    parser.add_argument("--only", choices=sorted(PICTURES), action="append",
                        help="make only this picture (may be repeated)")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    for name in args.only or PICTURES:
        path = PICTURES[name](args.folder)
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
