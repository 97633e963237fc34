"""Small, dependency-free SVG charts for the training report: lines, a heatmap, pixel images.

Each function returns one ``<svg>`` element as text, with every label escaped, sizes in
pixels and a ``<title>`` on each mark (browsers show it on hover). No scripts, no fonts or
images from elsewhere: the output can be pasted into any page and works offline.

>>> chart = line_chart([Series("loss", [(1, 0.9), (2, 0.5), (3, 0.4)])], title="Loss",
...                    x_label="epoch", y_label="loss")
>>> chart.startswith("<svg") and chart.count("<polyline") == 1
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "PALETTE",
    "Series",
    "heatmap",
    "line_chart",
    "log_ticks",
    "nice_ticks",
    "pixel_image",
    "scatter",
    "square_bounds",
]

# Eight colours that stay distinct for the common kinds of colour blindness.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f",
           "#000000")
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
MAX_POINTS = 1_000  # a longer series is thinned evenly (the last point always kept)


@dataclass(frozen=True)
class Series:
    """One line of a chart: a name for the legend and (x, y) points; y None leaves a gap.

    >>> Series("held-out", [(1, 0.5), (2, None)]).points[1]
    (2, None)
    """

    name: str
    points: Sequence[tuple[float, float | None]]
    color: str | None = None
    dashed: bool = False


def _chart_open(kind: str, chart_id: str | None, width: float, height: float, title: str,
                font_size: int) -> list[str]:
    """The opening of a chart's <svg> element and its <title>: the first parts of its text."""
    return ['<svg xmlns="http://www.w3.org/2000/svg" class="chart ' + kind + '"'
            + (f' id="{escape(chart_id)}"' if chart_id else "")
            + f' width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img"'
            f' aria-label="{escape(title)}" style="{_FONT};font-size:{font_size}px">',
            f"<title>{escape(title)}</title>"]


def _num(x: float) -> str:
    """A coordinate with two decimals and no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [low, high] (steps of 1, 2, 2.5 or 5 x 10^k).

    >>> nice_ticks(0.0, 1.0)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    >>> nice_ticks(1, 37, 4)
    [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"nice_ticks: bounds must be finite, got {low!r} and {high!r}")
    if high < low:
        low, high = high, low
    if high == low:
        high = low + 1.0
    raw = (high - low) / max(1, count)
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw)
    first = math.floor(low / step)
    last = math.ceil(high / step)
    return [round(k * step, 12) for k in range(first, last + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten covering [low, high] (both > 0), with 2 and 5 between when few decades.

    >>> log_ticks(0.03, 0.4)
    [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    >>> log_ticks(1e-6, 10.0)[:3]
    [1e-06, 1e-05, 0.0001]
    """
    if not (0.0 < low <= high < math.inf):
        raise ValueError(f"log_ticks: bounds must be positive and finite, got {low!r}, {high!r}")
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if last == first:
        last += 1
    decades = [10.0 ** k for k in range(first, last + 1)]
    if last - first > 2:
        return [float(f"{t:.0e}") for t in decades]
    ticks = [float(f"{m * t:.0e}") for t in decades[:-1] for m in (1, 2, 5)]
    return [*ticks, float(f"{decades[-1]:.0e}")]


def _label(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    return f"{value:g}"


def _thinned(points: Sequence[tuple[float, float | None]]) -> list[tuple[float, float | None]]:
    if len(points) <= MAX_POINTS:
        return list(points)
    stride = math.ceil(len(points) / MAX_POINTS)
    kept = list(points[::stride])
    if kept[-1] is not points[-1]:
        kept.append(points[-1])
    return kept


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
               width: int = 440, height: int = 280, y_range: tuple[float, float] | None = None,
               log_y: bool = False, y_format: Callable[[float], str] = _label,
               chart_id: str | None = None) -> str:
    """Lines over a shared x axis with ticks, axis titles and a legend.

    `y_range` fixes the y axis (e.g. (0, 1) for accuracy); otherwise it covers the data.
    With `log_y` the y axis is logarithmic and values <= 0 are left out.

    >>> svg = line_chart([Series("a", [(1, 1.0), (2, 10.0)])], title="T", x_label="x",
    ...                  y_label="y", log_y=True)
    >>> '<text x="' in svg and ">10<" in svg
    True
    """
    left, right, top, bottom = 58, 14, 30, 44
    legend_rows = math.ceil(len(series) / 3)  # also for one series: charts side by side align
    top += 16 * legend_rows
    height += 16 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    prepared = []
    for i, one in enumerate(series):
        points = [(float(x), None if y is None or not math.isfinite(y) or (log_y and y <= 0)
                   else float(y)) for x, y in _thinned(one.points)]
        prepared.append((one, one.color or PALETTE[i % len(PALETTE)], points))
    xs = [x for _, _, points in prepared for x, _ in points]
    ys = [y for _, _, points in prepared for _, y in points if y is not None]
    x_ticks = nice_ticks(min(xs, default=0.0), max(xs, default=1.0), 6)
    x_ticks = [t for t in x_ticks if t == int(t)] or x_ticks  # epochs are whole numbers
    x_low, x_high = x_ticks[0], x_ticks[-1]
    if y_range is not None:
        y_ticks = nice_ticks(*y_range, 5)
    elif log_y:
        y_ticks = log_ticks(min(ys), max(ys)) if ys else [1.0, 10.0]
    else:
        y_ticks = nice_ticks(min(ys, default=0.0), max(ys, default=1.0), 5)
    y_low, y_high = y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x_low) / ((x_high - x_low) or 1.0) * plot_w

    def sy(y: float) -> float:
        if log_y:
            span = math.log10(y_high) - math.log10(y_low)
            fraction = (math.log10(y) - math.log10(y_low)) / (span or 1.0)
        else:
            fraction = (y - y_low) / ((y_high - y_low) or 1.0)
        return top + plot_h - fraction * plot_h

    parts = [*_chart_open("line-chart", chart_id, width, height, title, 11),
             f'<text x="{left}" y="16" font-size="13" font-weight="600">{escape(title)}</text>']
    # grid and ticks
    for t in y_ticks:
        y = sy(t)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" '
                     f'stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 6}" y="{_num(y + 4)}" text-anchor="end" fill="#444">'
                     f"{escape(y_format(t))}</text>")
    for t in x_ticks:
        x = sx(t)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top + plot_h}" '
                     f'y2="{top + plot_h + 4}" stroke="#444"/>')
        parts.append(f'<text x="{_num(x)}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'fill="#444">{escape(_label(t))}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
                 f'stroke="#888"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                 f'fill="#222">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
                 f'text-anchor="middle" fill="#222">{escape(y_label)}</text>')
    # the lines: a gap (None) splits a series into runs
    for one, color, points in prepared:
        dash = ' stroke-dasharray="5 3"' if one.dashed else ""
        runs: list[list[tuple[float, float]]] = [[]]
        for x, y in points:
            if y is None:
                runs.append([])
            else:
                runs[-1].append((x, y))
        parts.append(f'<g class="series" data-name="{escape(one.name)}">')
        for run in runs:
            if len(run) > 1:
                coordinates = " ".join(f"{_num(sx(x))},{_num(sy(y))}" for x, y in run)
                parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" '
                             f'stroke-width="2" stroke-linejoin="round"{dash}/>')
        if len(points) <= 60:
            for x, y in points:
                if y is not None:
                    parts.append(f'<circle cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="2.5" '
                                 f'fill="{color}"><title>{escape(one.name)}, {_label(x)}: '
                                 f"{escape(y_format(y))}</title></circle>")
        parts.append("</g>")
    # legend, three entries a row, above the plot
    if legend_rows:
        column = plot_w / 3
        for i, (one, color, _) in enumerate(prepared):
            x = left + (i % 3) * column
            y = 30 + 16 * (i // 3)
            dash = ' stroke-dasharray="5 3"' if one.dashed else ""
            parts.append(f'<line x1="{_num(x)}" x2="{_num(x + 18)}" y1="{y - 4}" y2="{y - 4}" '
                         f'stroke="{color}" stroke-width="2"{dash}/>')
            parts.append(f'<text x="{_num(x + 23)}" y="{y}" fill="#222">'
                         f"{escape(one.name)}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def _cell_colour(fraction: float) -> str:
    """White to deep blue as `fraction` goes from 0 to 1."""
    fraction = min(1.0, max(0.0, fraction))
    white, blue = (255, 255, 255), (8, 69, 148)
    r, g, b = (round(w + (c - w) * fraction) for w, c in zip(white, blue))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(matrix: Sequence[Sequence[int]], *, title: str, row_label: str, column_label: str,
            cell: int = 38, chart_id: str | None = None) -> str:
    """A matrix of counts as coloured cells, shaded by each count's share of its row.

    >>> svg = heatmap([[5, 1], [0, 4]], title="C", row_label="true", column_label="predicted")
    >>> svg.count('class="cell"')
    4
    """
    n_rows = len(matrix)
    n_columns = max((len(row) for row in matrix), default=0)
    left, top = 62, 52
    width, height = left + n_columns * cell + 12, top + n_rows * cell + 12
    parts = [*_chart_open("heatmap", chart_id, width, height, title, 12),
             f'<text x="{left + n_columns * cell / 2:.1f}" y="16" text-anchor="middle" '
             f'fill="#222">{escape(column_label)} &#8594;</text>',
             f'<text transform="translate(16 {top + n_rows * cell / 2:.1f}) rotate(-90)" '
             f'text-anchor="middle" fill="#222">{escape(row_label)} &#8594;</text>']
    for j in range(n_columns):
        parts.append(f'<text x="{left + j * cell + cell / 2:.1f}" y="{top - 8}" '
                     f'text-anchor="middle" fill="#444">{j}</text>')
    for i, row in enumerate(matrix):
        total = sum(row)
        parts.append(f'<text x="{left - 8}" y="{top + i * cell + cell / 2 + 4:.1f}" '
                     f'text-anchor="end" fill="#444">{i}</text>')
        for j, count in enumerate(row):
            fraction = count / total if total else 0.0
            x, y = left + j * cell, top + i * cell
            ink = "#fff" if fraction > 0.5 else "#222"
            edge = ' stroke="#d55e00" stroke-width="2"' if count and i != j else \
                ' stroke="#fff"'
            parts.append(
                f'<g class="cell"><rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="{_cell_colour(fraction)}"{edge}/>'
                f'<text x="{x + cell / 2:.1f}" y="{y + cell / 2 + 4:.1f}" text-anchor="middle" '
                f'fill="{ink}">{count}</text>'
                f"<title>{escape(row_label)} {i}, {escape(column_label)} {j}: {count} "
                f"({100 * fraction:.0f}% of row {i})</title></g>")
    parts.append("</svg>")
    return "\n".join(parts)


def pixel_image(pixels: Sequence[float], side: int, *, scale: int = 7, title: str = "") -> str:
    """A square grayscale image (values in [0, 1], 1 = ink) drawn as SVG squares.

    >>> pixel_image([0.0, 1.0, 0.5, 0.0], 2).count("<rect")
    3
    """
    if len(pixels) != side * side:
        raise ValueError(f"pixel_image: expected {side * side} pixels, got {len(pixels)}")
    size = side * scale
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="pixels" width="{size}" '
             f'height="{size}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges" '
             f'role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>" if title else "",
             f'<rect width="{side}" height="{side}" fill="#fff"/>']
    for k, value in enumerate(pixels):
        ink = min(1.0, max(0.0, float(value))) if math.isfinite(value) else 0.0
        if ink > 0.0:
            level = round(255 * (1.0 - ink))
            parts.append(f'<rect x="{k % side}" y="{k // side}" width="1" height="1" '
                         f'fill="#{level:02x}{level:02x}{level:02x}"/>')
    parts.append("</svg>")
    return "".join(parts)


def square_bounds(points: Sequence[Sequence[float]],
                  margin: float = 0.08) -> tuple[float, float, float, float]:
    """A square (x_low, x_high, y_low, y_high) around the points, centred, with a margin.

    >>> square_bounds([[0, 0], [2, 1]], margin=0.0)
    (0.0, 2.0, -0.5, 1.5)
    """
    xs = [float(p[0]) for p in points] or [0.0]
    ys = [float(p[1]) for p in points] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    half = span * (0.5 + margin)
    x_mid, y_mid = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return x_mid - half, x_mid + half, y_mid - half, y_mid + half


def scatter(points: Sequence[Sequence[float]], classes: Sequence[int],
            marked: Sequence[bool], *, title: str, size: int = 360,
            bounds: tuple[float, float, float, float] | None = None,
            regions: Sequence[Sequence[int]] | None = None, chart_id: str | None = None) -> str:
    """Points in the plane coloured by class; marked points get a red ring.

    `regions` (rows from the top, columns from the left, over `bounds`) shades the plane
    by the class a model gives each cell, a picture of its decision boundary.

    >>> svg = scatter([[0, 0], [1, 1]], [0, 1], [False, True], title="S", regions=[[0, 1]])
    >>> svg.count("<circle"), svg.count('class="marked"'), svg.count('class="region"')
    (3, 1, 2)
    """
    x_low, x_high, y_low, y_high = bounds or square_bounds(points)

    def sx(x: float) -> float:
        return (x - x_low) / ((x_high - x_low) or 1.0) * size

    def sy(y: float) -> float:
        return size - (y - y_low) / ((y_high - y_low) or 1.0) * size

    parts = [*_chart_open("scatter", chart_id, size, size, title, 11),
             f'<rect width="{size}" height="{size}" fill="#fff"/>']
    if regions:
        rows, columns = len(regions), max(len(row) for row in regions)
        cell_w, cell_h = size / columns, size / rows
        # opaque cells that overlap a little, faded together as one group: no seams
        parts.append('<g opacity="0.18" shape-rendering="crispEdges">')
        for r, row in enumerate(regions):
            for c, label in enumerate(row):
                parts.append(f'<rect class="region" x="{_num(c * cell_w)}" y="{_num(r * cell_h)}" '
                             f'width="{_num(cell_w + 0.5)}" height="{_num(cell_h + 0.5)}" '
                             f'fill="{PALETTE[label % len(PALETTE)]}"/>')
        parts.append("</g>")
    for (x, y), label, wrong in zip(((p[0], p[1]) for p in points), classes, marked):
        colour = PALETTE[label % len(PALETTE)]
        parts.append(f'<circle cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="4" fill="{colour}" '
                     f'stroke="#fff" stroke-width="0.8"/>')
        if wrong:
            parts.append(f'<circle class="marked" cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="8" '
                         f'fill="none" stroke="#d00" stroke-width="2"><title>class {label}, '
                         f"read wrong</title></circle>")
    parts.append(f'<rect x="0.5" y="0.5" width="{size - 1}" height="{size - 1}" fill="none" '
                 f'stroke="#888"/>')
    parts.append("</svg>")
    return "\n".join(parts)
