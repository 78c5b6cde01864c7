from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import write_frame

FRAME = pl.DataFrame({"USUBJID": ["S1", "S2"], "AVAL": [1.5, 2.5]})


@pytest.mark.parametrize("name", ["out.csv", "out.parquet"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    path = write_frame(FRAME, tmp_path / name)
    back = pl.read_csv(path) if name.endswith(".csv") else pl.read_parquet(path)
    assert back.equals(FRAME)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(PlasmatrialError, match=r"\.xlsx"):
        write_frame(FRAME, tmp_path / "out.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_partial_file_and_keeps_old(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old content\n")
    bad = pl.DataFrame({"nested": [[1, 2]]})  # CSV cannot hold list columns
    with pytest.raises(PlasmatrialError):
        write_frame(bad, target)
    assert target.read_text() == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(PlasmatrialError, match="directory"):
        write_frame(FRAME, tmp_path / "no" / "out.csv")
