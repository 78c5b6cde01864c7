"""Static figures for the trial report (matplotlib, Agg backend), returned as SVG text.

Renderers take plain data (numpy arrays, small frozen records) so they can be tested without the
estimators, and return self-contained SVG strings that the HTML report inlines (no external image
files, hence no broken links). Each ``render_*`` has a ``draw_*`` twin that returns the matplotlib
figure (tests inspect its artists). Every figure uses :mod:`plasmatrial.report.style`: one type
scale and, given an :class:`~plasmatrial.report.style.ArmStyle`, one colour per arm for the whole
report (decision 0810).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator
from matplotlib.transforms import blended_transform_factory

from plasmatrial.report.style import ARM_PALETTE, FIGURE_RC, NEUTRAL, ArmStyle, arm_gid

#: Kept for callers that colour non-arm series (design figures): the arm palette.
PALETTE: Final = ARM_PALETTE
RESPONSE_COLOURS = {
    "sCR": "#0b3d20",
    "CR": "#1b7a3d",
    "VGPR": "#4caf50",
    "PR": "#9ccc65",
    "LDPR": "#c5e1a5",
    "MR": "#fff176",
    "SD": "#bdbdbd",
    "NR": "#9e9e9e",
    "PROG": "#ef9a9a",
    "PD": "#e53935",
    "NE": "#eeeeee",
}

#: Plain tick values of a log hazard-ratio axis (sap.md section 6).
LOG_TICKS: Final = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)


@dataclass(frozen=True)
class CurveData:
    """One survival curve: step function values with optional confidence band and censor marks.

    ``key`` is the arm code that picks the colour (the label when empty); ``label`` is shown."""

    label: str
    time: Sequence[float]
    surv: Sequence[float]
    lower: Sequence[float] | None = None
    upper: Sequence[float] | None = None
    censor_times: Sequence[float] = ()
    censor_surv: Sequence[float] = ()
    key: str = ""


@dataclass(frozen=True)
class RiskTable:
    """Numbers at risk per curve at common times (``counts`` keyed by the curves' keys)."""

    times: Sequence[float]
    counts: dict[str, Sequence[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ForestRow:
    """One row of a forest plot.

    ``counts`` holds the text of the per-arm columns (e.g. events/n), ``heading`` marks a row that
    names a variable (no estimate), ``note`` is shown instead of an estimate that is missing."""

    label: str
    estimate: float
    lower: float
    upper: float
    n: int | None = None
    counts: tuple[str, ...] = ()
    heading: bool = False
    note: str = ""


def figure_style() -> AbstractContextManager[None]:
    """The report's matplotlib settings (:data:`plasmatrial.report.style.FIGURE_RC`) as a
    context: figures created inside it get the report's type sizes and spines."""
    return plt.rc_context(FIGURE_RC)  # type: ignore[arg-type]


_style = figure_style


def to_svg(fig: Figure) -> str:
    """Serialise a figure to an SVG string and close it."""
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width: float, height: float) -> Figure:
    with _style():
        return plt.figure(figsize=(width, height))


def _arm_colour(style: ArmStyle | None, key: str, index: int) -> str:
    if style is not None and key in style.codes:
        return style.colour(key)
    return ARM_PALETTE[index % len(ARM_PALETTE)]


def draw_km(
    curves: Sequence[CurveData],
    *,
    risk_table: RiskTable | None = None,
    xlabel: str = "Months",
    ylabel: str = "Survival probability",
    title: str = "",
    show_ci: bool = True,
    start: float = 1.0,
    style: ArmStyle | None = None,
    annotation: str = "",
) -> Figure:
    """Kaplan-Meier (or cumulative incidence) figure; see :func:`render_km_plot`."""
    n_rows = len(risk_table.counts) if risk_table else 0
    with _style():
        fig = plt.figure(figsize=(7.2, 4.6 + (0.35 + 0.24 * n_rows if n_rows else 0)))
        grid = fig.add_gridspec(
            2,
            1,
            height_ratios=[4.6, 0.35 + 0.24 * n_rows] if n_rows else [1, 0.001],
            hspace=0.38 if n_rows else 0.0,
        )
        ax = fig.add_subplot(grid[0])
        colour_of: dict[str, str] = {}
        for i, c in enumerate(curves):
            key = c.key or c.label
            colour = _arm_colour(style, key, i)
            colour_of[key] = colour
            t = np.concatenate([[0.0], np.asarray(c.time, dtype=float)])
            s = np.concatenate([[start], np.asarray(c.surv, dtype=float)])
            (line,) = ax.step(t, s, where="post", color=colour, label=c.label, linewidth=1.8)
            line.set_gid(arm_gid(key, "curve"))
            if show_ci and c.lower is not None and c.upper is not None:
                lo = np.concatenate([[start], np.asarray(c.lower, dtype=float)])
                hi = np.concatenate([[start], np.asarray(c.upper, dtype=float)])
                band = ax.fill_between(
                    t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0
                )
                band.set_gid(arm_gid(key, "band"))
            if len(c.censor_times):
                (marks,) = ax.plot(c.censor_times, c.censor_surv, "|", color=colour, markersize=7)
                marks.set_gid(arm_gid(key, "censor"))
        ax.set_ylim(0, 1.02)
        ax.set_xlim(left=0)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.5)
        if title:
            ax.set_title(title, loc="left", pad=28)
        # legend above the plot area, never over the curves
        handles, labels = ax.get_legend_handles_labels()
        if any(len(c.censor_times) for c in curves):
            handles.append(Line2D([], [], marker="|", color=NEUTRAL["text"], linestyle="", ms=7))
            labels.append("Censored")
        ax.legend(
            handles,
            labels,
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=min(len(labels), 3),
            borderaxespad=0.2,
        )
        if annotation:
            rising = start < 0.5
            ax.text(
                0.98,
                0.04 if rising else 0.96,
                annotation,
                transform=ax.transAxes,
                ha="right",
                va="bottom" if rising else "top",
                fontsize=8.5,
                bbox={"facecolor": "white", "edgecolor": NEUTRAL["grid"], "pad": 4},
            )
        if risk_table and n_rows:
            times = list(risk_table.times)
            ax.set_xticks(times)
            ax.set_xlim(0, max(times[-1], ax.get_xlim()[1]))
            rax = fig.add_subplot(grid[1], sharex=ax)
            rax.set_axis_off()
            rax.text(
                0,
                1.0,
                "Number at risk",
                transform=rax.transAxes,
                fontsize=9,
                fontweight="bold",
                va="bottom",
                ha="left",
            )
            for row, (key, counts) in enumerate(risk_table.counts.items()):
                y = 0.78 - row / max(n_rows, 1) * 0.8
                colour = colour_of.get(key, _arm_colour(style, key, row))
                for t_at, n_at in zip(times, counts, strict=True):
                    txt = rax.text(
                        t_at,
                        y,
                        str(n_at),
                        ha="center",
                        va="center",
                        fontsize=8.5,
                        color=colour,
                        transform=rax.get_xaxis_transform(),
                    )
                    txt.set_gid(arm_gid(key, f"risk{t_at:g}"))
                lab = rax.text(
                    -RISK_LABEL_GAP,
                    y,
                    key,
                    ha="right",
                    va="center",
                    fontsize=8.5,
                    color=colour,
                    transform=rax.get_yaxis_transform(),
                )
                lab.set_gid(arm_gid(key, "risklabel"))
        ax.set_xlabel(xlabel)
    return fig


def render_km_plot(
    curves: Sequence[CurveData],
    *,
    risk_table: RiskTable | None = None,
    xlabel: str = "Months",
    ylabel: str = "Survival probability",
    title: str = "",
    show_ci: bool = True,
    start: float = 1.0,
    style: ArmStyle | None = None,
    annotation: str = "",
) -> str:
    """Kaplan-Meier plot with optional CI bands, censor ticks and a number-at-risk table.

    ``start`` is the value at time 0: 1 for survival curves, 0 for a cumulative incidence
    (a rising curve, e.g. of response). ``ylabel`` names the endpoint; ``annotation`` (medians,
    hazard ratio) is boxed in the corner the curves leave free; the legend sits above the plot.
    Numbers at risk are printed under the x ticks (the ticks are the risk-table times)."""
    return to_svg(
        draw_km(
            curves,
            risk_table=risk_table,
            xlabel=xlabel,
            ylabel=ylabel,
            title=title,
            show_ci=show_ci,
            start=start,
            style=style,
            annotation=annotation,
        )
    )


#: Gap (axes fraction) between an arm's label and its count at time 0, which is centred on the
#: y-axis: room for half of a four-digit count at font size 8.5 on the 7.2-inch figure.
RISK_LABEL_GAP: Final = 0.06


def log_ticks(low: float, high: float) -> list[float]:
    """Plain log-axis ticks (0.1, 0.25, 0.5, 1, 2, 4, 10) covering ``[low, high]`` and 0.5-2."""
    lo, hi = min(low, 0.5), max(high, 2.0)
    below = [t for t in LOG_TICKS if t <= lo]
    above = [t for t in LOG_TICKS if t >= hi]
    first = below[-1] if below else LOG_TICKS[0]
    last = above[0] if above else LOG_TICKS[-1]
    return [t for t in LOG_TICKS if first <= t <= last]


def _tick_text(x: float, _pos: object = None) -> str:
    return f"{x:g}"


def draw_forest(
    rows: Sequence[ForestRow],
    *,
    reference: float = 1.0,
    xlabel: str = "Hazard ratio (95% CI)",
    log_scale: bool = True,
    title: str = "",
    count_columns: Sequence[str] = (),
    favours: tuple[str, str] | None = None,
    estimate_header: str = "HR (95% CI)",
) -> Figure:
    """Forest-plot figure; see :func:`render_forest`."""
    n = len(rows)
    k = len(count_columns) if count_columns else 1
    width = 8.4 if k > 1 else 7.6
    fig = _figure(width, 1.5 + 0.3 * (n + 1))
    with _style():
        label_w, count_w = 0.27, 0.09
        left = label_w + count_w * k + 0.02
        height = 1.5 + 0.3 * (n + 1)
        bottom, top = 0.95 / height, 1 - 0.45 / height
        ax = fig.add_axes((left, bottom, 0.80 - left, top - bottom))
        ys = np.arange(n)[::-1].astype(float)
        has_headings = any(r.heading for r in rows)
        text_tf = blended_transform_factory(fig.transFigure, ax.transData)
        finite = [r for r in rows if np.all(np.isfinite([r.estimate, r.lower, r.upper]))]
        lows = [r.lower for r in finite] or [reference]
        highs = [r.upper for r in finite] or [reference]
        if log_scale:
            ticks = log_ticks(min(lows), max(highs))
            ax.set_xscale("log")
            ax.set_xlim(ticks[0] / 1.15, ticks[-1] * 1.15)
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FuncFormatter(_tick_text))
            ax.xaxis.set_minor_locator(NullLocator())
            note_x = reference
        else:
            pad = 0.05 * (max(highs) - min(lows) or 1.0)
            ax.set_xlim(min(lows) - pad, max(highs) + pad)
            note_x = reference
        heading_y = float(n)
        header_kw: dict[str, Any] = {"fontweight": "bold", "va": "center", "transform": text_tf}
        ax.text(0.01, heading_y, "Subgroup", ha="left", **header_kw)
        columns = list(count_columns) if count_columns else ["n"]
        for j, head in enumerate(columns):
            x = label_w + count_w * (j + 0.5)
            ax.text(x, heading_y, head, ha="center", fontsize=8.5, **header_kw)
        ax.text(0.82, heading_y, estimate_header, ha="left", **header_kw)
        for y, r in zip(ys, rows, strict=True):
            ax.text(
                0.01 if r.heading or not has_headings else 0.03,
                y,
                r.label,
                ha="left",
                va="center",
                transform=text_tf,
                fontweight="bold" if r.heading else "normal",
            )
            if r.heading:
                continue
            cells = list(r.counts) if count_columns else [str(r.n) if r.n is not None else ""]
            for j, cell in enumerate(cells):
                ax.text(
                    label_w + count_w * (j + 0.5),
                    y,
                    cell,
                    ha="center",
                    va="center",
                    transform=text_tf,
                )
            if np.all(np.isfinite([r.estimate, r.lower, r.upper])):
                ax.plot([r.lower, r.upper], [y, y], color=NEUTRAL["text"], linewidth=1.2)
                size = 7 if r.label == "All patients" else 5.5
                ax.plot(r.estimate, y, "s", color=NEUTRAL["text"], markersize=size)
                ax.text(
                    0.82,
                    y,
                    f"{r.estimate:.2f} ({r.lower:.2f}-{r.upper:.2f})",
                    ha="left",
                    va="center",
                    transform=text_tf,
                )
            else:
                note = r.note or "not estimable"
                ax.text(
                    note_x,
                    y,
                    note,
                    ha="center",
                    va="center",
                    fontsize=8,
                    style="italic",
                    color=NEUTRAL["reference"],
                )
                ax.text(0.82, y, "NE", ha="left", va="center", transform=text_tf)
        ax.set_ylim(-0.7, n + 0.2)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.axvline(reference, color=NEUTRAL["reference"], linestyle="--", linewidth=1)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.5)
        if favours is not None:
            sides = (
                (f"\u2190 {favours[0]}", "right", 0.93),
                (f"{favours[1]} \u2192", "left", 1.07),
            )
            for text, ha, factor in sides:
                x = reference * factor if log_scale else reference
                ax.annotate(
                    text,
                    xy=(x, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, -34),
                    textcoords="offset points",
                    ha=ha,
                    va="top",
                    fontsize=8.5,
                    style="italic",
                )
        if title:
            ax.set_title(title, loc="left")
    return fig


def render_forest(
    rows: Sequence[ForestRow],
    *,
    reference: float = 1.0,
    xlabel: str = "Hazard ratio (95% CI)",
    log_scale: bool = True,
    title: str = "",
    count_columns: Sequence[str] = (),
    favours: tuple[str, str] | None = None,
    estimate_header: str = "HR (95% CI)",
) -> str:
    """Forest plot of subgroup estimates (hazard ratios by default, on a log axis).

    Text columns: the subgroup label, one column per ``count_columns`` (e.g. events/n per arm;
    else n), and the estimate with its CI. The log axis has plain ticks (0.25, 0.5, 1, 2, 4);
    ``favours`` = (left label, right label) is printed under the axis on each side of
    ``reference``. A row without an estimate shows its ``note`` instead of an empty line."""
    return to_svg(
        draw_forest(
            rows,
            reference=reference,
            xlabel=xlabel,
            log_scale=log_scale,
            title=title,
            count_columns=count_columns,
            favours=favours,
            estimate_header=estimate_header,
        )
    )


def _panel_title(
    ax: Axes, style: ArmStyle | None, arm: str, n: int | None, index: int, width: int = 70
) -> None:
    name = style.name(arm) if style is not None else arm
    text = name if n is None else f"{name} (n = {n})"
    title = ax.set_title(
        "\n".join(textwrap.wrap(text, width)),
        loc="left",
        color=_arm_colour(style, arm, index),
        fontweight="bold",
        fontsize=9.5,
    )
    title.set_gid(arm_gid(arm, "panel"))


def _response_legend(fig: Figure, present: Sequence[str], *, y: float = 0.0) -> None:
    handles = [Patch(facecolor=RESPONSE_COLOURS[c], edgecolor="#999999") for c in present]
    fig.legend(
        handles,
        list(present),
        frameon=False,
        ncol=min(len(present), 8),
        loc="upper center",
        bbox_to_anchor=(0.5, y),
        title="Best response",
        title_fontsize=8.5,
    )


def draw_waterfall(
    pct_change: Sequence[float],
    categories: Sequence[str] | None = None,
    *,
    arms: Sequence[str] | None = None,
    style: ArmStyle | None = None,
    ylabel: str = "Best change from baseline (%)",
    title: str = "",
    threshold_lines: Sequence[float] = (-50.0,),
) -> Figure:
    """Waterfall figure; see :func:`render_waterfall`."""
    values = np.asarray(pct_change, dtype=float)
    cats = list(categories) if categories is not None else ["" for _ in values]
    arm_of = list(arms) if arms is not None else ["" for _ in values]
    panels = style.order(arm_of) if style is not None else list(dict.fromkeys(arm_of))
    with _style():
        fig = plt.figure(figsize=(7.2, 0.9 + 2.5 * len(panels)))
        axes = fig.subplots(
            len(panels), 1, sharey=True, squeeze=False, gridspec_kw={"hspace": 0.45}
        )[:, 0]
        for p, (ax, arm) in enumerate(zip(axes, panels, strict=True)):
            idx = np.array([i for i, a in enumerate(arm_of) if a == arm], dtype=int)
            v = values[idx]
            order = idx[np.argsort(-np.nan_to_num(v, nan=np.inf), kind="stable")]
            colours = [RESPONSE_COLOURS.get(cats[i], NEUTRAL["crossover"]) for i in order]
            ax.bar(
                np.arange(len(order)),
                np.clip(values[order], -100, 200),
                color=colours,
                width=0.85,
                edgecolor="none",
            )
            for h in threshold_lines:
                ax.axhline(h, color=NEUTRAL["reference"], linestyle=":", linewidth=1)
            ax.axhline(0, color="#000000", linewidth=0.8)
            ax.set_xticks([])
            ax.set_xlim(-0.7, len(order) - 0.3)
            ax.set_ylabel("Best change (%)")
            if arm:
                _panel_title(ax, style, arm, len(order), p)
        axes[-1].set_xlabel("Patients, ordered by best change")
        fig.supylabel(ylabel, fontsize=9)
        for ax in axes:
            ax.set_ylabel("")
        present = [c for c in RESPONSE_COLOURS if c in set(cats)]
        if present:
            _response_legend(fig, present, y=0.0)
        if title:
            fig.suptitle(title)
    return fig


def render_waterfall(
    pct_change: Sequence[float],
    categories: Sequence[str] | None = None,
    *,
    arms: Sequence[str] | None = None,
    style: ArmStyle | None = None,
    ylabel: str = "Best change from baseline (%)",
    title: str = "",
    threshold_lines: Sequence[float] = (-50.0,),
) -> str:
    """Waterfall plot of each patient's best percentage change, coloured by best response.

    With ``arms`` (one arm code per patient): one panel per arm, in protocol order when a
    ``style`` is given, each titled with the arm name in the arm's colour."""
    return to_svg(
        draw_waterfall(
            pct_change,
            categories,
            arms=arms,
            style=style,
            ylabel=ylabel,
            title=title,
            threshold_lines=threshold_lines,
        )
    )


@dataclass(frozen=True)
class SwimmerLane:
    """One patient's course: treatment duration, follow-up, and dated events (months).

    ``crossover`` is the start of crossover treatment (the study treatment then ends there and
    crossover treatment runs to ``on_treatment``); ``arm`` is the arm code."""

    subject: str
    on_treatment: float
    follow_up: float
    response_start: float | None = None
    progression: float | None = None
    death: float | None = None
    ongoing: bool = False
    arm: str = ""
    crossover: float | None = None


def draw_swimmer(
    lanes: Sequence[SwimmerLane],
    *,
    style: ArmStyle | None = None,
    xlabel: str = "Months since start",
    title: str = "",
) -> Figure:
    """Swimmer figure; see :func:`render_swimmer`."""
    arm_of = [lane.arm for lane in lanes]
    panels = style.order(arm_of) if style is not None else list(dict.fromkeys(arm_of))
    sizes = [arm_of.count(a) for a in panels]
    height = 1.3 + 0.165 * len(lanes) + 0.45 * len(panels)
    any_cross = any(lane.crossover is not None for lane in lanes)
    with _style():
        fig = plt.figure(figsize=(7.2, height))
        axes = fig.subplots(
            len(panels),
            1,
            sharex=True,
            squeeze=False,
            gridspec_kw={"height_ratios": [s + 1.5 for s in sizes], "hspace": 0.12},
        )[:, 0]
        for p, (ax, arm) in enumerate(zip(axes, panels, strict=True)):
            colour = _arm_colour(style, arm, p)
            mine = [lane for lane in lanes if lane.arm == arm]
            ys = np.arange(len(mine), dtype=float)
            ax.barh(ys, [lane.follow_up for lane in mine], color=NEUTRAL["follow_up"], height=0.62)
            study = [
                lane.on_treatment if lane.crossover is None else lane.crossover for lane in mine
            ]
            bars = ax.barh(ys, study, color=colour, height=0.62)
            for k, patch in enumerate(bars.patches):
                patch.set_gid(arm_gid(arm, f"lane{k}"))
            cross = [
                (y, lane.crossover, lane.on_treatment - lane.crossover)
                for y, lane in zip(ys, mine, strict=True)
                if lane.crossover is not None and lane.on_treatment > lane.crossover
            ]
            if cross:
                ax.barh(
                    [c[0] for c in cross],
                    [c[2] for c in cross],
                    left=[c[1] for c in cross],
                    color=NEUTRAL["crossover"],
                    height=0.62,
                    hatch="////",
                    edgecolor="white",
                    linewidth=0,
                )
            for attr, marker, mcolour, size in (
                ("response_start", "^", "#1b7a3d", 5.5),
                ("progression", "X", "#e53935", 5.5),
                ("death", "o", "#000000", 4.5),
            ):
                pts = [(getattr(lane, attr), y) for y, lane in zip(ys, mine, strict=True)]
                pts = [(x, y) for x, y in pts if x is not None]
                if pts:
                    ax.plot(
                        [x for x, _ in pts],
                        [y for _, y in pts],
                        marker,
                        color=mcolour,
                        markersize=size,
                        markeredgecolor="white",
                        markeredgewidth=0.6,
                        linestyle="",
                    )
            for y, lane in zip(ys, mine, strict=True):
                if lane.ongoing:
                    ax.annotate(
                        "",
                        xy=(lane.follow_up + 0.9, y),
                        xytext=(lane.follow_up, y),
                        arrowprops={"arrowstyle": "->", "color": NEUTRAL["reference"]},
                    )
            ax.set_yticks(range(len(mine)), [lane.subject for lane in mine], fontsize=8)
            ax.set_ylim(len(mine) - 0.4, -0.6)
            ax.tick_params(axis="y", length=0)
            if arm:
                _panel_title(ax, style, arm, len(mine), p)
        axes[-1].set_xlabel(xlabel)
        axes[-1].set_xlim(left=0)
        axes[-1].xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 3, 6, 10]))
        first = _arm_colour(style, panels[0], 0) if panels else ARM_PALETTE[0]
        handles: list[Patch | Line2D] = [
            Patch(facecolor=first, label="Study treatment (arm colour)"),
        ]
        if any_cross:
            handles.append(
                Patch(
                    facecolor=NEUTRAL["crossover"],
                    hatch="////",
                    edgecolor="white",
                    label="Crossover treatment after progression",
                )
            )
        handles += [
            Patch(facecolor=NEUTRAL["follow_up"], label="Follow-up off treatment"),
            Line2D([], [], marker="^", color="#1b7a3d", linestyle="", label="First response"),
            Line2D([], [], marker="X", color="#e53935", linestyle="", label="Progression"),
            Line2D([], [], marker="o", color="#000000", linestyle="", label="Death"),
            Line2D(
                [],
                [],
                marker=r"$\rightarrow$",
                color=NEUTRAL["reference"],
                linestyle="",
                markersize=9,
                label="Alive, on study",
            ),
        ]
        axes[0].legend(
            handles=handles,
            frameon=False,
            ncol=3,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0 + 0.9 / max(sizes[0] if sizes else 1, 1) + 0.05),
        )
        if title:
            fig.suptitle(title)
    return fig


def render_swimmer(
    lanes: Sequence[SwimmerLane],
    *,
    style: ArmStyle | None = None,
    xlabel: str = "Months since start",
    title: str = "",
) -> str:
    """Swimmer plot: one bar per patient, one panel per arm (protocol order with a ``style``).

    Study treatment is drawn in the arm's colour, crossover treatment after progression hatched
    grey, follow-up light grey; markers for first response, progression and death; an arrow for
    a patient alive and on study. The legend sits above the bars."""
    return to_svg(draw_swimmer(lanes, style=style, xlabel=xlabel, title=title))


def draw_stacked_bars_by_arm(
    labels: Sequence[str],
    panels: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    style: ArmStyle | None = None,
    counts: Mapping[str, int] | None = None,
    ylabel: str = "Patients (%)",
    xlabel: str = "",
    title: str = "",
) -> Figure:
    """Stacked-bar figure per arm; see :func:`render_stacked_bars`."""
    arms = style.order(panels) if style is not None else list(panels)
    with _style():
        fig = plt.figure(figsize=(7.2, 3.8))
        axes = fig.subplots(1, len(arms), sharey=True, squeeze=False)[0]
        present: list[str] = []
        for p, (ax, arm) in enumerate(zip(axes, arms, strict=True)):
            shares = panels[arm]
            bottom = np.zeros(len(labels))
            for i, (cat, vals) in enumerate(shares.items()):
                v = np.asarray(vals, dtype=float)
                ax.bar(
                    list(labels),
                    v,
                    bottom=bottom,
                    label=cat,
                    width=0.75,
                    color=RESPONSE_COLOURS.get(cat, ARM_PALETTE[i % len(ARM_PALETTE)]),
                )
                bottom += v
                if cat not in present:
                    present.append(cat)
            ax.set_ylim(0, max(100.0, float(bottom.max()) if len(bottom) else 100.0))
            if xlabel:
                ax.set_xlabel(xlabel)
            if arm:
                _panel_title(ax, style, arm, (counts or {}).get(arm), p, width=70 // len(arms))
            ax.tick_params(axis="x", labelsize=8)
        axes[0].set_ylabel(ylabel)
        order = [c for c in RESPONSE_COLOURS if c in present] + [
            c for c in present if c not in RESPONSE_COLOURS
        ]
        handles = [
            Patch(facecolor=RESPONSE_COLOURS.get(c, ARM_PALETTE[0]), edgecolor="#999999")
            for c in order
        ]
        fig.legend(
            handles,
            order,
            frameon=False,
            ncol=min(len(order), 8),
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
        )
        if title:
            fig.suptitle(title)
    return fig


def render_stacked_bars(
    labels: Sequence[str],
    shares: Mapping[str, Sequence[float]] | None = None,
    *,
    panels: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    style: ArmStyle | None = None,
    counts: Mapping[str, int] | None = None,
    ylabel: str = "Patients (%)",
    xlabel: str = "",
    title: str = "",
) -> str:
    """Stacked bars (e.g. response category by cycle); ``shares`` maps category to per-bar %.

    ``panels`` ({arm: shares}) draws one panel per arm instead, titled with the arm name (and
    ``counts[arm]`` patients) in the arm's colour."""
    if panels is None:
        panels = {"": shares or {}}
    return to_svg(
        draw_stacked_bars_by_arm(
            labels,
            panels,
            style=style,
            counts=counts,
            ylabel=ylabel,
            xlabel=xlabel,
            title=title,
        )
    )


#: Line style of each kind of visit in :func:`draw_line_summary` (``phases``).
PHASE_LINESTYLES: Final[dict[str, Literal["-", "--"]]] = {"On treatment": "-", "Follow-up": "--"}


def draw_line_summary(
    x: Sequence[str],
    series: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    ylabel: str,
    title: str = "",
    style: ArmStyle | None = None,
    xlabel: str = "Visit",
    phases: Sequence[str] | None = None,
) -> Figure:
    """Line-summary figure; see :func:`render_line_summary`."""
    kinds = list(dict.fromkeys(p for p in (phases or ()) if p in PHASE_LINESTYLES))
    with _style():
        fig, ax = plt.subplots(figsize=(7.2, 3.8))
        xs = np.arange(len(x), dtype=float)
        keys = style.order(series) if style is not None else list(series)
        offset = 0.1
        handles: list[Line2D] = []
        for i, key in enumerate(keys):
            mean, lo, hi = series[key]
            m = np.asarray(mean, dtype=float)
            err = np.vstack([m - np.asarray(lo, dtype=float), np.asarray(hi, dtype=float) - m])
            colour = _arm_colour(style, key, i)
            shift = offset * (i - (len(keys) - 1) / 2)
            ok = np.isfinite(m)
            name = style.name(key) if style is not None else key
            cont = ax.errorbar(
                xs[ok] + shift,
                m[ok],
                yerr=err[:, ok],
                marker="o",
                markersize=4.5,
                capsize=3,
                color=colour,
                linewidth=1.6,
                linestyle="none" if kinds else "-",
            )
            cont.lines[0].set_gid(arm_gid(key, "points"))
            for kind in kinds:
                # a phase's line joins its own visits and the visits of no phase (baseline)
                assert phases is not None
                sel = ok & np.array([p in (kind, "") for p in phases])
                (line,) = ax.plot(
                    xs[sel] + shift, m[sel], color=colour, linewidth=1.6,
                    linestyle=PHASE_LINESTYLES[kind],
                )  # fmt: skip
                line.set_gid(arm_gid(key, f"line-{kind}"))
            handles.append(Line2D([], [], color=colour, marker="o", linewidth=1.6, label=name))
        for kind in kinds:
            handles.append(
                Line2D([], [], color=NEUTRAL["text"], linestyle=PHASE_LINESTYLES[kind], label=kind)
            )
        ax.set_xticks(xs, list(x), rotation=35, ha="right")
        ax.set_xlim(-0.5, len(x) - 0.5)
        ax.set_ylabel(ylabel)
        if xlabel:
            ax.set_xlabel(xlabel)
        ax.grid(alpha=0.5)
        ax.legend(
            handles=handles,
            frameon=False,
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncol=2 if kinds else min(len(handles), 3),
        )
        if title:
            ax.set_title(title, loc="left", pad=24)
    return fig


def render_line_summary(
    x: Sequence[str],
    series: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]],
    *,
    ylabel: str,
    title: str = "",
    style: ArmStyle | None = None,
    xlabel: str = "Visit",
    phases: Sequence[str] | None = None,
) -> str:
    """Mean with CI error bars over visits per group (e.g. EQ-5D-5L index by visit and arm).

    ``x`` is drawn in the order given (the caller orders visits by time); with a ``style`` the
    groups are arm codes, drawn in arm colours and labelled with arm names; missing means
    (NaN) are left out rather than joined through. ``phases`` (one per visit: "On treatment",
    "Follow-up", or "" for baseline) draws each phase's visits as their own line, solid on
    treatment and dashed in follow-up, both starting from baseline: cycle visits (patients still
    on treatment) and follow-up visits (mostly after progression) are different populations."""
    return to_svg(
        draw_line_summary(
            x, series, ylabel=ylabel, title=title, style=style, xlabel=xlabel, phases=phases
        )
    )


__all__ = [
    "LOG_TICKS",
    "PALETTE",
    "RESPONSE_COLOURS",
    "CurveData",
    "ForestRow",
    "RiskTable",
    "SwimmerLane",
    "draw_forest",
    "draw_km",
    "draw_line_summary",
    "draw_stacked_bars_by_arm",
    "draw_swimmer",
    "draw_waterfall",
    "figure_style",
    "log_ticks",
    "render_forest",
    "render_km_plot",
    "render_line_summary",
    "render_stacked_bars",
    "render_swimmer",
    "render_waterfall",
    "to_svg",
]
