"""Trial files state assumptions (``assumed``) and cycle-dependent dosing days (``phases``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from plasmatrial.design.protocol import parse_trial
from plasmatrial.endpoints.exposure import derive_adex
from plasmatrial.errors import DesignError

TRIALS = Path(__file__).parents[2] / "examples" / "trials"

DARA = """
id: T
title: t
disease: AL
n_planned: 2
assumed: {n_planned: "no sample size in the source"}
arms:
  - code: A
    name: a
    regimen:
      - drug: DARATUMUMAB
        dose: 1800
        days: "1"
        phases: [{cycles: "1-2", days: "1,8,15,22"}, {cycles: "3-6", days: "1,15"}]
        assumed: label schedule
schedule: {assumed: "intervals chosen"}
primary:
  - {id: R, label: r, type: response_rate, assumed: "categories chosen"}
"""


def test_phases_give_the_days_of_each_cycle_and_the_planned_total() -> None:
    drug = parse_trial(DARA).arms[0].regimen[0]
    assert [drug.days_in_cycle(k) for k in (1, 2, 3, 6, 7, 30)] == [
        "1,8,15,22", "1,8,15,22", "1,15", "1,15", "1", "1",
    ]  # fmt: skip
    plan = drug.planned()
    # 4 + 4 + 2 x 4 + 1 x 2 dosing days in 8 cycles (label: weekly, every 2, every 4 weeks)
    assert plan.planned_days(8) == 18
    assert plan.max_planned_gap == 27


def test_exposure_plans_the_phased_cumulative_dose() -> None:
    plan = parse_trial(DARA).arms[0].regimen[0].planned()
    start = dt.date(2024, 1, 1)
    # every planned dose of cycles 1-3 given (10 doses), first dose of cycle 4 given
    days = [0, 7, 14, 21, 28, 35, 42, 49, 56, 70, 84]
    ex = pl.DataFrame(
        {
            "USUBJID": ["1"] * len(days),
            "EXTRT": ["DARATUMUMAB"] * len(days),
            "EXDOSE": [1800.0] * len(days),
            "EXSTDTC": [str(start + dt.timedelta(days=d)) for d in days],
            "EXENDTC": [str(start + dt.timedelta(days=d)) for d in days],
        }
    )
    adex = derive_adex(ex, planned=[plan]).row(0, named=True)
    assert adex["NCYCLES"] == 4
    assert adex["PLCUMDOS"] == 1800.0 * (4 + 4 + 2 + 2)
    assert adex["RDI"] == pytest.approx(100 * 11 / 12)
    assert adex["NINTRP"] == 0


def test_assumptions_are_listed_in_file_order() -> None:
    where = [w for w, _ in parse_trial(DARA).assumptions()]
    assert where == ["n_planned", "A DARATUMUMAB 1800 mg", "schedule", "endpoint R"]


def test_assumed_must_name_a_trial_field() -> None:
    with pytest.raises(DesignError, match=r"assumed.sample \(line 6\): not a field of a trial"):
        parse_trial(DARA.replace("assumed: {n_planned:", "assumed: {sample:"))


def test_bad_phase_cycles_rejected() -> None:
    with pytest.raises(DesignError, match="phases"):
        parse_trial(DARA.replace('cycles: "3-6"', 'cycles: "three"'))


@pytest.mark.parametrize("name", ["al_darapom", "mm_pom_two_schedules", "mm_pom_lodex_vs_hidex"])
def test_seed_trials_mark_the_doses_their_seed_does_not_state(name: str) -> None:
    trial = parse_trial((TRIALS / f"{name}.yaml").read_text(encoding="utf-8"))
    for arm in trial.arms:
        for drug in arm.regimen:
            assert drug.assumed, f"{name} {arm.code} {drug.drug}"
