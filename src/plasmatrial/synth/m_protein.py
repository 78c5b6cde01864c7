"""The M-protein profile (multiple myeloma): serum and urine M-protein, myeloma markers.

Lab values are synthesised so that the IMWG 2016 criteria classify each visit as the latent
course says (responses and progression confirmed at the next assessment); the routine markers
(beta-2 microglobulin, albumin, LDH, calcium, creatinine) give the staging and CTCAE inputs.
Registered in :mod:`plasmatrial.synth.profiles` (decision 0621).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from plasmatrial.synth._frames import LabSeries, fmt_grid
from plasmatrial.synth.profile import (
    CourseLike,
    GeneratorProfile,
    SimulationKnobs,
    visit_states,
)

Arr = npt.NDArray[Any]
FloatArr = npt.NDArray[np.float64]
BoolArr = npt.NDArray[np.bool_]

CATEGORIES: Final = ("VGPR", "PR", "MR", "SD")
#: serum M-protein after progression is capped here (g/dL; the intake rejects > 15)
S_PD_CAP: Final = 12.0
AE_TERMS: Final = (
    ("Fatigue", "Fatigue", 0.30),
    ("Pneumonia", "Pneumonia", 0.12),
    ("Bone pain", "Bone pain", 0.18),
    ("Peripheral neuropathy", "Peripheral neuropathy", 0.12),
    ("Pyrexia", "Pyrexia", 0.16),
    ("Deep vein thrombosis", "Deep vein thrombosis", 0.03),
)


def default_counts(n: int) -> dict[str, int]:
    """33 % responders (a fifth of them VGPR), 12 % minor responses, the rest stable."""
    r = round(0.33 * n)
    vg = round(0.2 * r)
    mr = round(0.12 * n)
    return {"VGPR": vg, "PR": r - vg, "MR": mr, "SD": n - r - mr}


def m_protein_labs(
    rng: np.random.Generator, c: CourseLike
) -> tuple[list[LabSeries], FloatArr, Arr]:
    """Myeloma M-protein labs classified by IMWG 2016 as the course says."""
    n, v = int(c.grid.shape[0]), int(c.grid.shape[1])
    cat = c.cat
    pre, resp, post = visit_states(c)
    cols = np.arange(v)[None, :]
    s0 = np.clip(rng.lognormal(np.log(2.6), 0.5, n), 1.2, 7.5)
    u_meas = rng.random(n) < 0.3
    u0 = np.where(
        u_meas,
        rng.uniform(250, 2500, n),
        np.where(rng.random(n) < 0.5, rng.uniform(20, 150, n), 0.0),
    )
    f_resp = np.select(
        [cat == "VGPR", cat == "PR", cat == "MR"],
        [rng.uniform(0.02, 0.07, n), rng.uniform(0.2, 0.42, n), rng.uniform(0.56, 0.70, n)],
        rng.uniform(0.82, 1.02, n),
    )
    f_pre = np.where(
        np.isin(cat, ["VGPR", "PR"]), rng.uniform(0.6, 0.72, n), rng.uniform(0.85, 1.0, n)
    )
    f = np.where(resp, f_resp[:, None], np.where(pre, f_pre[:, None], 1.0))
    s = s0[:, None] * f * rng.lognormal(0.0, 0.03, (n, v))
    band_hi = np.select([cat == "VGPR", cat == "PR"], [0.08, 0.45], np.inf)[:, None]
    s = np.where(resp, np.minimum(s, s0[:, None] * band_hi), s)
    s[:, 0] = s0
    # urine: follows serum; responders reach < 60 (VGPR) or a >= 95 % fall / < 150 (PR)
    u = u0[:, None] * np.clip(f, 0, 1.2) * rng.lognormal(0.0, 0.04, (n, v))
    u = np.where(resp & (cat == "VGPR")[:, None], np.minimum(u, 60.0), u)
    u = np.where(
        resp & (cat == "PR")[:, None], np.minimum(u, np.minimum(u0[:, None] * 0.05, 150.0)), u
    )
    u[:, 0] = u0
    # no PD before the documented one: every value < 1.12 x and < +0.3 g/dL over the running min
    for j in range(1, v):
        m_s = s[:, :j].min(axis=1)
        m_u = u[:, :j].min(axis=1)
        ok = ~post[:, j]
        s[:, j] = np.where(ok, np.minimum(s[:, j], np.minimum(1.12 * m_s, m_s + 0.3)), s[:, j])
        u[:, j] = np.where(ok, np.minimum(u[:, j], np.minimum(1.12 * m_u, m_u + 150.0)), u[:, j])
    pre_pd = np.where(post, np.inf, s)
    m = np.minimum.accumulate(pre_pd, axis=1)
    mu = np.minimum.accumulate(np.where(post, np.inf, u), axis=1)
    pdc = c.obs.pdcol[:, None]
    s_pd = np.maximum(1.6 * m, m + 1.0) * rng.uniform(1.0, 1.1, (n, v))
    u_pd = np.where(u0[:, None] > 0, np.maximum(1.6 * mu, mu + 400.0), 0.0)
    grow = np.where(cols == pdc, 1.0, rng.uniform(1.1, 1.3, (n, v)))
    # capped at 12 g/dL (plausible; the intake rejects > 15): still >= 25 % and +0.5 g/dL over
    # a nadir of at most 7.5 g/dL, so the progression the course documents is kept
    s = np.where(post, np.minimum(s_pd * grow, S_PD_CAP), s)
    u = np.where(post, u_pd * grow, u)
    kap = rng.random(n) < 0.65
    unv = rng.uniform(4.0, 14.0, n)[:, None] * rng.lognormal(0, 0.05, (n, v))
    inv = unv + rng.uniform(50, 800, n)[:, None] * np.clip(s / s0[:, None], 0, 3)
    kappa = np.where(kap[:, None], inv, unv)
    lamb = np.where(kap[:, None], unv, inv)
    shape = (n, v)
    uife = np.where(u0[:, None] > 0, "POSITIVE", "NEGATIVE")
    uife = np.broadcast_to(uife, shape)
    labs = [
        LabSeries("SPEPMP", fmt_grid(s, 2), np.full(shape, "g/dL")),
        LabSeries("UPEPMP", fmt_grid(u, 0), np.full(shape, "mg/24h")),
        LabSeries("SIFE", np.full(shape, "POSITIVE"), np.full(shape, "")),
        LabSeries("UIFE", np.asarray(uife).astype(str), np.full(shape, "")),
        LabSeries("FLCKAP", fmt_grid(kappa, 1), np.full(shape, "mg/L")),
        LabSeries("FLCLAM", fmt_grid(lamb, 1), np.full(shape, "mg/L")),
    ]
    frac = np.clip(s / s0[:, None], 0, 2)
    return labs, frac, np.where(kap, "KAPPA", "LAMBDA")


def no_involvement(
    rng: np.random.Generator,
    n: int,
    sim: SimulationKnobs,
    labs: list[LabSeries],
    invlc: Arr,
) -> tuple[dict[str, BoolArr], list[LabSeries], Arr]:
    """No organ involvement is drawn (DM carries no organ flags); labs unchanged."""
    return {}, labs, invlc


def myeloma_markers(
    rng: np.random.Generator,
    c: CourseLike,
    frac: FloatArr,
    organs: Mapping[str, BoolArr],
    on_tx: BoolArr,
) -> list[LabSeries]:
    """Beta-2 microglobulin (following the M-protein), albumin, LDH, calcium and creatinine
    (with the simulated laboratory's normal range)."""
    n, v = int(c.grid.shape[0]), int(c.grid.shape[1])
    shape = (n, v)
    b2m = np.clip(rng.lognormal(np.log(4.0), 0.5, n), 1.5, 20)[:, None] * (
        0.7 + 0.3 * np.clip(frac, 0, 2)
    )
    alb = np.clip(rng.normal(3.6, 0.5, n), 2.2, 4.8)[:, None] + rng.normal(0, 0.1, shape)
    ldh = np.clip(rng.lognormal(np.log(200), 0.35, n), 100, 900)[:, None] * rng.lognormal(
        0, 0.08, shape
    )
    ca = np.clip(rng.normal(9.4, 0.4, n), 8.4, 10.4)[:, None] + rng.normal(0, 0.15, shape)
    cr = np.clip(rng.lognormal(np.log(1.0), 0.3, n), 0.5, 2.6)[:, None] * rng.lognormal(
        0, 0.05, shape
    )
    labs = [
        LabSeries("B2MICG", fmt_grid(b2m, 1), np.full(shape, "mg/L")),
        LabSeries("ALB", fmt_grid(alb, 1), np.full(shape, "g/dL")),
        LabSeries("LDH", fmt_grid(ldh, 0), np.full(shape, "U/L"), hi=np.full(shape, "250")),
        LabSeries("CALCIUM", fmt_grid(np.minimum(ca, 10.8), 1), np.full(shape, "mg/dL")),
        # normal range of the simulated laboratory (assumed), needed for CTCAE grading
        LabSeries(
            "CREAT",
            fmt_grid(cr, 2),
            np.full(shape, "mg/dL"),
            lo=np.full(shape, "0.6"),
            hi=np.full(shape, "1.2"),
        ),
    ]
    return labs


#: prior regimens of the relapsed and refractory population (bortezomib and lenalidomide first)
PRIOR_POOL: Final = (
    ("BORTEZOMIB", "DEXAMETHASONE"),
    ("LENALIDOMIDE", "DEXAMETHASONE"),
    ("MELPHALAN", "PREDNISONE", "THALIDOMIDE"),
    ("CYCLOPHOSPHAMIDE", "DEXAMETHASONE"),
    ("CARFILZOMIB", "DEXAMETHASONE"),
    ("BENDAMUSTINE",),
    ("DOXORUBICIN", "BORTEZOMIB"),
)


def prior_regimens(rng: np.random.Generator, group: str) -> tuple[list[list[str]], bool]:
    """Two to twelve prior lines (3 or more for 94 %), bortezomib and lenalidomide among them,
    in random order; a quarter are refractory to every line. ``group`` is not used."""
    lines = int(np.clip(rng.poisson(4.0) + 1, 2, 12))
    lines = max(lines, 3) if rng.random() < 0.94 else 2
    refractory_only = rng.random() < 0.25
    pool = [list(r) for r in PRIOR_POOL]
    regs = [pool[0], pool[1], *[pool[2 + k % 5] for k in range(lines - 2)]]
    regs = [regs[k] for k in rng.permutation(len(regs))]
    return regs, refractory_only


PROFILE: Final = GeneratorProfile(
    name="m-protein",
    description="multiple myeloma: serum and urine M-protein (IMWG response), myeloma markers",
    categories=CATEGORIES,
    responders=("VGPR", "PR"),
    no_response="SD",
    progression="PD",
    minor="MR",
    rs_category="IMWG 2016",
    confirm=True,
    unconfirmed="MR",
    low_burden=None,
    nonresponder_progression=0.45,
    progression_factors=(("MR", 1.4),),
    pfs_scale_months=7.0,
    os_scale_months=16.0,
    background_death_months=45.0,
    default_counts=default_counts,
    ae_terms=AE_TERMS,
    labs=m_protein_labs,
    involvement=no_involvement,
    markers=myeloma_markers,
    haemoglobin_mean=10.3,
    cytopenia_only_severe=False,
    prior_regimens=prior_regimens,
    refractory_last_line=True,
    progression_before_entry=False,
    subsequent_therapies=(
        "BORTEZOMIB + DEXAMETHASONE",
        "CYCLOPHOSPHAMIDE + DEXAMETHASONE",
        "BENDAMUSTINE",
        "CARFILZOMIB + DEXAMETHASONE",
    ),
    age=(64, 9, 35, 87),
    age_flag=("AGEGT75", 75),
    dm_flags=("REFRACT", "PRIORLGT2"),
)
