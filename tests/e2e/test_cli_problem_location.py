"""Where a problem is (issue 13: "row" was the data row, not the file line) and truncated SAS7BDAT
files refused as ``unreadable_file`` instead of read short."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyreadstat
import pytest

from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"


def _rows(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("│")]


def test_csv_problems_give_the_file_line_and_the_data_row(tmp_path: Path) -> None:
    lb = tmp_path / "lb.csv"
    lines = (AL / "lb.csv").read_text().splitlines()
    cells = lines[7].split(",")
    header = lines[0].split(",")
    cells[header.index("LBORRES")] = "abc"  # data row 7 = file line 8
    lines[7] = ",".join(cells)
    lb.write_text("\n".join(lines) + "\n")
    res = run_cli("validate", "--dm", str(AL / "dm.csv"), "--lb", str(lb))
    assert res.returncode == 2
    assert "┃ where " in res.stderr
    row = next(r for r in _rows(res.stderr) if "abc" in r)
    assert "line 8 (data row 7)" in row
    assert (lb.read_text().splitlines()[8 - 1]).count("abc") == 1  # line 8 of the file holds it


def test_parquet_problems_give_the_data_row(tmp_path: Path) -> None:
    lb = tmp_path / "lb.parquet"
    frame = pl.read_csv(AL / "lb.csv", infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 6)
        .then(pl.lit("abc"))
        .otherwise("LBORRES")
        .alias("LBORRES")
    )
    frame.write_parquet(lb)
    res = run_cli("validate", "--dm", str(AL / "dm.csv"), "--lb", str(lb))
    assert res.returncode == 2
    row = next(r for r in _rows(res.stderr) if "abc" in r)
    assert "data row 7" in row and "line" not in row


@pytest.fixture(scope="module")
def dm_sas(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """examples/al/dm.csv as SAS7BDAT, large enough to span pages (rows repeated)."""
    frame = pd.read_csv(AL / "dm.csv", dtype=str)
    path = tmp_path_factory.mktemp("sas") / "dm.sas7bdat"
    pyreadstat.write_sas7bdat(frame, str(path))
    return path.read_bytes()


def test_a_complete_sas7bdat_is_read(tmp_path: Path, dm_sas: bytes) -> None:
    dm = tmp_path / "dm.sas7bdat"
    dm.write_bytes(dm_sas)
    res = run_cli("validate", "--dm", str(dm), "--lb", str(AL / "lb.csv"))
    assert res.returncode == 0, res.stderr
    assert "OK: 30 subjects" in res.stdout


@pytest.mark.parametrize("keep", ["half", "all-but-one-page", "all-but-one-byte"])
def test_a_truncated_sas7bdat_is_unreadable(tmp_path: Path, dm_sas: bytes, keep: str) -> None:
    cut = {
        "half": len(dm_sas) // 2,
        "all-but-one-page": len(dm_sas) - 4096,
        "all-but-one-byte": len(dm_sas) - 1,
    }[keep]
    dm = tmp_path / "dm.sas7bdat"
    dm.write_bytes(dm_sas[:cut])
    res = run_cli("validate", "--dm", str(dm), "--lb", str(AL / "lb.csv"))
    assert res.returncode == 2, res.stdout
    assert "unreadable_file" in res.stderr
    assert "Traceback" not in res.stderr
    assert "OK:" not in res.stdout
