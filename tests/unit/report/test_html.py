"""HTML report rendering: escaping, provenance and disclaimer."""

from __future__ import annotations

import polars as pl

from plasmatrial.report.figures import ForestRow, render_forest
from plasmatrial.report.html import (
    ReportDocument,
    Section,
    figure_block,
    format_value,
    render_html,
    table_block,
    text_block,
)


def test_report_contains_disclaimer_provenance_tables_and_figures() -> None:
    frame = pl.DataFrame({"Endpoint": ["ORR <b>"], "n": [19], "Rate": [0.678571]})
    doc = ReportDocument(
        title="Trial X",
        subtitle="Phase 2",
        provenance=(("Criteria", "AL_2012 v1.0"),),
        sections=(
            Section("Response", (table_block(frame, caption="Table 1"), text_block("a & b"))),
            Section("Forest", (figure_block(render_forest([ForestRow("All", 0.5, 0.4, 0.7)])),)),
        ),
    )
    html = render_html(doc)
    assert "not a substitute for clinical judgement" in html
    assert "AL_2012 v1.0" in html
    assert "ORR &lt;b&gt;" in html  # escaped
    assert "a &amp; b" in html
    assert "<svg" in html
    assert 'id="response"' in html
    assert "0.68" in html


def test_format_value() -> None:
    assert format_value(None).text == "–"
    assert format_value(float("nan")).text == "NA"
    assert format_value(3).numeric
    assert format_value(True).text == "Yes"
    assert format_value(0.12345, 3).text == "0.123"
