"""Lines of therapy (criteria.md 5.2), refractoriness (5.1) and eligibility rule sets."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.criteria.mm.eligibility import evaluate_eligibility
from plasmatrial.criteria.mm.refractory import (
    annotate_prior_therapy,
    count_lines,
    derive_lines_of_therapy,
    derive_refractory_status,
)
from plasmatrial.errors import RuleError

COLS = ["USUBJID", "REGID", "DRUG", "ASTDT", "AENDT", "BESTRESP", "PDDT", "PLANFL"]


def table(*rows: tuple[object, ...]) -> pl.DataFrame:
    padded = [tuple(r) + (None,) * (len(COLS) - len(r)) for r in rows]
    return pl.DataFrame(padded, schema=COLS, orient="row").with_columns(
        pl.col("ASTDT", "AENDT", "PDDT").cast(pl.String).str.to_date(),
        pl.col("BESTRESP", "PLANFL").cast(pl.String),
    )


def lines(df: pl.DataFrame) -> list[int]:
    return derive_lines_of_therapy(df)["LINE"].to_list()


VRD = ("BORTEZOMIB", "LENALIDOMIDE", "DEXAMETHASONE")


def test_planned_induction_sct_consolidation_maintenance_is_one_line() -> None:
    df = table(
        *[("A", "IND", d, "2018-01-01", "2018-04-01", "VGPR") for d in VRD],
        ("A", "SCT", "ASCT", "2018-05-01", "2018-05-01", "CR", None, "Y"),
        *[("A", "CONS", d, "2018-07-01", "2018-09-01", "CR", None, "Y") for d in VRD],
        ("A", "MAINT", "Lenalidomide", "2018-10-01", None, "CR", None, "Y"),
    )
    assert lines(df) == [1, 1, 1, 1]
    assert count_lines(df)["NLINES"].to_list() == [1]


def test_unplanned_substitution_is_a_new_line() -> None:
    df = table(
        ("A", "R1", "Lenalidomide", "2019-01-01", "2019-06-01", "PR"),
        ("A", "R1", "Dexamethasone", "2019-01-01", "2019-08-01", "PR"),
        ("A", "R2", "Bortezomib", "2019-06-02", "2019-12-01", "PR"),
        ("A", "R2", "Dexamethasone", "2019-06-02", "2019-12-01", "PR"),
    )
    out = derive_lines_of_therapy(df)
    assert out["LINE"].to_list() == [1, 2]
    assert out["LINETRIG"].to_list() == ["FIRST", "L2"]


def test_regimen_stopped_then_different_regimen_is_l1() -> None:
    df = table(
        ("A", "R1", "Thalidomide", "2015-01-01", "2015-06-01", "PR"),
        ("A", "R2", "Melphalan", "2015-09-01", "2016-01-01", "PR"),
    )
    assert derive_lines_of_therapy(df)["LINETRIG"].to_list() == ["FIRST", "L1"]


def test_dose_change_and_pause_without_pd_stay_in_the_line() -> None:
    df = table(
        ("A", "R1", "Lenalidomide", "2019-01-01", "2019-03-01", "PR"),
        ("A", "R1b", "Revlimid", "2019-03-02", "2019-06-01", "PR"),  # 25 mg -> 15 mg
        ("A", "R1c", "Lenalidomide", "2019-09-01", "2019-12-01", "PR"),  # pause, restart
    )
    out = derive_lines_of_therapy(df)
    assert out["LINE"].to_list() == [1, 1, 1]
    assert out["LINETRIG"].to_list() == ["FIRST", "SAME_DRUGS", "SAME_DRUGS"]


def test_restart_of_same_regimen_after_pd_is_a_new_line() -> None:
    df = table(
        ("A", "R1", "Lenalidomide", "2019-01-01", "2019-06-01", "PR", "2019-10-01"),
        ("A", "R2", "Lenalidomide", "2019-10-15", None, "PR"),
    )
    out = derive_lines_of_therapy(df)
    assert out["LINE"].to_list() == [1, 2]
    assert out["LINETRIG"].to_list() == ["FIRST", "AFTER_PD"]


def test_stopping_some_drugs_is_not_a_new_line_and_unplanned_sct_is() -> None:
    df = table(
        *[("A", "R1", d, "2018-01-01", "2018-04-01", "PR") for d in VRD],
        ("A", "R2", "Lenalidomide", "2018-04-02", "2018-08-01", "PR"),
        ("A", "R3", "AUTO-SCT", "2018-09-01", "2018-09-01", "CR"),
    )
    out = derive_lines_of_therapy(df)
    assert out["LINETRIG"].to_list() == ["FIRST", "SUBSET", "L3"]
    assert out["LINE"].to_list() == [1, 1, 2]


@pytest.mark.rule("IMWG2011.refractory.window")
@pytest.mark.parametrize(
    ("pd_date", "refractory"),
    [
        pytest.param("2020-03-01", True, id="60-days-just-meets"),
        pytest.param("2020-03-02", False, id="61-days-just-misses"),
        pytest.param("2019-12-15", True, id="pd-on-therapy"),
    ],
)
def test_sixty_day_window(pd_date: str, refractory: bool) -> None:
    # last dose 2020-01-01; 2020 is a leap year: 2020-03-01 is day 60.
    df = table(("A", "R1", "Lenalidomide", "2019-06-01", "2020-01-01", "PR", pd_date))
    ann = annotate_prior_therapy(df)
    assert ann["PDWINFL"].to_list() == [refractory]
    assert ann["REFRFL"].to_list() == [refractory]


def test_failure_to_reach_mr_is_refractory_unless_switched_off() -> None:
    df = table(("A", "R1", "Bortezomib", "2019-01-01", "2019-06-01", "SD"))
    assert annotate_prior_therapy(df)["REFRFL"].to_list() == [True]
    off = annotate_prior_therapy(df, nonresponse_is_refractory=False)
    assert off["REFRFL"].to_list() == [False]


def test_minimum_dose_parameter() -> None:
    df = table(("A", "R1", "Lenalidomide", "2019-01-01", None, "PR", "2019-05-01")).with_columns(
        pl.lit(5.0).alias("DOSE")
    )
    assert annotate_prior_therapy(df)["REFRFL"].to_list() == [True]
    capped = annotate_prior_therapy(df, min_doses={"lenalidomide": 10.0})
    assert capped["REFRFL"].to_list() == [False]
    with pytest.raises(RuleError, match="DOSE"):
        annotate_prior_therapy(df.drop("DOSE"), min_doses={"lenalidomide": 10.0})


def test_disease_states_and_class_refractoriness() -> None:
    df = table(
        # P1: never MR or better -> primary refractory
        ("P1", "R1", "Bortezomib", "2019-01-01", "2019-06-01", "SD"),
        # P2: PR on VRd, then PD on Dara-Pd: relapsed and refractory, triple-class refractory
        *[("P2", "R1", d, "2018-01-01", "2018-06-01", "PR", "2018-07-15") for d in VRD],
        ("P2", "R2", "Daratumumab", "2018-08-01", None, "SD", "2019-01-01"),
        ("P2", "R2", "Pomalidomide", "2018-08-01", None, "SD", "2019-01-01"),
        # P3: PR, PD 200 days after the last dose: relapsed (not refractory)
        ("P3", "R1", "Lenalidomide", "2018-01-01", "2018-06-01", "PR", "2018-12-18"),
        # P4: PR and no PD
        ("P4", "R1", "Lenalidomide", "2018-01-01", "2018-06-01", "VGPR"),
    )
    out = derive_refractory_status(df).sort("USUBJID")
    assert out["DSSTATE"].to_list() == [
        "PRIMARY_REFRACTORY",
        "RELAPSED_AND_REFRACTORY",
        "RELAPSED",
        "NOT_PROGRESSED",
    ]
    assert out["DCREFRFL"].to_list() == [False, True, False, False]
    assert out["TCREFRFL"].to_list() == [False, True, False, False]
    assert out["REFRDRUGS"][1].to_list() == [
        "BORTEZOMIB",
        "DARATUMUMAB",
        "DEXAMETHASONE",
        "LENALIDOMIDE",
        "POMALIDOMIDE",
    ]


def _mm003_patient(last_dose_to_pd_days: int) -> pl.DataFrame:
    last = dt.date(2020, 6, 1)
    pd = (last + dt.timedelta(days=last_dose_to_pd_days)).isoformat()
    return table(
        ("A", "R1", "Bortezomib", "2018-01-01", "2018-06-01", "PR"),
        ("A", "R1", "Dexamethasone", "2018-01-01", "2018-06-01", "PR"),
        ("A", "R2", "Lenalidomide", "2019-06-01", last.isoformat(), "PR", pd),
        ("A", "R2", "Dexamethasone", "2019-06-01", last.isoformat(), "PR", pd),
    )


@pytest.mark.rule("MM003.PD60")
@pytest.mark.parametrize(
    ("days", "eligible"),
    [pytest.param(60, True, id="just-meets"), pytest.param(61, False, id="just-misses")],
)
def test_mm003_eligibility(days: int, eligible: bool) -> None:
    res = evaluate_eligibility(_mm003_patient(days), "MM003_ELIGIBILITY")
    crit = dict(zip(res.to_frame()["CRITID"], res.to_frame()["PASS"], strict=True))
    assert crit == {
        "MM003.LINES": True,
        "MM003.LEN": True,
        "MM003.BTZ": True,
        "MM003.PD60": eligible,
    }
    assert res.subjects["ELIGFL"].to_list() == [eligible]
    assert "60 days" in res.subjects["EXPLAIN"][0]


def test_mm003_needs_two_lines() -> None:
    df = table(
        ("A", "R1", "Bortezomib", "2018-01-01", "2018-06-01", "PR", "2018-06-20"),
        ("A", "R1", "Lenalidomide", "2018-01-01", "2018-06-01", "PR", "2018-06-20"),
    )
    res = evaluate_eligibility(df, "MM003_ELIGIBILITY")
    assert res.subjects["FAILED"][0].to_list() == ["MM003.LINES"]


@pytest.mark.parametrize(
    ("btz_resp", "len_resp", "eligible"),
    [
        pytest.param("MR", "SD", True, id="both-below-PR"),
        pytest.param("PR", "SD", False, id="PR-on-bortezomib-just-misses"),
        pytest.param("MR", None, None, id="response-on-lenalidomide-unknown"),
    ],
)
def test_ifm2009_02(btz_resp: str, len_resp: str | None, eligible: bool | None) -> None:
    df = table(
        ("A", "R1", "Bortezomib", "2018-01-01", "2018-06-01", btz_resp),
        ("A", "R2", "Lenalidomide", "2018-08-01", None, len_resp, "2019-02-01"),
    )
    res = evaluate_eligibility(df, "IFM2009_02")
    assert res.subjects["ELIGFL"].to_list() == [eligible]


def test_unknown_rule_set_is_a_rule_error() -> None:
    with pytest.raises(RuleError, match="unknown eligibility rule set"):
        evaluate_eligibility(_mm003_patient(10), "NOPE")
