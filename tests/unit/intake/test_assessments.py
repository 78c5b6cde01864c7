from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.errors import IntakeError
from plasmatrial.intake import WIDE_SCHEMA, build_assessments
from plasmatrial.intake.analytes import ANALYTES
from tests.unit.intake.conftest import lb_frame


@pytest.fixture
def lb() -> pl.DataFrame:
    frame = lb_frame(
        [
            ("S1", "FLCLAM", "300", "mg/L", "2023-12-20", "1"),  # older screening value
            ("S1", "FLCLAM", "250", "mg/L", "2024-01-08", "2"),
            ("S1", "FLCKAP", "1.0", "mg/dL", "2024-01-08", "2"),
            ("S1", "SIFE", "POS", None, "2024-01-08", "2"),
            ("S1", "ALP", "150", "U/L", "2024-01-08", "2"),
            ("S1", "FLCLAM", "90", "mg/L", "2024-01-10", "3"),  # day 1, on first dose
            ("S1", "FLCLAM", "50", "mg/L", "2024-02-07", "4"),
            ("S2", "FLCKAP", "400", "mg/L", "2024-01-31", "1"),
            ("S2", "FLCKAP", "200", "mg/L", "2024-03-01", "2"),
        ]
    )
    return frame.with_columns(
        pl.when(pl.col("LBTESTCD") == "ALP").then(pl.lit("120")).alias("LBSTNRHI")
    )


@pytest.fixture
def ex() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": ["S1", "S1", "S2"],
            "EXTRT": ["POMALIDOMIDE", "DEXAMETHASONE", "pomalidomide"],
            "EXDOSE": ["4", "40", "4"],
            "EXDOSU": ["mg"] * 3,
            "EXSTDTC": ["2024-01-10", "2024-02-07", "2024-02-01"],
            "EXENDTC": ["2024-01-30", None, "2024-02-21"],
        }
    )


def test_schema_and_every_catalogue_column(dm: pl.DataFrame, lb: pl.DataFrame) -> None:
    wide = build_assessments(dm, lb)
    assert dict(wide.schema) == WIDE_SCHEMA
    for analyte in ANALYTES:
        assert analyte.code in wide.columns
    assert wide.height == 6  # S1: 4 dates, S2: 2 dates
    assert wide.get_column("BNP").null_count() == wide.height


def test_one_row_per_date_with_converted_values(dm: pl.DataFrame, lb: pl.DataFrame) -> None:
    row = build_assessments(dm, lb).filter(pl.col("ADT") == dt.date(2024, 1, 8)).row(0, named=True)
    assert row["FLCLAM"] == 250.0
    assert row["FLCKAP"] == 10.0  # 1.0 mg/dL
    assert row["SIFE"] == "POSITIVE"
    assert row["ALP"] == 150.0
    assert row["ALP_ULN"] == 120.0
    assert row["VISITNUM"] == 2.0
    assert row["INVLC"] == "LAMBDA"
    assert row["HEARTFL"] is True
    assert row["KIDNEYFL"] is None  # column absent from DM


def test_baseline_is_last_on_or_before_first_dose(dm: pl.DataFrame, lb: pl.DataFrame) -> None:
    wide = build_assessments(dm, lb)
    s1 = wide.filter(pl.col("USUBJID") == "S1")
    # first dose 2024-01-10: the assessment on that day is the baseline, not 2024-01-08
    assert s1.get_column("ABLFL").to_list() == [None, None, "Y", None]
    assert s1.get_column("ADY").to_list() == [-21, -2, 1, 29]  # no day 0; Jan 10 + 28 d
    s2 = wide.filter(pl.col("USUBJID") == "S2")
    # S2 first dose 2024-02-01: 2024-01-31 is the baseline (day -1)
    assert s2.get_column("ABLFL").to_list() == ["Y", None]
    assert s2.get_column("ADY").to_list() == [-1, 30]


def test_baseline_never_post_dose(dm: pl.DataFrame, lb: pl.DataFrame) -> None:
    late = lb.filter(~((pl.col("USUBJID") == "S2") & (pl.col("LBDTC") == "2024-01-31")))
    with pytest.raises(IntakeError) as info:
        build_assessments(dm, late)
    (problem,) = info.value.problems
    assert problem.value is not None and problem.value.startswith("S2")
    kept = build_assessments(dm, late, missing_baseline="keep")
    assert kept.filter(pl.col("USUBJID") == "S2").get_column("ABLFL").null_count() == 1


def test_first_dose_falls_back_to_ex(dm: pl.DataFrame, lb: pl.DataFrame, ex: pl.DataFrame) -> None:
    no_rf = dm.with_columns(pl.lit(None, dtype=pl.String).alias("RFSTDTC"))
    wide = build_assessments(no_rf, lb, ex)
    assert wide.filter(pl.col("USUBJID") == "S2").get_column("ADY").to_list() == [-1, 30]
    with pytest.raises(IntakeError):
        build_assessments(no_rf, lb)  # no RFSTDTC and no EX: no first dose


def test_imid_flag_follows_ex_dates(dm: pl.DataFrame, lb: pl.DataFrame, ex: pl.DataFrame) -> None:
    wide = build_assessments(dm, lb, ex)
    got = dict(zip(wide.get_column("ADT"), wide.get_column("IMIDFL"), strict=True))
    assert got[dt.date(2024, 1, 8)] is False  # before pomalidomide
    assert got[dt.date(2024, 1, 10)] is True  # first day
    assert got[dt.date(2024, 2, 7)] is False  # only dexamethasone that day
    assert got[dt.date(2024, 1, 31)] is False
    assert got[dt.date(2024, 3, 1)] is False  # after 2024-02-21
    assert build_assessments(dm, lb).get_column("IMIDFL").null_count() == wide.height


def test_row_order_does_not_matter(dm: pl.DataFrame, lb: pl.DataFrame, ex: pl.DataFrame) -> None:
    a = build_assessments(dm, lb, ex)
    b = build_assessments(dm.reverse(), lb.reverse(), ex.reverse())
    assert a.equals(b)
