"""A patient's timeline as plain SVG (decision 1005): lanes sharing one time axis.

From the top: each visit's category on a band (progression marked by a red line across every lane,
a triangle and its name, never by colour alone); one small panel per followed marker group, each
on its own axis and unit (free light chains, NT-proBNP, proteinuria, eGFR; M-protein for myeloma);
exposure per drug (bars for dosing periods, a triangle and the new dose at each reduction or
increase, a break mark at each interruption); adverse events on one row per CTCAE grade, serious
ones outlined. The SVG has a ``<title>`` and a ``<desc>`` that says in words what it shows, every
mark a ``<title>``; the page's tables repeat all of it as text. Text is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

WIDTH: Final = 760
LEFT, RIGHT = 96, 16
BAND_H: Final = 54
PANEL_H: Final = 84
PLOT_H: Final = 56
ROW_H: Final = 16
GRADE_H: Final = 10
AXIS_H: Final = 28
COLOURS: Final = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b")
DASHES: Final = ("", "5,3", "2,2", "8,3,2,3", "1,3")
PROGRESSION_COLOUR: Final = "#c00000"
GRADE_COLOURS: Final = ("#f2d16b", "#f0a04b", "#e0603a", "#b8202a", "#4a0d12")


@dataclass(frozen=True, slots=True)
class Panel:
    """One marker panel: the codes drawn on it share its axis and unit."""

    title: str
    codes: tuple[str, ...]
    log: bool = True


#: Marker panels per disease: each unit on its own axis (display only).
PANELS: Final[dict[str, tuple[Panel, ...]]] = {
    "al": (
        Panel("Free light chains, mg/L (log)", ("FLCKAP", "FLCLAM")),
        Panel("NT-proBNP, ng/L (log)", ("NTPROBNP",)),
        Panel("Proteinuria, g/24 h", ("PROT24H",), log=False),
        Panel("eGFR, mL/min/1.73 m²", ("EGFR",), log=False),
    ),
    "mm": (
        Panel("Serum M-protein, g/dL", ("SPEPMP",), log=False),
        Panel("Urine M-protein, mg/24 h", ("UPEPMP",), log=False),
        Panel("Free light chains, mg/L (log)", ("FLCKAP", "FLCLAM")),
    ),
}


@dataclass(frozen=True, slots=True)
class DosePeriod:
    """Consecutive EX records of one drug at one dose, without an interruption between them."""

    drug: str
    dose: float | None
    unit: str | None
    start: str
    end: str
    records: int
    change: str | None = None  # "reduced" / "increased" against the drug's previous period
    interrupted: bool = False  # an interruption (a gap longer than planned) just before it
    gap_days: int | None = None  # days without the drug before it


@dataclass(frozen=True, slots=True)
class AdverseEvent:
    """One AE record: term, CTCAE grade, dates, seriousness, action taken."""

    term: str
    grade: int | None
    start: str | None
    end: str | None
    serious: bool
    action: str | None = None


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


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _fmt(v: float) -> str:
    return f"{v:.3g}"


@dataclass(frozen=True, slots=True)
class _Axis:
    d0: dt.date
    span: int

    def x(self, d: dt.date) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (d - self.d0).days / self.span


def _ticks(d0: dt.date, d1: dt.date) -> list[dt.date]:
    """First days of months, spaced so that at most about eight are drawn."""
    months = (d1.year - d0.year) * 12 + d1.month - d0.month
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8), 120)
    out: list[dt.date] = []
    m = d0.year * 12 + d0.month - 1
    while True:
        m += 1
        tick = dt.date(m // 12, m % 12 + 1, 1)
        if tick > d1:
            return out
        if (m % step) == 0 if step < 12 else (tick.month == 1 and tick.year % (step // 12) == 0):
            out.append(tick)


def _onsets(visits: Sequence[tuple[dt.date, str]], progression: str | None) -> set[dt.date]:
    """Visits called progression whose previous visit was not (a triangle marks each)."""
    out, before = set(), None
    for d, cat in visits:
        if cat == progression and before != progression:
            out.add(d)
        before = cat
    return out


def _band_lane(
    y0: float, axis: _Axis, visits: list[tuple[dt.date, str]], categories: Sequence[str],
    label: str,
) -> list[str]:
    parts = [f'<text x="4" y="{y0 + 31}" font-size="11" font-weight="bold">'
             f"{escape(label)}</text>"]
    progression = categories[-2] if len(categories) >= 3 else None
    for i, (d, cat) in enumerate(visits):
        end = visits[i + 1][0] if i + 1 < len(visits) else d
        width = max(axis.x(end) - axis.x(d), 4.0)
        parts.append(
            f'<rect x="{axis.x(d):.1f}" y="{y0 + 34}" width="{width:.1f}" height="14" '
            f'fill="{band_colour(cat, categories)}" opacity="0.45" class="band">'
            f"<title>{escape(cat)} from {d.isoformat()}</title></rect>"
        )
    onsets = _onsets(visits, progression)
    last_x, raised = -1e9, False
    for d, cat in visits:
        x = axis.x(d)
        raised = (x - last_x < 6 * len(cat) + 6) and not raised  # crowded: alternate rows
        last_x = x
        text = (f'<text x="{x:.1f}" y="{y0 + (22 if raised else 31)}" font-size="10" '
                f'text-anchor="middle" class="call">{escape(cat)}</text>')
        parts.append(f'<a href="#visit-{d.isoformat()}">{text}</a>')
        if d in onsets:
            parts.append(
                f'<path d="M{x - 5:.1f},{y0 + 2} L{x + 5:.1f},{y0 + 2} L{x:.1f},{y0 + 10} Z" '
                f'fill="{PROGRESSION_COLOUR}" class="progression">'
                f"<title>progression ({escape(cat)}) on {d.isoformat()}</title></path>"
            )
    return parts


def _panel(
    y0: float, axis: _Axis, panel: Panel, points: list[tuple[str, dt.date, float]],
    colour_of: Callable[[str], tuple[str, str]],
) -> list[str]:
    mine = [(c, d, v) for c, d, v in points if c in panel.codes and (v > 0 or not panel.log)]
    top, bottom = y0 + 18, y0 + 18 + PLOT_H
    parts = [
        f'<g class="panel" data-panel="{escape(panel.title)}">',
        f'<text x="4" y="{y0 + 12}" font-size="11" font-weight="bold">{escape(panel.title)}</text>',
        f'<line x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" stroke="#ccc"/>',
    ]
    if not mine:
        parts.append(f'<text x="{LEFT + 8}" y="{top + 30}" font-size="10" fill="#555">'
                     "not measured</text></g>")
        return parts
    tf: Callable[[float], float] = math.log10 if panel.log else float
    lo, hi = min(tf(v) for _, _, v in mine), max(tf(v) for _, _, v in mine)
    if not panel.log:
        lo = min(lo, 0.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5

    def y(v: float) -> float:
        return bottom - PLOT_H * (tf(v) - lo) / (hi - lo)

    back: Callable[[float], float] = (lambda t: 10**t) if panel.log else float
    parts.append(
        f'<text x="{LEFT - 4}" y="{top + 4}" font-size="10" text-anchor="end">'
        f"{_fmt(back(hi))}</text>"
        f'<text x="{LEFT - 4}" y="{bottom}" font-size="10" text-anchor="end">'
        f"{_fmt(back(lo))}</text>"
    )
    for code in panel.codes:
        series = sorted((d, v) for c, d, v in mine if c == code)
        if not series:
            continue
        colour, dash = colour_of(code)
        path = " ".join(f"{axis.x(d):.1f},{y(v):.1f}" for d, v in series)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
            f'stroke-dasharray="{dash}" points="{path}" data-marker="{escape(code)}"/>'
        )
        parts += [
            f'<circle cx="{axis.x(d):.1f}" cy="{y(v):.1f}" r="2" fill="{colour}">'
            f"<title>{escape(code)} {_fmt(v)} on {d.isoformat()}</title></circle>"
            for d, v in series
        ]
        last_d, last_v = series[-1]
        parts.append(f'<text x="{min(axis.x(last_d) + 4, WIDTH - RIGHT - 40):.1f}" '
                     f'y="{y(last_v) - 3:.1f}" font-size="9" fill="{colour}">'
                     f"{escape(code)}</text>")
    parts.append("</g>")
    return parts


def _exposure_lane(
    y0: float, axis: _Axis, doses: Sequence[DosePeriod], d1: dt.date
) -> list[str]:
    drugs = list(dict.fromkeys(p.drug for p in doses))
    parts = [
        '<g class="exposure">',
        f'<text x="4" y="{y0 + 12}" font-size="11" font-weight="bold">Exposure '
        "(▼ reduced, ▲ increased, ‖ interrupted)</text>",
    ]
    for i, drug in enumerate(drugs):
        yr = y0 + 18 + i * ROW_H
        top_dose = max((p.dose or 0.0) for p in doses if p.drug == drug) or 1.0
        parts.append(f'<text x="{LEFT - 4}" y="{yr + 9}" font-size="9" text-anchor="end">'
                     f"{escape(drug[:16])}</text>")
        for k, p in enumerate(q for q in doses if q.drug == drug):
            start, end = _day(p.start), _day(p.end) or _day(p.start)
            if start is None or end is None:
                continue
            x0 = axis.x(start)
            x1 = axis.x(min(end + dt.timedelta(days=1), d1))
            share = 0.35 + 0.65 * (p.dose or 0.0) / top_dose
            dose = "" if p.dose is None else f"{p.dose:g} {p.unit or ''}".strip()
            parts.append(
                f'<rect x="{x0:.1f}" y="{yr}" width="{max(x1 - x0, 1.5):.1f}" height="10" '
                f'fill="{COLOURS[i % len(COLOURS)]}" opacity="{share:.2f}" class="dose">'
                f"<title>{escape(drug)} {escape(dose)} {p.start} to {p.end}</title></rect>"
            )
            if p.change is not None:
                glyph = "▼" if p.change == "reduced" else "▲"
                parts.append(
                    f'<text x="{x0:.1f}" y="{yr + 9}" font-size="9" class="dose-change">'
                    f"{glyph}{escape(dose)}<title>{escape(drug)} {p.change} to {escape(dose)} "
                    f"on {p.start}</title></text>"
                )
            elif k == 0 and dose:
                parts.append(f'<text x="{x0 + 2:.1f}" y="{yr + 9}" font-size="8">'
                             f"{escape(dose)}</text>")
            if p.interrupted:
                parts.append(
                    f'<text x="{x0 - 4:.1f}" y="{yr + 9}" font-size="10" font-weight="bold" '
                    f'class="interruption">‖<title>{escape(drug)} interrupted: '
                    f"{p.gap_days} days without it before {p.start}</title></text>"
                )
    parts.append("</g>")
    return parts


def _ae_lane(y0: float, axis: _Axis, events: Sequence[AdverseEvent], d1: dt.date) -> list[str]:
    parts = [
        '<g class="adverse-events">',
        f'<text x="4" y="{y0 + 12}" font-size="11" font-weight="bold">Adverse events by CTCAE '
        "grade (row = grade; outlined = serious)</text>",
    ]
    base = y0 + 18
    for g in range(5, 0, -1):
        yr = base + (5 - g) * GRADE_H
        parts.append(f'<text x="{LEFT - 4}" y="{yr + 8}" font-size="8" text-anchor="end">'
                     f"G{g}</text>")
    for e in events:
        start = _day(e.start)
        if start is None or e.grade is None or not 1 <= e.grade <= 5:
            continue
        end = _day(e.end)
        yr = base + (5 - e.grade) * GRADE_H
        x0 = axis.x(start)
        x1 = axis.x(min((end or d1) + dt.timedelta(days=1), d1))
        outline = ' stroke="#000" stroke-width="1.5"' if e.serious else ""
        words = (f"{e.term}, grade {e.grade}{', serious' if e.serious else ''}, {e.start} to "
                 f"{e.end or 'ongoing'}")
        parts.append(
            f'<rect x="{x0:.1f}" y="{yr + 1}" width="{max(x1 - x0, 3.0):.1f}" height="8" '
            f'fill="{GRADE_COLOURS[e.grade - 1]}"{outline} '
            f'class="ae{" serious" if e.serious else ""}" data-grade="{e.grade}">'
            f"<title>{escape(words)}</title></rect>"
        )
    parts.append("</g>")
    return parts


def describe(
    visits: Sequence[tuple[dt.date, str]],
    categories: Sequence[str],
    doses: Sequence[DosePeriod],
    events: Sequence[AdverseEvent],
) -> str:
    """The timeline in words (the SVG's ``<desc>``)."""
    parts = [f"{len(visits)} assessed visits"]
    progression = categories[-2] if len(categories) >= 3 else None
    n_pd = sum(c == progression for _, c in visits)
    onsets = ", ".join(d.isoformat() for d in sorted(_onsets(visits, progression)))
    parts.append(f"progression ({progression}) from {onsets} ({n_pd} visits called "
                 f"{progression})" if n_pd else "no progression")
    changes = [f"{p.drug} {p.change} to {p.dose:g} {p.unit or ''} on {p.start}".replace("  ", " ")
               for p in doses if p.change is not None and p.dose is not None]
    n_int = sum(p.interrupted for p in doses)
    if doses:
        parts.append(f"dose changes: {'; '.join(changes) if changes else 'none'}; "
                     f"{n_int} interruption{'s' if n_int != 1 else ''}")
    if events:
        grades = [e.grade for e in events if e.grade is not None]
        worst = f", worst grade {max(grades)}" if grades else ""
        serious = sum(e.serious for e in events)
        parts.append(f"{len(events)} adverse events{worst}, {serious} serious")
    return ". ".join(parts) + "."


def render_timeline(
    markers: Sequence[tuple[str, str, float]],
    calls: Sequence[tuple[str, str]],
    *,
    title: str,
    categories: Sequence[str] = (),
    panels: Sequence[Panel] | None = None,
    doses: Sequence[DosePeriod] = (),
    events: Sequence[AdverseEvent] = (),
    response_label: str = "Response",
) -> str:
    """SVG of ``calls`` (ISO date, category: a band coloured by the category's rank in
    ``categories``, best first, then progression and not evaluable), ``markers`` (code, ISO
    date, value) on ``panels`` (DEFAULT: one log panel per code), exposure ``doses`` and
    adverse ``events``, all on one time axis."""
    points = [(c, d, v) for c, t, v in markers if (d := _day(t)) is not None]
    visits = sorted((d, cat) for t, cat in calls if (d := _day(t)) is not None)
    days = [d for _, d, _ in points] + [d for d, _ in visits]
    days += [d for p in doses for d in (_day(p.start), _day(p.end)) if d is not None]
    days += [d for e in events for d in (_day(e.start), _day(e.end)) if d is not None]
    if panels is None:
        panels = [Panel(c, (c,)) for c in dict.fromkeys(c for c, _, _ in points)]
    extra = [c for c in dict.fromkeys(c for c, _, _ in points)
             if not any(c in p.codes for p in panels)]
    panels = [*panels, *(Panel(c, (c,)) for c in extra)]
    drugs = len({p.drug for p in doses})
    height = (BAND_H + PANEL_H * len(panels) + (18 + ROW_H * drugs + 6 if doses else 0)
              + (18 + 5 * GRADE_H + 6 if events else 0) + AXIS_H)
    summary = describe(visits, categories, doses, events)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="timeline-title timeline-desc" class="timeline">'
        f'<title id="timeline-title">{escape(title)}</title>'
        f'<desc id="timeline-desc">{escape(summary)}</desc>'
    )
    if not days:
        return head + '<text x="20" y="40">no dated markers or calls</text></svg>'
    d0, d1 = min(days), max(days)
    axis = _Axis(d0, max((d1 - d0).days, 1))
    codes = list(dict.fromkeys(c for p in panels for c in p.codes))

    def colour_of(code: str) -> tuple[str, str]:
        i = codes.index(code)
        return COLOURS[i % len(COLOURS)], DASHES[i % len(DASHES)]

    parts = [head, *_band_lane(0, axis, visits, categories, response_label)]
    y = float(BAND_H)
    for panel in panels:
        parts += _panel(y, axis, panel, points, colour_of)
        y += PANEL_H
    if doses:
        parts += _exposure_lane(y, axis, doses, d1)
        y += 18 + ROW_H * drugs + 6
    if events:
        parts += _ae_lane(y, axis, events, d1)
        y += 18 + 5 * GRADE_H + 6
    parts += _visit_lines(axis, visits, categories, y)
    parts += _time_axis(axis, d0, d1, y)
    parts.append("</svg>")
    return "".join(parts)


def _visit_lines(
    axis: _Axis, visits: Sequence[tuple[dt.date, str]], categories: Sequence[str], bottom: float
) -> list[str]:
    progression = categories[-2] if len(categories) >= 3 else None
    out = []
    onsets = _onsets(visits, progression)
    for d, cat in visits:
        x = axis.x(d)
        if cat == progression:
            style = ('stroke-width="2"' if d in onsets
                     else 'stroke-width="1" stroke-dasharray="4,3" opacity="0.6"')
            out.append(f'<line x1="{x:.1f}" y1="{BAND_H - 6}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       f'stroke="{PROGRESSION_COLOUR}" {style} class="progression-line"/>')
        else:
            out.append(f'<line x1="{x:.1f}" y1="{BAND_H - 6}" x2="{x:.1f}" y2="{bottom:.1f}" '
                       'stroke="#ccc" stroke-dasharray="2,2"/>')
    return out


def _time_axis(axis: _Axis, d0: dt.date, d1: dt.date, y: float) -> list[str]:
    out = [f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#555"/>',
           f'<text x="{LEFT}" y="{y + 22:.1f}" font-size="10">{d0.isoformat()}</text>',
           f'<text x="{WIDTH - RIGHT}" y="{y + 22:.1f}" font-size="10" text-anchor="end">'
           f"{d1.isoformat()}</text>"]
    for tick in _ticks(d0, d1):
        x = axis.x(tick)
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" '
                   'stroke="#555"/>'
                   f'<text x="{x:.1f}" y="{y + 12:.1f}" font-size="8" text-anchor="middle">'
                   f"{tick.strftime('%Y-%m')}</text>")
    return out
