"""``plasmatrial design ...`` through the real entry point."""

from __future__ import annotations

import json

import pytest

from tests.e2e.cli import run_cli


def test_simon_json() -> None:
    res = run_cli(
        "design",
        "simon",
        "--p0",
        "0.1",
        "--p1",
        "0.3",
        "--alpha",
        "0.05",
        "--beta",
        "0.2",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    opt, mm = out["optimal"], out["minimax"]
    assert (opt["r1"], opt["n1"], opt["r"], opt["n"]) == (1, 10, 5, 29)  # Simon 1989
    assert (mm["r1"], mm["n1"], mm["r"], mm["n"]) == (1, 15, 5, 25)
    assert "not a substitute" in out["disclaimer"]


def test_simon_table() -> None:
    res = run_cli("design", "simon", "--p0", "0.3", "--p1", "0.5")
    assert res.returncode == 0, res.stderr
    assert "5/15" in res.stdout and "18/46" in res.stdout  # Simon 1989 optimal


def test_threeplusthree_json_sums_to_one() -> None:
    res = run_cli(
        "design", "threeplusthree", "--tox", "0.05,0.1,0.2,0.35", "--doses", "2,3,4,5", "--json"
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["doses"] == ["2", "3", "4", "5"]
    assert sum(out["prob_mtd"]) + out["prob_below_lowest"] == pytest.approx(1.0)


def test_boin_json() -> None:
    res = run_cli("design", "boin", "--target", "0.3", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["lambda_e"] == pytest.approx(0.236, abs=1e-3)  # Liu & Yuan 2015
    assert out["lambda_d"] == pytest.approx(0.358, abs=1e-3)


def test_logrank_json_matches_schoenfeld() -> None:
    res = run_cli(
        "design",
        "logrank",
        "--hr",
        "0.7",
        "--alpha",
        "0.025",
        "--power",
        "0.9",
        "--ratio",
        "2",
        "--accrual",
        "24",
        "--follow-up",
        "12",
        "--median-control",
        "8",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["events"] == pytest.approx(371.675153209286, rel=1e-9)  # rpact 3.3.4
    assert out["events_rounded"] == 372


def test_logrank_table_with_looks() -> None:
    res = run_cli(
        "design", "logrank", "--hr", "0.7", "--accrual", "24", "--follow-up", "12", "--looks", "3"
    )
    assert res.returncode == 0, res.stderr
    assert "O'Brien-Fleming" in res.stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["simon", "--p0", "0.5", "--p1", "0.3"], id="p1-below-p0"),
        pytest.param(
            ["simon", "--p0", "0.1", "--p1", "0.3", "--alpha", "1.5"], id="alpha-out-of-range"
        ),
        pytest.param(["threeplusthree", "--tox", "0.1,abc"], id="tox-not-numeric"),
        pytest.param(["boin", "--target", "0"], id="target-0"),
        pytest.param(["logrank", "--hr", "1", "--accrual", "24", "--follow-up", "12"], id="hr-1"),
    ],
)
def test_invalid_parameters_exit_2(args: list[str]) -> None:
    res = run_cli("design", *args)
    assert res.returncode == 2
    assert "error:" in res.stderr
    assert "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
