"""End-to-end through ``plasmatrial run`` on the daratumumab-pomalidomide seed trial, with
hand-built records added to the generated files: CTCAE lab grades from the normal range and the
baseline, last date known alive from disposition and AE records, and the MRD endpoint's method,
sensitivity, window and CR requirement."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.e2e.cli import run_cli

ROOT = Path(__file__).parents[2]
TRIAL = ROOT / "examples" / "trials" / "al_darapom.yaml"


def _run(data: Path, out: Path) -> None:
    res = run_cli("run", str(TRIAL), "--data", str(data), "--out", str(out))
    assert res.returncode == 0, res.stderr[-2000:]


def _day(start: dt.date, day: int) -> str:
    return (start + dt.timedelta(days=day - 1)).isoformat()


def _edit_labs(data: Path, subject: str) -> dict[str, Any]:
    """Subject's first on-treatment Hb set to 10.8 g/dL (LLN 12.0); creatinine added at the
    screening visit (1.0 mg/dL) and that on-treatment visit (1.6 mg/dL = 1.6 x baseline), with
    no normal range, so only the baseline rule can grade it."""
    lb = pl.read_csv(data / "lb.csv", infer_schema=False)
    hgb = lb.filter((pl.col("USUBJID") == subject) & (pl.col("LBTESTCD") == "HGB"))
    screen, visit2 = hgb.row(0, named=True), hgb.row(1, named=True)
    is_v2 = (
        (pl.col("USUBJID") == subject)
        & (pl.col("LBTESTCD") == "HGB")
        & (pl.col("LBDTC") == visit2["LBDTC"])
    )
    lb = lb.with_columns(
        pl.when(is_v2).then(pl.lit("10.8")).otherwise(pl.col("LBORRES")).alias("LBORRES"),
        pl.when(is_v2).then(pl.lit("12.0")).otherwise(pl.col("LBSTNRLO")).alias("LBSTNRLO"),
    )
    creat = pl.DataFrame(
        [
            {**row, "LBTESTCD": "CREAT", "LBORRES": value, "LBORRESU": "mg/dL",
             "LBSTNRLO": None, "LBSTNRHI": None, "LBSEQ": str(900 + k)}
            for k, (row, value) in enumerate(((screen, "1.0"), (visit2, "1.6")))
        ],
        schema=lb.schema,
    )  # fmt: skip
    pl.concat([lb, creat]).write_csv(data / "lb.csv")
    return {"screen": screen["LBDTC"], "visit2": visit2["LBDTC"]}


def _add_contacts(data: Path, adsl: pl.DataFrame) -> dict[str, Any]:
    """Two alive patients: one with a DS 'LAST CONTACT' 20 days after the latest date of any
    record, one with an AE ending 10 days after it."""
    alive = adsl.filter(pl.col("DTHFL") == "N").sort("USUBJID")["USUBJID"].to_list()
    ds_subj, ae_subj = alive[0], alive[1]
    last = {s: adsl.filter(pl.col("USUBJID") == s)["LSTALVDT"][0] for s in (ds_subj, ae_subj)}
    ds_date = (last[ds_subj] + dt.timedelta(days=20)).isoformat()
    ae_end = (last[ae_subj] + dt.timedelta(days=10)).isoformat()
    ds = pl.read_csv(data / "ds.csv", infer_schema=False)
    extra = pl.DataFrame(
        {"USUBJID": [ds_subj], "DSCAT": ["OTHER EVENT"], "DSSCAT": ["FOLLOW-UP"],
         "DSDECOD": ["LAST CONTACT"], "DSSTDTC": [ds_date]}
    )  # fmt: skip
    pl.concat([ds, extra], how="diagonal_relaxed").write_csv(data / "ds.csv")
    ae = pl.read_csv(data / "ae.csv", infer_schema=False)
    extra = pl.DataFrame(
        {"USUBJID": [ae_subj], "AETERM": ["Fatigue"], "AEDECOD": ["Fatigue"], "AETOXGR": ["1"],
         "AESTDTC": [last[ae_subj].isoformat()], "AEENDTC": [ae_end], "AESER": ["N"]}
    )  # fmt: skip
    pl.concat([ae, extra], how="diagonal_relaxed").write_csv(data / "ae.csv")
    return {"ds": (ds_subj, ds_date), "ae": (ae_subj, ae_end)}


def _mrd_records(data: Path, adsl: pl.DataFrame) -> list[str]:
    """Replace the generated MRD tests by five MRD-negative ones: four CR patients (NGF 1e-5
    day 150: counts; NGS: wrong method; NGF 1e-4: not sensitive enough; NGF day 250: after the
    6-month window, day 196) and one VGPR patient (NGF 1e-5 day 150: not in CR)."""
    cr = adsl.filter(pl.col("BESTRSP") == "CR").sort("USUBJID")
    vgpr = adsl.filter(pl.col("BESTRSP") == "VGPR").sort("USUBJID")
    plan = [("NGF", 1e-5, 150), ("NGS", 1e-5, 150), ("NGF", 1e-4, 150), ("NGF", 1e-5, 250)]
    rows = [(cr.row(i, named=True), *p) for i, p in enumerate(plan)]
    rows.append((vgpr.row(0, named=True), "NGF", 1e-5, 150))
    rs = pl.read_csv(data / "rs.csv", infer_schema=False).filter(pl.col("RSTESTCD") != "MRD")
    mrd = pl.DataFrame(
        {
            "USUBJID": [r[0]["USUBJID"] for r in rows],
            "RSTESTCD": ["MRD"] * len(rows),
            "RSCAT": [r[1] for r in rows],
            "RSMETHOD": [r[1] for r in rows],
            "RSLLOQ": [str(r[2]) for r in rows],
            "RSSTRESC": ["NEGATIVE"] * len(rows),
            "RSDTC": [_day(r[0]["STARTDT"], r[3]) for r in rows],
        }
    )
    pl.concat([rs, mrd], how="diagonal_relaxed").write_csv(data / "rs.csv")
    return [str(r[0]["USUBJID"]) for r in rows]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("darapom")
    data = base / "data"
    sim = run_cli("simulate-data", str(TRIAL), "--seed", "20240601", "--out", str(data))
    assert sim.returncode == 0, sim.stderr[-2000:]
    _run(data, base / "first")
    adsl = pl.read_parquet(base / "first" / "adam" / "adsl.parquet")
    subject = adsl.sort("USUBJID")["USUBJID"][0]
    info = {"lab_subject": subject, "labs": _edit_labs(data, subject)}
    info |= _add_contacts(data, adsl)
    info["mrd"] = _mrd_records(data, adsl)
    _run(data, base / "out")
    adam = base / "out" / "adam"
    info["adlb"] = pl.read_parquet(adam / "adlb.parquet")
    info["adtte"] = pl.read_parquet(adam / "adtte.parquet")
    info["adsl"] = pl.read_parquet(adam / "adsl.parquet")
    info["results"] = json.loads((base / "out" / "results.json").read_text(encoding="utf-8"))
    return info


def test_hb_below_lln_is_grade_1(run: dict[str, Any]) -> None:
    row = run["adlb"].filter(
        (pl.col("USUBJID") == run["lab_subject"])
        & (pl.col("LBTESTCD") == "HGB")
        & (pl.col("ADT") == dt.date.fromisoformat(run["labs"]["visit2"]))
    )
    assert row.height == 1
    assert row.select("AVAL", "ANRLO", "ATOXGR", "ATOXRULE", "ONTRTFL").row(0) == (
        10.8, 12.0, 1, "CTCAE5.ANEMIA.G1", "Y",
    )  # fmt: skip


def test_creatinine_above_1_5_x_baseline_is_graded(run: dict[str, Any]) -> None:
    cr = run["adlb"].filter(
        (pl.col("USUBJID") == run["lab_subject"]) & (pl.col("LBTESTCD") == "CREAT")
    )
    post = cr.filter(pl.col("ONTRTFL") == "Y").row(0, named=True)
    assert (post["BASE"], post["AVAL"], post["ATOXGR"]) == (1.0, 1.6, 2)
    assert post["ATOXRULE"] == "CTCAE5.CREATINC.G2.BASE"
    assert cr.filter(pl.col("ABLFL") == "Y")["ATOXREAS"][0] == "ULN missing"


def test_ae_endpoint_counts_ungradable_labs_and_shift(run: dict[str, Any]) -> None:
    ae = next(e for e in run["results"]["endpoints"] if e["id"] == "AE")
    grades = {r["ATOXDSC"]: r for r in ae["extra"]["lab_grades"]}
    assert grades["Creatinine increased"]["N_RESULTS"] == 1
    assert grades["Creatinine increased"]["N_UNGRADABLE"] == 0
    assert grades["Anemia"]["N_UNGRADABLE"] == 0
    assert {"lab_worst_grade", "lab_shift"} <= set(ae["extra"])


def test_last_contact_from_disposition(run: dict[str, Any]) -> None:
    subj, date = run["ds"]
    os_ = run["adtte"].filter((pl.col("PARAMCD") == "OS") & (pl.col("USUBJID") == subj))
    row = os_.row(0, named=True)
    assert row["CNSR"] == 1 and row["ADT"] == dt.date.fromisoformat(date)
    assert (row["SRCDOM"], row["SRCVAR"]) == ("DS", "DSSTDTC")
    assert row["CNSDTDSC"] == "LAST KNOWN ALIVE (DS.DSSTDTC)"


def test_last_contact_from_an_adverse_event(run: dict[str, Any]) -> None:
    subj, date = run["ae"]
    adsl = run["adsl"].filter(pl.col("USUBJID") == subj).row(0, named=True)
    assert adsl["LSTALVDT"] == dt.date.fromisoformat(date)
    assert adsl["LSTALVSRC"] == "AE.AEENDTC"


def test_mrd_requirements(run: dict[str, Any]) -> None:
    mrd = next(e for e in run["results"]["endpoints"] if e["id"] == "MRD")
    overall = next(r for r in mrd["table"] if r["ARMCD"] == "ALL")
    itt = run["adsl"].filter(pl.col("ITTFL") == "Y").height
    assert (overall["X"], overall["N"]) == (1, itt)
    assert mrd["population"] == "ITT"
    assert "5 MRD-negative result(s)" in mrd["note"]
    assert (
        "4 excluded (1 method not NGF; 1 tested after the window; 1 sensitivity worse than 1e-5 "
        "or not stated; 1 best response not CR/sCR)" in mrd["note"]
    )
