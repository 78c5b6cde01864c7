"""``plasmatrial validate`` and ``plasmatrial synth al`` end to end (subprocess)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli as _run_cli

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_validate_example_cohort_ok() -> None:
    al = EXAMPLES / "al"
    res = run_cli(
        "validate",
        "--dm",
        str(al / "dm.csv"),
        "--lb",
        str(al / "lb.csv"),
        "--ex",
        str(al / "ex.csv"),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK: 30 subjects, ")


def test_validate_reports_every_problem_in_one_run() -> None:
    bad = EXAMPLES / "bad"
    res = run_cli("validate", "--dm", str(bad / "dm.csv"), "--lb", str(bad / "lb_bad.csv"))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    expected = [
        ("3", "LBORRESU", "unknown_unit"),
        ("4", "LBORRESU", "unit_mixup"),
        ("6", "LBORRESU", "missing_unit"),
        ("8", "LBDTC", "partial_date"),
        ("10", "LBDTC", "duplicate"),
        ("13", "LBORRES", "implausible_value"),
        ("14", "LBORRES", "bad_value"),
        ("15", "LBORRES", "not_numeric"),
        ("16", "LBTESTCD", "unknown_test"),
        ("17", "VISITNUM", "out_of_order"),
        ("18", "USUBJID", "unknown_subject"),
    ]
    for row, column, reason in expected:
        where = f"│ line {int(row) + 1} (data row {row}) "  # header = line 1
        hits = [ln for ln in lines if where in ln and f"│ {column} " in ln and reason in ln]
        assert hits, f"row {row} {column} {reason} not reported"
    assert "11 problems found" in res.stderr


def test_validate_unreadable_file(tmp_path: Path) -> None:
    res = run_cli("validate", "--dm", str(tmp_path / "dm.txt"), "--lb", str(tmp_path / "lb.csv"))
    assert res.returncode == 2
    assert "unreadable_file" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xpt"])
def test_synth_writes_valid_files(tmp_path: Path, fmt: str) -> None:
    res = run_cli(
        "synth", "al", "--n", "6", "--seed", "11", "--out", str(tmp_path), "--format", fmt
    )
    assert res.returncode == 0, res.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"dm.{fmt}", f"ex.{fmt}", f"lb.{fmt}"]  # no temporary files left
    res = run_cli(
        "validate",
        "--dm",
        str(tmp_path / f"dm.{fmt}"),
        "--lb",
        str(tmp_path / f"lb.{fmt}"),
        "--ex",
        str(tmp_path / f"ex.{fmt}"),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("OK: 6 subjects")


def test_synth_bad_format(tmp_path: Path) -> None:
    res = run_cli("synth", "al", "--out", str(tmp_path), "--format", "xlsx")
    assert res.returncode == 2
    assert "--format" in res.stderr


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return _run_cli(*args, columns=300)
