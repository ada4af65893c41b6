"""Time-series charts of the area reports, as inline SVG (no script, no style attributes).

The SVG uses presentation attributes only (``fill``, ``stroke`` …), so it renders under the
web atlas's Content-Security-Policy (no inline styles) as well as in headless chromium's
print-to-PDF. Every text is XML-escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass
class Line:
    """One line of a chart: its legend label and one value per period (``None`` = gap).

    Attributes
    ----------
    label
        Legend text (the area's name).
    values
        One value per period of the chart; ``None`` for a missing or suppressed figure.
    """

    label: str
    values: list[float | None]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round axis ticks covering ``lo .. hi`` (about ``n`` of them).

    Examples
    --------
    >>> nice_ticks(3.2, 17.9)
    [0.0, 5.0, 10.0, 15.0, 20.0]
    >>> nice_ticks(95.0, 112.0, 4)
    [90.0, 100.0, 110.0, 120.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) * 0.1 or 1.0)
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start, end = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return [float(round(start + i * step, 10)) for i in range(round((end - start) / step) + 1)]


def line_chart(periods: Sequence[str], lines: Sequence[Line], *, y_label: str,
               fmt: Callable[[float], str], colours: Sequence[str], title: str = "",
               width: int = 640, height: int = 230) -> Markup:
    """A line chart of one indicator over time as inline SVG.

    Parameters
    ----------
    periods
        X-axis labels in order; when each ends in a year (``2019``, ``2018-2022``) the points
        are placed by that year, so that gaps in the series show as gaps.
    lines
        One :class:`Line` per area (the report's area first, then its comparison areas).
    y_label
        Unit of the y-axis (e.g. ``%``).
    fmt
        Formats a tick value (the report's number notation).
    colours
        Stroke colour per line (cycled).
    title
        Accessible title of the SVG.
    width, height
        Size of the drawing in SVG units (it scales to the page width).

    Returns
    -------
    markupsafe.Markup
        ``<svg …>…</svg>``, safe to put in a Jinja template as is.

    Examples
    --------
    >>> svg = line_chart(["2019", "2020"], [Line("Aalst", [1.0, 2.0])], y_label="%",
    ...                  fmt=str, colours=["#000"])
    >>> svg.startswith("<svg") and "Aalst" in svg
    True
    """
    left, right, top, bottom = 58, 14, 22, 44 + 16 * ((len(lines) + 1) // 2)
    h_total = height + bottom - 44
    pw, ph = width - left - right, height - top - 44
    vals = [v for ln in lines for v in ln.values if v is not None and math.isfinite(v)]
    ticks = nice_ticks(min(vals), max(vals)) if vals else [0.0, 1.0]
    y0, y1 = ticks[0], ticks[-1]
    n = len(periods)
    years = [float(str(p)[-4:]) for p in periods if str(p)[-4:].isdigit()]
    pos = years if len(years) == n else [float(i) for i in range(n)]
    span = (pos[-1] - pos[0]) if n > 1 and pos[-1] > pos[0] else 0.0

    def x(i: int) -> float:
        return left + (pw * (pos[i] - pos[0]) / span if span else pw / 2)

    def y(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1.0) * ph

    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h_total}" role="img" '
            f'class="chart" font-family="DejaVu Sans, sans-serif" font-size="11">'),
           f"<title>{escape(title)}</title>"]
    for t in ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#dddddd" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" fill="#444444">'
                   f"{escape(fmt(t))}</text>")
    out.append(f'<text x="{left}" y="{top - 8}" fill="#444444">{escape(y_label)}</text>')
    every = max(1, math.ceil(n / 12))
    for i, p in enumerate(periods):
        if i % every == 0 or i == n - 1:
            out.append(f'<text x="{x(i):.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#444444">'
                       f"{escape(p)}</text>")
    out.append(f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#888888"/>')
    for k, ln in enumerate(lines):
        col = colours[k % len(colours)] if colours else "#333333"
        run: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(ln.values):
            if v is None or not math.isfinite(v):
                if run:
                    segments.append(run)
                run = []
                continue
            run.append(f"{x(i):.1f},{y(v):.1f}")
            out.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.6" fill="{col}"/>')
        if run:
            segments.append(run)
        for seg in segments:
            if len(seg) > 1:
                out.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{col}" stroke-width="2"/>')
        lx = left + (k % 2) * (pw / 2)
        ly = top + ph + 34 + 16 * (k // 2)
        out.append(f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly - 4}" y2="{ly - 4}" stroke="{col}" '
                   'stroke-width="3"/>')
        out.append(f'<text x="{lx + 24:.1f}" y="{ly}" fill="#222222">{escape(ln.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
