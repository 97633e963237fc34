"""The colours of the diagrams: gradient magnitude on a log scale, and the kinds of nodes.

>>> gradient_colour(0.5) == GRADIENT_BANDS[3][1]
True
"""

from __future__ import annotations

import math

__all__ = [
    "GRADIENT_BANDS",
    "KINDS",
    "KIND_COLOURS",
    "NONFINITE_COLOUR",
    "ZERO_COLOUR",
    "gradient_colour",
    "ink",
    "pen_width",
]

# Gradient magnitude bands on a log scale: (upper bound on |g|, colour, legend text).
# Blue is vanishing, green is healthy, red is exploding.
GRADIENT_BANDS: tuple[tuple[float, str, str], ...] = (
    (1e-6, "#3b4cc0", "< 1e-6 vanishing"),
    (1e-3, "#7aa6f0", "< 1e-3"),
    (1e-1, "#b9dcf2", "< 0.1"),
    (1e1, "#8fd18f", "0.1 to 10"),
    (1e3, "#f7c45e", "> 10"),
    (1e6, "#f0883e", "> 1e3"),
    (math.inf, "#d62728", "> 1e6 exploding"),
)
ZERO_COLOUR = "#d9d9d9"
NONFINITE_COLOUR = "#9b30d9"

KINDS = ("parameter", "input", "constant", "intermediate")
"""The four kinds of nodes, the one vocabulary of every diagram, text tree and legend."""

# Fill of the name cell for each kind of node; "output" is the emphasis of the graph's root
# (an intermediate node), not a kind of its own.
KIND_COLOURS: dict[str, str] = {
    "parameter": "#ffe9a8",
    "input": "#d6e6ff",
    "constant": "#f2f2f2",
    "intermediate": "#ffffff",
    "output": "#e8d9ff",
}


def gradient_colour(g: float) -> str:
    """The colour of gradient magnitude |g| on the log scale of `GRADIENT_BANDS`.

    >>> gradient_colour(0.5), gradient_colour(1e-9), gradient_colour(1e9), gradient_colour(0.0)
    ('#8fd18f', '#3b4cc0', '#d62728', '#d9d9d9')
    """
    if not math.isfinite(g):
        return NONFINITE_COLOUR
    magnitude = abs(g)
    if magnitude == 0.0:
        return ZERO_COLOUR
    for upper, colour, _ in GRADIENT_BANDS:
        if magnitude < upper:
            return colour
    return GRADIENT_BANDS[-1][1]


def pen_width(g: float) -> float:
    """Edge width growing with log10 |g|: 1 at 1e-3, about 2 at 1, capped at 4.

    >>> pen_width(1e-3), pen_width(0.0), pen_width(1e9)
    (1.0, 0.5, 4.0)
    """
    if not math.isfinite(g):
        return 4.0
    if g == 0.0:
        return 0.5
    return round(min(4.0, max(0.5, 1.0 + 0.35 * (math.log10(abs(g)) + 3.0))), 2)


def ink(fill: str) -> str:
    """Black or white text, whichever reads better on the colour `fill` ('#rrggbb').

    >>> ink("#ffffff"), ink("#3b4cc0")
    ('black', 'white')
    """
    r, g, b = (int(fill[k:k + 2], 16) for k in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "white"
