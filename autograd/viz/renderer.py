"""Finding and running a `dot` layout program: Graphviz's, or graphviz-pure from the `render`
extra (a dot-compatible program installed from PyPI, used when no `dot` is on PATH).

>>> found = find_renderer()
>>> found is None or found == "dot" or "graphviz-pure" in found
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

__all__ = ["RENDER_HINT", "RendererNotFound", "find_renderer", "run_dot"]

RENDER_HINT = (
    "install a renderer with pip install 'scalar-autograd[render]' "
    "(or install Graphviz so that `dot` is on PATH)"
)


class RendererNotFound(ImportError):
    """No `dot`-compatible program was found; `.dot` holds the DOT text that was to be drawn.

    >>> error = RendererNotFound("digraph autograd {}")
    >>> "scalar-autograd[render]" in str(error), error.dot
    (True, 'digraph autograd {}')
    """

    def __init__(self, dot: str, dot_path: Path | None = None) -> None:
        saved = f"; the DOT text was saved to {dot_path}" if dot_path else ""
        super().__init__(f"cannot render: no Graphviz renderer found: {RENDER_HINT}{saved}")
        self.dot = dot
        self.dot_path = dot_path


def find_renderer() -> str | None:
    """The program that lays out DOT: `dot` on PATH, else `graphviz-pure`, else None.

    When only `graphviz-pure` is found, the `graphviz` package is pointed at it.

    >>> found = find_renderer()
    >>> found is None or found == "dot" or "graphviz-pure" in found
    True
    """
    if shutil.which("dot"):
        return "dot"
    candidates = [shutil.which("graphviz-pure")]
    exe = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder:
            candidates.append(os.path.join(folder, exe))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            _point_graphviz_at(candidate)
            return candidate
    return None


def _point_graphviz_at(program: str) -> None:
    try:
        from graphviz.backend import dot_command
    except ImportError:
        return
    dot_command.DOT_BINARY = Path(program)  # type: ignore[assignment]


def import_graphviz() -> Any:
    """The `graphviz` package, or ImportError saying how to install it.

    >>> import_graphviz().__name__
    'graphviz'
    """
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(
            "drawing needs the graphviz package: pip install scalar-autograd (or pip install "
            "graphviz)"
        ) from error
    return graphviz


def run_dot(dot: str, format: str, *, timeout: float | None = None) -> bytes:
    """Lay out and draw DOT text as `format` ('svg', 'png', 'json', ...); RendererNotFound
    when there is no program to do it.

    >>> try:
    ...     out = run_dot("digraph { a -> b }", "svg")
    ... except RendererNotFound:
    ...     out = b"<svg"
    >>> b"<svg" in out
    True
    """
    program = find_renderer()
    if program is None:
        raise RendererNotFound(dot)
    try:
        done = subprocess.run([program, f"-T{format}"], input=dot.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise RendererNotFound(dot) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{Path(program).name} failed (status {done.returncode}): "
                           + (message[-1] if message else "no message"))
    return done.stdout
