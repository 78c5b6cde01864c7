"""Report figures render to well-formed, self-contained SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from plasmatrial.report.figures import (
    CurveData,
    ForestRow,
    RiskTable,
    SwimmerLane,
    render_forest,
    render_km_plot,
    render_line_summary,
    render_stacked_bars,
    render_swimmer,
    render_waterfall,
)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    # self-contained: no external references
    assert 'xlink:href="http' not in svg
    return root


def test_km_plot_with_risk_table_contains_labels() -> None:
    curves = [
        CurveData(
            "Arm A",
            [1, 2, 3],
            [0.9, 0.7, 0.5],
            [0.8, 0.6, 0.4],
            [1.0, 0.8, 0.6],
            censor_times=[2.5],
            censor_surv=[0.7],
        ),
        CurveData("Arm B", [1, 4], [0.8, 0.4]),
    ]
    svg = render_km_plot(
        curves, risk_table=RiskTable([0, 2, 4], {"Arm A": [10, 7, 3], "Arm B": [10, 6, 2]})
    )
    parse(svg)
    assert "Number at risk" in svg
    assert "Arm A" in svg


def test_forest_waterfall_swimmer_bars_lines() -> None:
    parse(render_forest([ForestRow("All", 0.5, 0.4, 0.6, 455), ForestRow("Age>75", 0.6, 0.3, 1.2)]))
    parse(render_waterfall([-90.0, 20.0, np.nan, -55.0], ["CR", "NR", "NE", "PR"]))
    parse(
        render_swimmer(
            [SwimmerLane("S1", 6, 20, 1, 12, None, True), SwimmerLane("S2", 2, 5, None, 3, 5)]
        )
    )
    parse(render_stacked_bars(["C1", "C3"], {"CR": [10, 20], "PR": [30, 40]}))
    parse(
        render_line_summary(
            ["BL", "C3"], {"A": ([0.7, 0.75], [0.6, 0.65], [0.8, 0.85])}, ylabel="EQ-5D-5L index"
        )
    )


# --- shared style (decision 0810) ---------------------------------------------------------

import math  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

from plasmatrial.errors import PlasmatrialError  # noqa: E402
from plasmatrial.report.figures import (  # noqa: E402
    draw_forest,
    draw_km,
    draw_line_summary,
    log_ticks,
)
from plasmatrial.report.style import ARM_PALETTE, ArmStyle, arm_colours_in_svg  # noqa: E402


def _two_curves(first: str, second: str) -> list[CurveData]:
    return [
        CurveData(first, [1, 2, 3], [0.9, 0.7, 0.5], key=first),
        CurveData(second, [1, 4], [0.8, 0.4], key=second),
    ]


def test_arm_colour_follows_protocol_order_not_drawing_order() -> None:
    style = ArmStyle.of(["EXP", "CTRL"], {"EXP": "Experimental", "CTRL": "Control"})
    a = arm_colours_in_svg(render_km_plot(_two_curves("EXP", "CTRL"), style=style))
    b = arm_colours_in_svg(render_km_plot(_two_curves("CTRL", "EXP"), style=style))
    line = arm_colours_in_svg(
        render_line_summary(
            ["BL"], {"CTRL": ([0.5], [0.4], [0.6]), "EXP": ([0.6], [0.5], [0.7])},
            ylabel="x", style=style,
        )
    )  # fmt: skip
    assert a == b == line == {"EXP": {ARM_PALETTE[0]}, "CTRL": {ARM_PALETTE[1]}}
    assert style.order(["CTRL", "X", "EXP"]) == ["EXP", "CTRL", "X"]
    with pytest.raises(PlasmatrialError):
        ArmStyle.of(["A", "A"])


def test_km_labels_legend_and_risk_table_type() -> None:
    fig = draw_km(
        _two_curves("A", "B"),
        risk_table=RiskTable([0, 2, 4], {"A": [10, 7, 3], "B": [10, 6, 2]}),
        ylabel="Overall survival (probability)",
        annotation="Median A 3.0",
    )
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Overall survival (probability)"
    legend = ax.get_legend()
    assert legend is not None
    # the legend sits above the plot area, not over the curves
    fig.canvas.draw()
    box = legend.get_window_extent()
    assert box.y0 >= ax.get_window_extent().y1 - 1
    risk = list(fig.axes[1].texts)
    assert risk and min(t.get_fontsize() for t in risk) >= 8
    # counts sit at the x ticks
    assert [float(t) for t in ax.get_xticks()] == [0.0, 2.0, 4.0]


def test_cumulative_incidence_rises_from_zero() -> None:
    fig = draw_km([CurveData("A", [1, 2], [0.2, 0.5])], start=0.0)
    y = fig.axes[0].lines[0].get_ydata()
    assert y[0] == 0 and np.all(np.diff(np.asarray(y, dtype=float)) >= 0)


def test_forest_plain_log_ticks_text_columns_and_empty_row_note() -> None:
    rows = [
        ForestRow("All patients", 0.3, 0.22, 0.36, 455, counts=("219/302", "133/153")),
        ForestRow("Age group", math.nan, math.nan, math.nan, heading=True),
        ForestRow("≥75 years", 0.21, 0.1, 0.44, 54, counts=("26/36", "17/18")),
        ForestRow("<18 years", math.nan, math.nan, math.nan, 2, counts=("0/1", "0/1"),
                  note="too few events to estimate"),
    ]  # fmt: skip
    fig = draw_forest(
        rows, count_columns=["A\nevents/n", "B\nevents/n"], favours=("Favours A", "Favours B")
    )
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels and all(re.fullmatch(r"\d+(\.\d+)?", s) for s in labels), labels
    assert {"0.25", "0.5", "1", "2"} <= set(labels)
    assert not [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()]
    texts = [t.get_text() for t in ax.texts]
    assert "0.30 (0.22-0.36)" in texts and "219/302" in texts
    assert "too few events to estimate" in texts
    assert any("Favours A" in t for t in texts) and any("Favours B" in t for t in texts)
    assert log_ticks(0.3, 0.6) == [0.25, 0.5, 1.0, 2.0]
    assert log_ticks(0.07, 3.0) == [0.1, 0.25, 0.5, 1.0, 2.0, 4.0]


def test_line_summary_keeps_visit_order_and_skips_missing() -> None:
    fig = draw_line_summary(
        ["SCREENING", "C4D1", "FU3"],
        {"A": ([0.7, math.nan, 0.5], [0.6, math.nan, 0.4], [0.8, math.nan, 0.6])},
        ylabel="EQ-5D",
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["SCREENING", "C4D1", "FU3"]
    assert list(ax.lines[0].get_xdata()) == [0.0, 2.0]


def test_line_summary_phases_draw_treatment_and_follow_up_apart() -> None:
    from plasmatrial.report.trial_report import visit_phase

    visits = ["SCREENING", "CYCLE 4 DAY 1", "FOLLOW-UP 3", "CYCLE 7 DAY 1", "FOLLOW-UP 6"]
    phases = [visit_phase(v) for v in visits]
    assert phases == ["", "On treatment", "Follow-up", "On treatment", "Follow-up"]
    fig = draw_line_summary(
        visits,
        {"A": ([0.6, 0.6, 0.2, 0.6, 0.2], [0.5, 0.5, 0.1, 0.5, 0.1], [0.7, 0.7, 0.3, 0.7, 0.3])},
        ylabel="EQ-5D",
        phases=phases,
    )
    ax = fig.axes[0]
    joined = {
        ln.get_linestyle(): list(ln.get_xdata()) for ln in ax.lines if len(ln.get_xdata()) > 1
    }
    assert joined["-"] == [0.0, 1.0, 3.0]  # baseline and the cycle visits
    assert joined["--"] == [0.0, 2.0, 4.0]  # baseline and the follow-up visits
