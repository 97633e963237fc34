"""The options of every diagram, one type shared by DOT, rendered images and the HTML page.

>>> options = DiagramOptions.of(rankdir="TB", quiz=True)
>>> options.rankdir, options.quiz, options.max_nodes
('TB', True, 300)
>>> DiagramOptions.of(colour=True)
Traceback (most recent call last):
TypeError: unknown diagram option 'colour'; the options are rankdir, number_format, ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from autograd.viz.view import (
    DEFAULT_MAX_NODES,
    GroupsArg,
    NumberFormat,
    ParamsArg,
    check_max_nodes,
    number_formatter,
)

__all__ = ["DiagramOptions"]

RANKDIRS = ("LR", "TB", "RL", "BT")


@dataclass(frozen=True)
class DiagramOptions:
    """How to draw a graph. Every field has a default; all outputs read the same fields.

    - `rankdir`: 'LR' (left to right), 'TB', 'RL' or 'BT'.
    - `number_format`: a format spec such as '.4g', or a function of a float.
    - `show_grad`: show gradients (and colour them by size).
    - `params`: the parameters: Values, (name, Value) pairs or a mapping of names to Values
      (such as `model.named_parameters()`); they are drawn as parameters, by name.
    - `groups`: a mapping of Values to group names or paths, True to group by the dotted
      parameter names (layers, neurons), False for none; None (the default) groups by
      parameter names when the graph has more than `view.COLLAPSE_ABOVE` nodes.
    - `collapse`: True draws each outer group as one summary box, False draws every node;
      None (the default) collapses the graphs larger than `view.COLLAPSE_ABOVE` nodes. The
      HTML page opens a collapsed group on click.
    - `max_nodes`: the most nodes drawn at once (a collapsed group counts as one); the rest,
      farthest from the output, collapse into a note. None draws all.
    - `legend`, `size_by_grad` (edges grow with log |gradient|), `title`.
    - `quiz`: the HTML page asks the learner for each gradient before showing it.

    >>> DiagramOptions(max_nodes=0)
    Traceback (most recent call last):
    ValueError: max_nodes must be at least 1, got 0
    """

    rankdir: str = "LR"
    number_format: NumberFormat = ".4g"
    show_grad: bool = True
    params: ParamsArg = None
    groups: GroupsArg = None
    collapse: bool | None = None
    max_nodes: int | None = DEFAULT_MAX_NODES
    legend: bool = True
    size_by_grad: bool = True
    title: str | None = None
    quiz: bool = False

    def __post_init__(self) -> None:
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {self.rankdir!r}")
        number_formatter(self.number_format)  # raises on a bad spec
        check_max_nodes(self.max_nodes)
        if self.collapse not in (None, True, False):
            raise TypeError(f"collapse must be True, False or None, got {self.collapse!r}")
        if not (self.groups is None or isinstance(self.groups, bool) or
                hasattr(self.groups, "items")):
            raise TypeError(
                f"groups: expected a mapping of Values to group names, got {self.groups!r}")

    @classmethod
    def of(cls, options: DiagramOptions | None = None, **keywords: Any) -> DiagramOptions:
        """`options` (or the defaults) with the given keywords replaced; unknown names raise.

        >>> DiagramOptions.of(DiagramOptions(rankdir="TB"), title="y").rankdir
        'TB'
        """
        if options is not None and not isinstance(options, DiagramOptions):
            raise TypeError(f"options: expected DiagramOptions, got {type(options).__name__}")
        known = [f.name for f in dataclasses.fields(cls)]
        for name in keywords:
            if name not in known:
                raise TypeError(f"unknown diagram option {name!r}; the options are "
                                + ", ".join(known))
        base = options if options is not None else cls()
        return dataclasses.replace(base, **keywords) if keywords else base

    @property
    def fmt(self) -> Callable[[float], str]:
        """The number formatter of `number_format`.

        >>> DiagramOptions(number_format=".2f").fmt(1.0)
        '1.00'
        """
        return number_formatter(self.number_format)
