from __future__ import annotations

from pathlib import Path

import polars as pl
import pyreadstat
import pytest

from plasmatrial.errors import IntakeError, ReasonCode
from plasmatrial.intake import read_domain

EXAMPLES = Path(__file__).parents[3] / "examples"

FRAME = pl.DataFrame(
    {"STUDYID": ["T", "T"], "USUBJID": ["S1", "S2"], "AGE": [61, 70], "RFSTDTC": ["2024-01-10", ""]}
)


def _write(path: Path) -> None:
    if path.suffix == ".csv":
        FRAME.write_csv(path)
    elif path.suffix == ".parquet":
        FRAME.write_parquet(path)
    else:
        pyreadstat.write_xport(FRAME.to_pandas(), str(path), table_name="DM")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xpt"])
def test_every_format_reads_as_text(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"dm{suffix}"
    _write(path)
    got = read_domain(path, "DM")
    assert got.columns == ["STUDYID", "USUBJID", "AGE", "RFSTDTC"]
    assert all(t == pl.String for t in got.dtypes)
    assert got.get_column("USUBJID").to_list() == ["S1", "S2"]
    assert float(got.get_column("AGE")[0]) == 61.0
    assert got.get_column("RFSTDTC").to_list() == ["2024-01-10", None]  # blank -> null


def test_committed_xpt_matches_csv() -> None:
    xpt = read_domain(EXAMPLES / "al" / "dm.xpt", "DM")
    csv = read_domain(EXAMPLES / "al" / "dm.csv", "DM")
    assert xpt.get_column("USUBJID").to_list() == csv.get_column("USUBJID").to_list()
    assert xpt.get_column("INVLC").to_list() == csv.get_column("INVLC").to_list()


def test_csv_keeps_text_exactly(tmp_path: Path) -> None:
    path = tmp_path / "lb.csv"
    path.write_text("USUBJID,LBORRES\nS1,<5\nS1,007.50\n")
    assert read_domain(path, "LB").get_column("LBORRES").to_list() == ["<5", "007.50"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("dm.txt", b"a,b\n", id="wrong-extension"),
        pytest.param("dm.parquet", b"not parquet at all", id="corrupt-parquet"),
        pytest.param("dm.sas7bdat", b"not a sas file", id="corrupt-sas7bdat"),
        pytest.param("dm.xpt", b"garbage", id="corrupt-xpt"),
    ],
)
def test_unreadable_file_is_one_problem(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IntakeError) as info:
        read_domain(path, "DM")
    (problem,) = info.value.problems
    assert problem.reason is ReasonCode.UNREADABLE_FILE
    assert problem.file == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IntakeError) as info:
        read_domain(tmp_path / "nope.csv", "LB")
    assert info.value.problems[0].value == "file not found"


class _Panic(BaseException):
    """Stands in for pyo3's ``PanicException`` (a BaseException) raised by a corrupt Parquet."""


def test_parquet_panic_is_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "dm.parquet"
    path.write_bytes(b"PAR1 not really")

    def panic(*_args: object, **_kwargs: object) -> None:
        raise _Panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(pl, "read_parquet", panic)
    monkeypatch.setattr(pl, "read_parquet_schema", panic)  # read first (decision 0110)
    with pytest.raises(IntakeError) as info:
        read_domain(path, "DM")
    (problem,) = info.value.problems
    assert problem.reason is ReasonCode.UNREADABLE_FILE
    assert problem.value is not None and problem.value.startswith("_Panic: called")
