"""``plasmatrial eligibility`` and ``plasmatrial concordance`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tests.e2e.cli import run_cli


def test_eligibility_json(tmp_path: Path) -> None:
    path = tmp_path / "pt.csv"
    pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "REGID": ["R1", "R2", "R1"],
            "DRUG": ["Velcade", "Revlimid", "Lenalidomide"],
            "ASTDT": ["2018-01-01", "2019-01-01", "2018-01-01"],
            "AENDT": ["2018-06-01", "2019-06-01", "2018-06-01"],
            "BESTRESP": ["PR", "PR", "PR"],
            "PDDT": [None, "2019-07-31", "2019-01-01"],
        }
    ).write_csv(path)
    res = run_cli(
        "eligibility", "--prior-therapy", str(path), "--rule", "MM003_ELIGIBILITY", "--json"
    )
    assert res.returncode == 0, res.stderr
    payload = json.loads(res.stdout)
    elig = {s["USUBJID"]: s["ELIGFL"] for s in payload["subjects"]}
    assert elig == {"A": True, "B": False}
    assert "not a substitute" in payload["disclaimer"]


def test_eligibility_unknown_rule_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "pt.csv"
    pl.DataFrame(
        {"USUBJID": ["A"], "REGID": ["R1"], "DRUG": ["X"], "ASTDT": ["2018-01-01"]}
    ).write_csv(path)
    res = run_cli("eligibility", "--prior-therapy", str(path), "--rule", "NOPE")
    assert res.returncode == 2
    assert "unknown eligibility rule set" in res.stderr
    assert "Traceback" not in res.stderr


def test_concordance(tmp_path: Path) -> None:
    comp = tmp_path / "computed.csv"
    rs = tmp_path / "rs.csv"
    out = tmp_path / "out.csv"
    pl.DataFrame(
        {
            "USUBJID": ["A", "A", "A"],
            "ADT": ["2020-01-01", "2020-02-01", "2020-03-01"],
            "AVALC": ["PR", "VGPR", "SD"],
            "EXPLAIN": ["e1", "e2", "e3"],
        }
    ).write_csv(comp)
    pl.DataFrame(
        {
            "USUBJID": ["A", "A", "A"],
            "RSDTC": ["2020-01-01", "2020-02-01T10:00", "2020-04-01"],
            "RSTESTCD": ["OVRLRESP"] * 3,
            "RSSTRESC": ["Partial Response", "PR", "PD"],
        }
    ).write_csv(rs)
    res = run_cli("concordance", "--computed", str(comp), "--rs", str(rs), "-o", str(out))
    assert res.returncode == 0, res.stderr
    got = pl.read_csv(out)
    assert got["STATUS"].to_list() == ["DISAGREE", "COMPUTED_ONLY", "INVESTIGATOR_ONLY"]
    assert got["COMPUTED"].to_list() == ["VGPR", "SD", None]
    assert got["INVESTIGATOR"].to_list() == ["PR", None, "PD"]
    assert got["EXPLAIN"].to_list() == ["e2", "e3", None]
    assert "2 visits compared, 1 agree" in res.stdout
