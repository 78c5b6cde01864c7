"""Size and line-length limits checked before a data file is parsed (issue 13: a 50 MB one-line
CSV took 22 s and 2.3 GB to refuse); ``PLASMATRIAL_MAX_FILE_MB`` / ``PLASMATRIAL_MAX_LINE_KB``
raise them (decision 0110)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl

from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"


def _one_line(path: Path, megabytes: int) -> Path:
    path.write_bytes(b"USUBJID," + b"x" * (megabytes * 1024 * 1024))
    return path


def test_a_50_mb_one_line_csv_is_refused_at_once_and_small(tmp_path: Path) -> None:
    dm = _one_line(tmp_path / "dm.csv", 50)
    cli = "from plasmatrial.cli.app import main; main()"
    args = [sys.executable, "-c", cli, "validate", "--dm", str(dm), "--lb", str(AL / "lb.csv")]
    probe = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run({args!r}, capture_output=True, text=True)\n"
        "sys.stderr.write(p.stderr)\n"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    code, max_rss_kb = (int(v) for v in out.stdout.split())
    assert code == 2
    message = " ".join(out.stderr.split())
    assert "line 1 is over 1024 KB long" in message
    assert "PLASMATRIAL_MAX_LINE_KB" in message
    assert "unreadable_file" in message
    assert "Traceback" not in out.stderr
    assert max_rss_kb < 600 * 1024  # the parser never sees the file (it held 2.3 GB)


def test_a_long_line_later_in_the_file_is_found(tmp_path: Path) -> None:
    lb = tmp_path / "lb.csv"
    lines = (AL / "lb.csv").read_text().splitlines()
    lines.insert(5, lines[5] + "," + "9" * 3000)
    lb.write_text("\n".join(lines) + "\n")
    res = run_cli(
        "validate", "--dm", str(AL / "dm.csv"), "--lb", str(lb),
        env_extra={"PLASMATRIAL_MAX_LINE_KB": "2"},
    )  # fmt: skip
    assert res.returncode == 2
    assert "line 6 is over 2 KB long" in " ".join(res.stderr.split())


def test_the_file_size_limit_and_raising_it(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    n = 60_000
    pl.DataFrame(
        {"T": [float(i % 97 + 1) for i in range(n)], "E": [i % 2 for i in range(n)]}
    ).write_csv(path)
    args = ["stats", "km", str(path), "--time", "T", "--event", "E", "--json"]
    small = run_cli(*args, env_extra={"PLASMATRIAL_MAX_FILE_MB": "0"})
    assert small.returncode == 2
    assert "PLASMATRIAL_MAX_FILE_MB" in small.stderr and "whole number >= 1" in small.stderr
    ok = run_cli(*args, env_extra={"PLASMATRIAL_MAX_FILE_MB": "1"})
    assert ok.returncode == 0, ok.stderr
    big = tmp_path / "big.parquet"
    pl.DataFrame({"T": [1.0] * 400_000, "E": [1] * 400_000, "X": range(400_000)}).write_parquet(
        big, compression="uncompressed"
    )
    assert big.stat().st_size > 1024 * 1024
    refused = run_cli(
        "stats", "km", str(big), "--time", "T", "--event", "E",
        env_extra={"PLASMATRIAL_MAX_FILE_MB": "1"},
    )  # fmt: skip
    assert refused.returncode == 2
    assert "over the 1 MB limit for a data file" in " ".join(refused.stderr.split())


def test_a_nested_parquet_column_is_refused_from_the_schema(tmp_path: Path) -> None:
    dm = tmp_path / "dm.parquet"
    frame = pl.read_csv(AL / "dm.csv").with_columns(NEST=pl.struct(a=pl.lit(1), b=pl.lit([1, 2])))
    frame.write_parquet(dm)
    res = run_cli("validate", "--dm", str(dm), "--lb", str(AL / "lb.csv"))
    assert res.returncode == 2
    assert "a column of type Struct" in " ".join(res.stderr.split())
