"""ADAE derivation, AE-by-grade summary and AE overview on small inline tables."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from plasmatrial.endpoints.adverse_events import ae_overview, ae_summary_by_grade, derive_adae
from plasmatrial.errors import RuleError

ADSL = pl.DataFrame(
    {
        "USUBJID": ["S1", "S2", "S3", "S4", "S5"],
        "ARM": ["A", "A", "B", "B", "B"],
        "TRTSDT": [date(2024, 1, 10)] * 4 + [None],  # S5 never dosed
        "TRTEDT": [date(2024, 3, 1), date(2024, 3, 1), date(2024, 3, 1), None, None],
    }
)


def _ae(rows: list[tuple[str, str | None, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": [r[0] for r in rows],
            "AESTDTC": [r[1] for r in rows],
            "AEDECOD": [r[2] for r in rows],
            "AETOXGR": [r[3] for r in rows],
        },
        schema_overrides={"AESTDTC": pl.String, "AETOXGR": pl.String},
    )


@pytest.mark.parametrize(
    ("onset", "subject", "expected"),
    [
        pytest.param("2024-01-09", "S1", None, id="day-before-first-dose-just-misses"),
        pytest.param("2024-01-10", "S1", "Y", id="first-dose-day-just-meets"),
        pytest.param("2024-03-31", "S1", "Y", id="last-dose-plus-30-just-meets"),
        pytest.param("2024-04-01", "S1", None, id="last-dose-plus-31-just-misses"),
        pytest.param("2024-01", "S1", "Y", id="partial-month-overlapping-first-dose"),
        pytest.param("2023-12", "S1", None, id="partial-month-before-first-dose"),
        pytest.param("2024-04", "S1", None, id="partial-month-after-window"),
        pytest.param("2024", "S1", "Y", id="partial-year"),
        pytest.param(None, "S1", "Y", id="missing-onset-conservative"),
        pytest.param("2025-06-01", "S4", "Y", id="no-last-dose-date-ongoing"),
        pytest.param("2024-02-01", "S5", None, id="never-dosed"),
        pytest.param("2024-02-01T08:30", "S1", "Y", id="datetime-string"),
    ],
)
def test_trtemfl(onset: str | None, subject: str, expected: str | None) -> None:
    out = derive_adae(_ae([(subject, onset, "NAUSEA", "1")]), ADSL)
    assert out["TRTEMFL"][0] == expected


def test_trtemfl_window_is_a_parameter() -> None:
    ae = _ae([("S1", "2024-03-08", "RASH", "2")])
    assert derive_adae(ae, ADSL, te_window_days=7)["TRTEMFL"][0] == "Y"
    assert derive_adae(ae, ADSL, te_window_days=6)["TRTEMFL"][0] is None


def test_derive_adae_columns_and_grade_parsing() -> None:
    ae = _ae(
        [
            ("S1", "2024-02-01", "RASH", "3"),
            ("S1", "2024-02-02", "RASH", "Grade 2"),
            ("S2", "2024-02", "FATIGUE", None),
            ("S3", "2024-02-03", "FATIGUE", "x"),
        ]
    )
    out = derive_adae(ae, ADSL)
    assert out["ATOXGR"].to_list() == [3, 2, None, None]
    assert out["ATOXGR"].dtype == pl.Int8
    assert out["ARM"].to_list() == ["A", "A", "A", "B"]
    assert out["ASTDT"].to_list() == [date(2024, 2, 1), date(2024, 2, 2), None, date(2024, 2, 3)]
    assert out["TRTSDT"].dtype == pl.Date


def test_derive_adae_from_dm_iso_strings() -> None:
    dm = pl.DataFrame(
        {"USUBJID": ["S1"], "ARM": ["A"], "RFXSTDTC": ["2024-01-10"], "RFXENDTC": ["2024-03-01"]}
    )
    ae = _ae([("S1", "2024-01-09", "X", "1"), ("S1", "2024-01-10", "X", "1")])
    out = derive_adae(ae, dm, trt_start_col="RFXSTDTC", trt_end_col="RFXENDTC")
    assert out["TRTEMFL"].to_list() == [None, "Y"]


def test_derive_adae_errors() -> None:
    with pytest.raises(RuleError, match="AETOXGR"):
        derive_adae(_ae([("S1", None, "X", "1")]).drop("AETOXGR"), ADSL)
    with pytest.raises(RuleError, match="more than one row"):
        derive_adae(_ae([("S1", None, "X", "1")]), pl.concat([ADSL, ADSL]))
    with pytest.raises(RuleError, match="te_window_days"):
        derive_adae(_ae([("S1", None, "X", "1")]), ADSL, te_window_days=-1)


def _adae() -> pl.DataFrame:
    ae = _ae(
        [
            ("S1", "2024-01-05", "NEUTROPENIA", "4"),  # pre-treatment: excluded
            ("S1", "2024-02-01", "NEUTROPENIA", "2"),
            ("S1", "2024-02-10", "NEUTROPENIA", "3"),  # S1 worst TE neutropenia = 3
            ("S1", "2024-02-11", "RASH", "1"),
            ("S2", "2024-02-01", "NEUTROPENIA", "1"),
            ("S3", "2024-02-01", "NEUTROPENIA", "3"),
            ("S3", "2024-02-05", "NEUTROPENIA", "5"),  # S3 worst = 5: grade 5 only
            ("S4", "2024-01-01", "RASH", "3"),  # pre-treatment: excluded
        ]
    )
    return derive_adae(ae, ADSL).with_columns(
        pl.Series("AESER", ["N", "N", "Y", "N", "N", "N", "Y", "Y"]),
        pl.Series("AEACN", ["DOSE NOT CHANGED"] * 2 + ["DRUG WITHDRAWN"] + ["NONE"] * 5),
        pl.Series("AEOUT", ["RECOVERED"] * 6 + ["FATAL", "RECOVERED"]),
    )


def test_ae_summary_by_grade_counts_subjects_once_at_worst_grade() -> None:
    out = ae_summary_by_grade(_adae(), dataset_adsl=ADSL)
    expected = pl.DataFrame(
        {
            "ARM": ["A", "A", "B", "B"],
            "AEDECOD": ["NEUTROPENIA", "RASH", "NEUTROPENIA", "RASH"],
            "DENOM": [2, 2, 3, 3],
            "N_ANY": [2, 1, 1, 0],
            "PCT_ANY": [100.0, 50.0, 100 / 3, 0.0],
            "N_GR3_4": [1, 0, 0, 0],
            "PCT_GR3_4": [50.0, 0.0, 0.0, 0.0],
            "N_GR5": [0, 0, 1, 0],
            "PCT_GR5": [0.0, 0.0, 100 / 3, 0.0],
        },
        schema_overrides={"DENOM": pl.UInt32},
    )
    assert_frame_equal(out, expected, check_dtypes=False)


def test_ae_summary_without_adsl_uses_adae_subjects(caplog: pytest.LogCaptureFixture) -> None:
    out = ae_summary_by_grade(_adae())
    assert out.filter(pl.col("ARM") == "B")["DENOM"].to_list() == [2, 2]  # S3, S4 only
    assert "denominators" in caplog.text


def test_ae_overview() -> None:
    out = ae_overview(_adae(), dataset_adsl=ADSL)
    expected = pl.DataFrame(
        {
            "ARM": ["A"] * 5 + ["B"] * 5,
            "CATEGORY": [
                "Any TEAE",
                "TEAE grade >= 3",
                "Serious TEAE",
                "TEAE leading to discontinuation",
                "Fatal TEAE",
            ]
            * 2,
            "N": [2, 1, 1, 1, 0, 1, 1, 1, 0, 1],
            "DENOM": [2] * 5 + [3] * 5,
        }
    )
    assert_frame_equal(out.select("ARM", "CATEGORY", "N", "DENOM"), expected, check_dtypes=False)
    assert out["PCT"][5] == pytest.approx(100 / 3)
