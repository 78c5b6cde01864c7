"""Trial definitions: the shipped seed-trial files parse; bad files report every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from plasmatrial.design.protocol import parse_trial
from plasmatrial.errors import DesignError

TRIALS = sorted((Path(__file__).parents[2] / "examples" / "trials").glob("*.yaml"))


def test_five_seed_trials_are_shipped() -> None:
    assert len(TRIALS) == 5


@pytest.mark.parametrize("path", TRIALS, ids=[p.stem for p in TRIALS])
def test_seed_trial_parses(path: Path) -> None:
    trial = parse_trial(path.read_text(), source=path.name)
    assert trial.primary
    assert abs(sum(trial.allocation().values()) - 1) < 1e-12
    for arm in trial.arms:
        for drug in arm.regimen:
            assert drug.planned().dosing_days_per_cycle >= 1


def test_mm003_allocation_is_two_to_one() -> None:
    path = next(p for p in TRIALS if p.stem == "mm_pom_lodex_vs_hidex")
    trial = parse_trial(path.read_text())
    assert trial.allocation() == pytest.approx({"POMLODEX": 2 / 3, "HIDEX": 1 / 3})
    hidex = next(a for a in trial.arms if a.code == "HIDEX")
    assert hidex.regimen[0].planned().dosing_days_per_cycle == 12


def test_every_problem_is_reported_with_its_location() -> None:
    text = """
id: X
title: bad
disease: CLL
n_planned: 0
arms:
  - {code: A, name: a, regimen: [{drug: P, dose: -1}]}
  - {code: A, name: b, regimen: []}
primary: []
"""
    with pytest.raises(DesignError) as err:
        parse_trial(text, source="bad.yaml")
    msg = str(err.value)
    assert "bad.yaml: disease" in msg
    assert "bad.yaml: n_planned" in msg
    assert "arms.0.regimen.0.dose" in msg


def test_cross_references_checked() -> None:
    text = """
id: X
title: t
disease: MM
n_planned: 10
randomised: true
arms:
  - {code: A, name: a, crossover_to: Z, regimen: [{drug: P, dose: 4, days: "1-21"}]}
primary: [{id: ORR, label: o, type: response_rate}]
"""
    with pytest.raises(DesignError, match=r"arms.0.crossover_to \(line 8\): 'Z' is not an arm"):
        parse_trial(text)


def test_not_yaml_mapping() -> None:
    with pytest.raises(DesignError, match="mapping"):
        parse_trial("- a\n- b\n")
    with pytest.raises(DesignError, match="not valid YAML"):
        parse_trial("a: [unclosed\n")
