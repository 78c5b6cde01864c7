"""The light-chain profile (AL amyloidosis): free light chains, organ markers, AL therapies.

Lab values are synthesised so that the AL 2012 hematologic criteria (``CR_2012_RATIO`` and its
variants) classify each visit as the latent course says; the organ markers (NT-proBNP, troponin,
24-hour proteinuria, eGFR, ALP) follow the involved organs. Registered in
:mod:`plasmatrial.synth.profiles` (decision 0621).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from plasmatrial.synth._frames import LabSeries, fmt_grid
from plasmatrial.synth.course import exact_assign
from plasmatrial.synth.profile import (
    CourseLike,
    GeneratorProfile,
    LowBurden,
    SimulationKnobs,
    visit_states,
)

Arr = npt.NDArray[Any]
FloatArr = npt.NDArray[np.float64]
BoolArr = npt.NDArray[np.bool_]

CATEGORIES: Final = ("CR", "VGPR", "PR", "LDPR", "NR")
AE_TERMS: Final = (
    ("Fluid retention", "Oedema peripheral", 0.45),
    ("Infection", "Infection", 0.40),
    ("Atrial fibrillation", "Atrial fibrillation", 0.18),
    ("Deep vein thrombosis", "Deep vein thrombosis", 0.12),
    ("Fatigue", "Fatigue", 0.50),
    ("Constipation", "Constipation", 0.25),
    ("Rash", "Rash", 0.15),
)


def default_counts(n: int) -> dict[str, int]:
    """60 % responders (a quarter CR, a quarter VGPR, the rest PR), no low-dFLC PR."""
    r = round(0.6 * n)
    counts = {"CR": r // 4, "VGPR": r // 4, "PR": r - 2 * (r // 4), "LDPR": 0}
    counts["NR"] = n - r
    return counts


def light_chain_labs(
    rng: np.random.Generator, c: CourseLike
) -> tuple[list[LabSeries], FloatArr, Arr]:
    """AL hematologic labs (FLC, IFE, SPEP) classified by AL_2012 as the course says."""
    n, v = int(c.grid.shape[0]), int(c.grid.shape[1])
    cat = c.cat
    pre, resp, post = visit_states(c)
    d0 = np.where(
        c.low_marker,
        rng.uniform(24.0, 45.0, n),
        np.where(np.isin(cat, ["PR"]), rng.uniform(160, 900, n), rng.uniform(110, 700, n)),
    )
    d0 = np.where(~c.low_marker & (rng.random(n) < 0.3), d0 * rng.uniform(1.5, 4.0, n), d0)
    lam = rng.random(n) < 0.75
    u = rng.uniform(5.0, 15.0, n)[:, None] * rng.lognormal(0.0, 0.05, (n, v))
    # remaining dFLC when responding, by category (margins from 40 mg/L, 50 %, 10 mg/L)
    level = np.where(
        cat == "VGPR",
        rng.uniform(10.0, 32.0, n),
        np.where(
            cat == "PR",
            d0 * rng.uniform(0.18, 0.40, n),
            np.where(
                cat == "LDPR",
                rng.uniform(2.0, 7.0, n),
                np.where(
                    c.low_marker,
                    np.maximum(d0 * rng.uniform(0.75, 1.05, n), 13.0),
                    d0 * rng.uniform(0.6, 1.0, n),
                ),
            ),
        ),
    )
    level = np.where((cat == "PR"), np.maximum(level, 48.0), level)
    level = np.where((cat == "NR") & ~c.low_marker, np.maximum(level, 50.0), level)
    minor = (cat == "NR") & ~c.low_marker & (rng.random(n) < 0.35)
    level = np.where(minor, np.maximum(d0 * rng.uniform(0.56, 0.68, n), 50.0), level)
    pre_level = np.where(
        c.low_marker, np.maximum(d0 * 0.8, 13.0), np.maximum(d0 * rng.uniform(0.6, 0.8, n), 48.0)
    )
    noise = rng.lognormal(0.0, 0.05, (n, v))
    d = np.where(resp, level[:, None], pre_level[:, None]) * noise
    d[:, 0] = d0
    # clamp into the category band
    lo = np.where(
        cat == "PR", 46.0, np.where(cat == "VGPR", 2.0, np.where(cat == "LDPR", 0.5, 0.0))
    )
    hi = np.where(
        cat == "PR",
        d0 * 0.45,
        np.where(cat == "VGPR", 34.0, np.where(cat == "LDPR", 8.5, np.inf)),
    )
    d = np.where(resp, np.clip(d, lo[:, None], hi[:, None]), d)
    nonresp_cell = pre | (resp & (cat == "NR")[:, None])
    floor_nr = np.where(c.low_marker, 12.5, np.maximum(46.0, 0.55 * d0))  # < 45 % decrease
    d = np.where(nonresp_cell, np.maximum(d, floor_nr[:, None]), d)
    cr_cell = resp & (cat == "CR")[:, None]
    # CR: involved ≈ uninvolved (ratio 0.85-1.2 either way)
    r = rng.uniform(0.85, 1.2, (n, v))
    inv = np.where(cr_cell, u * r, u + d)
    # no progression before the documented one: involved FLC stays < 1.35 x running nadir
    run_min = np.minimum.accumulate(inv, axis=1)
    prev_min = np.concatenate([inv[:, :1], run_min[:, :-1]], axis=1)
    inv = np.where(~post, np.minimum(inv, 1.35 * prev_min), inv)
    run_min = np.minimum.accumulate(np.where(post, np.inf, inv), axis=1)
    pdv = np.maximum(1.9 * run_min, 160.0) * rng.uniform(1.0, 1.2, (n, v))
    cols = np.arange(v)[None, :]
    pdc = c.obs.pdcol[:, None]
    inv = np.where(post, np.where(cols == pdc, pdv, pdv * rng.uniform(1.0, 1.3, (n, v))), inv)
    kappa = np.where(lam[:, None], u, inv)
    lamb = np.where(lam[:, None], inv, u)
    ife_neg = cr_cell
    sife = np.where(ife_neg, "NEGATIVE", "POSITIVE")
    uife_base = rng.random(n) < 0.6
    uife = np.where(ife_neg | ~uife_base[:, None], "NEGATIVE", "POSITIVE")
    uife[:, 0] = np.where(uife_base, "POSITIVE", "NEGATIVE")
    spike0 = np.where(rng.random(n) < 0.35, rng.uniform(0.1, 0.4, n), 0.0)
    frac = np.clip((inv - u) / np.maximum(d0[:, None], 1.0), 0.0, 1.5)
    spep = np.where(
        post,
        np.maximum(spike0[:, None], 0.2) * 2,
        np.minimum(spike0[:, None] * np.clip(frac, 0, 1), 0.4),
    )
    spep = np.where(ife_neg, 0.0, spep)
    shape = (n, v)
    labs = [
        LabSeries("FLCKAP", fmt_grid(kappa, 1), np.full(shape, "mg/L")),
        LabSeries("FLCLAM", fmt_grid(lamb, 1), np.full(shape, "mg/L")),
        LabSeries("SIFE", sife.astype(str), np.full(shape, "")),
        LabSeries("UIFE", uife.astype(str), np.full(shape, "")),
        LabSeries("SPEPMP", fmt_grid(spep, 2), np.full(shape, "g/dL")),
    ]
    invlc = np.where(lam, "LAMBDA", "KAPPA")
    return labs, frac, invlc


def involvement(
    rng: np.random.Generator,
    n: int,
    sim: SimulationKnobs,
    labs: list[LabSeries],
    invlc: Arr,
) -> tuple[dict[str, BoolArr], list[LabSeries], Arr]:
    """Heart (``simulation.cardiac_fraction``, exact; default 70 %), kidney (60 %) and liver
    (15 %) involvement; with ``simulation.lambda_fraction`` the involved light chain is
    reassigned to give that fraction exactly (the FLC series swap with it)."""
    organs: dict[str, BoolArr] = {}
    organs["HEART"] = exact_assign(
        rng, np.ones(n, dtype=bool), round(float(sim.get("cardiac_fraction", 0.7)) * n)
    )
    organs["KIDNEY"] = rng.random(n) < 0.6
    organs["LIVER"] = rng.random(n) < 0.15
    lambda_fraction = sim.get("lambda_fraction")
    if lambda_fraction is not None:
        lam = exact_assign(rng, np.ones(n, dtype=bool), round(float(lambda_fraction) * n))
        swap = (invlc == "LAMBDA") != lam
        kap_txt, lam_txt = labs[0].text.copy(), labs[1].text.copy()
        labs[0] = LabSeries("FLCKAP", np.where(swap[:, None], lam_txt, kap_txt), labs[0].unit)
        labs[1] = LabSeries("FLCLAM", np.where(swap[:, None], kap_txt, lam_txt), labs[1].unit)
        invlc = np.where(lam, "LAMBDA", "KAPPA")
    return organs, labs, invlc


def organ_markers(
    rng: np.random.Generator,
    c: CourseLike,
    frac: FloatArr,
    organs: Mapping[str, BoolArr],
    on_tx: BoolArr,
) -> list[LabSeries]:
    """NT-proBNP, troponin T, 24-hour proteinuria, eGFR and ALP, following the involved organs
    and the light-chain burden."""
    n, v = int(c.grid.shape[0]), int(c.grid.shape[1])
    shape = (n, v)
    heart, kidney, liver = organs["HEART"], organs["KIDNEY"], organs["LIVER"]
    nt0 = np.where(
        heart, np.clip(rng.lognormal(np.log(3000), 0.8, n), 700, 20000), rng.uniform(60, 400, n)
    )
    nt = nt0[:, None] * np.where(heart[:, None], 0.4 + 0.6 * np.clip(frac, 0, 1.5), 1.0)
    nt = (
        nt
        * np.where(on_tx & (rng.random(n) < 0.5)[:, None], 1.3, 1.0)
        * rng.lognormal(0, 0.12, shape)
    )
    tnt = np.where(heart, rng.uniform(0.02, 0.15, n), rng.uniform(0.003, 0.012, n))[:, None]
    tnt = tnt * (0.7 + 0.3 * np.clip(frac, 0, 2)) * rng.lognormal(0, 0.1, shape)
    p0 = np.where(kidney, rng.uniform(1.0, 9.0, n), rng.uniform(0.05, 0.3, n))
    prot = p0[:, None] * np.where(kidney[:, None], 0.3 + 0.7 * np.clip(frac, 0, 1.5), 1.0)
    prot = prot * rng.lognormal(0, 0.1, shape)
    egfr = np.clip(
        rng.uniform(30, 100, n)[:, None] * np.exp(-0.0002 * np.maximum(c.grid, 0)), 8, 150
    )
    egfr = egfr * rng.lognormal(0, 0.04, shape)
    alp0 = np.where(liver, rng.uniform(250, 600, n), rng.uniform(50, 110, n))
    alp = alp0[:, None] * np.where(liver[:, None], 0.4 + 0.6 * np.clip(frac, 0, 1.5), 1.0)
    alp = alp * rng.lognormal(0, 0.06, shape)
    labs = [
        LabSeries("NTPROBNP", fmt_grid(nt, 0), np.full(shape, "ng/L")),
        LabSeries("TROPT", fmt_grid(tnt, 3), np.full(shape, "ug/L")),
        LabSeries("PROT24H", fmt_grid(prot, 2), np.full(shape, "g/24h")),
        LabSeries("EGFR", fmt_grid(egfr, 0), np.full(shape, "mL/min/1.73m2")),
        LabSeries("ALP", fmt_grid(alp, 0), np.full(shape, "U/L"), hi=np.full(shape, "120")),
    ]
    return labs


def prior_regimens(rng: np.random.Generator, group: str) -> tuple[list[list[str]], bool]:
    """Two or three prior lines (melphalan, bortezomib), plus lenalidomide or ixazomib for the
    patients of those prior-therapy groups; all responded before the last progression."""
    lines = int(rng.integers(2, 5))
    regs = [
        ["MELPHALAN", "DEXAMETHASONE"],
        ["BORTEZOMIB", "CYCLOPHOSPHAMIDE", "DEXAMETHASONE"],
    ][:lines]
    if group == "LEN":
        regs.append(["LENALIDOMIDE", "DEXAMETHASONE"])
    if group == "IXA":
        regs.append(["IXAZOMIB", "DEXAMETHASONE"])
    return regs, False


PROFILE: Final = GeneratorProfile(
    name="light-chain",
    description="AL amyloidosis: free light chains (AL 2012 response), organ markers",
    categories=CATEGORIES,
    responders=("CR", "VGPR", "PR", "LDPR"),
    no_response="NR",
    progression="PROG",
    minor=None,
    rs_category="AL 2012",
    confirm=False,
    unconfirmed=None,
    low_burden=LowBurden(category="LDPR", nonresponders=1),
    nonresponder_progression=0.3,
    progression_factors=(),
    pfs_scale_months=20.0,
    os_scale_months=30.0,
    background_death_months=70.0,
    default_counts=default_counts,
    ae_terms=AE_TERMS,
    labs=light_chain_labs,
    involvement=involvement,
    markers=organ_markers,
    haemoglobin_mean=11.8,
    cytopenia_only_severe=True,
    prior_regimens=prior_regimens,
    refractory_last_line=False,
    progression_before_entry=True,
    subsequent_therapies=(
        "BENDAMUSTINE + DEXAMETHASONE",
        "DARATUMUMAB",
        "MELPHALAN + DEXAMETHASONE",
        "BORTEZOMIB + DEXAMETHASONE",
    ),
    age=(63, 9, 38, 84),
    age_flag=None,
    dm_flags=("PRIORLEN", "PRIORIXA"),
)
