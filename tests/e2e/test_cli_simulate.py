"""``plasmatrial simulate TRIAL.yaml`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
MM003 = str(ROOT / "examples" / "trials" / "mm_pom_lodex_vs_hidex.yaml")


def test_simulate_json_defaults_from_trial_file() -> None:
    res = run_cli("simulate", MM003, "--n-sims", "200", "--seed", "3", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["trial"] == "MM-003" and "disclaimer" in out
    (sc,) = out["scenarios"]
    arms = {a["code"]: a for a in sc["design"]["arms"]}
    assert (arms["POMLODEX"]["median_pfs"], arms["HIDEX"]["median_pfs"]) == (4.0, 1.9)
    assert sc["design"]["n_per_arm"] == [302, 153]
    comp = sc["comparisons"][0]
    # PFS HR 1.9 / 4.0 = 0.475 with ~360 events: essentially always significant
    assert comp["primary"]["true_hr"] == 0.475
    assert comp["rejection_rate"] > 0.95


def test_simulate_hr_sweep_with_plot_and_table(tmp_path: Path) -> None:
    svg = tmp_path / "oc.svg"
    res = run_cli(
        "simulate",
        MM003,
        "--n-sims",
        "100",
        "--hr",
        "1,0.7",
        "--events",
        "120",
        "--looks",
        "0.5,1",
        "--plot",
        str(svg),
    )
    assert res.returncode == 0, res.stderr
    assert "rejection rate" in res.stdout and "Research software" in res.stdout
    assert svg.read_text(encoding="utf-8").startswith("<svg")


def test_simulate_user_errors_are_one_line() -> None:
    res = run_cli("simulate", MM003, "--n-sims", "10", "--backend", "tpu")
    assert res.returncode == 2
    assert "--backend must be numpy or cupy" in res.stderr
    assert "Traceback" not in res.stderr
