"""End-to-end: ``plasmatrial respond`` and ``plasmatrial demo`` through the real entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).parents[2]
AL = ROOT / "examples" / "al"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from plasmatrial.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")},
    )


def test_respond_explains_every_call_on_the_example_files(tmp_path: Path) -> None:
    out = tmp_path / "calls.parquet"
    res = run_cli(
        "respond",
        "--disease",
        "al",
        "--dm",
        str(AL / "dm.csv"),
        "--lb",
        str(AL / "lb.csv"),
        "--ex",
        str(AL / "ex.csv"),
        "-o",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    assert "not a substitute for clinical judgement" in " ".join(res.stdout.split())
    visits = pl.read_parquet(out)
    subjects = pl.read_parquet(tmp_path / "calls.subjects.parquet")
    dm = pl.read_csv(AL / "dm.csv")
    assert subjects.height == dm.height
    # every call carries its rule, rule-set version and an explanation that names the category
    assert visits.height > 0
    for col in ("RULEID", "RULESET", "RULESETVER", "EXPLAIN", "INPUTS"):
        assert visits[col].null_count() == 0, col
    starts = visits.select((pl.col("EXPLAIN").str.starts_with(pl.col("AVALC"))).all()).item()
    assert starts
    assert set(subjects["BESTRESP"].drop_nulls().unique()) <= {
        "CR",
        "VGPR",
        "PR",
        "LDPR",
        "NR",
        "NE",
    }
    assert {"MAYO2004", "MAYO2012", "RENSTG"} <= set(subjects.columns)


def test_respond_rejects_wrong_disease_and_bad_input(tmp_path: Path) -> None:
    res = run_cli(
        "respond",
        "--disease",
        "xx",
        "--dm",
        str(AL / "dm.csv"),
        "--lb",
        str(AL / "lb.csv"),
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    bad = ROOT / "examples" / "bad"
    res = run_cli(
        "respond",
        "--dm",
        str(bad / "dm.csv"),
        "--lb",
        str(bad / "lb_bad.csv"),
        "-o",
        str(tmp_path / "o.csv"),
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "problem" in res.stderr
    assert not (tmp_path / "o.csv").exists()  # nothing half-written


def test_demo_generates_and_adjudicates(tmp_path: Path) -> None:
    res = run_cli("demo", "--out", str(tmp_path / "demo"), "--n", "12", "--seed", "7")
    assert res.returncode == 0, res.stderr
    subjects = pl.read_csv(tmp_path / "demo" / "subjects.csv")
    assert subjects.height == 12
    assert (tmp_path / "demo" / "data" / "lb.csv").exists()
    calls = pl.read_csv(tmp_path / "demo" / "responses.csv")
    assert calls["EXPLAIN"].null_count() == 0
    assert "Best hematologic response" in res.stdout
