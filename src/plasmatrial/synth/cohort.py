"""Seeded synthetic AL amyloidosis cohort in raw SDTM-like form (DM, LB, EX).

The generator draws a latent disease course per patient and emits **lab values only** — never a
response category — so that the criteria engine has something honest to adjudicate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from plasmatrial.synth._frames import LabSeries, fmt_grid, lab_frame

STUDYID: Final[str] = "PLAS-AL-01"
#: Latent hematologic courses and their probabilities (never emitted).
COURSES: Final[tuple[tuple[str, float], ...]] = (
    ("deep", 0.25),  # clone almost gone: IFE turns negative, ratio normalises
    ("very_good", 0.30),
    ("partial", 0.20),
    ("none", 0.15),
    ("relapsing", 0.10),  # responds, then the involved FLC climbs again
)
FLC_MGDL_SHARE: Final[float] = 0.2
"""Share of patients whose laboratory reports FLC in mg/dL (correctly labelled)."""


@dataclass(frozen=True, slots=True)
class SyntheticCohort:
    """Raw synthetic study data, as a site would deliver it.

    Attributes
    ----------
    dm, lb, ex : pl.DataFrame
        SDTM-like domains; ``LB.LBORRES`` is text in the units the lab used.
    seed : int
        Seed that reproduces the cohort.
    params : dict
        Generator arguments.
    """

    dm: pl.DataFrame
    lb: pl.DataFrame
    ex: pl.DataFrame
    seed: int
    params: dict[str, int | str] = field(default_factory=dict)


def _schedule(n_cycles: int, cycle_days: int, followup_days: int) -> tuple[np.ndarray, list[str]]:
    days = [cycle_days * k + 1 for k in range(1, n_cycles + 1)]
    names = [f"CYCLE {k} END" for k in range(1, n_cycles + 1)]
    end = days[-1]
    m = 1
    while 91 * m <= followup_days:
        days.append(end + 91 * m)
        names.append(f"FOLLOW-UP {m}")
        m += 1
    return np.asarray(days, dtype=np.int64), names


def _draw_patients(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    course_names = np.array([c for c, _ in COURSES])
    probs = np.array([p for _, p in COURSES])
    group = rng.choice(3, size=n, p=[0.70, 0.18, 0.12])  # measurable / low dFLC / M-protein only
    dflc0 = np.where(
        group == 0,
        np.clip(rng.lognormal(np.log(180.0), 0.8, n), 52.0, 3000.0),
        np.where(group == 1, rng.uniform(21.0, 48.0, n), rng.uniform(3.0, 17.0, n)),
    )
    return {
        "group": group,
        "course": rng.choice(course_names, size=n, p=probs),
        "lambda": rng.random(n) < 0.75,
        "dflc0": dflc0,
        "u0": np.clip(rng.lognormal(np.log(11.0), 0.35, n), 4.0, 30.0),
        "mspike0": np.where(
            group == 2,
            rng.uniform(0.6, 2.0, n),
            np.where(rng.random(n) < 0.4, rng.uniform(0.1, 0.5, n), 0.0),
        ),
        "tau": rng.uniform(25.0, 60.0, n),
        "heart": rng.random(n) < 0.70,
        "kidney": rng.random(n) < 0.60,
        "liver": rng.random(n) < 0.15,
        "imid_rise": rng.random(n) < 0.5,
        "creat_only": rng.random(n) < 0.3,
        "flc_mgdl": rng.random(n) < FLC_MGDL_SHARE,
        "uife0": rng.random(n) < 0.7,
    }


def _residual(course: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Fraction of the baseline clone excess left at nadir, by latent course."""
    n = course.size
    table = {
        "deep": rng.uniform(0.0, 0.02, n),
        "very_good": rng.uniform(0.05, 0.15, n),
        "partial": rng.uniform(0.25, 0.45, n),
        "none": rng.uniform(0.6, 1.1, n),
        "relapsing": rng.uniform(0.15, 0.35, n),
    }
    out = np.empty(n)
    for name, values in table.items():
        out[course == name] = values[course == name]
    return out


def _fmt(values: np.ndarray, decimals: int) -> list[str]:
    return [f"{v:.{decimals}f}" for v in values]


def generate_al_cohort(
    n_subjects: int = 30,
    n_cycles: int = 6,
    cycle_days: int = 28,
    followup_days: int = 364,
    seed: int = 20240601,
    *,
    study_start: dt.date = dt.date(2024, 1, 8),
) -> SyntheticCohort:
    """Generate a seeded, clinically plausible AL amyloidosis cohort on pomalidomide-dexamethasone.

    Parameters
    ----------
    n_subjects : int, default 30
        Number of patients.
    n_cycles : int, default 6
        Treatment cycles (pomalidomide 4 mg days 1-21, dexamethasone 40 mg days 1, 8, 15, 22).
    cycle_days : int, default 28
        Cycle length.
    followup_days : int, default 364
        Follow-up after the last cycle; assessments every 91 days.
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed gives identical frames.
    study_start : datetime.date
        First possible first-dose date (patients enrol over 180 days).

    Returns
    -------
    SyntheticCohort
        Raw DM, LB and EX frames (text results, original units).

    Notes
    -----
    1. Baseline disease: 70 % dFLC >= 50 mg/L (log-normal, median 180), 18 % dFLC 20-50, 12 %
       dFLC < 20 with a serum M-spike of 0.6-2.0 g/dL; 75 % lambda.
    2. Latent course per patient (deep, very good, partial, none, relapsing; :data:`COURSES`):
       the clone's FLC excess decays exponentially (time constant 25-60 days) to a residual
       fraction; relapsing patients regrow after month 6.
    3. Immunofixation turns negative only when the excess is below 2 % of baseline.
    4. NT-proBNP: 70 % cardiac involvement (baseline 700-20000 ng/L), falling with the clone,
       with an IMiD-driven rise of 20-60 % during treatment in half the patients.
    5. Troponin T, 24-h proteinuria (60 % renal involvement), eGFR (or creatinine only, 30 %),
       ALP with ULN (15 % liver involvement), hemoglobin, neutrophils and platelets.
    6. 20 % of laboratories report FLC in mg/dL (correctly labelled); 4 % of post-baseline
       visits are missed.
    """
    rng = np.random.default_rng(seed)
    n = n_subjects
    p = _draw_patients(rng, n)
    days, names = _schedule(n_cycles, cycle_days, followup_days)
    base_day = -rng.integers(1, 8, n)  # baseline a few days before day 1
    t = np.concatenate([base_day[:, None], np.broadcast_to(days, (n, days.size))], axis=1)
    t_days = np.maximum(t - 1, 0).astype(float)  # days since first dose (0 at baseline)
    visit_names = ["BASELINE", *names]
    n_vis = len(visit_names)
    keep = np.ones((n, n_vis), dtype=bool)
    keep[:, 1:] = rng.random((n, n_vis - 1)) >= 0.04

    resid = _residual(p["course"], rng)
    decay = np.exp(-t_days / p["tau"][:, None])
    frac = resid[:, None] + (1.0 - resid[:, None]) * decay
    relapse_t = 6 * 30.0
    regrow = np.where(
        (p["course"] == "relapsing")[:, None] & (t_days > relapse_t),
        np.minimum(np.exp((t_days - relapse_t) / 70.0), 6.0),
        1.0,
    )
    frac = frac * regrow
    noise = rng.lognormal(0.0, 0.07, (n, n_vis))
    ratio_normal = 0.8  # kappa/lambda of a normal polyclonal background
    u = p["u0"][:, None] * (0.75 + 0.25 * decay) * rng.lognormal(0.0, 0.06, (n, n_vis))
    background = np.where(p["lambda"][:, None], u / ratio_normal, u * ratio_normal)
    excess0 = (
        p["dflc0"] + p["u0"] - np.where(p["lambda"], p["u0"] / ratio_normal, p["u0"] * ratio_normal)
    )
    involved = background + np.maximum(excess0[:, None], 1.0) * frac * noise
    kappa = np.where(p["lambda"][:, None], u, involved)
    lam = np.where(p["lambda"][:, None], involved, u)
    clone_low = frac < 0.02
    sife = np.where(clone_low & (t_days > 0), "NEGATIVE", "POSITIVE")
    uife = np.where(clone_low & (t_days > 0) | ~p["uife0"][:, None], "NEGATIVE", "POSITIVE")
    mspike = np.round(p["mspike0"][:, None] * frac * noise, 2)
    mspike = np.where(clone_low, 0.0, mspike)

    on_tx = (t_days > 0) & (t_days <= n_cycles * cycle_days)
    nt0 = np.where(
        p["heart"],
        np.clip(rng.lognormal(np.log(3000), 0.8, n), 700, 20000),
        rng.uniform(60, 400, n),
    )
    cardiac_gain = np.where(p["heart"][:, None], 0.35 + 0.65 * frac.clip(0, 1.5), 1.0)
    imid = np.where(p["imid_rise"][:, None] & on_tx, rng.uniform(1.2, 1.6, n)[:, None], 1.0)
    ntprobnp = nt0[:, None] * cardiac_gain * imid * rng.lognormal(0, 0.12, (n, n_vis))
    tnt = np.where(p["heart"], rng.uniform(0.02, 0.15, n), rng.uniform(0.003, 0.012, n))[:, None]
    tnt = tnt * (0.6 + 0.4 * frac.clip(0, 2)) * rng.lognormal(0, 0.1, (n, n_vis))
    prot0 = np.where(p["kidney"], rng.uniform(1.0, 9.0, n), rng.uniform(0.05, 0.3, n))
    prot = prot0[:, None] * np.where(p["kidney"][:, None], 0.3 + 0.7 * frac.clip(0, 1.5), 1.0)
    prot = prot * rng.lognormal(0, 0.1, (n, n_vis))
    egfr0 = rng.uniform(30, 100, n)
    egfr_drift = np.where(p["kidney"] & (rng.random(n) < 0.3), -0.0012, -0.0001)
    egfr = np.clip(egfr0[:, None] * np.exp(egfr_drift[:, None] * t_days), 8, 150)
    egfr = egfr * rng.lognormal(0, 0.04, (n, n_vis))
    creat = np.clip(90.0 / egfr, 0.4, 12.0)
    alp0 = np.where(p["liver"], rng.uniform(250, 600, n), rng.uniform(50, 110, n))
    alp = alp0[:, None] * np.where(p["liver"][:, None], 0.4 + 0.6 * frac.clip(0, 1.5), 1.0)
    alp = alp * rng.lognormal(0, 0.06, (n, n_vis))
    neut = np.clip(rng.normal(3.8, 1.0, (n, n_vis)) * np.where(on_tx, 0.6, 1.0), 0.3, 12)
    plat = np.clip(rng.normal(230, 50, (n, n_vis)) * np.where(on_tx, 0.85, 1.0), 20, 600)
    hgb = np.clip(rng.normal(12.3, 1.2, (n, n_vis)), 7.0, 17.0)

    first_dose = np.array(
        [study_start + dt.timedelta(days=int(d)) for d in rng.integers(0, 180, n)], dtype=object
    )
    ids = [f"{STUDYID}-{i + 1:03d}" for i in range(n)]
    sex = np.where(rng.random(n) < 0.57, "M", "F")
    age = np.clip(np.round(rng.normal(64, 9, n)), 38, 86).astype(np.int64)
    race = rng.choice(
        ["WHITE", "BLACK OR AFRICAN AMERICAN", "ASIAN", "OTHER"], size=n, p=[0.78, 0.1, 0.08, 0.04]
    )
    dm = pl.DataFrame(
        {
            "STUDYID": [STUDYID] * n,
            "DOMAIN": ["DM"] * n,
            "USUBJID": ids,
            "SUBJID": [f"{i + 1:03d}" for i in range(n)],
            "RFSTDTC": [d.isoformat() for d in first_dose],
            "AGE": age,
            "AGEU": ["YEARS"] * n,
            "SEX": sex.tolist(),
            "RACE": race.tolist(),
            "ARM": ["POMALIDOMIDE + DEXAMETHASONE"] * n,
            "INVLC": np.where(p["lambda"], "LAMBDA", "KAPPA").tolist(),
            "HEARTFL": np.where(p["heart"], "Y", "N").tolist(),
            "KIDNEYFL": np.where(p["kidney"], "Y", "N").tolist(),
            "LIVERFL": np.where(p["liver"], "Y", "N").tolist(),
        }
    )

    mgdl = np.broadcast_to(p["flc_mgdl"][:, None], (n, n_vis))
    flc_unit = np.where(mgdl, "mg/dL", "mg/L")
    lab: list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]] = [
        ("FLCKAP", np.where(mgdl, kappa / 10, kappa), flc_unit, None),
        ("FLCLAM", np.where(mgdl, lam / 10, lam), flc_unit, None),
        ("SPEPMP", mspike, np.full((n, n_vis), "g/dL"), None),
        ("SIFE", sife, np.full((n, n_vis), ""), None),
        ("UIFE", uife, np.full((n, n_vis), ""), None),
        ("NTPROBNP", ntprobnp, np.full((n, n_vis), "ng/L"), None),
        ("TROPT", tnt, np.full((n, n_vis), "ug/L"), None),
        ("PROT24H", prot, np.full((n, n_vis), "g/24h"), None),
        ("ALP", alp, np.full((n, n_vis), "U/L"), np.full((n, n_vis), "120")),
        ("HGB", hgb, np.full((n, n_vis), "g/dL"), None),
        ("NEUT", neut, np.full((n, n_vis), "10^9/L"), None),
        ("PLAT", plat, np.full((n, n_vis), "10^9/L"), None),
    ]
    creat_only = p["creat_only"][:, None] & np.ones((n, n_vis), dtype=bool)
    lab.append(("EGFR", egfr, np.full((n, n_vis), "mL/min/1.73m2"), None))
    lab.append(("CREAT", creat, np.full((n, n_vis), "mg/dL"), None))
    decimals = {
        "FLCKAP": 1, "FLCLAM": 1, "SPEPMP": 2, "NTPROBNP": 0, "TROPT": 3, "PROT24H": 2,
        "ALP": 0, "HGB": 1, "NEUT": 2, "PLAT": 0, "EGFR": 0, "CREAT": 2,
    }  # fmt: skip
    lb = _lab_frame(ids, first_dose, t, visit_names, keep, creat_only, mgdl, lab, decimals)
    ex = _ex_frame(ids, first_dose, n_cycles, cycle_days)
    params: dict[str, int | str] = {
        "n_subjects": n_subjects,
        "n_cycles": n_cycles,
        "cycle_days": cycle_days,
        "followup_days": followup_days,
        "study_start": study_start.isoformat(),
    }
    return SyntheticCohort(dm=dm, lb=lb, ex=ex, seed=seed, params=params)


def _lab_frame(
    ids: list[str],
    first_dose: np.ndarray,
    t: np.ndarray,
    visit_names: list[str],
    keep: np.ndarray,
    creat_only: np.ndarray,
    mgdl: np.ndarray,
    lab: list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]],
    decimals: dict[str, int],
) -> pl.DataFrame:
    n, n_vis = t.shape
    fd = np.array([np.datetime64(d) for d in first_dose])
    dates = fd[:, None] + np.where(t > 0, t - 1, t).astype("timedelta64[D]")
    vname = np.broadcast_to(np.array(visit_names)[None, :], (n, n_vis))
    series = []
    for code, values, units, uln in lab:
        mask = None
        if code == "EGFR":
            mask = ~creat_only
        elif code == "CREAT":
            mask = creat_only
        if code in ("FLCKAP", "FLCLAM"):
            text = np.where(mgdl, fmt_grid(values, 2), fmt_grid(values, 1))
        elif code in ("SIFE", "UIFE"):
            text = values.astype(str)
        else:
            text = fmt_grid(values, decimals[code])
        series.append(LabSeries(code, text, units, mask=mask, hi=uln))
    return lab_frame(STUDYID, ids, dates, vname, keep, series)


def _ex_frame(
    ids: list[str], first_dose: np.ndarray, n_cycles: int, cycle_days: int
) -> pl.DataFrame:
    rows: dict[str, list[str | float | int]] = {
        k: [] for k in ("USUBJID", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDTC", "EXENDTC")
    }
    for sid, fd in zip(ids, first_dose, strict=True):
        for c in range(n_cycles):
            start = fd + dt.timedelta(days=c * cycle_days)
            records = [("POMALIDOMIDE", 4.0, start, start + dt.timedelta(days=20))]
            records += [
                ("DEXAMETHASONE", 40.0, start + dt.timedelta(days=w), start + dt.timedelta(days=w))
                for w in (0, 7, 14, 21)
            ]
            for trt, dose, s, e in records:
                rows["USUBJID"].append(sid)
                rows["EXTRT"].append(trt)
                rows["EXDOSE"].append(dose)
                rows["EXDOSU"].append("mg")
                rows["EXROUTE"].append("ORAL")
                rows["EXSTDTC"].append(s.isoformat())
                rows["EXENDTC"].append(e.isoformat())
    ex = pl.DataFrame(rows).sort("USUBJID", "EXSTDTC", "EXTRT")
    return ex.select(
        pl.lit(STUDYID).alias("STUDYID"),
        pl.lit("EX").alias("DOMAIN"),
        "USUBJID",
        (pl.int_range(pl.len()).over("USUBJID") + 1).cast(pl.Int64).alias("EXSEQ"),
        pl.exclude("USUBJID"),
    )
