"""The step-through HTML page, under its earlier module name (now `autograd.viz.explainer`).

>>> from autograd.viz_html import to_html
>>> to_html.__module__
'autograd.viz.explainer'
"""

from __future__ import annotations

from autograd.viz.explainer import to_html

__all__ = ["to_html"]
