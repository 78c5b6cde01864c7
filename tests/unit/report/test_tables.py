"""The table layer's formats (sap.md section 6, decision 0801) and block builders."""

from __future__ import annotations

import math

import polars as pl
import pytest

from plasmatrial.report.html import Block, figure_block
from plasmatrial.report.tables import (
    ArmColumn,
    Row,
    TableContext,
    arm_table,
    ci,
    estimate_ci,
    frame_table,
    grouped_table,
    median_range,
    n_pct,
    num,
    p_value,
    with_meta,
)


@pytest.mark.parametrize(
    ("n", "d", "text"),
    [
        (12, 28, "12 (42.9%)"),
        (0, 28, "0"),
        (28, 28, "28 (100.0%)"),
        (1, 3, "1 (33.3%)"),
        (5, 0, "5"),
    ],
)
def test_n_pct_one_decimal_and_bare_zero(n: int, d: int, text: str) -> None:
    assert n_pct(n, d) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (1.308e-25, "<0.001"),
        (0.000999, "<0.001"),
        (0.001, "0.00100"),
        (0.0012345, "0.00123"),
        (0.04567, "0.0457"),
        (0.09996, "0.100"),
        (0.23456, "0.235"),
        (0.5, "0.500"),
        (0.9996, "1.00"),
        (1.0, "1.00"),
        (None, "NE"),
        (math.nan, "NE"),
    ],
)
def test_p_values_never_scientific(p: float | None, text: str) -> None:
    assert p_value(p) == text
    assert "e" not in p_value(p).lower().replace("ne", "")


def test_ci_and_not_estimable() -> None:
    assert ci(3.78, 4.73) == "(3.8, 4.7)"
    assert ci(0.2225, 0.359, 2) == "(0.22, 0.36)"
    assert ci(2.0, None) == "(2.0, NE)"
    assert ci(1.0, math.inf) == "(1.0, NE)"
    assert estimate_ci(None, None, None) == "NE"
    assert estimate_ci(0.283, 0.222, 0.359, 2) == "0.28 (0.22, 0.36)"
    assert num(float("nan")) == "NE"
    assert num(True) == "NE"


def test_median_range() -> None:
    assert median_range([64, 35, 87, 70]) == "67.0 (35.0–87.0)"
    assert median_range([64, 35, 87], range_digits=0) == "64.0 (35–87)"
    assert median_range([math.nan]) == "NE"


def test_arm_table_headers_order_and_rows() -> None:
    arms = [ArmColumn("B", "Drug", 10), ArmColumn("A", "Placebo", 5)]
    block = arm_table(
        "Characteristic",
        arms,
        [Row("Sex", group=True), Row("Female", ("3 (30.0%)", "0", "3 (20.0%)"), indent=True)],
        caption="Baseline",
        meta="Population: ITT (N = 15).",
        total=ArmColumn("ALL", "Total", 15),
    )
    assert block.columns == ("Characteristic", "Drug (N = 10)", "Placebo (N = 5)", "Total (N = 15)")
    assert block.rows[0][0].css == "group" and block.rows[1][0].css == "indent"
    assert [c.text for c in block.rows[1]] == ["Female", "3 (30.0%)", "0", "3 (20.0%)"]
    assert [c.text for c in block.rows[0]] == ["Sex", "", "", ""]
    with pytest.raises(ValueError, match="2 values for 3 columns"):
        arm_table("x", arms, [Row("bad", ("1", "2"))], caption="", total=ArmColumn("ALL", "T", 1))


def test_grouped_table_spans_and_wide() -> None:
    groups = [(f"Arm {k} (N = 1)", ["0", "1", "2", "3", "4"]) for k in "AB"]
    block = grouped_table(
        ["Term", "Baseline"], groups, [(("Anemia", "Grade 0"), ["1"] * 10)], caption="Shift"
    )
    assert block.header_groups == (("", 2), ("Arm A (N = 1)", 5), ("Arm B (N = 1)", 5))
    assert len(block.columns) == 12 and block.wide
    with pytest.raises(ValueError, match="cells for 12 columns"):
        grouped_table(["Term", "Baseline"], groups, [(("Anemia",), ["1"] * 10)], caption="x")


def test_frame_table_words() -> None:
    frame = pl.DataFrame(
        {"ARMCD": ["A"], "AEDECOD": ["Anaemia"], "N_GR3_4": [3], "RDI_MEDIAN": [None]},
        schema_overrides={"RDI_MEDIAN": pl.Float64},
    )
    block = frame_table(frame, caption="AE", arm_names={"A": "Drug"})
    assert block.columns == ("Arm", "Preferred term", "Grade 3–4", "Median relative dose intensity")
    assert [c.text for c in block.rows[0]] == ["Drug", "Anemia", "3", "NE"]


def test_context_meta_and_with_meta() -> None:
    ctx = TableContext("2012-09-14", "IMWG_2016 v1.0.1", {"ITT": 455})
    assert ctx.meta("ITT") == (
        "Population: ITT (N = 455). Data cut-off: 2012-09-14. Criteria: IMWG_2016 v1.0.1."
    )
    blocks = with_meta([figure_block("<svg/>"), Block("table", meta="kept"), Block("text")], "m")
    assert [b.meta for b in blocks] == ["m", "kept", ""]
