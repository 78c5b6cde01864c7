"""A patient's timeline as plain SVG: followed markers over time and each visit's category."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape
from typing import Final

WIDTH: Final = 760
HEIGHT: Final = 260
LEFT, RIGHT, TOP, BOTTOM = 60, 20, 40, 30
COLOURS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b")


def band_colour(category: str, categories: Sequence[str]) -> str:
    """Colour of a category's band: green (best) to amber by rank; progression red, NE grey."""
    if len(categories) < 3 or category not in categories:
        return "#bbbbbb"
    progression, not_evaluable = categories[-2], categories[-1]
    if category == progression:
        return "#d62728"
    if category == not_evaluable:
        return "#bbbbbb"
    ranked = list(categories[:-2])
    share = ranked.index(category) / max(len(ranked) - 1, 1)
    red = int(44 + (255 - 44) * share)
    green = int(160 + (187 - 160) * share)
    return f"#{red:02x}{green:02x}{44:02x}"


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def render_timeline(
    markers: Sequence[tuple[str, str, float]],
    calls: Sequence[tuple[str, str]],
    *,
    title: str,
    categories: Sequence[str] = (),
) -> str:
    """SVG of ``markers`` (code, ISO date, value; log scale) and ``calls`` (ISO date, category,
    written above the plot at each visit, on a band coloured by the category's rank in
    ``categories``: best response green through amber; the last two, progression and not
    evaluable, red and grey). Text is escaped."""
    points = [(c, d, v) for c, t, v in markers if (d := _day(t)) is not None and v > 0]
    visits = [(d, cat) for t, cat in calls if (d := _day(t)) is not None]
    days = [d for _, d, _ in points] + [d for d, _ in visits]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="timeline">'
        f"<title>{escape(title)}</title>"
    )
    if not days:
        return head + '<text x="20" y="40">no dated markers or calls</text></svg>'
    d0, d1 = min(days), max(days)
    span = max((d1 - d0).days, 1)
    values = [v for _, _, v in points] or [1.0]
    lo, hi = math.log10(min(values)), math.log10(max(values))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5

    def x(d: dt.date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (d - d0).days / span

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (math.log10(v) - lo) / (hi - lo)

    parts = [head]
    parts.append(
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#555"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#555"/>'
        f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="11">{d0.isoformat()}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">'
        f"{d1.isoformat()}</text>"
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end">'
        f"{10 ** hi:.3g}</text>"
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="10" text-anchor="end">'
        f"{10 ** lo:.3g}</text>"
    )
    codes = list(dict.fromkeys(c for c, _, _ in points))
    for i, code in enumerate(codes):
        colour = COLOURS[i % len(COLOURS)]
        series = sorted((d, v) for c, d, v in points if c == code)
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in series)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}" '
            f'data-marker="{escape(code)}"/>'
        )
        parts.append(
            f'<text x="{LEFT + 8 + 90 * i}" y="{TOP - 24}" font-size="11" fill="{colour}">'
            f"{escape(code)}</text>"
        )
    ordered = sorted(visits)
    for i, (d, cat) in enumerate(ordered):
        end = ordered[i + 1][0] if i + 1 < len(ordered) else d
        width = max(x(end) - x(d), 4.0)
        parts.append(
            f'<rect x="{x(d):.1f}" y="{TOP - 20}" width="{width:.1f}" height="14" '
            f'fill="{band_colour(cat, categories)}" opacity="0.45" class="band">'
            f"<title>{escape(cat)} from {d.isoformat()}</title></rect>"
        )
    for d, cat in visits:
        parts.append(
            f'<line x1="{x(d):.1f}" y1="{TOP - 4}" x2="{x(d):.1f}" y2="{HEIGHT - BOTTOM}" '
            'stroke="#ccc" stroke-dasharray="2,2"/>'
            f'<text x="{x(d):.1f}" y="{TOP - 8}" font-size="10" text-anchor="middle" '
            f'class="call">{escape(cat)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
