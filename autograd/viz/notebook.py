"""The explainer inside a notebook (Jupyter, VS Code, Colab): a widget built on `anywidget`
(the `widget` extra), or, without it, the static page shown inline.

The widget and the HTML page run the same viewer on the same data; nothing is fetched.

>>> from autograd import Value
>>> shown = inline(Value(2.0, label="x") * 3.0)
>>> shown._repr_html_().startswith("<iframe")
True
"""

from __future__ import annotations

import functools
import html
from typing import Any

from autograd.engine import Value
from autograd.viz.explainer import pack, page_data, to_html, viewer_assets
from autograd.viz.options import DiagramOptions

__all__ = ["Inline", "inline", "widget"]

WIDGET_HINT = "pip install 'scalar-autograd[widget]'"


@functools.lru_cache(maxsize=1)
def _widget_class() -> type:
    try:
        import anywidget
        import traitlets
    except ImportError as error:
        raise ImportError(
            f"the explainer widget needs anywidget: {WIDGET_HINT} (or show the static page "
            "with autograd.viz.inline)") from error
    css, js = viewer_assets()

    class Explainer(anywidget.AnyWidget):  # type: ignore[misc]
        """The step-through explainer of one graph, live in a notebook."""

        _esm = js
        _css = css
        data = traitlets.Unicode("").tag(sync=True)  # the page data, packed

    return Explainer


def widget(root: Value, options: DiagramOptions | None = None, **keywords: Any) -> Any:
    """The explainer of the graph ending at `root` as a notebook widget (needs anywidget,
    the `widget` extra; ImportError naming it otherwise). Options as for `to_html`.

    >>> from autograd import Value
    >>> try:
    ...     shown = widget(Value(2.0, label="x") * 3.0)
    ... except ImportError as missing:
    ...     shown = None; assert "scalar-autograd[widget]" in str(missing)
    >>> shown is None or len(shown.data) > 100
    True
    """
    return _widget_class()(data=pack(page_data(root, options, **keywords)))


class Inline:
    """The static explainer page, shown inline by a notebook (in an iframe of its own, so
    the notebook's styles and the page's stay apart).

    >>> print(Inline("<p>hi</p>", 300)._repr_html_())  # doctest: +NORMALIZE_WHITESPACE
    <iframe srcdoc="&lt;p&gt;hi&lt;/p&gt;" style="width: 100%; height: 300px; border: 0"
    title="backprop explainer"></iframe>
    """

    def __init__(self, page: str, height: int = 760) -> None:
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width: 100%; height: {self.height}px; border: 0" '
                'title="backprop explainer"></iframe>')


def inline(root: Value, options: DiagramOptions | None = None, *, height: int = 760,
           **keywords: Any) -> Inline:
    """The explainer page of `root`, to display in a notebook without the widget extra.

    >>> from autograd import Value
    >>> "srcdoc" in inline(Value(1.0, label="x") + 1, height=500)._repr_html_()
    True
    """
    return Inline(to_html(root, options, **keywords), height)
