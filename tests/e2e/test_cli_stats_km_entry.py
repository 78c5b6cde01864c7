"""``stats km --entry`` (delayed entry, left truncation) and the Nelson-Aalen cumulative hazard in
``--json`` (issue 13), through the real entry point, against R survival
(``tests/reference/r/km_logrank.R``: ``survfit(Surv(entry, time, event) ~ 1)``, case ``truncated``;
its ``cumhaz`` and ``std.chaz``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from plasmatrial.stats.km import kaplan_meier
from tests.e2e.cli import run_cli
from tests.reference import ATOL_R, RTOL_R, load_fixture
from tests.reference._util import arr

CASES = {
    c["conf_type"]: c
    for c in load_fixture("km_logrank")["expected"]["km"]
    if c["name"] == "truncated"
}


def close(got: Any, exp: Any, what: str) -> None:
    np.testing.assert_allclose(
        np.array(got, dtype=float), arr(exp), rtol=RTOL_R, atol=ATOL_R, err_msg=what
    )


@pytest.fixture(scope="module")
def truncated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    inp = CASES["log"]["input"]
    n = len(arr(inp["time"]))
    path = tmp_path_factory.mktemp("entry") / "adtte.csv"
    pl.DataFrame(
        {
            "ENTRY": arr(inp["entry"]),
            "AVAL": arr(inp["time"]),
            "EVENT": arr(inp["event"]).astype(int),
            "ARM": ["A" if i % 3 else "B" for i in range(n)],
        }
    ).write_csv(path)
    return path


@pytest.mark.parametrize("conf_type", sorted(CASES))
def test_entry_matches_survfit_with_delayed_entry(truncated: Path, conf_type: str) -> None:
    case = CASES[conf_type]
    res = run_cli(
        "stats", "km", str(truncated), "--time", "AVAL", "--event", "EVENT", "--entry", "ENTRY",
        "--conf-type", conf_type, "--json",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["entry"] == "ENTRY"
    tab = out["groups"]["all"]["table"]
    close(tab["time"], case["time"], "time")
    close(tab["n.risk"], case["n_risk"], "n.risk")
    close(tab["n.event"], case["n_event"], "n.event")
    close(tab["surv"], case["surv"], "surv")
    close(tab["std.err"], arr(case["surv"]) * arr(case["std_err"]), "std.err of S")
    close(tab["lower"], case["lower"], "lower")
    close(tab["upper"], case["upper"], "upper")
    close(tab["cumhaz"], case["cumhaz"], "cumhaz")
    close(tab["std.chaz"], case["std_chaz"], "std.chaz")
    q = out["groups"]["all"]["quantiles"]
    probs = list(arr(case["probs"]))
    for k, p in enumerate(q["prob"]):
        j = probs.index(p)
        close([q["time"][k]], [arr(case["q"])[j]], f"quantile {p}")
        close([q["lower"][k]], [arr(case["q_lower"])[j]], f"lower {p}")
        close([q["upper"][k]], [arr(case["q_upper"])[j]], f"upper {p}")


def test_entry_matters(truncated: Path) -> None:
    """Without --entry the same rows give a different curve (the risk sets are wrong)."""
    args = ["stats", "km", str(truncated), "--time", "AVAL", "--event", "EVENT", "--json"]
    plain = json.loads(run_cli(*args).stdout)["groups"]["all"]["table"]
    assert plain["n.risk"][0] == 200
    assert arr(CASES["log"]["n_risk"])[0] < 200
    assert not np.allclose(plain["cumhaz"], arr(CASES["log"]["cumhaz"]))


def test_cumhaz_without_entry_matches_survfit(tmp_path: Path) -> None:
    case = next(
        c
        for c in load_fixture("km_logrank")["expected"]["km"]
        if c["name"] == "lung" and c["conf_type"] == "log"
    )
    path = tmp_path / "lung.csv"
    pl.DataFrame(
        {"T": arr(case["input"]["time"]), "E": arr(case["input"]["event"]).astype(int)}
    ).write_csv(path)
    res = run_cli("stats", "km", str(path), "--time", "T", "--event", "E", "--json")
    assert res.returncode == 0, res.stderr
    tab = json.loads(res.stdout)["groups"]["all"]["table"]
    close(tab["cumhaz"], case["cumhaz"], "cumhaz")
    close(tab["std.chaz"], case["std_chaz"], "std.chaz")


def test_entry_by_group_and_table_title(truncated: Path) -> None:
    args = ["stats", "km", str(truncated), "--time", "AVAL", "--event", "EVENT"]
    res = run_cli(*args, "--entry", "ENTRY", "--group", "ARM", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    frame = pl.read_csv(truncated)
    for arm in ("A", "B"):
        part = frame.filter(pl.col("ARM") == arm)
        fit = kaplan_meier(
            part["AVAL"].to_numpy(), part["EVENT"].to_numpy(), entry=part["ENTRY"].to_numpy()
        )
        assert out["groups"][arm]["table"]["n.risk"] == fit.n_risk.tolist()
        assert out["groups"][arm]["table"]["cumhaz"] == fit.cumhaz.tolist()
    text = run_cli(*args, "--entry", "ENTRY")
    assert text.returncode == 0, text.stderr
    assert "delayed entry: ENTRY" in text.stdout


def test_entry_not_before_time_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ENTRY,AVAL,EVENT\n0,5,1\n6,6,0\n")
    res = run_cli(
        "stats", "km", str(path), "--time", "AVAL", "--event", "EVENT", "--entry", "ENTRY"
    )
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert "entry" in res.stderr
