"""Build-time additions to the documentation site (registered in mkdocs.yml under `hooks:`).

- The tutorials: every notebook of `notebooks/` becomes a page under `notebooks/` (rendered
  and executed by mkdocs-jupyter) and an entry of the Tutorials section of the navigation.
- The explainers: the step-through pages embedded by `docs/explainers/*.md` are written by
  `autograd.to_html` during the build, into `explainers/live/`.
- The op table: `<!-- op-table -->` in a page becomes a table of `autograd.engine.OPS`.
- MathJax: the notebooks' formulas are typeset by a local copy of MathJax 3 (from the
  `django-static-mathjax` package of the `docs` extra, which ships MathJax's files), so the
  site fetches nothing from other hosts.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = "Tutorials"
EXPLAINER_FOLDER = "explainers/live"
MATHJAX_MARK = "@mathjax@"
MATHJAX_FOLDER = "assets/mathjax"
OP_TABLE_MARK = "<!-- op-table -->"


def _notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """List every notebook in the Tutorials section of the navigation."""
    # The notebooks' kernels inherit this environment: draw into the page (the inline
    # backend), whatever MPLBACKEND the shell had (Agg would draw nothing there).
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    for entry in config.nav or []:
        if isinstance(entry, dict) and TUTORIALS in entry:
            section = entry[TUTORIALS]
            section.extend(f"notebooks/{path.name}" for path in _notebooks())
            break
    else:
        raise PluginError(f"hooks.py: mkdocs.yml's nav has no {TUTORIALS!r} section")
    return config


# --------------------------------------------------------------------------------------------
# The explainers: graphs drawn by the library during the build
# --------------------------------------------------------------------------------------------


def _neuron() -> Any:
    """o = tanh(x1 w1 + x2 w2 + b), the README's neuron, built from products and sums."""
    from autograd import Value

    x1, x2 = Value(2.0, label="x1"), Value(0.01, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(8.0, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"params": [w1, w2, b], "title": "o = tanh(x1 w1 + x2 w2 + b)"}


def _reuse() -> Any:
    """y = x·x + 2 sin x + 3: x reaches y along three edges, and its gradient adds up."""
    import autograd
    from autograd import Value

    x = Value(1.5, label="x")
    y = x * x + autograd.sin(x) * 2.0 + 3.0
    y.label = "y"
    return y, {"title": "y = x*x + 2 sin(x) + 3"}


def _softmax() -> Any:
    """The first source article's softmax-with-loss example: logits (1, 2, 0.5), class 0."""
    from autograd import Value, losses

    logits = [Value(v, label=f"a{k}") for k, v in enumerate((1.0, 2.0, 0.5))]
    loss = losses.cross_entropy([logits], [0])
    loss.label = "loss"
    return loss, {"title": "cross-entropy of softmax(1, 2, 0.5) against class 0"}


def _mlp() -> Any:
    """A 2-3-1 MLP's squared error on one example."""
    from autograd import nn

    model = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    score = model([0.5, -1.0])
    loss = (score - 1.0) ** 2
    loss.label = "loss"
    return loss, {"params": model.named_parameters(), "title": "(MLP(2 -> 3 -> 1)(0.5, -1) - 1)²"}


EXPLAINERS: dict[str, Callable[[], Any]] = {
    "neuron": _neuron,
    "reuse": _reuse,
    "softmax": _softmax,
    "mlp": _mlp,
}


def _explainer_html(name: str) -> str:
    """The step-through page of one explainer, with the options this library version takes."""
    import autograd

    root, options = EXPLAINERS[name]()
    try:
        accepted = inspect.signature(autograd.to_html).parameters
    except (TypeError, ValueError):
        accepted = {}
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted}
    page = autograd.to_html(root, **options)
    if not isinstance(page, str):
        raise PluginError(f"hooks.py: autograd.to_html returned {type(page).__name__}, "
                          "not the page's text")
    return page


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the notebooks as pages and the explainers' step-through pages as files."""
    for path in _notebooks():
        # Read in place: src_uri notebooks/NAME.ipynb under the repository's root.
        files.append(File(f"notebooks/{path.name}", str(ROOT), config.site_dir,
                          config.use_directory_urls))
    for name in EXPLAINERS:
        files.append(File.generated(config, f"{EXPLAINER_FOLDER}/{name}.html",
                                    content=_explainer_html(name)))
    return files


# --------------------------------------------------------------------------------------------
# The op table, read from the engine
# --------------------------------------------------------------------------------------------


def _op_table() -> str:
    from autograd.engine import OPS

    def cell(text: str) -> str:  # inside a code span: only the table's own `|` needs care
        return text.replace("|", "\\|")

    rows = ["| name | shown as | operands | local derivative(s) |", "| --- | --- | --- | --- |"]
    for name, op in OPS.items():
        arity = getattr(op, "arity", 0)
        formula = getattr(op, "formula", None) or {}
        partials = "; ".join(f"∂/∂{operand} = `{cell(text)}`" for operand, text in formula.items())
        rows.append(f"| `{name}` | `{cell(getattr(op, 'symbol', name))}` | "
                    f"{arity if arity else 'any number'} | {partials or '-'} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Put the op table where a page asks for it."""
    if OP_TABLE_MARK in markdown:
        markdown = markdown.replace(OP_TABLE_MARK, _op_table())
    return markdown


# --------------------------------------------------------------------------------------------
# MathJax, served by the site itself
# --------------------------------------------------------------------------------------------

# The notebook pages' MathJax block, as nbconvert's template writes it (MathJax 2, loaded from
# the address in mkdocs.yml), is replaced by MathJax 3 from the site's own copy, typesetting
# the same delimiters as SVG (one script, no web fonts to fetch).
NBCONVERT_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->",
                               re.S)
MATHJAX_CONFIG = """<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]],
        displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  svg: {fontCache: "global"}
};
</script>
<script src="{src}" defer></script>"""
# What the site needs of MathJax's es5 build: the TeX-to-SVG bundle and the pieces it loads
# on demand (TeX extensions, the menu); not the other bundles or the speech rules.
MATHJAX_PARTS = ("tex-svg.js", "input", "output/svg", "ui", "a11y", "adaptors")


def _mathjax_source() -> Path:
    spec = importlib.util.find_spec("mathjax")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        es5 = Path(folder) / "static" / "mathjax" / "es5"
        if (es5 / "tex-svg.js").is_file():
            return es5
    raise PluginError("the tutorials' formulas need a local MathJax: "
                      "pip install 'scalar-autograd[docs]' (django-static-mathjax)")


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Typeset the notebooks' formulas with the site's own copy of MathJax."""
    if MATHJAX_MARK not in output:
        return output
    src = get_relative_url(f"{MATHJAX_FOLDER}/tex-svg.js", page.url)
    loader = MATHJAX_CONFIG.replace("{src}", src)
    output, found = NBCONVERT_MATHJAX.subn(lambda _: loader, output)
    if not found or MATHJAX_MARK in output:
        raise PluginError(f"hooks.py: {page.file.src_uri}: the notebook's MathJax block was not "
                          "where nbconvert's template puts it")
    return output


def on_post_build(config: MkDocsConfig) -> None:
    """Copy MathJax (and its license) into the site."""
    source = _mathjax_source()
    target = Path(config.site_dir) / MATHJAX_FOLDER
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)
    shutil.copy2(source.parent / "LICENSE", target / "LICENSE")
