"""End-to-end: ``plasmatrial respond`` and ``plasmatrial demo`` through the real entry point."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.e2e.cli import run_cli

ROOT = Path(__file__).parents[2]
AL = ROOT / "examples" / "al"


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
    assert set(subjects["BESTRSP"].drop_nulls().unique()) <= {
        "CR",
        "VGPR",
        "PR",
        "LDPR",
        "NR",
        "PROG",
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
    res = run_cli("demo", "--out", str(tmp_path / "demo"), "--seed", "7")
    assert res.returncode == 0, res.stderr
    subjects = pl.read_csv(tmp_path / "demo" / "subjects.csv")
    assert subjects.height == 28  # AL-POMDEX-P2 enrolled 28 patients
    assert (tmp_path / "demo" / "report.html").exists()
    assert (tmp_path / "demo" / "data" / "lb.csv").exists()
    calls = pl.read_csv(tmp_path / "demo" / "responses.csv")
    assert calls["EXPLAIN"].null_count() == 0
    assert "Best hematologic response" in res.stdout


def _mm_files(tmp_path: Path) -> tuple[Path, Path]:
    """Worked case M1 (criteria.md 4.12) as SDTM-like files: confirmed PR."""
    dm = pl.DataFrame(
        {
            "STUDYID": ["MM"],
            "USUBJID": ["MM-001"],
            "RFSTDTC": ["2024-01-08"],
            "AGE": [66],
            "SEX": ["M"],
        }
    )
    rows = []
    for visit, num, day, spep, upep in (
        ("BASELINE", 1, "2024-01-05", 3.0, 400.0),
        ("CYCLE 1 END", 2, "2024-02-05", 1.2, 30.0),
        ("CYCLE 2 END", 3, "2024-03-04", 1.2, 30.0),
    ):
        rows.append(("MM-001", "SPEPMP", str(spep), "g/dL", day, visit, num))
        rows.append(("MM-001", "UPEPMP", str(upep), "mg/24h", day, visit, num))
    lb = pl.DataFrame(
        rows,
        schema=["USUBJID", "LBTESTCD", "LBORRES", "LBORRESU", "LBDTC", "VISIT", "VISITNUM"],
        orient="row",
    )
    dm.write_csv(tmp_path / "dm.csv")
    lb.write_csv(tmp_path / "lb.csv")
    return tmp_path / "dm.csv", tmp_path / "lb.csv"


def test_respond_mm_confirms_worked_case_m1(tmp_path: Path) -> None:
    dm, lb = _mm_files(tmp_path)
    out = tmp_path / "mm.csv"
    res = run_cli("respond", "--disease", "mm", "--dm", str(dm), "--lb", str(lb), "-o", str(out))
    assert res.returncode == 0, res.stderr
    subjects = pl.read_csv(tmp_path / "mm.subjects.csv")
    assert subjects["BESTRSP"].to_list() == ["PR"]
    assert str(subjects["BESTRSDT"][0]) == "2024-02-05"  # date of the first of the two
    res = run_cli(
        "respond",
        "--disease",
        "mm",
        "--criteria",
        "CR_ISA",
        "--dm",
        str(dm),
        "--lb",
        str(lb),
        "-o",
        str(out),
    )
    assert res.returncode == 2
    assert "is for AL amyloidosis, not MM" in res.stderr
