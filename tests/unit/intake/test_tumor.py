"""TU/TR validation, imaging derivation (SPD, new lesions) and matching to assessments
(``plasmatrial.intake.tumor``, decision 0104)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.errors import ReasonCode
from plasmatrial.intake import check_frames
from plasmatrial.intake.tumor import (
    add_mm_columns,
    imaging_records,
    match_imaging,
    tr_problems,
    tu_problems,
)
from tests.unit.intake.conftest import lb_frame

D = dt.date


def tu_frame(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """Rows of (USUBJID, TULNKID, TUTESTCD, TUSTRESC, TUDTC)."""
    cols = ("USUBJID", "TULNKID", "TUTESTCD", "TUSTRESC", "TUDTC")
    return pl.DataFrame(
        [dict(zip(cols, r, strict=True)) for r in rows], schema=dict.fromkeys(cols, pl.String)
    )


def tr_frame(rows: list[tuple[str, str, str, str | None, str | None, str]]) -> pl.DataFrame:
    """Rows of (USUBJID, TRLNKID, TRTESTCD, TRSTRESN, TRSTRESU, TRDTC)."""
    cols = ("USUBJID", "TRLNKID", "TRTESTCD", "TRSTRESN", "TRSTRESU", "TRDTC")
    return pl.DataFrame(
        [dict(zip(cols, r, strict=True)) for r in rows], schema=dict.fromkeys(cols, pl.String)
    )


GOOD_TU = tu_frame(
    [
        ("S1", "P1", "TUMIDENT", "TARGET", "2024-01-05"),
        ("S1", "P2", "TUMIDENT", "target", "2024-01-05"),
        ("S1", "B1", "TUMIDENT", "NON-TARGET", "2024-01-05"),
        ("S1", "N1", "TUMIDENT", "NEW", "2024-03-02"),
    ]
)
GOOD_TR = tr_frame(
    [
        ("S1", "P1", "LDIAM", "40", "mm", "2024-01-05"),
        ("S1", "P1", "LPERP", "30", "mm", "2024-01-05"),
        ("S1", "P2", "AREA", "200", "mm2", "2024-01-05"),
        ("S1", "B1", "LDIAM", "10", "cm", "2024-01-05"),  # non-target: not in the SPD
        ("S1", "B1", "LPERP", "10", "cm", "2024-01-05"),
        ("S1", "P1", "LDIAM", "2", "cm", "2024-03-02"),
        ("S1", "P1", "LPERP", "1.5", "cm", "2024-03-02"),
        ("S1", "P2", "AREA", "1", "cm²", "2024-03-02"),
        ("S1", "P1", "LDIAM", "2", "cm", "2024-04-01"),  # P2 not measured that day
        ("S1", "P1", "LPERP", "1.5", "cm", "2024-04-01"),
    ]
)


def _prepared() -> tuple[pl.DataFrame, pl.DataFrame]:
    tu_list, tu = tu_problems(GOOD_TU)
    tr_list, tr = tr_problems(GOOD_TR, tu)
    assert tu_list == [] and tr_list == []
    assert tu is not None and tr is not None
    return tu, tr


# ------------------------------------------------------------------------------------- readers
def test_tu_bad_input_lists_every_problem_with_row_column_value() -> None:
    tu = tu_frame(
        [
            ("S1", "P1", "TUMIDENT", "TARGET", "2024-01-05"),
            ("S1", "P1", "TUMIDENT", "TARGET", "2024-01-05"),  # duplicate lesion id
            ("S1", "P3", "TUMEAS", "TARGET", "2024-01-05"),  # not TUMIDENT
            ("S1", "P4", "TUMIDENT", "MEASURABLE", "2024-01"),  # bad result, partial date
        ]
    )
    problems, prep = tu_problems(tu, file="tu.csv")
    assert prep is not None
    got = {(p.row, p.column, p.value, p.reason) for p in problems}
    assert got == {
        (2, "TULNKID", "S1 lesion P1", ReasonCode.DUPLICATE),
        (3, "TUTESTCD", "TUMEAS", ReasonCode.UNKNOWN_TEST),
        (4, "TUSTRESC", "MEASURABLE", ReasonCode.BAD_VALUE),
        (4, "TUDTC", "2024-01", ReasonCode.PARTIAL_DATE),
    }
    assert all(p.file == "tu.csv" for p in problems)
    assert "TARGET, NON-TARGET, NEW" in next(p.expected for p in problems if p.row == 4)


def test_tu_missing_columns_all_listed() -> None:
    problems, prep = tu_problems(pl.DataFrame({"USUBJID": ["S1"], "TULOC": ["RIB"]}))
    assert prep is None
    assert [p.column for p in problems] == ["TULNKID", "TUTESTCD", "TUSTRESC", "TUDTC"]
    assert {p.reason for p in problems} == {ReasonCode.MISSING_COLUMN}


def test_tr_good_input_has_no_problems_and_converts_units() -> None:
    _, tr = _prepared()
    first = tr.filter(pl.col("TRLNKID") == "P1").sort("_ROW")["AVAL"].to_list()
    assert first[:2] == [pytest.approx(4.0), pytest.approx(3.0)]  # mm -> cm
    assert tr.filter(pl.col("_CODE") == "AREA")["AVAL"].to_list() == [
        pytest.approx(2.0),  # 200 mm2 -> cm2
        pytest.approx(1.0),
    ]


def test_tr_bad_input_lists_every_problem() -> None:
    tr = tr_frame(
        [
            ("S1", "P1", "LDIAM", "40", "in", "2024-01-05"),  # unknown unit
            ("S1", "P1", "LPERP", "30", None, "2024-01-05"),  # missing unit
            ("S1", "P2", "AREA", "4", "cm", "2024-01-05"),  # a diameter unit for an area
            ("S1", "P1", "LDIAM", "<5", "mm", "2024-02-05"),  # not numeric
            ("S1", "P1", "LPERP", "-1", "mm", "2024-02-05"),  # implausible
            ("S1", "P2", "LDIAM", "10", "mm", "2024-02-05"),  # no LPERP that day
            ("S1", "X9", "AREA", "1", "cm2", "2024-02-05"),  # lesion not in TU
            ("S1", "P1", "VOLUME", "1", "mL", "2024-02-05"),  # unknown test
            ("S1", "P2", "AREA", "1", "cm2", "2024-02-30"),  # bad date
        ]
    )
    _, tu = tu_problems(GOOD_TU)
    problems, _ = tr_problems(tr, tu, file="tr.csv", tu_file="tu.csv")
    got = {(p.row, p.column, p.reason) for p in problems}
    assert got == {
        (1, "TRSTRESU", ReasonCode.UNKNOWN_UNIT),
        (2, "TRSTRESU", ReasonCode.MISSING_UNIT),
        (3, "TRSTRESU", ReasonCode.UNKNOWN_UNIT),
        (4, "TRSTRESN", ReasonCode.NOT_NUMERIC),
        (5, "TRSTRESN", ReasonCode.IMPLAUSIBLE_VALUE),
        (6, "TRTESTCD", ReasonCode.MISSING_VALUE),
        (7, "TRLNKID", ReasonCode.BAD_VALUE),
        (8, "TRTESTCD", ReasonCode.UNKNOWN_TEST),
        (9, "TRDTC", ReasonCode.BAD_DATE),
    }
    by_row = {p.row: p for p in problems}
    assert by_row[3].expected == "a unit accepted for AREA: mm2, cm2"
    assert by_row[6].value == "S1 lesion P2 on 2024-02-05: LDIAM only"
    assert by_row[7].expected == "a TULNKID of this subject in tu.csv"


def test_tr_without_tu_is_a_problem_and_not_done_rows_are_skipped() -> None:
    tr = GOOD_TR.with_columns(pl.lit(None, dtype=pl.String).alias("TRSTAT"))
    problems, _ = tr_problems(tr, None, file="tr.csv", tu_file="TU")
    assert [(p.row, p.column, p.reason) for p in problems] == [
        (None, "TRLNKID", ReasonCode.MISSING_VALUE)
    ]
    not_done = tr_frame([("S1", "P1", "LDIAM", None, None, "2024-01-05")]).with_columns(
        pl.lit("NOT DONE").alias("TRSTAT")
    )
    _, tu = tu_problems(GOOD_TU)
    assert tr_problems(not_done, tu)[0] == []


# ---------------------------------------------------------------------------------- derivation
def test_spd_sums_target_lesions_and_flags_new_lesions() -> None:
    tu, tr = _prepared()
    rec = {r["IDT"]: r for r in imaging_records(tu, tr).iter_rows(named=True)}
    # 4 x 3 cm + 2 cm2 (P2 AREA); the non-target B1 is left out
    assert rec[D(2024, 1, 5)]["PCYTSPD"] == pytest.approx(14.0)
    assert rec[D(2024, 1, 5)]["NEWLESFL"] is False
    # 2 x 1.5 + 1 = 4 cm2, and the NEW lesion N1 identified that day
    assert rec[D(2024, 3, 2)]["PCYTSPD"] == pytest.approx(4.0)
    assert rec[D(2024, 3, 2)]["NEWLESFL"] is True
    # P2 (a target lesion) not measured on 2024-04-01: the SPD is incomplete, not 3 cm2
    assert rec[D(2024, 4, 1)]["PCYTSPD"] is None


def _wide(dates: list[dt.date], subject: str = "S1") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": [subject] * len(dates),
            "ADT": dates,
            "ABLFL": ["Y"] + [None] * (len(dates) - 1),
        }
    )


def _imaging(dates: list[dt.date], spd: list[float | None], new: list[bool]) -> pl.DataFrame:
    n = len(dates)
    return pl.DataFrame(
        {
            "USUBJID": ["S1"] * n,
            "IDT": dates,
            "PCYTSPD": spd,
            "NEWLESFL": new,
            "_FILE": ["TR"] * n,
            "_ROW": list(range(1, n + 1)),
        },
        schema_overrides={"PCYTSPD": pl.Float64, "_ROW": pl.Int64},
    )


FDT = pl.DataFrame({"USUBJID": ["S1"], "FDT": [D(2024, 1, 10)]})


def test_pre_dose_imaging_goes_to_the_baseline_row_latest_wins() -> None:
    wide = _wide([D(2024, 1, 8), D(2024, 2, 7)])
    img = _imaging([D(2023, 12, 20), D(2024, 1, 9)], [10.0, 12.0], [False, False])
    placed, problems = match_imaging(wide, img, FDT)
    assert problems == []
    assert placed.rows() == [("S1", D(2024, 1, 8), 12.0, False)]


@pytest.mark.parametrize(
    ("days", "matched"),
    [(14, True), (15, False)],
    ids=["window-just-meets", "window-just-misses"],
)
def test_window(days: int, matched: bool) -> None:
    wide = _wide([D(2024, 1, 8), D(2024, 3, 1)])
    img = _imaging([D(2024, 3, 1) - dt.timedelta(days=days)], [5.0], [True])
    placed, problems = match_imaging(wide, img, FDT, window_days=14, files=("tu.csv", "tr.csv"))
    if matched:
        assert problems == []
        assert placed.rows() == [("S1", D(2024, 3, 1), 5.0, True)]
    else:
        assert placed.height == 0
        (p,) = problems
        assert (p.file, p.row, p.column) == ("tr.csv", 1, "TRDTC")
        assert p.value == f"S1 imaging on {D(2024, 3, 1) - dt.timedelta(days=days)}"
        assert "(nearest 2024-03-01, 15 days away)" in p.expected


def test_nearest_assessment_and_tie_goes_to_the_earlier() -> None:
    wide = _wide([D(2024, 1, 8), D(2024, 2, 1), D(2024, 2, 11), D(2024, 3, 1)])
    img = _imaging([D(2024, 2, 6), D(2024, 2, 27)], [4.0, 3.0], [False, False])
    placed, problems = match_imaging(wide, img, FDT)
    assert problems == []
    # 2024-02-06 is 5 days from both 02-01 and 02-11 -> 02-01; 02-27 is nearest 03-01
    assert placed.sort("ADT").rows() == [
        ("S1", D(2024, 2, 1), 4.0, False),
        ("S1", D(2024, 3, 1), 3.0, False),
    ]


def test_two_imaging_dates_on_one_row_latest_spd_any_new() -> None:
    wide = _wide([D(2024, 1, 8), D(2024, 3, 1)])
    img = _imaging([D(2024, 2, 25), D(2024, 2, 28)], [4.0, None], [True, False])
    placed, _ = match_imaging(wide, img, FDT)
    assert placed.rows() == [("S1", D(2024, 3, 1), 4.0, True)]


def test_add_mm_columns_marrow_clonality_from_lb() -> None:
    wide = _wide([D(2024, 1, 8), D(2024, 2, 7), D(2024, 3, 7)]).with_columns(
        pl.Series("BMCLON", [None, "POSITIVE", "NEGATIVE"])
    )
    out = add_mm_columns(wide)
    assert out["BMCLONFL"].to_list() == [None, True, False]
    assert out["PCYTSPD"].null_count() == out["NEWLESFL"].null_count() == 3


# ------------------------------------------------------------------------------- check_frames
def _lb() -> pl.DataFrame:
    return lb_frame(
        [
            ("S1", "SPEPMP", "2.0", "g/dL", "2024-01-08", "1"),
            ("S1", "SPEPMP", "0.9", "g/dL", "2024-03-01", "3"),
            ("S1", "BMCLON", "NOT DETECTED", None, "2024-03-01", "3"),
        ]
    )


def test_check_frames_merges_imaging_and_marrow(dm: pl.DataFrame) -> None:
    tu = tu_frame(
        [
            ("S1", "P1", "TUMIDENT", "TARGET", "2024-01-05"),
            ("S1", "N1", "TUMIDENT", "NEW", "2024-03-04"),
        ]
    )
    tr = tr_frame(
        [
            ("S1", "P1", "LDIAM", "30", "mm", "2024-01-05"),
            ("S1", "P1", "LPERP", "20", "mm", "2024-01-05"),
            ("S1", "P1", "LDIAM", "20", "mm", "2024-02-28"),
            ("S1", "P1", "LPERP", "10", "mm", "2024-02-28"),
        ]
    )
    problems, bundle = check_frames(dm.filter(pl.col("USUBJID") == "S1"), _lb(), tu=tu, tr=tr)
    assert problems == []
    assert bundle is not None
    got = bundle.assessments.select("ADT", "PCYTSPD", "NEWLESFL", "BMCLONFL").rows()
    assert got == [
        (D(2024, 1, 8), pytest.approx(6.0), False, None),
        (D(2024, 3, 1), pytest.approx(2.0), True, False),
    ]


def test_check_frames_new_lesion_before_first_dose_is_a_problem(dm: pl.DataFrame) -> None:
    tu = tu_frame([("S1", "N1", "TUMIDENT", "NEW", "2024-01-09")])
    problems, bundle = check_frames(
        dm.filter(pl.col("USUBJID") == "S1"), _lb(), tu=tu, imaging_files=("tu.csv", "TR")
    )
    assert bundle is None
    (p,) = problems
    assert (p.file, p.row, p.column, p.value) == ("tu.csv", 1, "TUSTRESC", "NEW on 2024-01-09")
    assert "first dose (2024-01-10)" in p.expected


def test_check_frames_without_imaging_adds_null_columns(dm: pl.DataFrame) -> None:
    problems, bundle = check_frames(dm.filter(pl.col("USUBJID") == "S1"), _lb())
    assert problems == [] and bundle is not None
    a = bundle.assessments
    assert a["BMCLONFL"].to_list() == [None, False]
    assert a["PCYTSPD"].dtype == pl.Float64 and a["PCYTSPD"].null_count() == 2
