"""Explanations do not depend on which rule-set module was imported first (issue 11): labels and
units of every column are static data of ``criteria.core.predicates``, never added at import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[3] / "src")

_PROGRAM = """
import datetime as dt, sys
import polars as pl
if sys.argv[1] == "registry-first":
    from plasmatrial.criteria import get_rule_set
    get_rule_set("IMWG_2016")
from plasmatrial.criteria.al.response import build_al_rule_set
from plasmatrial.criteria.core.engine import adjudicate
rows = {
    "USUBJID": ["S1", "S1"], "VISIT": ["BL", "V1"], "VISITNUM": [1.0, 2.0],
    "ADT": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "ADY": [1, 32], "ABLFL": ["Y", None],
    "INVLC": ["LAMBDA"] * 2, "FLCKAP": [10.0, 10.0], "FLCLAM": [240.0, 100.0],
    "CREAT": [1.0, 1.5], "PROT24H": [3.0, 1.0],
}
out = adjudicate(pl.DataFrame(rows), build_al_rule_set(renal_criteria="GERTZ_2005"))
print("\\n".join(out["EXPLAIN"].to_list()))
"""


def _explanations(order: str) -> str:
    res = subprocess.run(
        [sys.executable, "-c", _PROGRAM, order],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": SRC, "PATH": ""},
    )
    return res.stdout


def test_explanations_are_identical_in_any_import_order() -> None:
    first = _explanations("rule-set-first")
    assert first == _explanations("registry-first")
    assert "creatinine" in first
