"""Static figures for the trial report (matplotlib, Agg backend), returned as SVG text.

Renderers take plain data (numpy arrays, small frozen records) so they can be tested without the
estimators, and return self-contained SVG strings that the HTML report inlines (no external image
files, hence no broken links).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6")
RESPONSE_COLOURS = {
    "sCR": "#0b3d20",
    "CR": "#1b7a3d",
    "VGPR": "#4caf50",
    "PR": "#9ccc65",
    "LDPR": "#c5e1a5",
    "MR": "#fff176",
    "SD": "#bdbdbd",
    "NR": "#9e9e9e",
    "PD": "#e53935",
    "NE": "#eeeeee",
}


@dataclass(frozen=True)
class CurveData:
    """One survival curve: step function values with optional confidence band and censor marks."""

    label: str
    time: Sequence[float]
    surv: Sequence[float]
    lower: Sequence[float] | None = None
    upper: Sequence[float] | None = None
    censor_times: Sequence[float] = ()
    censor_surv: Sequence[float] = ()


@dataclass(frozen=True)
class RiskTable:
    """Numbers at risk per curve at common times."""

    times: Sequence[float]
    counts: dict[str, Sequence[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot."""

    label: str
    estimate: float
    lower: float
    upper: float
    n: int | None = None


def to_svg(fig: Figure) -> str:
    """Serialise a figure to an SVG string and close it."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def render_km_plot(
    curves: Sequence[CurveData],
    *,
    risk_table: RiskTable | None = None,
    xlabel: str = "Months",
    ylabel: str = "Probability",
    title: str = "",
    show_ci: bool = True,
    start: float = 1.0,
) -> str:
    """Kaplan-Meier plot with optional CI bands, censor ticks and a number-at-risk table.

    ``start`` is the value at time 0: 1 for survival curves, 0 for a cumulative incidence
    (a rising curve, e.g. of response)."""
    n_rows = len(risk_table.counts) if risk_table else 0
    fig = plt.figure(figsize=(7.2, 4.6 + 0.28 * n_rows))
    grid = fig.add_gridspec(
        2,
        1,
        height_ratios=[4.6, 0.5 + 0.28 * n_rows] if n_rows else [1, 0.001],
        hspace=0.45 if n_rows else 0.0,
    )
    ax = fig.add_subplot(grid[0])
    for i, c in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        t = np.concatenate([[0.0], np.asarray(c.time, dtype=float)])
        s = np.concatenate([[start], np.asarray(c.surv, dtype=float)])
        ax.step(t, s, where="post", color=colour, label=c.label, linewidth=1.6)
        if show_ci and c.lower is not None and c.upper is not None:
            lo = np.concatenate([[start], np.asarray(c.lower, dtype=float)])
            hi = np.concatenate([[start], np.asarray(c.upper, dtype=float)])
            ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0)
        if len(c.censor_times):
            ax.plot(c.censor_times, c.censor_surv, "|", color=colour, markersize=7)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    if not n_rows:
        ax.legend(frameon=False, loc="best")
    elif start >= 0.5:
        ax.legend(frameon=False, loc="lower left")
    else:
        ax.legend(frameon=False, loc="upper left")
    if risk_table and n_rows:
        ax.set_xticks(list(risk_table.times))
        rax = fig.add_subplot(grid[1], sharex=ax)
        rax.set_axis_off()
        rax.text(0, 1.0, "Number at risk", transform=rax.transAxes, fontsize=8, va="bottom")
        for row, (label, counts) in enumerate(risk_table.counts.items()):
            y = 0.8 - row / max(n_rows, 1) * 0.8
            colour = PALETTE[row % len(PALETTE)]
            for t_at, n_at in zip(risk_table.times, counts, strict=True):
                rax.text(
                    t_at,
                    y,
                    str(n_at),
                    ha="center",
                    fontsize=8,
                    color=colour,
                    transform=rax.get_xaxis_transform(),
                )
            rax.text(
                -RISK_LABEL_GAP,
                y,
                label,
                ha="right",
                fontsize=8,
                color=colour,
                transform=rax.get_yaxis_transform(),
            )
    ax.set_xlabel(xlabel)
    return to_svg(fig)


#: Gap (axes fraction) between an arm's label and its count at time 0, which is centred on the
#: y-axis: room for half of a four-digit count at font size 8 on the 7.2-inch figure.
RISK_LABEL_GAP: Final = 0.06


def render_forest(
    rows: Sequence[ForestRow],
    *,
    reference: float = 1.0,
    xlabel: str = "Hazard ratio (95% CI)",
    log_scale: bool = True,
    title: str = "",
) -> str:
    """Forest plot of subgroup estimates (hazard ratios by default, on a log axis)."""
    fig, ax = plt.subplots(figsize=(7.2, 0.9 + 0.36 * len(rows)))
    ys = np.arange(len(rows))[::-1]
    for y, r in zip(ys, rows, strict=True):
        if not np.all(np.isfinite([r.estimate, r.lower, r.upper])):
            continue
        ax.plot([r.lower, r.upper], [y, y], color="#333333", linewidth=1.2)
        ax.plot(r.estimate, y, "s", color=PALETTE[0], markersize=6)
    labels = [f"{r.label}" + (f" (n={r.n})" if r.n is not None else "") for r in rows]
    ax.set_yticks(ys, labels)
    ax.axvline(reference, color="#888888", linestyle="--", linewidth=1)
    if log_scale:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return to_svg(fig)


def render_waterfall(
    pct_change: Sequence[float],
    categories: Sequence[str] | None = None,
    *,
    ylabel: str = "Best change from baseline (%)",
    title: str = "",
    threshold_lines: Sequence[float] = (-50.0,),
) -> str:
    """Waterfall plot of each patient's best percentage change, coloured by best response."""
    values = np.asarray(pct_change, dtype=float)
    order = np.argsort(-np.nan_to_num(values, nan=np.inf))
    fig, ax = plt.subplots(figsize=(7.2, 3.8))
    cats = list(categories) if categories is not None else ["" for _ in values]
    colours = [RESPONSE_COLOURS.get(cats[i], PALETTE[0]) for i in order]
    ax.bar(np.arange(len(values)), np.clip(values[order], -100, 200), color=colours, width=0.85)
    for h in threshold_lines:
        ax.axhline(h, color="#555555", linestyle=":", linewidth=1)
    ax.axhline(0, color="#000000", linewidth=0.8)
    ax.set_xticks([])
    ax.set_xlabel("Patients")
    ax.set_ylabel(ylabel)
    present = [c for c in RESPONSE_COLOURS if c in set(cats)]
    if present:
        handles = [Rectangle((0, 0), 1, 1, color=RESPONSE_COLOURS[c]) for c in present]
        ax.legend(
            handles,
            present,
            frameon=False,
            ncol=min(len(present), 6),
            fontsize=8,
            loc="upper right",
        )
    if title:
        ax.set_title(title)
    return to_svg(fig)


@dataclass(frozen=True)
class SwimmerLane:
    """One patient's course: treatment duration, follow-up, and dated events."""

    subject: str
    on_treatment: float
    follow_up: float
    response_start: float | None = None
    progression: float | None = None
    death: float | None = None
    ongoing: bool = False


def render_swimmer(lanes: Sequence[SwimmerLane], *, xlabel: str = "Months", title: str = "") -> str:
    """Swimmer plot: one bar per patient with response, progression and death markers."""
    fig, ax = plt.subplots(figsize=(7.2, 1.0 + 0.22 * len(lanes)))
    for y, lane in enumerate(lanes):
        ax.barh(y, lane.follow_up, color="#d9d9d9", height=0.6)
        ax.barh(y, lane.on_treatment, color=PALETTE[0], height=0.6)
        if lane.response_start is not None:
            ax.plot(lane.response_start, y, "^", color="#1b7a3d", markersize=5)
        if lane.progression is not None:
            ax.plot(lane.progression, y, "x", color="#e53935", markersize=6)
        if lane.death is not None:
            ax.plot(lane.death, y, "o", color="#000000", markersize=4)
        if lane.ongoing:
            ax.annotate(
                "",
                xy=(lane.follow_up + 1.2, y),
                xytext=(lane.follow_up, y),
                arrowprops={"arrowstyle": "->", "color": "#555555"},
            )
    ax.set_yticks(range(len(lanes)), [lane.subject for lane in lanes], fontsize=6)
    ax.set_xlabel(xlabel)
    ax.invert_yaxis()
    handles = [
        Rectangle((0, 0), 1, 1, color=PALETTE[0]),
        Rectangle((0, 0), 1, 1, color="#d9d9d9"),
        Line2D([], [], marker="^", color="#1b7a3d", linestyle=""),
        Line2D([], [], marker="x", color="#e53935", linestyle=""),
        Line2D([], [], marker="o", color="#000000", linestyle=""),
    ]
    ax.legend(
        handles,
        ["On treatment", "Follow-up", "Response", "Progression", "Death"],
        frameon=False,
        fontsize=7,
        loc="lower right",
    )
    if title:
        ax.set_title(title)
    return to_svg(fig)


def render_stacked_bars(
    labels: Sequence[str],
    shares: dict[str, Sequence[float]],
    *,
    ylabel: str = "Patients (%)",
    title: str = "",
) -> str:
    """Stacked bars (e.g. response category by cycle); ``shares`` maps category to per-bar %."""
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    bottom = np.zeros(len(labels))
    for i, (cat, vals) in enumerate(shares.items()):
        v = np.asarray(vals, dtype=float)
        ax.bar(
            labels,
            v,
            bottom=bottom,
            label=cat,
            color=RESPONSE_COLOURS.get(cat, PALETTE[i % len(PALETTE)]),
        )
        bottom += v
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(100.0, float(bottom.max()) if len(bottom) else 100.0))
    ax.legend(frameon=False, fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    if title:
        ax.set_title(title)
    return to_svg(fig)


def render_line_summary(
    x: Sequence[str],
    series: dict[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    ylabel: str,
    title: str = "",
) -> str:
    """Mean with CI error bars over visits per group (e.g. EQ-5D-5L index by visit and arm)."""
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    xs = np.arange(len(x))
    for i, (label, (mean, lo, hi)) in enumerate(series.items()):
        m = np.asarray(mean, dtype=float)
        err = np.vstack([m - np.asarray(lo, dtype=float), np.asarray(hi, dtype=float) - m])
        ax.errorbar(
            xs + 0.08 * i,
            m,
            yerr=err,
            marker="o",
            capsize=3,
            label=label,
            color=PALETTE[i % len(PALETTE)],
        )
    ax.set_xticks(xs, list(x), rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    if title:
        ax.set_title(title)
    return to_svg(fig)
