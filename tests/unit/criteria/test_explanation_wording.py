"""Explanation wording (decision 0206, issue 12): number formats, words for engine columns, the
no-progression and no-response sentences, and downgrade notes that name what is missing."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.criteria.core.wording import (
    clean_number,
    fixed_number,
    guarded_number,
    input_number,
    label,
)
from tests.unit.criteria.helpers import LAMBDA_240, last, run


def _texts(expr: pl.Expr, values: list[float | None]) -> list[str | None]:
    return pl.DataFrame({"x": values}, schema={"x": pl.Float64}).select(expr)[:, 0].to_list()


def test_values_at_their_own_precision_without_float_noise() -> None:
    got = _texts(clean_number(pl.col("x")), [4.1000000000000005, 2367.0, 0.035, -0.0, 166.1, None])
    assert got == ["4.1", "2367", "0.035", "0", "166.1", None]


@pytest.mark.parametrize(
    ("decimals", "values", "expected"),
    [
        (1, [33.967, 10.989, 0.04, 481.579], ["34.0", "11.0", "0.0", "481.6"]),
        (2, [0.8596491228070176, 0.8, 1.0, 12.346], ["0.86", "0.80", "1.00", "12.35"]),
    ],
)
def test_fixed_decimals(decimals: int, values: list[float], expected: list[str]) -> None:
    assert _texts(fixed_number(pl.col("x"), decimals), values) == expected  # type: ignore[arg-type]


def test_a_rounded_value_never_reads_as_its_threshold() -> None:
    """49.96 % against "< 50 %" would read "50.0 % < 50 %": shown at the engine's precision."""
    got = _texts(guarded_number(pl.col("x"), 1, 50.0), [49.96, 50.0, 33.967, 50.04])
    assert got == ["49.96", "50.0", "34.0", "50.04"]


def test_inputs_have_no_float_noise_and_ratios_six_significant_digits() -> None:
    df = pl.DataFrame({"x": [4.1000000000000005, 166.66666666666666, float("inf")]})
    assert df.select(input_number("DFLC", pl.col("x")))[:, 0].to_list() == [4.1, 166.666667, None]
    assert df.select(input_number("FLCRATIO", pl.col("x")))[:, 0].to_list()[:2] == [4.1, 166.667]


@pytest.mark.parametrize(
    ("column", "words"),
    [
        ("NYHA__baseline", "baseline NYHA class"),
        ("HEMCAT__BEST", "best hematologic response so far"),
        ("NTPROBNP__nadir", "nadir NT-proBNP"),
        ("SPEPMP__nadir_confirmed", "lowest confirmed serum M-protein"),
        ("NYHA__baseline__ADT", "date of baseline NYHA class"),
        ("IFLC__nadir_while_HEMCAT_CR", "nadir iFLC while the hematologic response was CR"),
        ("HEARTFL", "heart involved"),
    ],
)
def test_every_engine_column_has_words(column: str, words: str) -> None:
    assert label(column) == words


def test_an_increase_is_never_a_negative_decrease() -> None:
    """dFLC up 11 % from baseline: "increase 11.0 %, not a decrease > 50 %"."""
    r = last(run(LAMBDA_240, {"FLCLAM": 278.4, "FLCKAP": 12.0}), "HEMCAT")
    assert r["AVALC"] == "NR"
    assert "dFLC 266.4 mg/L vs baseline 240 mg/L (2024-01-01): increase 11.0 %" in r["EXPLAIN"]
    assert "not a decrease > 50 %" in r["EXPLAIN"]
    assert "decrease -" not in r["EXPLAIN"]
    assert "dFLC measurable (≥ 50 mg/L at baseline)" in r["EXPLAIN"]


def test_no_progression_names_the_nearest_rule_and_why_it_is_not_met() -> None:
    """iFLC up 12 % from its nadir of 60 mg/L, below 100 mg/L: the FLC rule is the nearest."""
    out = run(LAMBDA_240, {"FLCLAM": 60.0, "FLCKAP": 10.0}, {"FLCLAM": 67.2, "FLCKAP": 10.0})
    r = last(out, "HEMPROG")
    assert (r["AVALC"], r["RULEID"], r["RULESETVER"]) == ("NOPROG", "AL2012.PROG.NONE", "1.0.0")
    assert r["EXPLAIN"] == (
        "NOPROG: no progression; nearest rule AL2012.PROG.FLC (FLC progression) not met: "
        "iFLC 67.2 mg/L vs nadir 60 mg/L (2024-01-31): increase 12.0 % < 50 %; "
        "iFLC 67.2 mg/L ≤ 100 mg/L"
    )


def test_no_progression_from_cr_names_the_immunofixation_rule() -> None:
    neg = {"SIFE": "NEGATIVE", "UIFE": "NEGATIVE"}
    cr = {"FLCLAM": 20.0, "FLCKAP": 10.0, **neg}
    r = last(run(LAMBDA_240, cr, cr), "HEMPROG")
    assert r["AVALC"] == "NOPROG"
    assert (
        "nearest rule AL2012.PROG.CR.IFE (relapse from CR by immunofixation) not met"
        in (r["EXPLAIN"])
    )
    assert "serum IFE negative; urine IFE negative" in r["EXPLAIN"]


def test_cardiac_no_response_states_the_result_and_what_was_missing() -> None:
    """NT-proBNP fell 24 % (NYHA never recorded): the sentence gives the NT-proBNP result and the
    downgrade names the missing NYHA class in words."""
    bl = {**LAMBDA_240, "NTPROBNP": 2500.0, "HEARTFL": True}
    r = last(run(bl, {"FLCLAM": 60.0, "FLCKAP": 12.0, "NTPROBNP": 1900.0}), "CARDRESP")
    assert r["AVALC"] == "CarNR"
    assert (
        "no response; nearest rule AL2012.CARD.RESP.NTPROBNP (NT-proBNP response) not met: "
        "NT-proBNP 1900 ng/L vs baseline 2500 ng/L (2024-01-01): decrease 24.0 % ≤ 30 %"
    ) in r["EXPLAIN"]
    assert r["DOWNGRADE"] == (
        "CarR not assessable (AL2012.CARD.RESP.NYHA): missing baseline NYHA class, NYHA class"
    )


def test_one_change_is_stated_once_with_both_thresholds() -> None:
    bl = {**LAMBDA_240, "NTPROBNP": 2000.0, "HEARTFL": True}
    r = last(run(bl, {"FLCLAM": 60.0, "FLCKAP": 12.0, "NTPROBNP": 1300.0}), "CARDRESP")
    assert r["AVALC"] == "CarR"
    assert r["EXPLAIN"].endswith(
        "NT-proBNP 1300 ng/L vs baseline 2000 ng/L (2024-01-01): decrease 35.0 % > 30 %, "
        "absolute decrease 700 ng/L > 300 ng/L"
    )


def test_gertz_2005_renal_stable_row_names_the_response_rule() -> None:
    bl = {**LAMBDA_240, "PROT24H": 3.0, "EGFR": 80.0, "KIDNEYFL": True}
    visit = {"FLCLAM": 60.0, "FLCKAP": 12.0, "PROT24H": 2.0, "EGFR": 78.0}
    r = last(run(bl, visit, renal_criteria="GERTZ_2005"), "RENRESP")
    assert (r["AVALC"], r["RULEID"]) == ("RenSD", "AL2005.REN.STABLE")
    assert r["EXPLAIN"].endswith(
        "no response; nearest rule AL2005.REN.RESP (renal response) not met: proteinuria 2 g/24h "
        "vs baseline 3 g/24h (2024-01-01): decrease 33.3 % < 50 %"
    )
