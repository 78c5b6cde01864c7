"""Commands that ran and gave a wrong or empty answer, or crashed, on a misuse (issue 13): each
is now refused with one line and exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import run_cli

AL = Path(__file__).parents[2] / "examples" / "al"
BASE = ["--dm", str(AL / "dm.csv"), "--lb", str(AL / "lb.csv"), "--ex", str(AL / "ex.csv")]


def _respond(*args: str) -> tuple[int, str]:
    res = run_cli("respond", *args, "--show", "0")
    assert "Traceback" not in res.stderr
    return res.returncode, res.stdout + res.stderr


def test_staging_rule_set_is_not_a_response_rule_set(tmp_path: Path) -> None:
    code, out = _respond(*BASE, "--criteria", "AL_STAGING", "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert "not a response rule set" in out
    assert not (tmp_path / "o.csv").exists()


def test_disease_mm_on_al_data_is_refused(tmp_path: Path) -> None:
    code, out = _respond(*BASE, "--disease", "mm", "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert "AL amyloidosis organ involvement" in out and "--disease al" in out


def test_disease_mm_on_flc_only_data_is_refused(tmp_path: Path) -> None:
    dm = pl.read_csv(AL / "dm.csv", infer_schema=False).drop("HEARTFL", "KIDNEYFL", "LIVERFL")
    dm.write_csv(tmp_path / "dm.csv")
    lb = pl.read_csv(AL / "lb.csv", infer_schema=False)
    lb.filter(pl.col("LBTESTCD") != "SPEPMP").write_csv(tmp_path / "lb.csv")
    args = ["--dm", str(tmp_path / "dm.csv"), "--lb", str(tmp_path / "lb.csv")]
    args += ["--ex", str(AL / "ex.csv"), "--disease", "mm", "-o", str(tmp_path / "o.csv")]
    code, out = _respond(*args)
    assert code == 2
    assert "no subject has a measurable serum or urine M-protein" in out
    code, out = _respond(*args, "--no-disease-check")
    assert code == 0, out


@pytest.mark.parametrize(
    ("lb_name", "out_name"),
    [("lb.csv", "lb.csv"), ("o.subjects.csv", "o.csv")],
    ids=["out-is-input", "summary-is-input"],
)
def test_respond_out_equal_to_an_input_is_refused(
    tmp_path: Path, lb_name: str, out_name: str
) -> None:
    lb = tmp_path / lb_name
    lb.write_bytes((AL / "lb.csv").read_bytes())
    args = ["--dm", str(AL / "dm.csv"), "--lb", str(lb), "-o", str(tmp_path / out_name)]
    code, out = _respond(*args)
    assert code == 2
    assert "would overwrite the input file" in out
    assert lb.read_bytes() == (AL / "lb.csv").read_bytes()


@pytest.mark.parametrize(
    "where",
    ["existing-dir", "file-as-folder", "proc"],
)
def test_respond_bad_output_location(tmp_path: Path, where: str) -> None:
    (tmp_path / "adir.csv").mkdir()
    target = {
        "existing-dir": tmp_path / "adir.csv",
        "file-as-folder": AL / "dm.csv" / "o.csv",
        "proc": Path("/proc/plasmatrial-nope/o.csv"),
    }[where]
    code, out = _respond(*BASE, "-o", str(target))
    assert code == 2
    assert "error:" in out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_respond_read_only_folder(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, out = _respond(*BASE, "-o", str(ro / "o.csv"))
    finally:
        ro.chmod(0o700)
    assert code == 2
    assert "error:" in out


def test_concordance_missing_output_folder(tmp_path: Path) -> None:
    comp = tmp_path / "comp.csv"
    pl.DataFrame({"USUBJID": ["S1"], "ADT": ["2024-01-01"], "AVALC": ["PR"]}).write_csv(comp)
    rs = tmp_path / "rs.csv"
    pl.DataFrame(
        {"USUBJID": ["S1"], "RSDTC": ["2024-01-01"], "RSTESTCD": ["OVRLRESP"], "RSSTRESC": ["PR"]}
    ).write_csv(rs)
    res = run_cli(
        "concordance", "--computed", str(comp), "--rs", str(rs),
        "-o", str(tmp_path / "missing" / "d.csv"),
    )  # fmt: skip
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "directory does not exist" in res.stderr


def test_concordance_on_an_adrs_compares_the_overall_parameter(tmp_path: Path) -> None:
    comp = tmp_path / "adrs.csv"
    pl.DataFrame(
        {
            "USUBJID": ["S1"] * 4,
            "ADT": ["2024-01-01"] * 2 + ["2024-02-01"] * 2,
            "PARAMCD": ["OVRLRESP", "MMCAT", "OVRLRESP", "MMCAT"],
            "AVALC": ["PR", "SD", "VGPR", "SD"],
        }
    ).write_csv(comp)
    rs = tmp_path / "rs.csv"
    pl.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "RSDTC": ["2024-01-01", "2024-02-01"],
            "RSTESTCD": ["OVRLRESP", "OVRLRESP"],
            "RSSTRESC": ["PR", "VGPR"],
        }
    ).write_csv(rs)
    res = run_cli(
        "concordance", "--computed", str(comp), "--rs", str(rs), "-o", str(tmp_path / "d.csv")
    )
    assert res.returncode == 0, res.stderr
    assert "2 visits compared (computed PARAMCD OVRLRESP vs investigator OVRLRESP), 2 agree" in (
        res.stdout
    )


@pytest.mark.parametrize("n", ["1000000000", "0", "-5"])
def test_simulate_n_sims_is_bounded(n: str) -> None:
    trial = Path(__file__).parents[2] / "examples" / "trials" / "mm_pom_lodex_vs_hidex.yaml"
    res = run_cli("simulate", str(trial), "--n-sims", n, "--json")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "--n-sims must be between 1 and 1,000,000" in res.stderr
