"""Seeing the graph: DOT text, rendered images, text trees, the step-through HTML explainer
and its notebook widget.

One job per module: `view` (which nodes to draw, their kinds, names and groups), `palette`
(colours), `options` (the one options type of every output), `dot` (DOT text), `tree` (text
trees), `renderer` (finding and running a `dot` program), `layout` (positions for the page),
`formula` (derivative formulas as maths), `explain` (the words and maths of each step),
`explainer` (the HTML page and its `assets`), `render` (images, files and Jupyter display)
and `notebook` (the widget, from the optional `widget` extra, and the page shown inline).

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * x; y.backward()
>>> print(text_tree(y))
mul1 = *  data 4  grad 1
├── x  data 2  grad 4  [#1]
└── x  (#1, shown above)
>>> 'v0 -> v1_op' in to_dot(y)
True
"""

from __future__ import annotations

from autograd.viz.dot import dot_lines, to_dot
from autograd.viz.explainer import to_html
from autograd.viz.notebook import inline, widget
from autograd.viz.options import DiagramOptions
from autograd.viz.palette import (
    GRADIENT_BANDS,
    KIND_COLOURS,
    KINDS,
    NONFINITE_COLOUR,
    ZERO_COLOUR,
    gradient_colour,
)
from autograd.viz.render import (
    SAVE_FORMATS,
    diagram_format,
    draw,
    render,
    save,
    value_mimebundle,
    write_atomic,
)
from autograd.viz.renderer import RENDER_HINT, RendererNotFound, find_renderer
from autograd.viz.tree import text_tree
from autograd.viz.view import (
    COLLAPSE_ABOVE,
    DEFAULT_MAX_NODES,
    GraphView,
    GroupsArg,
    NumberFormat,
    ParamsArg,
    assign_groups,
    edge_gradients,
    grad_of,
    groups_from_parameters,
    number_formatter,
    view_of,
)

__all__ = [
    "COLLAPSE_ABOVE",
    "DEFAULT_MAX_NODES",
    "GRADIENT_BANDS",
    "KINDS",
    "KIND_COLOURS",
    "NONFINITE_COLOUR",
    "RENDER_HINT",
    "SAVE_FORMATS",
    "ZERO_COLOUR",
    "DiagramOptions",
    "GraphView",
    "GroupsArg",
    "NumberFormat",
    "ParamsArg",
    "RendererNotFound",
    "assign_groups",
    "diagram_format",
    "dot_lines",
    "draw",
    "edge_gradients",
    "find_renderer",
    "grad_of",
    "gradient_colour",
    "groups_from_parameters",
    "inline",
    "number_formatter",
    "render",
    "save",
    "text_tree",
    "to_dot",
    "to_html",
    "value_mimebundle",
    "view_of",
    "widget",
    "write_atomic",
]
