"""End-to-end: best response, time to response and their populations through ``respond`` and
``run`` (sap.md sections 1-3; issue 10 items 1, 2, 3, 6, 7, 12, 13).

Two hand-built cohorts, small enough to work out by hand. Every subject starts on 2024-01-08
(day 0, DM ``RFSTDTC``); the baseline sample is on day -3 and the visits on the days listed.

AL (lambda involved; kappa 10 mg/L, so dFLC = lambda - 10; Palladini 2012 rules):

========  ==================================  =======================================================
subject   lambda (mg/L) by day                 expected
========  ==================================  =======================================================
NEWTX     240; d28 230, d56 220, d84 30        NR: daratumumab (CM) starts day 70, so the day-84 VGPR
                                               (dFLC 20 < 40) does not count; TTR censored at day 56
                                               (57 days, "NEW ANTICANCER THERAPY BEFORE RESPONSE")
EARLYDTH  240; dies day 20, no visit          NE, still in the ITT denominator; TTR: death before
                                               response at 21 days
PROGONLY  240; d28 400, d56 30                 PROG (iFLC +67 % vs nadir 240, > 100 mg/L) and nothing
                                               before it: BOR PROG, not NE; the day-56 VGPR is after
                                               progression and is no first response
RESP      240; d28 100, d56 30                 VGPR (dFLC 20) first reached d56; first response PR on
                                               d28: TTR 29 days (28 + 1, ADaM day counting)
LDPR      45; d28 15, d56 14                   low-dFLC (35 mg/L) patient: LDPR (dFLC 5 < 10) on d28,
                                               a responder for a trial that counts LDPR: TTR 29 days
========  ==================================  =======================================================

ORR (CR, VGPR, PR, LDPR) over ITT = RESP + LDPR = 2/5 (EARLYDTH stays in the denominator);
without CM the NEWTX day-84 VGPR would make it 3/5.

Myeloma (serum M-protein in g/dL, baseline 3.0; urine 30 mg/24 h, not measurable, not followed):

========  ==================================  =======================================================
UNCONF    d28 2.8, d56 1.2                     SD: the PR (-60 %) at the last visit is unconfirmed
CONF      d28 1.2, d56 1.2                     PR, first of the two on d28
PDONLY    d28 4.0, d56 4.5                     PD (+1.0 g/dL, +33 % from 3.0) confirmed by the next PD:
                                               BOR PD
NOASSESS  baseline only                        NE, with a BOR row
MINDAYS   d28 1.2, d35 1.2, d63 2.5            PR under the DEFAULT (d35 confirms d28); with
                                               ``analysis.confirmation.min_days: 28`` the d35 PR is
                                               too early to confirm, d63 is SD (-17 %): BOR SD
========  ==================================  =======================================================
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.e2e.cli import run_cli

D0 = dt.date(2024, 1, 8)

AL_TRIAL = """
id: T-AL
title: hand-built AL cohort
disease: AL
n_planned: 5
arms:
  - {code: POMDEX, name: Pomalidomide + dexamethasone, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
criteria: {hematologic: AL_2012, progression: AL_PROG_2012}
primary:
  - {id: ORR, label: Hematologic response, type: response_rate, categories: [CR, VGPR, PR, LDPR]}
secondary:
  - {id: TTR, label: Time to hematologic response, type: time_to_response}
"""

MM_TRIAL = """
id: T-MM
title: hand-built myeloma cohort
disease: MM
n_planned: 5
arms:
  - {code: POMDEX, name: Pomalidomide + dexamethasone, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
criteria: {response: IMWG_2016}
primary:
  - {id: ORR, label: Overall response, type: response_rate, categories: [sCR, CR, VGPR, PR]}
"""

AL_COURSES: dict[str, tuple[float, list[tuple[int, float]], int | None, int | None]] = {
    # subject: (baseline lambda, [(day, lambda)], death day, new-therapy day)
    "NEWTX": (240, [(28, 230), (56, 220), (84, 30)], None, 70),
    "EARLYDTH": (240, [], 20, None),
    "PROGONLY": (240, [(28, 400), (56, 30)], None, None),
    "RESP": (240, [(28, 100), (56, 30)], None, None),
    "LDPR": (45, [(28, 15), (56, 14)], None, None),
}
MM_COURSES: dict[str, list[tuple[int, float]]] = {
    "UNCONF": [(28, 2.8), (56, 1.2)],
    "CONF": [(28, 1.2), (56, 1.2)],
    "PDONLY": [(28, 4.0), (56, 4.5)],
    "NOASSESS": [],
    "MINDAYS": [(28, 1.2), (35, 1.2), (63, 2.5)],
}


def _day(n: int) -> str:
    return (D0 + dt.timedelta(days=n)).isoformat()


def _dm(sid: str, death: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "STUDYID": "T",
        "USUBJID": sid,
        "RFSTDTC": _day(0),
        "AGE": 60,
        "SEX": "M",
        "ARM": "POMDEX",
        "DTHDTC": _day(death) if death is not None else None,
        **extra,
    }


def _ex(sid: str) -> dict[str, Any]:
    return {
        "USUBJID": sid,
        "EXTRT": "POMALIDOMIDE",
        "EXDOSE": 4.0,
        "EXDOSU": "mg",
        "EXSTDTC": _day(0),
        "EXENDTC": _day(20),
    }


def _lb(
    sid: str, k: int, day: int, visit: str, tests: dict[str, tuple[float, str]]
) -> list[dict[str, Any]]:
    return [
        {
            "USUBJID": sid,
            "LBTESTCD": code,
            "LBORRES": str(val),
            "LBORRESU": unit,
            "LBDTC": _day(day),
            "VISIT": visit,
            "VISITNUM": float(k + 1),
        }
        for code, (val, unit) in tests.items()
    ]


def _write(folder: Path, **frames: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in frames.items():
        pl.DataFrame(rows).write_csv(folder / f"{name}.csv")
    return folder


@pytest.fixture(scope="module")
def al_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dm, lb, ex, cm = [], [], [], []
    for sid, (base, visits, death, nact) in AL_COURSES.items():
        dm.append(_dm(sid, death, INVLC="LAMBDA"))
        ex.append(_ex(sid))
        course = [("BASELINE", -3, base)] + [(f"C{i + 1}", d, v) for i, (d, v) in enumerate(visits)]
        for k, (visit, day, lam) in enumerate(course):
            tests = {"FLCKAP": (10.0, "mg/L"), "FLCLAM": (lam, "mg/L")}
            lb += _lb(sid, k, day, visit, tests)
        if nact is not None:
            cm.append(
                {
                    "USUBJID": sid,
                    "CMTRT": "DARATUMUMAB",
                    "CMCAT": "SUBSEQUENT ANTICANCER THERAPY",
                    "CMSTDTC": _day(nact),
                }
            )
    # A concomitant medication is not a new therapy (CMCAT decides).
    cm.append(
        {"USUBJID": "RESP", "CMTRT": "FUROSEMIDE", "CMCAT": "CONCOMITANT", "CMSTDTC": _day(10)}
    )
    return _write(tmp_path_factory.mktemp("al"), dm=dm, lb=lb, ex=ex, cm=cm)


@pytest.fixture(scope="module")
def mm_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dm, lb, ex = [], [], []
    for sid, visits in MM_COURSES.items():
        dm.append(_dm(sid))
        ex.append(_ex(sid))
        course = [("BASELINE", -3, 3.0)] + [(f"C{i + 1}", d, v) for i, (d, v) in enumerate(visits)]
        for k, (visit, day, spep) in enumerate(course):
            tests = {"SPEPMP": (spep, "g/dL"), "UPEPMP": (30.0, "mg/24h")}
            lb += _lb(sid, k, day, visit, tests)
    return _write(tmp_path_factory.mktemp("mm"), dm=dm, lb=lb, ex=ex)


def _respond(data: Path, out: Path, *extra: str) -> pl.DataFrame:
    args = [
        "--dm",
        str(data / "dm.csv"),
        "--lb",
        str(data / "lb.csv"),
        "--ex",
        str(data / "ex.csv"),
    ]
    res = run_cli("respond", *args, "-o", str(out / "calls.csv"), "--show", "0", *extra)
    assert res.returncode == 0, res.stderr + res.stdout
    return pl.read_csv(out / "calls.subjects.csv", try_parse_dates=True)


def _run(trial_text: str, data: Path, out: Path) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    # the trial file sits beside the output folder: run refuses an --out holding its inputs
    out.mkdir(parents=True, exist_ok=True)
    trial = out / "trial.yaml"
    trial.write_text(trial_text, encoding="utf-8")
    out = out / "out"
    res = run_cli("run", str(trial), "--data", str(data), "--out", str(out))
    assert res.returncode == 0, res.stderr + res.stdout
    adam = {
        name: pl.read_parquet(out / "adam" / f"{name}.parquet")
        for name in ("adsl", "adrs", "adtte")
    }
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return adam, results


def _by_subject(frame: pl.DataFrame, col: str) -> dict[str, Any]:
    return dict(zip(frame["USUBJID"].to_list(), frame[col].to_list(), strict=True))


def _endpoint(results: dict[str, Any], endpoint_id: str) -> dict[str, Any]:
    return next(e for e in results["endpoints"] if e["id"] == endpoint_id)


@pytest.fixture(scope="module")
def al_run(
    al_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    return _run(AL_TRIAL, al_data, tmp_path_factory.mktemp("al_out"))


def test_best_response_stops_at_new_therapy_and_progression(al_run: Any) -> None:
    """Items 1 and 12: NEWTX's VGPR after daratumumab and PROGONLY's VGPR after progression do not
    count; PROGONLY's best response is PROG, not NE."""
    adam, _ = al_run
    best = _by_subject(adam["adsl"], "BESTRSP")
    assert best == {
        "EARLYDTH": "NE",
        "LDPR": "LDPR",
        "NEWTX": "NR",
        "PROGONLY": "PROG",
        "RESP": "VGPR",
    }
    # the ADRS rows after new therapy are kept but flagged as not counting
    hem = adam["adrs"].filter((pl.col("PARAMCD") == "HEMRESP") & (pl.col("USUBJID") == "NEWTX"))
    assert hem.filter(pl.col("AVALC") == "VGPR")["ANL01FL"].to_list() == ["N"]


def test_itt_denominator_keeps_early_death(al_run: Any) -> None:
    """Item 2: single-arm response rates use ITT by DEFAULT (2 responders of 5, not of 4)."""
    _, results = al_run
    orr = _endpoint(results, "ORR")
    assert orr["population"] == "ITT"
    overall = next(r for r in orr["table"] if r["ARMCD"] == "ALL" and r["SUBGROUP"] == "")
    assert (overall["X"], overall["N"]) == (2, 5)


def test_time_to_response_counts_only_countable_responses(al_run: Any) -> None:
    """Items 6 and 12: first response only before progression and new therapy; progression and
    death before response are named as competing events."""
    adam, results = al_run
    ttr = adam["adtte"].filter(pl.col("PARAMCD") == "TTR")
    assert _by_subject(ttr, "CNSR") == {
        "EARLYDTH": 1,
        "LDPR": 0,
        "NEWTX": 1,
        "PROGONLY": 1,
        "RESP": 0,
    }
    assert _by_subject(ttr, "AVAL") == {
        "EARLYDTH": 21.0,
        "LDPR": 29.0,
        "NEWTX": 57.0,
        "PROGONLY": 29.0,
        "RESP": 29.0,
    }
    assert _by_subject(ttr, "EVNTDESC") == {
        "EARLYDTH": "DEATH BEFORE RESPONSE",
        "LDPR": "FIRST RESPONSE",
        "NEWTX": "NEW ANTICANCER THERAPY BEFORE RESPONSE",
        "PROGONLY": "PROGRESSION BEFORE RESPONSE",
        "RESP": "FIRST RESPONSE",
    }
    table = _endpoint(results, "TTR")["table"][0]
    # (a) among the 2 responders, both at 29 days; (b) cumulative incidence reaches 2/5 = 0.4 and
    # never 50 %, so its median is not estimable
    assert table["RESPONDERS"] == 2
    assert table["MEDIAN"] == pytest.approx(29 / (365.25 / 12))
    assert table["CIF_1M"] == pytest.approx(0.4)
    assert table["CIF_MEDIAN"] is None or table["CIF_MEDIAN"] != table["CIF_MEDIAN"]


def test_report_labels_time_to_response_both_ways(al_data: Path, tmp_path: Path) -> None:
    """Item 6: the report never calls the median among responders a Kaplan-Meier median."""
    trial = tmp_path / "trial.yaml"
    trial.write_text(AL_TRIAL, encoding="utf-8")
    res = run_cli("report", str(trial), "--data", str(al_data), "--out", str(tmp_path / "o"))
    assert res.returncode == 0, res.stderr + res.stdout
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "cumulative incidence of response" in html.lower()
    assert "not a Kaplan-Meier median" in html
    assert "among 2 responders of 5" in html


def test_respond_and_run_agree_subject_by_subject(
    al_data: Path, al_run: Any, tmp_path: Path
) -> None:
    """Item 7: the subject file of ``respond`` and ADSL/ADTTE of ``run`` come from one derivation."""
    adam, _ = al_run
    subjects = _respond(al_data, tmp_path, "--cm", str(al_data / "cm.csv"))
    ttr = adam["adtte"].filter(pl.col("PARAMCD") == "TTR")
    assert _by_subject(subjects, "BESTRSP") == _by_subject(adam["adsl"], "BESTRSP")
    assert _by_subject(subjects, "TTR") == _by_subject(ttr, "AVAL")
    assert _by_subject(subjects, "TTRCNSR") == _by_subject(ttr, "CNSR")
    assert _by_subject(subjects, "TTREVNT") == _by_subject(ttr, "EVNTDESC")
    expl = _by_subject(subjects, "BESTEXPL")
    assert expl["EARLYDTH"] == "best response NE: no post-baseline response assessment"
    assert expl["PROGONLY"].startswith("best response PROG: no assessment better than NE")
    # without the CM domain the post-therapy VGPR counts: the option matters
    no_cm = _respond(al_data, tmp_path / "nocm")
    assert _by_subject(no_cm, "BESTRSP")["NEWTX"] == "VGPR"
    narrow = _respond(al_data, tmp_path / "narrow", "--responder", "CR,VGPR,PR")
    assert _by_subject(narrow, "TTRCNSR")["LDPR"] == 1


@pytest.fixture(scope="module")
def mm_run(
    mm_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, pl.DataFrame], dict[str, Any]]:
    return _run(MM_TRIAL, mm_data, tmp_path_factory.mktemp("mm_out"))


def test_myeloma_best_response_in_run_is_confirmed(mm_run: Any) -> None:
    """Items 3, 12 and 13: confirmed BOR in ``run``, PD-only = PD, a BOR row without assessment."""
    adam, results = mm_run
    best = _by_subject(adam["adsl"], "BESTRSP")
    assert best == {"CONF": "PR", "MINDAYS": "PR", "NOASSESS": "NE", "PDONLY": "PD", "UNCONF": "SD"}
    assert _by_subject(adam["adsl"], "BESTRSDT")["CONF"] == D0 + dt.timedelta(days=28)
    bor = adam["adrs"].filter(pl.col("PARAMCD") == "BOR")
    assert _by_subject(bor, "AVALC") == best  # one BOR row per subject, NOASSESS included
    visits = adam["adrs"].filter((pl.col("PARAMCD") == "OVRLRESP") & (pl.col("USUBJID") == "CONF"))
    assert visits["CONFFL"].to_list() == ["N", "Y", "N"]  # baseline, PR confirmed, last PR
    orr = _endpoint(results, "ORR")["table"][0]
    assert (orr["X"], orr["N"]) == (2, 5)


def test_respond_mm_agrees_with_run(mm_data: Path, mm_run: Any, tmp_path: Path) -> None:
    adam, _ = mm_run
    subjects = _respond(mm_data, tmp_path, "--disease", "mm")
    assert _by_subject(subjects, "BESTRSP") == _by_subject(adam["adsl"], "BESTRSP")


def test_confirmation_minimum_interval_is_a_trial_file_option(
    mm_data: Path, tmp_path: Path
) -> None:
    """Item 13: ``analysis.confirmation.min_days`` (sap.md section 2) changes MINDAYS to SD."""
    text = MM_TRIAL + "analysis:\n  confirmation: {min_days: 28}\n"
    adam, _ = _run(text, mm_data, tmp_path)
    best = _by_subject(adam["adsl"], "BESTRSP")
    assert best["MINDAYS"] == "SD"
    assert best["CONF"] == "PR"  # 28 days apart: just meets
    bad = tmp_path / "bad.yaml"
    bad.write_text(MM_TRIAL + "analysis:\n  confirmation: {min_dayz: 28}\n", encoding="utf-8")
    res = run_cli("run", str(bad), "--data", str(mm_data), "--out", str(tmp_path / "bad"))
    assert res.returncode == 2
    assert "min_dayz" in res.stdout + res.stderr


def test_run_reads_tu_tr_and_marrow_clonality(tmp_path: Path) -> None:
    """Item 9 in ``run``: the TU/TR/BMCLON fixture of ``test_cli_respond_mm_sdtm`` (see its
    docstring) through the trial pipeline: MM-01's sCR needs the marrow record and is confirmed
    by the next sCR; MM-02's PD (target plasmacytoma SPD growth, one imaging assessment suffices)
    is a PFS event at 2024-06-03."""
    data = Path(__file__).parent / "data" / "mm_imaging"
    adam, _ = _run(MM_TRIAL, data, tmp_path)
    assert _by_subject(adam["adsl"], "BESTRSP")["MM-01"] == "sCR"
    pfs = adam["adtte"].filter(pl.col("PARAMCD") == "PFS")
    assert _by_subject(pfs, "CNSR")["MM-02"] == 0
    assert _by_subject(pfs, "ADT")["MM-02"] == dt.date(2024, 6, 3)
