"""Drawing and saving: Graphviz objects, SVG/PNG bytes, files by extension, Jupyter display.

>>> from autograd import Value
>>> import tempfile, pathlib
>>> path = save(Value(1.0, label="x") * 3, pathlib.Path(tempfile.mkdtemp()) / "g.dot")
>>> path.read_text()[:16]
'digraph autograd'
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from autograd.engine import Value
from autograd.files import write_bytes
from autograd.viz import renderer
from autograd.viz.dot import dot_lines, to_dot
from autograd.viz.explainer import to_html
from autograd.viz.options import DiagramOptions
from autograd.viz.renderer import RendererNotFound, import_graphviz
from autograd.viz.tree import text_tree

__all__ = [
    "SAVE_FORMATS",
    "diagram_format",
    "draw",
    "render",
    "save",
    "value_mimebundle",
    "write_atomic",
]

SAVE_FORMATS = ("svg", "png", "dot", "gv", "html")


def draw(root: Value, options: DiagramOptions | None = None, *, format: str = "svg",
         **keywords: Any) -> Any:
    """A `graphviz.Digraph` of the graph ending at `root` (options as for `to_dot`).

    Render it with `.pipe()`, `.render()`, or display it in Jupyter. When no `dot` is on
    PATH, the `graphviz-pure` program of the `render` extra is used.

    >>> g = draw(Value(1.0, label="x") * 2)
    >>> g.source == to_dot(Value(1.0, label="x") * 2)
    True
    """
    graphviz = import_graphviz()
    renderer.find_renderer()

    class Diagram(graphviz.Digraph):  # type: ignore[misc, name-defined]
        # A program without font tables (graphviz-pure) warns on every non-ASCII character,
        # such as the dot of `w·x`: rendered quietly, Jupyter shows the drawing alone.
        def pipe(self, *args: Any, quiet: bool = True, **kwargs: Any) -> Any:
            return super().pipe(*args, quiet=quiet, **kwargs)

    digraph = Diagram("autograd", format=format)
    digraph.body.extend(dot_lines(root, options, **keywords))
    return digraph


def render(root: Value, format: str = "svg", options: DiagramOptions | None = None,
           **keywords: Any) -> bytes:
    """The graph drawn as `format` ('svg' or 'png') bytes; RendererNotFound without a renderer.

    >>> try:
    ...     svg = render(Value(1.0, label="x") + 1)
    ... except RendererNotFound as missing:  # no `dot` here: the DOT text is still at hand
    ...     svg = missing.dot.encode()
    >>> b"digraph" in svg or b"<svg" in svg
    True
    """
    return renderer.run_dot(to_dot(root, options, **keywords), format)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically: `autograd.files.write_bytes`, the library's one
    writer (a link is followed, a device or folder refused).

    >>> import tempfile, pathlib
    >>> write_atomic(pathlib.Path(tempfile.mkdtemp()) / "a.txt", b"hello").read_bytes()
    b'hello'
    """
    return write_bytes(path, data)


def diagram_format(path: str | os.PathLike[str]) -> str:
    """The diagram format `save` picks for `path` (its extension), or ValueError.

    >>> diagram_format("net.SVG"), diagram_format("graph.gv")
    ('svg', 'gv')
    >>> diagram_format(".svg")
    Traceback (most recent call last):
    ValueError: .svg: unknown diagram format '(none)'; use .svg, .png, .dot, .gv or .html
    """
    target = Path(path)
    extension = target.suffix.lower().lstrip(".")
    if extension not in SAVE_FORMATS:
        raise ValueError(
            f"{target}: unknown diagram format {target.suffix or '(none)'!r}; "
            "use .svg, .png, .dot, .gv or .html"
        )
    return extension


def save(root: Value, path: str | os.PathLike[str], options: DiagramOptions | None = None,
         **keywords: Any) -> Path:
    """Write the diagram to `path`, by its extension: .svg, .png, .dot/.gv or .html.

    The options (a `DiagramOptions`, or its fields as keywords) are the same for every
    format. Without a renderer, an .svg/.png request saves the DOT text beside it (same
    name, .dot) and raises RendererNotFound saying how to get one.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> save(Value(1.0, label="x") * 3, folder / "g.html", title="x times 3").suffix
    '.html'
    """
    target = Path(path)
    extension = diagram_format(target)
    options = DiagramOptions.of(options, **keywords)
    if extension == "html":
        return write_atomic(target, to_html(root, options).encode("utf-8"))
    dot = to_dot(root, options)
    if extension in ("dot", "gv"):
        return write_atomic(target, dot.encode("utf-8"))
    try:
        data = renderer.run_dot(dot, extension)
    except RendererNotFound:
        dot_path = write_atomic(target.with_suffix(".dot"), dot.encode("utf-8"))
        raise RendererNotFound(dot, dot_path) from None
    return write_atomic(target, data)


def value_mimebundle(value: Value, include: Any = None, exclude: Any = None) -> dict[str, Any]:
    """Jupyter's rich display of a Value: its diagram as SVG when a renderer exists,
    always with the text tree as plain text.

    >>> bundle = value_mimebundle(Value(1.0, label="x"))
    >>> bundle["text/plain"]
    'x  data 1  grad 0'
    >>> set(bundle) <= {"image/svg+xml", "text/plain"}
    True
    """
    bundle: dict[str, Any] = {"text/plain": text_tree(value, max_lines=60)}
    # Without a renderer, or when the layout fails, the text tree still shows.
    with contextlib.suppress(Exception):
        bundle["image/svg+xml"] = render(value, "svg").decode("utf-8")
    return bundle
