"""A corrupt Parquet file through the command line (issue 13: a pyo3 ``PanicException``, a
BaseException, escaped as a traceback). The unit test of the reader fakes the panic
(``tests/unit/intake/test_readers.py``); here real files are damaged in several ways and both
readers (``validate``'s domain reader and the ``stats`` table reader) must answer exit 2."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"


def _damaged(tmp_path: Path, how: str) -> Path:
    good = tmp_path / "good.parquet"
    pl.read_csv(AL / "dm.csv").write_parquet(good)
    data = bytearray(good.read_bytes())
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "footer-length":
        data[-8:-4] = (2**31 - 1).to_bytes(4, "little")  # footer claims ~2 GB of metadata
    elif how == "pages-scrambled":
        for i in range(8, len(data) // 2):
            data[i] ^= 0x5A
    elif how == "magic-only":
        data = bytearray(b"PAR1PAR1")
    path = tmp_path / "dm.parquet"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("how", ["truncated", "footer-length", "pages-scrambled", "magic-only"])
def test_corrupt_parquet_is_one_error(tmp_path: Path, how: str) -> None:
    dm = _damaged(tmp_path, how)
    res = run_cli("validate", "--dm", str(dm), "--lb", str(AL / "lb.csv"))
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "PanicException" not in res.stderr.split("\n")[0]
    assert "unreadable_file" in res.stderr
    stats = run_cli("stats", "km", str(dm), "--time", "AGE", "--event", "SUBJID")
    assert stats.returncode == 2, stats.stdout + stats.stderr
    assert "Traceback" not in stats.stderr
    assert "cannot read" in stats.stderr
