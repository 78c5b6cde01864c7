"""CTCAE grades of trial labs: LLN/ULN from the SDTM normal range, baseline-relative creatinine,
baseline and on-treatment records, and the lab tables of the adverse-event endpoint.

Every grading case goes through intake (raw LB -> :func:`standardize_lb`) and
:func:`derive_adlb_grades`, so it checks that ``LBSTNRLO``/``LBSTNRHI`` and the baseline reach
the grader. Thresholds are the CTCAE v5 rows of :mod:`plasmatrial.criteria.ctcae`.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.design.protocol import Endpoint
from plasmatrial.intake import standardize_lb
from plasmatrial.trial.analyse import analyse_ae
from plasmatrial.trial.derive import LAB_POST_DOSE_DAYS, derive_adlb_grades
from plasmatrial.trial.labtox import lab_toxicity_tables

FIRST = dt.date(2024, 1, 10)
LAST = dt.date(2024, 6, 1)
UNITS = {"HGB": "g/dL", "NEUT": "10^9/L", "PLAT": "10^9/L", "CREAT": "mg/dL"}


def _adsl(*ids: str) -> pl.DataFrame:
    n = len(ids)
    return pl.DataFrame(
        {
            "USUBJID": list(ids),
            "ARMCD": ["A"] * n,
            "SAFFL": ["Y"] * n,
            "TRTSDT": [FIRST] * n,
            "TRTEDT": [LAST] * n,
        }
    )


def _lb(rows: list[tuple[str, str, float, int, str, str]]) -> pl.DataFrame:
    """Raw LB from ``(subject, test, value, study day (0 = first dose), LBSTNRLO, LBSTNRHI)``."""
    return pl.DataFrame(
        {
            "USUBJID": [r[0] for r in rows],
            "LBTESTCD": [r[1] for r in rows],
            "LBORRES": [str(r[2]) for r in rows],
            "LBORRESU": [UNITS[r[1]] for r in rows],
            "LBDTC": [(FIRST + dt.timedelta(days=r[3])).isoformat() for r in rows],
            "VISIT": [f"DAY {r[3]}" for r in rows],
            "VISITNUM": [str(i + 1) for i in range(len(rows))],
            "LBSTNRLO": [r[4] or None for r in rows],
            "LBSTNRHI": [r[5] or None for r in rows],
        }
    )


def _grades(rows: list[tuple[str, str, float, int, str, str]]) -> pl.DataFrame:
    ids = sorted({r[0] for r in rows})
    return derive_adlb_grades(standardize_lb(_lb(rows)), _adsl(*ids))


def _post_grade(rows: list[tuple[str, str, float, int, str, str]]) -> int | None:
    out = _grades(rows).filter(pl.col("ONTRTFL") == "Y")
    assert out.height == 1
    return out["ATOXGR"][0]


@pytest.mark.parametrize(
    ("test", "value", "lln", "expected"),
    [
        # CTCAE v5 grade 1 "< LLN" (the grade-2 cut lies below each value here)
        pytest.param("HGB", 11.9, "12.0", 1, id="hgb-just-below-lln-grade-1"),
        pytest.param("HGB", 12.0, "12.0", 0, id="hgb-at-lln-grade-0"),
        pytest.param("HGB", 10.8, "12.0", 1, id="hgb-10.8-lln-12-grade-1"),
        pytest.param("HGB", 11.9, "", None, id="hgb-no-lln-missing"),
        pytest.param("NEUT", 1.79, "1.8", 1, id="anc-just-below-lln-grade-1"),
        pytest.param("NEUT", 1.8, "1.8", 0, id="anc-at-lln-grade-0"),
        pytest.param("NEUT", 1.79, "", None, id="anc-no-lln-missing"),
        pytest.param("PLAT", 149.0, "150", 1, id="plt-just-below-lln-grade-1"),
        pytest.param("PLAT", 150.0, "150", 0, id="plt-at-lln-grade-0"),
        pytest.param("PLAT", 149.0, "", None, id="plt-no-lln-missing"),
        # an absolute grade needs no normal range
        pytest.param("HGB", 9.9, "", 2, id="hgb-9.9-grade-2-without-lln"),
    ],
)
def test_decreased_terms_use_the_lln_of_lbstnrlo(
    test: str, value: float, lln: str, expected: int | None
) -> None:
    assert _post_grade([("S1", test, value, 20, lln, "")]) == expected


@pytest.mark.parametrize(
    ("base", "value", "uln", "expected"),
    [
        # > 1.5 x baseline (1.0 -> 1.5) is grade 2; > 3.0 x baseline grade 3 (CTCAE v5)
        pytest.param(1.0, 1.51, "", 2, id="just-above-1.5x-baseline-grade-2"),
        pytest.param(1.0, 1.5, "", None, id="at-1.5x-baseline-no-uln-missing"),
        pytest.param(1.0, 1.5, "1.2", 1, id="at-1.5x-baseline-above-uln-grade-1"),
        pytest.param(1.0, 1.2, "1.2", 0, id="at-uln-grade-0"),
        pytest.param(1.0, 3.01, "", 3, id="just-above-3x-baseline-grade-3"),
        pytest.param(1.0, 3.0, "", 2, id="at-3x-baseline-grade-2"),
        pytest.param(None, 1.51, "", None, id="no-baseline-no-uln-missing"),
        pytest.param(None, 1.51, "1.2", 1, id="no-baseline-uln-only-grade-1"),
    ],
)
def test_creatinine_relative_to_baseline_and_uln(
    base: float | None, value: float, uln: str, expected: int | None
) -> None:
    rows = [("S1", "CREAT", value, 30, "", uln)]
    if base is not None:
        rows.insert(0, ("S1", "CREAT", base, 0, "", uln))
    assert _post_grade(rows) == expected


def test_baseline_is_the_last_value_on_or_before_first_dose() -> None:
    """Pre-dose creatinine 0.5 (day -10) and 1.0 (day 0, first-dose day): baseline 1.0.
    Day 30: 1.6 > 1.5 x 1.0 = 1.5 -> grade 2 (with the day -10 value it would be > 3 x 0.5 =
    1.5 -> grade 3). The day-0 record is the baseline record, the day -10 one is dropped."""
    out = _grades(
        [
            ("S1", "CREAT", 0.5, -10, "", ""),
            ("S1", "CREAT", 1.0, 0, "", ""),
            ("S1", "CREAT", 1.6, 30, "", ""),
        ]
    ).sort("ADT")
    assert out["ABLFL"].to_list() == ["Y", "N"]
    assert out["ONTRTFL"].to_list() == ["N", "Y"]
    assert out["BASE"].to_list() == [1.0, 1.0]
    assert out["BASEDT"][0] == FIRST
    assert out["ATOXGR"][1] == 2 and out["ATOXRULE"][1] == "CTCAE5.CREATINC.G2.BASE"


def test_on_treatment_window_ends_30_days_after_last_dose() -> None:
    days = (LAST - FIRST).days
    out = _grades(
        [
            ("S1", "HGB", 11.0, days + LAB_POST_DOSE_DAYS, "12.0", ""),
            ("S1", "HGB", 11.0, days + LAB_POST_DOSE_DAYS + 1, "12.0", ""),
        ]
    )
    assert out.height == 1
    assert out["ADT"][0] == LAST + dt.timedelta(days=LAB_POST_DOSE_DAYS)


def test_provenance_columns_are_kept() -> None:
    out = _grades([("S1", "HGB", 10.8, 20, "12.0", "16.0")])
    row = out.row(0, named=True)
    assert row["ANRLO"] == 12.0 and row["ANRHI"] == 16.0
    assert row["ATOXRULE"] == "CTCAE5.ANEMIA.G1" and row["LBORRES"] == "10.8"
    assert row["SRCROW"] == 1


def _tables() -> dict[str, pl.DataFrame]:
    """S1: Hb baseline 12.5 (grade 0), on treatment 11.0 and 9.5 -> worst grade 2.
    S2: Hb baseline 11.0 (grade 1), on treatment 11.5 and one result without a normal range
    (ungradable) -> worst grade 1. S3: only ungradable on-treatment Hb -> worst missing."""
    rows = [
        ("S1", "HGB", 12.5, 0, "12.0", ""),
        ("S1", "HGB", 11.0, 20, "12.0", ""),
        ("S1", "HGB", 9.5, 40, "12.0", ""),
        ("S2", "HGB", 11.0, -2, "12.0", ""),
        ("S2", "HGB", 11.5, 20, "12.0", ""),
        ("S2", "HGB", 11.5, 40, "", ""),
        ("S3", "HGB", 11.5, 20, "", ""),
    ]
    return lab_toxicity_tables(_grades(rows))


def test_lab_table_counts_ungradable_results_and_worst_grades() -> None:
    t = _tables()
    g = t["lab_grades"].row(0, named=True)
    assert (g["N_RESULTS"], g["N_UNGRADABLE"], g["N_SUBJECTS"], g["N_GRADED"]) == (5, 2, 3, 2)
    assert (g["N_GR1_PLUS"], g["N_GR3_PLUS"]) == (2, 0)
    assert g["UNGRADABLE_REASONS"] == "LLN missing (2)"
    w = t["lab_worst_grade"].row(0, named=True)
    assert [w[f"WORST_{k}"] for k in ("0", "1", "2", "3", "MISSING")] == [0, 1, 1, 0, 1]


def test_shift_table_baseline_to_worst() -> None:
    shift = _tables()["lab_shift"]
    got = {
        r["BTOXGR"]: (r["WORST_1"], r["WORST_2"], r["WORST_MISSING"])
        for r in shift.iter_rows(named=True)
    }
    assert got == {"0": (0, 1, 0), "1": (1, 0, 0), "MISSING": (0, 0, 1)}


def test_analyse_ae_carries_the_lab_tables() -> None:
    rows = [("S1", "HGB", 11.0, 20, "12.0", "")]
    adlb = _grades(rows)
    ep = Endpoint(id="AE", label="AE", type="adverse_events")
    res = analyse_ae(ep, None, _adsl("S1"), adlb)
    assert set(res.extra) == {"lab_grades", "lab_worst_grade", "lab_shift"}
