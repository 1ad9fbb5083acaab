"""The three charts of the HTML report, drawn as inline SVG by hand.

Why not matplotlib: the report needs three fixed chart shapes (a histogram with a shaded band,
dots with interval whiskers, and the same with percentile marks). Drawing them directly is a
couple of hundred lines, adds no dependency (matplotlib is ~40 MB and an optional extra the
report would have to work without), renders the same bytes for the same results (matplotlib's
SVG carries ids and metadata that change), scales with the page through `viewBox`, and uses
real `<text>` in the page's own font, so the charts look like part of the page.

Every function returns an `<svg>` element as a string, with a `<title>` for screen readers.
No `xmlns`: inside HTML the parser puts `<svg>` in the SVG namespace itself, and the page
then contains no URL at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#3b6ea8", "#d9822b", "#3a9a5b", "#c44e52", "#7d63b3", "#8c6d46", "#d16ba5",
           "#6b7b8c")
INK, MUTED, GRID, BAND = "#1f2933", "#6b7785", "#e3e7ec", "#cdebd6"
FONT = 12
WIDTH = 920  # the page's text column: charts draw at 1:1, so their text matches the page's


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1, 2 or 5 × 10^k step giving about `target_ticks` ticks over `span`."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(target_ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def ticks(lo: float, hi: float, target_ticks: int = 5) -> list[float]:
    step = nice_step(hi - lo, target_ticks)
    first = math.ceil(lo / step - 1e-9) * step
    out, v = [], first
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def fmt_tick(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:g}"


def _open(width: int, height: int, title: str, css_class: str) -> list[str]:
    return [f'<svg class="{css_class}" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(title)}" '
            f'font-family="inherit" font-size="{FONT}">',
            f"<title>{escape(title)}</title>"]


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float
    left: float
    right: float

    def __call__(self, v: float) -> float:
        if self.hi == self.lo:
            return (self.left + self.right) / 2
        return self.left + (v - self.lo) / (self.hi - self.lo) * (self.right - self.left)


def _f(v: float) -> str:
    return f"{v:.1f}"


# -- histogram ----------------------------------------------------------------------------------
def histogram_domain(values: Sequence[float], band: tuple[float | None, float | None],
                     target: float | None) -> tuple[float, float]:
    """The x range a set of histograms shares: the data, the band and the target."""
    points = [*values, *(b for b in band if b is not None)]
    if target is not None:
        points.append(target)
    if not points:
        return (0.0, 1.0)
    return (min(points), max(points))


def histogram(values: Sequence[float], *, domain: tuple[float, float],
              band: tuple[float | None, float | None] = (None, None),
              target: float | None = None, unit: str = "", title: str = "",
              fill: str = PALETTE[0], width: int = WIDTH, height: int = 180) -> str:
    """Counts of `values` in bins of a 1-2-5 width, with the target band shaded.

    Integer data (lengths) is binned so that each integer k owns [k, k+1): a bin of width w
    holds w whole lengths, the band min..max (inclusive) covers exactly the lengths that pass,
    and the target line stands in the middle of its length's cell.
    """
    integral = all(float(v).is_integer() for v in values) and all(
        b is None or float(b).is_integer() for b in (*band, target))
    lo, hi = domain
    extra = 1.0 if integral else 0.0
    width_bins = nice_step(max(hi + extra - lo, 1e-9), 24)
    if integral:
        width_bins = max(1.0, round(width_bins))
    start = math.floor(lo / width_bins) * width_bins
    n_bins = max(1, math.ceil((hi + extra - start) / width_bins - 1e-9))
    if not integral and start + n_bins * width_bins <= hi:
        n_bins += 1
    counts = [0] * n_bins
    for v in values:
        i = min(n_bins - 1, max(0, int((v - start) // width_bins)))
        counts[i] += 1
    end = start + n_bins * width_bins

    left, right, top, bottom = 44, width - 12, 14, height - 38
    x = Scale(start, end, left, right)
    peak = max(counts) if counts and max(counts) > 0 else 1
    y_ticks = [t for t in ticks(0, peak, 4) if float(t).is_integer()] or [0, peak]
    y_top = max(peak, y_ticks[-1])
    y = Scale(0, y_top, bottom, top)
    out = _open(width, height, title or "histogram", "chart histogram")
    for t in y_ticks:
        out.append(f'<line x1="{left}" x2="{right}" y1="{_f(y(t))}" y2="{_f(y(t))}" '
                   f'stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{_f(y(t) + 4)}" text-anchor="end" '
                   f'fill="{MUTED}">{fmt_tick(t)}</text>')
    b_lo = band[0] if band[0] is not None else start
    b_hi = (band[1] + extra) if band[1] is not None else end
    if band != (None, None):
        bx0, bx1 = x(max(b_lo, start)), x(min(b_hi, end))
        out.append(f'<rect class="band" x="{_f(bx0)}" y="{top}" width="{_f(max(bx1 - bx0, 1))}" '
                   f'height="{bottom - top}" fill="{BAND}"><title>within bounds: '
                   f'{fmt_tick(b_lo)}–{fmt_tick(b_hi - extra)} {escape(unit)}</title></rect>')
    for i, c in enumerate(counts):
        if not c:
            continue
        x0, x1 = x(start + i * width_bins), x(start + (i + 1) * width_bins)
        gap = 1 if x1 - x0 > 3 else 0
        lo_v = start + i * width_bins
        label = (fmt_tick(lo_v) if integral and width_bins == 1 else
                 f"{fmt_tick(lo_v)}–{fmt_tick(lo_v + width_bins - extra)}")
        out.append(f'<rect class="bar" x="{_f(x0 + gap / 2)}" y="{_f(y(c))}" '
                   f'width="{_f(max(x1 - x0 - gap, 0.5))}" height="{_f(bottom - y(c))}" '
                   f'fill="{fill}" fill-opacity="0.85"><title>{label} {escape(unit)}: {c}</title></rect>')
    if target is not None:
        tx = x(target + extra / 2)
        out.append(f'<line class="target" x1="{_f(tx)}" x2="{_f(tx)}" y1="{top - 4}" '
                   f'y2="{bottom}" stroke="{INK}" stroke-dasharray="4 3"/>')
        out.append(f'<text x="{_f(tx + 4)}" y="{top + 6}" fill="{INK}">target '
                   f'{fmt_tick(target)}</text>')
    out.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{MUTED}"/>')
    for t in ticks(start, end - extra if integral else end, 6):
        tx = x(t + extra / 2)
        if left - 1 <= tx <= right + 1:
            out.append(f'<line x1="{_f(tx)}" x2="{_f(tx)}" y1="{bottom}" y2="{bottom + 4}" '
                       f'stroke="{MUTED}"/>')
            out.append(f'<text x="{_f(tx)}" y="{bottom + 16}" text-anchor="middle" '
                       f'fill="{MUTED}">{fmt_tick(t)}</text>')
    out.append(f'<text x="{(left + right) / 2}" y="{height - 4}" text-anchor="middle" '
               f'fill="{MUTED}">{escape(unit or "value")}</text>')
    out.append("</svg>")
    return "\n".join(out)


# -- dots with intervals ----------------------------------------------------------------------
@dataclass(frozen=True)
class IntervalRow:
    """One row of an interval chart: a dot at `value`, a whisker over `ci`, optional marks."""

    label: str
    value: float | None
    ci: tuple[float, float] | None = None
    colour: str = PALETTE[0]
    group: str | None = None
    marks: tuple[tuple[str, float], ...] = ()  # (name, value): drawn as a tick, then diamonds


def interval_chart(rows: Sequence[IntervalRow], *, domain: tuple[float, float] | None = None,
                   percent: bool = False, title: str = "", axis_label: str = "",
                   width: int = WIDTH, label_width: int = 220) -> str:
    """A dot-and-whisker chart: one row per entry, grouped under `group` headings."""
    row_h, head_h = 22, 20
    values = [v for r in rows for v in (r.value, *(r.ci or ()), *(m for _, m in r.marks))
              if v is not None and math.isfinite(v)]
    if domain is None:
        lo = min(0.0, *values) if values else 0.0
        hi = max(values) if values else 1.0
        domain = (lo, hi * 1.08 if hi > 0 else 1.0)
    groups: list[str | None] = []
    for r in rows:
        if r.group not in groups:
            groups.append(r.group)
    n_heads = sum(1 for g in groups if g)
    top = 10
    height = top + len(rows) * row_h + n_heads * head_h + 40
    left, right = label_width, width - 16
    x = Scale(domain[0], domain[1], left, right)
    bottom = height - 30
    out = _open(width, height, title or "intervals", "chart intervals")
    axis_ticks = ticks(domain[0], domain[1], 5)
    for t in axis_ticks:
        out.append(f'<line x1="{_f(x(t))}" x2="{_f(x(t))}" y1="{top}" y2="{bottom}" '
                   f'stroke="{GRID}"/>')
        out.append(f'<text x="{_f(x(t))}" y="{bottom + 16}" text-anchor="middle" '
                   f'fill="{MUTED}">{fmt_tick(t, percent)}</text>')
    if axis_label:
        out.append(f'<text x="{(left + right) / 2}" y="{height - 2}" text-anchor="middle" '
                   f'fill="{MUTED}">{escape(axis_label)}</text>')
    yy = top
    for g in groups:
        if g:
            out.append(f'<text x="4" y="{yy + 14}" font-weight="600" fill="{INK}">'
                       f'{escape(g)}</text>')
            yy += head_h
        for r in (r for r in rows if r.group == g):
            cy = yy + row_h / 2
            out.append(f'<text x="{label_width - 10}" y="{_f(cy + 4)}" text-anchor="end" '
                       f'fill="{INK}">{escape(_clip(r.label, 30))}</text>')
            shown = "–" if r.value is None else fmt_tick(round(r.value, 4), False)
            if r.value is not None and percent:
                shown = f"{r.value:.1%}"
            tip = f"{r.label}: {shown}"
            if r.ci:
                ci_text = (f"{r.ci[0]:.1%}–{r.ci[1]:.1%}" if percent
                           else f"{r.ci[0]:.3g}–{r.ci[1]:.3g}")
                tip += f" (95% interval {ci_text})"
                out.append(f'<line class="whisker" x1="{_f(x(r.ci[0]))}" x2="{_f(x(r.ci[1]))}" '
                           f'y1="{_f(cy)}" y2="{_f(cy)}" stroke="{r.colour}" stroke-width="2.5" '
                           f'stroke-linecap="round" opacity="0.55"/>')
            for k, (name, v) in enumerate(r.marks):
                tip += f"; {name} {v:.3g}"
                shape = (f"M{_f(x(v))} {_f(cy - 7)} v14" if k == 0 else  # a tick, then diamonds
                         f"M{_f(x(v))} {_f(cy - 5)} l5 5 l-5 5 l-5 -5 z")
                out.append(f'<path class="mark" d="{shape}" stroke="{r.colour}" '
                           f'stroke-width="2" fill="white"><title>{escape(name)} '
                           f'{v:.3g}</title></path>')
            if r.value is not None:
                out.append(f'<circle class="dot" cx="{_f(x(r.value))}" cy="{_f(cy)}" r="5" '
                           f'fill="{r.colour}"><title>{escape(tip)}</title></circle>')
            yy += row_h
    out.append("</svg>")
    return "\n".join(out)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- a line over steps --------------------------------------------------------------------------
def line_chart(points: Sequence[tuple[float, float | None]], *, title: str = "",
               x_label: str = "step", y_label: str = "", percent: bool = False,
               domain: tuple[float, float] | None = None, colour: str = PALETTE[0],
               width: int = WIDTH, height: int = 200) -> str:
    """`points` (x, y) joined by a line, a dot at each; a None y leaves a gap in the line."""
    known = [(x, y) for x, y in points if y is not None and math.isfinite(y)]
    xs = [x for x, _ in points] or [0.0, 1.0]
    if domain is None:
        ys = [y for _, y in known] or [0.0, 1.0]
        lo, hi = min(ys), max(ys)
        pad = (hi - lo) * 0.08 or 0.5
        domain = (lo - pad, hi + pad)
    left, right, top, bottom = 52, width - 16, 12, height - 38
    x = Scale(min(xs), max(xs), left, right)
    y = Scale(domain[0], domain[1], bottom, top)
    out = _open(width, height, title or "line", "chart line")
    for t in ticks(domain[0], domain[1], 4):
        if domain[0] - 1e-9 <= t <= domain[1] + 1e-9:
            out.append(f'<line x1="{left}" x2="{right}" y1="{_f(y(t))}" y2="{_f(y(t))}" '
                       f'stroke="{GRID}"/>')
            out.append(f'<text x="{left - 6}" y="{_f(y(t) + 4)}" text-anchor="end" '
                       f'fill="{MUTED}">{fmt_tick(t, percent)}</text>')
    for t in ticks(min(xs), max(xs), 8):
        if float(t).is_integer():
            out.append(f'<text x="{_f(x(t))}" y="{bottom + 16}" text-anchor="middle" '
                       f'fill="{MUTED}">{fmt_tick(t)}</text>')
    out.append(f'<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{MUTED}"/>')
    runs: list[list[tuple[float, float]]] = [[]]
    for px, py in points:
        if py is None or not math.isfinite(py):
            runs.append([])
        else:
            runs[-1].append((px, py))
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{_f(x(px))} {_f(y(py))}"
                            for i, (px, py) in enumerate(run))
            out.append(f'<path class="series" d="{path}" fill="none" stroke="{colour}" '
                       f'stroke-width="2"/>')
    for px, py in known:
        shown = f"{py:.1%}" if percent else f"{py:.3g}"
        out.append(f'<circle class="point" cx="{_f(x(px))}" cy="{_f(y(py))}" r="2.5" '
                   f'fill="{colour}"><title>{escape(x_label)} {fmt_tick(px)}: {shown}'
                   f'</title></circle>')
    out.append(f'<text x="{(left + right) / 2}" y="{height - 4}" text-anchor="middle" '
               f'fill="{MUTED}">{escape(x_label)}</text>')
    if y_label:
        out.append(f'<text x="12" y="{(top + bottom) / 2}" text-anchor="middle" '
                   f'fill="{MUTED}" transform="rotate(-90 12 {(top + bottom) / 2})">'
                   f'{escape(y_label)}</text>')
    out.append("</svg>")
    return "\n".join(out)
