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
