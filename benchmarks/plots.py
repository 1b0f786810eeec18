"""Line and bar plots as small standalone SVG documents (no plotting library needed).

The output is deterministic, so a re-run that measures the same figures changes no file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
FONT = 'font-family="sans-serif" font-size="12"'
# Okabe and Ito's palette, told apart with the common colour blindnesses; dashes tell the
# series apart in grey print too.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "7 4", "2 3", "9 3 2 3")


@dataclass(frozen=True)
class Series:
    """One line of a plot: its legend label and its (x, y) points in x order."""

    label: str
    points: tuple[tuple[float, float], ...]


def nice_step(span: float, ticks: int = 5) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts `span` into about `ticks` parts."""
    if span <= 0:
        return 1.0
    rough = span / ticks
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:.3g}"


def _text(x: float, y: float, text: str, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" {extra}>{escape(text)}</text>'


def _document(height: int, title: str, body: list[str]) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        _text(WIDTH / 2, 22, title, 'text-anchor="middle" font-size="14" font-weight="bold"'),
        *body,
        "</svg>",
    ]) + "\n"


def _value_axis(largest: float) -> tuple[float, list[float]]:
    """The axis end (a whole number of steps above `largest`) and its ticks, from 0."""
    step = nice_step(largest)
    end = step * max(1, math.ceil(largest / step - 1e-9))
    return end, [step * i for i in range(round(end / step) + 1)]


def line_plot_svg(title: str, x_label: str, y_label: str, series: Sequence[Series]) -> str:
    """Lines of `series` against x; x is logarithmic when it spans 20 times or more."""
    left, right, top, bottom, height = 70, 170, 40, 56, 360
    inner_w, inner_h = WIDTH - left - right, height - top - bottom
    xs = sorted({x for s in series for x, _ in s.points})
    if not xs:
        raise ValueError(f"nothing to plot in {title!r}")
    end, ticks = _value_axis(max((y for s in series for _, y in s.points), default=0.0))
    log_x = xs[0] > 0 and xs[-1] / xs[0] >= 20
    scale: Callable[[float], float] = math.log10 if log_x else float

    def x_at(x: float) -> float:
        if len(xs) == 1:
            return left + inner_w / 2
        return left + inner_w * (scale(x) - scale(xs[0])) / (scale(xs[-1]) - scale(xs[0]))

    def y_at(y: float) -> float:
        return top + inner_h * (1 - y / end)

    body = []
    for tick in ticks:
        body.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{y_at(tick):.1f}" '
                    f'y2="{y_at(tick):.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y_at(tick) + 4, _number(tick), 'text-anchor="end"'))
    for x in xs:
        body.append(_text(x_at(x), top + inner_h + 18, _number(x), 'text-anchor="middle"'))
    body += [
        f'<path d="M{left} {top}V{top + inner_h}H{left + inner_w}" fill="none" stroke="#333"/>',
        _text(left + inner_w / 2, height - 12,
              f"{x_label} (log scale)" if log_x else x_label, 'text-anchor="middle"'),
        _text(16, top + inner_h / 2, y_label,
              f'text-anchor="middle" transform="rotate(-90 16 {top + inner_h / 2:.1f})"'),
    ]
    for i, line in enumerate(series):
        color, dash = COLORS[i % len(COLORS)], DASHES[i % len(DASHES)]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        points = " ".join(f"{x_at(x):.1f},{y_at(y):.1f}" for x, y in line.points)
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                    f'stroke-width="2"{dashes}/>')
        for x, y in line.points:
            body.append(f'<circle cx="{x_at(x):.1f}" cy="{y_at(y):.1f}" r="3.5" fill="{color}">'
                        f"<title>{escape(f'{line.label}: {_number(x)}, {y:.3g}')}</title>"
                        "</circle>")
        legend_y = top + 8 + 20 * i
        legend_x = left + inner_w + 16
        body.append(f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="{legend_y}" '
                    f'y2="{legend_y}" stroke="{color}" stroke-width="2"{dashes}/>')
        body.append(_text(legend_x + 30, legend_y + 4, line.label))
    return _document(height, title, body)


def bar_plot_svg(title: str, value_label: str, bars: Sequence[tuple[str, float]]) -> str:
    """One horizontal bar per (label, value): labels of any length and number stay legible."""
    label_w = min(260, 16 + 7 * max((len(label) for label, _ in bars), default=0))
    top, row, bottom = 40, 24, 48
    height = top + row * len(bars) + bottom
    inner_w = WIDTH - label_w - 70  # room for the value after the longest bar
    end, ticks = _value_axis(max((value for _, value in bars), default=0.0))
    body = []
    for tick in ticks:
        x = label_w + inner_w * tick / end
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + row * len(bars)}" '
                    'stroke="#ddd"/>')
        body.append(_text(x, top + row * len(bars) + 16, _number(tick), 'text-anchor="middle"'))
    for i, (label, value) in enumerate(bars):
        y = top + row * i
        width = inner_w * value / end
        body.append(_text(label_w - 8, y + row / 2 + 4, label, 'text-anchor="end"'))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" '
                    f"fill={quoteattr(COLORS[0])}/>")
        body.append(_text(label_w + width + 6, y + row / 2 + 4, f"{value:.3g}"))
    body.append(_text(label_w + inner_w / 2, height - 10, value_label, 'text-anchor="middle"'))
    return _document(height, title, body)
