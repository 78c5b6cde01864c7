"""End-to-end, per seed trial: ``plasmatrial simulate-data`` then ``plasmatrial run`` through the
real entry point; every published figure the trial file lists (other than those marked
``not_computed``) is judged by its rule (decision 0745) and, at the default seed, agrees, except
the figures listed in :data:`NOT_REPRODUCED_AT_SEED` (the replicate table in the README gives
their shares over many seeds); every endpoint of the trial file must produce a result. The
generator is calibrated to these figures: agreement checks the pipeline, not the trial.

Seed trials without published results (the daratumumab-pomalidomide protocol, the IFM2009-02
two-schedule trial) are checked for completeness: each endpoint computes, both arms are
compared where randomised.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

ROOT = Path(__file__).parents[2]
TRIALS = ROOT / "examples" / "trials"
SEED = "20240601"

#: trial file -> number of published figures the report must judge
PUBLISHED = {
    "al_pomdex_phase2": 11,
    "al_lendex": 10,
    "mm_pom_lodex_vs_hidex": 6,
    "al_darapom": 0,
    "mm_pom_two_schedules": 0,
}
#: judged figures that the default seed does not reproduce (judged False, never skipped):
#: "P = .001" at 3 decimals (the 28-patient landmark p-value spans orders of magnitude between
#: seeds) and the median follow-up of MM-003 (10.0) and AL-LENDEX (26.5) at 1 decimal (the
#: generator's follow-up calibration is not that precise); decision 0745 and the README's
#: replicate table give the shares over seeds
NOT_REPRODUCED_AT_SEED = {
    ("al_pomdex_phase2", "OS_BY_RESPONSE"),
    ("mm_pom_lodex_vs_hidex", "OS_FOLLOWUP"),
    ("al_lendex", "OS_FOLLOWUP"),
}
RANDOMISED = {"mm_pom_lodex_vs_hidex", "mm_pom_two_schedules"}


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def results(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    name = request.param
    trial = TRIALS / f"{name}.yaml"
    base = tmp_path_factory.mktemp(name)
    sim = run_cli("simulate-data", str(trial), "--seed", SEED, "--out", str(base / "data"))
    assert sim.returncode == 0, sim.stderr[-2000:]
    res = run_cli("run", str(trial), "--data", str(base / "data"), "--out", str(base / "out"))
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads((base / "out" / "results.json").read_text(encoding="utf-8"))
    out["_name"] = name
    out["_stdout"] = res.stdout
    return out


def test_published_figures_are_reproduced(results: dict) -> None:
    rows = results["published_vs_computed"]
    judged = [r for r in rows if r["AGREES"] is not None]
    wrong = {
        (results["_name"], r["ENDPOINT"]): f"{r['ARMCD']}: published {r['PUBLISHED']}, "
        f"computed {r['COMPUTED']} ({r['RULE']})"
        for r in judged
        if not r["AGREES"]
    }
    expected_misses = {k for k in NOT_REPRODUCED_AT_SEED if k[0] == results["_name"]}
    assert set(wrong) <= expected_misses, wrong
    assert len(judged) == PUBLISHED[results["_name"]]
    # every figure the pipeline computes is judged (none silently unmatched), by a stated rule
    assert all(r["RULE"] for r in rows)
    for r in rows:
        assert (r["AGREES"] is None) == r["RULE"].startswith("not computed"), r


def test_every_endpoint_produces_a_result(results: dict) -> None:
    empty = []
    for ep in results["endpoints"]:
        if not ep.get("table"):
            empty.append(f"{ep['id']}: {ep.get('note')}")
    assert not empty, empty


def test_arms_are_compared_exactly_in_randomised_trials(results: dict) -> None:
    tte = [e for e in results["endpoints"] if e.get("result") == "TimeToEventResult"]
    if results["_name"] not in RANDOMISED:
        # one arm: Kaplan-Meier only, no between-arm test or model
        assert tte and all(e["logrank"] is None and e["cox"] is None for e in tte)
        return
    pfs = [e for e in tte if e["id"] == "PFS"]
    assert pfs, "randomised seed trials define PFS"
    assert pfs[0]["logrank"] is not None and 0.0 <= pfs[0]["logrank"]["p_value"] <= 1.0
    assert pfs[0]["cox"] is not None and pfs[0]["cox"]["hazard_ratio"] > 0
    arms = {row["ARMCD"] for row in pfs[0]["table"]}
    assert len(arms) == 2
    assert pfs[0]["subgroups"], "a forest plot of subgroup hazard ratios"


def test_crossover_is_adjusted_where_the_trial_asks(results: dict) -> None:
    os_ = [e for e in results["endpoints"] if e["id"] == "OS"]
    xo = os_[0].get("crossover") if os_ else None
    if results["_name"] == "mm_pom_lodex_vs_hidex":
        assert xo is not None and xo["method"] == "rpsft"
        assert 0 < xo["n_switched"] <= xo["n_control"] == 153
        assert xo["hazard_ratio_conf_low"] < xo["hazard_ratio"] < xo["hazard_ratio_conf_high"]
        assert os_[0]["logrank"]["stratified"] is True
    else:
        assert xo is None


def test_results_state_the_rule_sets(results: dict) -> None:
    crit = results["criteria"]
    text = json.dumps(crit)
    expected = "IMWG_2016" if results["_name"].startswith("mm_") else "CR_2012_RATIO"
    assert expected in text
