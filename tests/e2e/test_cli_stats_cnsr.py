"""``--cnsr`` on the survival commands, and ``--event CNSR`` refused (issue 13): the ADaM
censoring flag read as an event indicator silently inverted the analysis."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

TIMES = [2.0, 3.0, 5.0, 7.0, 8.0, 11.0, 13.0, 17.0, 19.0, 23.0]
EVENTS = [1, 0, 1, 1, 0, 1, 0, 1, 1, 0]


@pytest.fixture
def adtte(tmp_path: Path) -> Path:
    path = tmp_path / "adtte.csv"
    pl.DataFrame(
        {
            "AVAL": TIMES,
            "CNSR": [1 - e for e in EVENTS],
            "EVENT": EVENTS,
            "ARM": ["A", "B"] * 5,
            "X": [0.1 * i for i in range(10)],
        }
    ).write_csv(path)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["km"],
        ["logrank", "--group", "ARM"],
        ["rmst", "--tau", "20"],
        ["cox", "--covariates", "X"],
    ],
    ids=["km", "logrank", "rmst", "cox"],
)
def test_event_cnsr_is_refused_with_a_hint(adtte: Path, command: list[str]) -> None:
    res = run_cli(
        "stats", command[0], str(adtte), "--time", "AVAL", "--event", "CNSR", *command[1:]
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "censoring flag" in res.stderr and "--cnsr CNSR" in res.stderr


@pytest.mark.parametrize(
    "command",
    [["km"], ["logrank", "--group", "ARM"], ["rmst", "--tau", "20"], ["cox", "--covariates", "X"]],
    ids=["km", "logrank", "rmst", "cox"],
)
def test_cnsr_equals_one_minus_event(adtte: Path, command: list[str]) -> None:
    base = ["stats", command[0], str(adtte), "--time", "AVAL", *command[1:], "--json"]
    by_event = run_cli(*base, "--event", "EVENT")
    by_cnsr = run_cli(*base, "--cnsr", "CNSR")
    assert by_event.returncode == 0, by_event.stderr
    assert by_cnsr.returncode == 0, by_cnsr.stderr
    a, b = json.loads(by_event.stdout), json.loads(by_cnsr.stdout)
    for payload in (a, b):
        payload.pop("arguments", None)
    assert a == b


def test_cnsr_must_be_zero_or_one(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pl.DataFrame({"AVAL": [1.0, 2.0], "CNSR": [0, 2]}).write_csv(path)
    res = run_cli("stats", "km", str(path), "--time", "AVAL", "--cnsr", "CNSR")
    assert res.returncode == 2
    assert "must hold 0 or 1" in res.stderr


def test_event_or_cnsr_is_required(adtte: Path) -> None:
    res = run_cli("stats", "km", str(adtte), "--time", "AVAL")
    assert res.returncode == 2
    assert "--cnsr" in res.stderr and "Traceback" not in res.stderr


def test_stats_table_with_a_duplicate_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("AVAL,CNSR,CNSR\n1,0,1\n2,1,0\n")
    res = run_cli("stats", "km", str(path), "--time", "AVAL", "--cnsr", "CNSR")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "'CNSR' and 'CNSR'" in res.stderr and "duplicate" in res.stderr
