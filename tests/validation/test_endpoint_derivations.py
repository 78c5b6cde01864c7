"""Validation suite: hand-built patients through the whole trial pipeline (``run_trial``), every
expected value worked out by hand below (sap.md sections 1-4, criteria.md 6.1-6.2).

Conventions used in the arithmetic: day 0 = 2024-01-08 = first dose (DM ``RFSTDTC``) = time
origin; ``AVAL = ADT - STARTDT + 1`` days; disease assessments every 28 days; the AL patients
have lambda as the involved chain and kappa 10 mg/L, so dFLC = lambda - 10 (baseline dFLC 230,
PR below 115, VGPR below 40; progression: iFLC +50 % over its nadir and above 100 mg/L).
The trial file sets ``followup_every_months: 1``, so the scheduled interval is
max(round(365.25 / 12), 28) = 30 days and a progression more than 2 x 30 + 7 = 67 days after the
last adequate assessment comes "after missed assessments" (6.2 C3).

AL cohort (single arm, ITT = 5):

* ``NT_AFTER`` (new therapy after response): PR d28 (lambda 100), VGPR d56 (30), daratumumab
  d70 (CM), PROG d84 (400). BOR VGPR (2024-03-04); first response d28; PFS censored at the
  last adequate assessment before the new therapy (C2): d56, AVAL 57, CNSR 1; DOR from d28 to
  d56: AVAL 29, CNSR 1.
* ``WITHDRAW``: NR d28 (230), NR d56 (220), withdrawal (DS) d60, no later data. BOR NR; PFS
  censored at d56 (C6: treatment stopped d20 < d56): AVAL 57; OS censored at the DS record,
  the latest date alive: d60, AVAL 61; TTR censored at d56: AVAL 57, "LAST ADEQUATE
  ASSESSMENT".
* ``MISSED``: PR d28 (100), nothing until PROG d168 (400: +300 % over the nadir 100). BOR PR;
  PFS: 140 days after d28 > 67, so C3: censored at d28, AVAL 29; DOR from d28 censored at d28:
  AVAL 1; TTR 29, response.
* ``EARLYDTH``: dies d20, no post-baseline assessment. BOR NE (in the ITT denominator); OS event
  d20: AVAL 21; PFS death without PD (C5): AVAL 21, CNSR 0; TTR: death before response, 21.
* ``LDPR``: low-dFLC (lambda 45, dFLC 35 mg/L), dFLC 5 at d28 (LDPR), 4 at d56. BOR LDPR, a
  responder for this trial (categories CR, VGPR, PR, LDPR); TTR 29; DOR from d28 censored at
  d56 (alive without progression, C7): AVAL 29.

Response rate over ITT: NT_AFTER, MISSED, LDPR = 3/5.

Myeloma cohort (randomised, POM vs DEX with crossover from DEX to POM; serum M-protein g/dL,
baseline 3.0; urine 30 mg/24 h, not followed):

* ``XOVER`` (DEX): SD d28 (2.8), PD d56 (4.0; +1.0 g/dL and +33 %), PD d84 (4.5, confirms),
  pomalidomide from d90 (EX; CM "POM (CROSSOVER)" d90), PR d112 and d140 (1.2). BOR SD (the
  PRs are after progression and after the new therapy); ADSL ``CROSSDT`` 2024-04-07 (d90),
  ``NACTDT`` d90; PFS event at the first PD d56: AVAL 57; TTR: progression before response.
* ``LASTPR`` (POM): SD d28 (2.8), PR d56 (1.2), no later assessment. BOR SD (the PR at the last
  visit is unconfirmed, criteria.md 4.4 step 4); CONFFL of that visit N.
* ``CONFPR`` (POM): PR d28 and PR d56 (1.2). BOR PR dated d28 (first of the two); TTR 29.
* ``DEXPR`` (DEX): PR d28 and d56 (1.3). BOR PR.

ORR (sCR, CR, VGPR, PR): POM 1/2, DEX 1/2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from plasmatrial.design.protocol import parse_trial
from plasmatrial.trial import TrialInputs, run_trial
from plasmatrial.trial.pipeline import TrialResults

D0 = dt.date(2024, 1, 8)

AL_TRIAL = """
id: V-AL
title: validation AL
disease: AL
n_planned: 5
arms:
  - {code: POMDEX, name: Pomalidomide + dexamethasone, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
schedule: {followup_every_months: 1}
criteria: {hematologic: AL_2012, progression: AL_PROG_2012}
primary:
  - {id: ORR, label: Hematologic response, type: response_rate, categories: [CR, VGPR, PR, LDPR]}
secondary:
  - {id: PFS, label: PFS, type: time_to_event, options: {event: hematologic_progression_or_death}}
  - {id: OS, label: OS, type: time_to_event}
  - {id: DOR, label: DOR, type: duration_of_response}
  - {id: TTR, label: TTR, type: time_to_response}
"""

MM_TRIAL = """
id: V-MM
title: validation MM
disease: MM
randomised: true
n_planned: 4
arms:
  - {code: POM, name: Pomalidomide, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
  - {code: DEX, name: Dexamethasone, regimen: [{drug: DEXAMETHASONE, dose: 40, days: "1,8,15,22"}], crossover_to: POM}
criteria: {response: IMWG_2016}
primary:
  - {id: ORR, label: Overall response, type: response_rate, categories: [sCR, CR, VGPR, PR]}
secondary:
  - {id: PFS, label: PFS, type: time_to_event, options: {event: progression_or_death}}
"""


def _day(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


def _lb(sid: str, course: list[tuple[int, dict[str, tuple[float, str]]]]) -> list[dict[str, Any]]:
    rows = []
    for k, (day, tests) in enumerate(course):
        for code, (val, unit) in tests.items():
            rows.append(
                {
                    "USUBJID": sid,
                    "LBTESTCD": code,
                    "LBORRES": str(val),
                    "LBORRESU": unit,
                    "LBDTC": _day(day),
                    "VISIT": "BASELINE" if k == 0 else f"V{k}",
                    "VISITNUM": float(k + 1),
                }
            )
    return rows


def _ex(sid: str, drug: str, start: int = 0, end: int = 20) -> dict[str, Any]:
    return {
        "USUBJID": sid,
        "EXTRT": drug,
        "EXDOSE": 4.0,
        "EXDOSU": "mg",
        "EXSTDTC": _day(start),
        "EXENDTC": _day(end),
    }


def _flc(lam: float) -> dict[str, tuple[float, str]]:
    return {"FLCKAP": (10.0, "mg/L"), "FLCLAM": (lam, "mg/L")}


def _spep(g: float) -> dict[str, tuple[float, str]]:
    return {"SPEPMP": (g, "g/dL"), "UPEPMP": (30.0, "mg/24h")}


@pytest.fixture(scope="module")
def al() -> TrialResults:
    courses = {
        "NT_AFTER": [(-3, 240), (28, 100), (56, 30), (84, 400)],
        "WITHDRAW": [(-3, 240), (28, 230), (56, 220)],
        "MISSED": [(-3, 240), (28, 100), (168, 400)],
        "EARLYDTH": [(-3, 240)],
        "LDPR": [(-3, 45), (28, 15), (56, 14)],
    }
    dm, lb, ex = [], [], []
    for sid, course in courses.items():
        dm.append(
            {
                "STUDYID": "V",
                "USUBJID": sid,
                "RFSTDTC": _day(0),
                "AGE": 60,
                "SEX": "F",
                "ARM": "POMDEX",
                "INVLC": "LAMBDA",
                "DTHDTC": _day(20) if sid == "EARLYDTH" else None,
            }
        )
        lb += _lb(sid, [(d, _flc(v)) for d, v in course])
        ex.append(_ex(sid, "POMALIDOMIDE"))
    cm = pl.DataFrame(
        {
            "USUBJID": ["NT_AFTER"],
            "CMTRT": ["DARATUMUMAB"],
            "CMCAT": ["SUBSEQUENT ANTICANCER THERAPY"],
            "CMSTDTC": [_day(70)],
        }
    )
    ds = pl.DataFrame(
        {
            "USUBJID": ["WITHDRAW"],
            "DSDECOD": ["WITHDRAWAL BY SUBJECT"],
            "DSSTDTC": [_day(60)],
        }
    )
    data = TrialInputs(dm=pl.DataFrame(dm), lb=pl.DataFrame(lb), ex=pl.DataFrame(ex), cm=cm, ds=ds)
    return run_trial(parse_trial(AL_TRIAL), data)


@pytest.fixture(scope="module")
def mm() -> TrialResults:
    courses = {
        "XOVER": ("DEX", [(-3, 3.0), (28, 2.8), (56, 4.0), (84, 4.5), (112, 1.2), (140, 1.2)]),
        "LASTPR": ("POM", [(-3, 3.0), (28, 2.8), (56, 1.2)]),
        "CONFPR": ("POM", [(-3, 3.0), (28, 1.2), (56, 1.2)]),
        "DEXPR": ("DEX", [(-3, 3.0), (28, 1.3), (56, 1.3)]),
    }
    dm, lb, ex = [], [], []
    for sid, (arm, course) in courses.items():
        dm.append(
            {
                "STUDYID": "V",
                "USUBJID": sid,
                "RFSTDTC": _day(0),
                "RANDDTC": _day(0),
                "AGE": 70,
                "SEX": "M",
                "ARMCD": arm,
            }
        )
        lb += _lb(sid, [(d, _spep(v)) for d, v in course])
        ex.append(_ex(sid, "POMALIDOMIDE" if arm == "POM" else "DEXAMETHASONE"))
    ex.append(_ex("XOVER", "POMALIDOMIDE", start=90, end=150))
    cm = pl.DataFrame(
        {
            "USUBJID": ["XOVER"],
            "CMTRT": ["POMALIDOMIDE (CROSSOVER)"],
            "CMCAT": ["SUBSEQUENT ANTICANCER THERAPY"],
            "CMSTDTC": [_day(90)],
        }
    )
    data = TrialInputs(dm=pl.DataFrame(dm), lb=pl.DataFrame(lb), ex=pl.DataFrame(ex), cm=cm)
    return run_trial(parse_trial(MM_TRIAL), data)


def _param(res: TrialResults, paramcd: str) -> dict[str, tuple[float, int, str]]:
    rows = res.datasets["ADTTE"].filter(pl.col("PARAMCD") == paramcd)
    return {r["USUBJID"]: (r["AVAL"], r["CNSR"], r["EVNTDESC"]) for r in rows.iter_rows(named=True)}


def _adsl(res: TrialResults, col: str) -> dict[str, Any]:
    a = res.adsl
    return dict(zip(a["USUBJID"].to_list(), a[col].to_list(), strict=True))


def test_al_best_response(al: TrialResults) -> None:
    assert _adsl(al, "BESTRSP") == {
        "EARLYDTH": "NE",
        "LDPR": "LDPR",
        "MISSED": "PR",
        "NT_AFTER": "VGPR",
        "WITHDRAW": "NR",
    }
    assert _adsl(al, "BESTRSDT")["NT_AFTER"] == D0 + dt.timedelta(days=56)
    orr = al.endpoint("ORR").get()
    assert (orr["X"], orr["N"]) == (3, 5)


def test_al_pfs_censoring_rules(al: TrialResults) -> None:
    pfs = _param(al, "PFS")
    assert pfs["NT_AFTER"] == (57.0, 1, "NEW ANTICANCER THERAPY BEFORE PD")
    assert pfs["WITHDRAW"][:2] == (57.0, 1)
    assert pfs["MISSED"] == (29.0, 1, "EVENT AFTER MISSED ASSESSMENTS")
    assert pfs["EARLYDTH"] == (21.0, 0, "DEATH")


def test_al_duration_of_response(al: TrialResults) -> None:
    dor = _param(al, "DOR")
    assert set(dor) == {"NT_AFTER", "MISSED", "LDPR"}
    assert dor["NT_AFTER"][:2] == (29.0, 1)
    assert dor["MISSED"][:2] == (1.0, 1)
    assert dor["LDPR"][:2] == (29.0, 1)


def test_al_overall_survival_and_last_alive(al: TrialResults) -> None:
    os_ = _param(al, "OS")
    assert os_["EARLYDTH"] == (21.0, 0, "DEATH")
    assert os_["WITHDRAW"][:2] == (61.0, 1)


def test_al_time_to_response(al: TrialResults) -> None:
    ttr = _param(al, "TTR")
    assert ttr["WITHDRAW"] == (57.0, 1, "LAST ADEQUATE ASSESSMENT")
    assert ttr["MISSED"] == (29.0, 0, "FIRST RESPONSE")
    assert ttr["EARLYDTH"] == (21.0, 1, "DEATH BEFORE RESPONSE")
    assert ttr["LDPR"] == (29.0, 0, "FIRST RESPONSE")
    assert ttr["NT_AFTER"] == (29.0, 0, "FIRST RESPONSE")


def test_mm_crossover_and_confirmation(mm: TrialResults) -> None:
    assert _adsl(mm, "BESTRSP") == {"CONFPR": "PR", "DEXPR": "PR", "LASTPR": "SD", "XOVER": "SD"}
    assert _adsl(mm, "CROSSDT")["XOVER"] == D0 + dt.timedelta(days=90)
    assert _adsl(mm, "NACTDT")["XOVER"] == D0 + dt.timedelta(days=90)
    assert _adsl(mm, "BESTRSDT")["CONFPR"] == D0 + dt.timedelta(days=28)
    pfs = _param(mm, "PFS")
    assert pfs["XOVER"] == (57.0, 0, "PROGRESSIVE DISEASE")
    assert _param(mm, "TTR")["XOVER"] == (57.0, 1, "PROGRESSION BEFORE RESPONSE")
    adrs = mm.datasets["ADRS"].filter(
        (pl.col("PARAMCD") == "OVRLRESP")
        & (pl.col("USUBJID") == "LASTPR")
        & (pl.col("ABLFL") != "Y")
    )
    assert adrs["CONFFL"].to_list() == ["Y", "N"]  # SD needs none; the last PR is unconfirmed
    orr = mm.endpoint("ORR")
    assert (orr.get("POM")["X"], orr.get("POM")["N"]) == (1, 2)
    assert (orr.get("DEX")["X"], orr.get("DEX")["N"]) == (1, 2)
