"""``plasmatrial replicate``: per published figure, the share of seeds reproducing it (two seeds of
the 28-patient trial only: replication runs of many seeds are measured outside the test suite)."""

from __future__ import annotations

import json
from pathlib import Path

from plasmatrial.cli.replicate import replicate_seed, summarise
from tests.e2e.cli import run_cli

TRIALS = Path(__file__).parents[2] / "examples" / "trials"
POMDEX = TRIALS / "al_pomdex_phase2.yaml"


def test_replicate_json_reports_each_figure_over_the_seeds() -> None:
    res = run_cli("replicate", str(POMDEX), "--seeds", "2", "--start-seed", "20240601", "--json")
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout)
    assert out["trial"] == "AL-POMDEX-P2" and out["seeds"] == [20240601, 20240602]
    assert "generated to match these published figures" in out["note"]
    figs = {f["endpoint"]: f for f in out["figures"]}
    assert len(out["figures"]) == 11
    # the analysis of the default seed (the e2e seed-trial test) agrees with these three
    one = replicate_seed(str(POMDEX), 20240601)
    by_ep = {r["ENDPOINT"]: r for r in one}
    for ep in ("HEMRESP", "AE_GR3", "AE_GR34_TERMS"):
        f = figs[ep]
        assert f["seeds"] == 2 and 0 <= f["agree"] <= f["judged"] <= 2
        assert f["share"] == f["agree"] / 2
        assert by_ep[ep]["AGREES"] is True
        assert f["agree"] >= 1
    hem = figs["HEMRESP"]
    assert hem["p2_5"] <= hem["median"] <= hem["p97_5"]
    assert hem["rule"].startswith("rounds to 0.68")


def test_replicate_of_a_trial_without_published_figures_says_so() -> None:
    res = run_cli("replicate", str(TRIALS / "al_darapom.yaml"), "--seeds", "3")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "lists no published figures" in res.stdout


def test_summary_counts_failed_seeds_as_not_reproducing() -> None:
    rows = replicate_seed(str(POMDEX), 20240601)
    failed = [{"SEED": 7, "ERROR": "DM: boom"}]
    s = summarise(str(POMDEX), [rows, failed])
    assert s["errors"] == [{"seed": 7, "error": "DM: boom"}]
    hem = next(f for f in s["figures"] if f["endpoint"] == "HEMRESP")
    assert hem["seeds"] == 2 and hem["judged"] == 1 and hem["share"] == hem["agree"] / 2
