"""Crossover: first dose of the crossover regimen (CROSSDT) and the RPSFT-adjusted effect."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from plasmatrial.design.protocol import parse_trial
from plasmatrial.endpoints.tte import DAYS_PER_MONTH
from plasmatrial.stats.rpsft import rpsft
from plasmatrial.trial.analyse import crossover_rpsft
from plasmatrial.trial.derive import crossover_dates

TRIAL = parse_trial(
    """
id: X
title: t
disease: MM
randomised: true
n_planned: 4
arms:
  - {code: POMDEX, name: Pom + dex, regimen: [{drug: POMALIDOMIDE, dose: 4}, {drug: DEXAMETHASONE, dose: 40}]}
  - {code: HIDEX, name: Dex, crossover_to: POMDEX, regimen: [{drug: DEXAMETHASONE, dose: 40}]}
primary:
  - {id: OS, label: o, type: time_to_event, options: {crossover_adjustment: rpsft}}
"""
)


def test_crossover_date_is_the_first_dose_of_a_drug_new_to_the_subject() -> None:
    arms = pl.DataFrame({"USUBJID": ["1", "2", "3"], "ARMCD": ["HIDEX", "HIDEX", "POMDEX"]})
    ex = pl.DataFrame(
        {
            "USUBJID": ["1", "1", "1", "2", "3"],
            "EXTRT": ["DEXAMETHASONE", "Pomalidomide", "POMALIDOMIDE", "DEXAMETHASONE", "POMALIDOMIDE"],
            "EXSTDTC": ["2024-01-01", "2024-05-03", "2024-04-02T10:00", "2024-01-05", "2024-01-02"],
        }
    )  # fmt: skip
    out = crossover_dates(ex, arms, TRIAL)
    # 1 switched (earliest pomalidomide dose); 2 only had its own drug; 3 is in the experimental arm
    assert out.to_dicts() == [{"USUBJID": "1", "CROSSDT": dt.date(2024, 4, 2)}]
    assert crossover_dates(None, arms, TRIAL).is_empty()


def test_rpsft_uses_the_share_of_time_on_the_experimental_regimen() -> None:
    rng = np.random.default_rng(3)
    n = 120
    arm = np.array(["POMDEX"] * 80 + ["HIDEX"] * 40)
    start = dt.date(2024, 1, 1)
    aval = np.ceil(rng.exponential(200, n)) + 30
    event = rng.random(n) < 0.7
    switched = (arm == "HIDEX") & (rng.random(n) < 0.5)
    xo_day = np.where(switched, np.floor(aval * 0.4), np.nan)
    d = pl.DataFrame(
        {
            "USUBJID": [str(i) for i in range(n)],
            "ARMCD": arm,
            "AVAL": aval,
            "CNSR": np.where(event, 0, 1),
            "STARTDT": [start] * n,
            "ADT": [start + dt.timedelta(days=int(a) - 1) for a in aval],
        }
    )
    adsl = pl.DataFrame(
        {
            "USUBJID": d["USUBJID"],
            "CROSSDT": [None if np.isnan(x) else start + dt.timedelta(days=int(x)) for x in xo_day],
        },
        schema={"USUBJID": pl.Utf8, "CROSSDT": pl.Date},
    )
    got, note = crossover_rpsft(d, adsl, TRIAL)
    assert note == "" and got is not None
    rx = np.where(arm == "POMDEX", 1.0, np.where(switched, (aval - xo_day) / aval, 0.0))
    cut = aval.max()
    want = rpsft(
        aval / DAYS_PER_MONTH, event, (arm == "POMDEX").astype(float), np.nan_to_num(rx),
        censor_time=np.full(n, cut) / DAYS_PER_MONTH,
    )  # fmt: skip
    assert got["psi"] == pytest.approx(want.psi, rel=1e-12)
    assert got["hazard_ratio"] == pytest.approx(want.hazard_ratio, rel=1e-12)
    assert got["n_switched"] == int(switched.sum())
    assert got["n_control"] == 40


def test_rpsft_without_crossover_dates_is_a_note() -> None:
    d = pl.DataFrame({"USUBJID": ["1"], "ARMCD": ["HIDEX"]})
    got, note = crossover_rpsft(d, pl.DataFrame({"USUBJID": ["1"]}), TRIAL)
    assert got is None and "no crossover dates" in note
