"""HTML report rendering: escaping, provenance and disclaimer."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.errors import PlasmatrialError
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


def test_pdf_page_setup_paper_and_running_header() -> None:
    doc = ReportDocument(
        title="T",
        subtitle="",
        sections=(Section("S", (text_block("x"),)),),
        running_header='MM-003 · data cut-off 2012-09-14 · "IMWG" v1 </style>',
        header=(("Data cut-off", "2012-09-14"),),
    )
    a4 = render_html(doc)
    assert "size: A4;" in a4 and "counter(page)" in a4 and "counter(pages)" in a4
    assert "@page wide { size: A4 landscape; }" in a4
    assert "size: letter;" in render_html(doc, paper="letter")
    # the running header is a CSS string: quotes and "<" escaped, the style element not closed
    assert a4.count("</style>") == 1 and "\\22 IMWG\\22 " in a4
    assert "<th>Data cut-off</th><td>2012-09-14</td>" in a4
    with pytest.raises(PlasmatrialError, match="paper"):
        render_html(doc, paper="a3")


def test_format_value() -> None:
    assert format_value(None).text == "–"
    assert format_value(float("nan")).text == "NE"  # not estimable, never "NA" (decision 0801)
    assert format_value(float("inf")).text == "NE"
    assert format_value(3).numeric
    assert format_value(True).text == "Yes"
    assert format_value(0.12345, 3).text == "0.123"
