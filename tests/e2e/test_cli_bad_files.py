"""Malformed input files through ``plasmatrial validate`` (issue 13): each one is refused with a
problem table and exit code 2 that names the actual defect, never a traceback or a silent OK."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

AL = Path(__file__).parents[2] / "examples" / "al"


def _validate(dm: Path, lb: Path = AL / "lb.csv") -> tuple[int, str]:
    res = run_cli("validate", "--dm", str(dm), "--lb", str(lb), "--ex", str(AL / "ex.csv"))
    assert "Traceback" not in res.stderr
    return res.returncode, res.stdout + res.stderr


def test_duplicate_header_after_case_folding(tmp_path: Path) -> None:
    dm = pl.read_csv(AL / "dm.csv", infer_schema=False).with_columns(pl.col("AGE").alias("age"))
    path = tmp_path / "dm.csv"
    dm.write_csv(path)
    code, out = _validate(path)
    assert code == 2
    assert "'AGE' and 'age'" in out and "duplicate" in out


def test_exact_duplicate_header_is_not_dropped(tmp_path: Path) -> None:
    lines = (AL / "lb.csv").read_text().splitlines()
    lines[0] += ",LBORRESU"
    lines[1:] = [ln + ",mg/dL" for ln in lines[1:]]
    path = tmp_path / "lb.csv"
    path.write_text("\n".join(lines) + "\n")
    code, out = _validate(AL / "dm.csv", path)
    assert code == 2
    assert "'LBORRESU' and 'LBORRESU'" in out


def test_cr_only_line_endings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "dm.csv"
    path.write_bytes((AL / "dm.csv").read_bytes().replace(b"\n", b"\r"))
    code, out = _validate(path)
    assert code == 0, out
    assert out.startswith("OK: 30 subjects")


def test_semicolon_delimiter_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "dm.csv"
    path.write_text((AL / "dm.csv").read_text().replace(",", ";"))
    code, out = _validate(path)
    assert code == 2
    assert "semicolon-delimited" in out
    assert "missing_column" not in out


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "dm.csv"
    path.write_text("")
    code, out = _validate(path)
    assert code == 2
    assert "empty file" in out and "NoDataError" not in out


def test_latin1_file_is_one_encoding_problem(tmp_path: Path) -> None:
    path = tmp_path / "lb.csv"
    text = (AL / "lb.csv").read_text().replace("ug/L", "µg/L")
    path.write_bytes(text.encode("latin-1"))
    code, out = _validate(AL / "dm.csv", path)
    assert code == 2
    assert "not UTF-8: byte 0xB5" in out
    assert "unknown_unit" not in out


@pytest.mark.parametrize("size", [5990, 5920], ids=["not-multiple-of-80", "cut-mid-row"])
def test_truncated_xpt_is_unreadable(tmp_path: Path, size: int) -> None:
    path = tmp_path / "dm.xpt"
    path.write_bytes((AL / "dm.xpt").read_bytes()[:size])
    code, out = _validate(path)
    assert code == 2
    assert "truncated transport file" in out


def test_complete_xpt_is_read() -> None:
    code, out = _validate(AL / "dm.xpt")
    assert code == 0, out


def test_parquet_column_of_unexpected_type(tmp_path: Path) -> None:
    dm = pl.read_csv(AL / "dm.csv", infer_schema=False).with_columns(
        pl.lit(dt.timedelta(days=1)).alias("DUR"), pl.lit([1, 2]).alias("LST")
    )
    path = tmp_path / "dm.parquet"
    dm.write_parquet(path)
    code, out = _validate(path)
    assert code == 2
    assert "List(Int64)" in out and "Duration" in out


def _edit_csv(src: Path, dst: Path, row: int, column: str, value: str) -> Path:
    frame = pl.read_csv(src, infer_schema=False)
    idx = pl.int_range(pl.len()) == row - 1
    frame.with_columns(
        pl.when(idx).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    ).write_csv(dst)
    return dst


@pytest.mark.parametrize(
    "value", ["2024-02-07T99:99:99garbage", "2024-01-25T", "2024-01-25T25:61", "2024-01-25T10:3"]
)
def test_lbdtc_with_a_bad_time_of_day_is_a_bad_date(tmp_path: Path, value: str) -> None:
    lb = _edit_csv(AL / "lb.csv", tmp_path / "lb.csv", 3, "LBDTC", value)
    code, out = _validate(AL / "dm.csv", lb)
    assert code == 2
    assert "bad_date" in out and value in out


def test_lbdtc_with_a_valid_time_of_day_is_accepted(tmp_path: Path) -> None:
    lb = _edit_csv(AL / "lb.csv", tmp_path / "lb.csv", 3, "LBDTC", "2024-01-25T08:30:00")
    code, out = _validate(AL / "dm.csv", lb)
    assert code == 0, out


@pytest.mark.parametrize(
    ("domain", "column", "value"),
    [
        ("dm", "RFSTDTC", "9999-12-31"),
        ("dm", "RFSTDTC", "1899-01-01"),
        ("lb", "LBDTC", "2109-01-25"),
    ],
)
def test_date_outside_the_study_window(
    tmp_path: Path, domain: str, column: str, value: str
) -> None:
    edited = _edit_csv(AL / f"{domain}.csv", tmp_path / f"{domain}.csv", 1, column, value)
    code, out = _validate(*((edited,) if domain == "dm" else (AL / "dm.csv", edited)))
    assert code == 2
    assert "plausible study window" in out and value in out
