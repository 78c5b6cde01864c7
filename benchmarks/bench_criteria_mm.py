"""Benchmark: IMWG 2016 response with confirmation for ~1,000,000 synthetic myeloma subject-visits.

40,000 patients x 25 visits of synthetic numpy M-protein trajectories (serum and urine, some
FLC-only patients, relapses). ``respond_mm`` adjudicates OVRLRESP with full provenance (RULEID,
EXPLAIN, INPUTS JSON, DOWNGRADE, AT_BOUNDARY, FLAGS), confirms it (criteria.md 4.4) and derives
the best confirmed response. ``--relapse`` adds a second run with the three relapse flags;
``--relapse-only`` makes that run (what the CLI computes) the process's only one. Prints wall time, process
CPU time (less sensitive to other processes sharing the cores), the 1-minute load average before
and after, and peak RSS (resource.getrusage ru_maxrss). ``--patients N`` (25 visits each; default
40,000) makes a quick run at a smaller size.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time
import warnings

import numpy as np
import polars as pl

from plasmatrial.criteria.mm.response import respond_mm

N_PATIENTS = 40_000
N_VISITS = 25


def synthetic(rng: np.random.Generator) -> pl.DataFrame:
    n = N_PATIENTS * N_VISITS
    pid = np.repeat(np.arange(N_PATIENTS), N_VISITS)
    visit = np.tile(np.arange(N_VISITS), N_PATIENTS)
    flc_only = np.repeat(rng.random(N_PATIENTS) < 0.15, N_VISITS)
    base_s = np.repeat(rng.lognormal(np.log(3.0), 0.6, N_PATIENTS), N_VISITS)
    base_u = np.repeat(rng.lognormal(np.log(300.0), 1.0, N_PATIENTS), N_VISITS)
    decay = np.repeat(rng.uniform(0.05, 0.6, N_PATIENTS), N_VISITS)
    relapse = np.repeat(rng.integers(6, 40, N_PATIENTS), N_VISITS)
    trend = np.exp(-decay * visit) + np.where(visit > relapse, 0.12 * (visit - relapse), 0.0)
    noise = rng.lognormal(0, 0.08, n)
    spep = np.round(np.where(flc_only, 0.0, base_s * trend * noise), 2)
    spep = np.where(spep < 0.05, 0.0, spep)
    upep = np.round(np.where(flc_only, 0.0, base_u * trend * noise), 0)
    kap = np.where(
        flc_only,
        20 + np.repeat(rng.lognormal(np.log(600), 0.5, N_PATIENTS), N_VISITS) * trend * noise,
        15.0,
    )
    lam = np.full(n, 12.0)
    miss = rng.random(n) < 0.04
    ife = np.where(spep == 0, np.where(rng.random(n) < 0.6, "NEGATIVE", "POSITIVE"), "POSITIVE")
    bm_done = (visit % 6 == 0) | (spep == 0)
    bmpc = np.where(bm_done, np.round(np.clip(40 * trend * noise, 0, 100), 1), np.nan)
    start = dt.date(2024, 1, 1)
    return pl.DataFrame(
        {
            "USUBJID": pl.Series([f"P{i:06d}" for i in range(N_PATIENTS)]).gather(pid),
            "VISIT": pl.Series([f"C{v}" for v in range(N_VISITS)]).gather(visit),
            "VISITNUM": visit.astype(np.float64),
            "ADT": pl.Series(
                [start + dt.timedelta(days=28 * int(v)) for v in range(N_VISITS)]
            ).gather(visit),
            "ADY": 1 + 28 * visit,
            "ABLFL": np.where(visit == 0, "Y", None),
            "SPEPMP": np.where(miss, np.nan, spep),
            "UPEPMP": np.where(miss | (rng.random(n) < 0.1), np.nan, upep),
            "SIFE": ife,
            "UIFE": ife,
            "FLCKAP": kap,
            "FLCLAM": lam,
            "BMPC": bmpc,
            "BMCLONFL": pl.Series(rng.random(n) < 0.3).set(pl.Series(~bm_done), None),
            "NEWLESFL": rng.random(n) < 0.002,
        }
    ).with_columns(pl.col(c).fill_nan(None) for c in ("SPEPMP", "UPEPMP", "BMPC"))


def main() -> None:
    # --relapse-only: the run the CLI makes (relapse flags too) as this process's only run
    global N_PATIENTS
    if "--patients" in sys.argv:
        N_PATIENTS = int(sys.argv[sys.argv.index("--patients") + 1])
    relapse_only = "--relapse-only" in sys.argv
    rng = np.random.default_rng(20240601)
    t0 = time.perf_counter()
    df = synthetic(rng)
    t1 = time.perf_counter()
    print(f"input rows (subject-visits): {df.height:,}  generated in {t1 - t0:.2f} s")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load0 = os.getloadavg()[0]
        c2, t2 = time.process_time(), time.perf_counter()
        res = respond_mm(df, relapse=relapse_only)
        t3, c3 = time.perf_counter(), time.process_time()
        load1 = os.getloadavg()[0]
    what = " + relapse flags" if relapse_only else ""
    print(
        f"respond_mm (OVRLRESP + confirmation + BOR{what}): {t3 - t2:.2f} s  "
        f"({df.height / (t3 - t2):,.0f} subject-visits/s); output rows {res.visits.height:,}; "
        f"CPU {c3 - c2:.2f} s; load average {load0:.2f} -> {load1:.2f}"
    )
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024**2 if sys.platform != "darwin" else 1024**3
    )
    print(f"peak RSS after first run: {rss_gb:.2f} GB")
    if "--relapse" in sys.argv and not relapse_only:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t4 = time.perf_counter()
            res2 = respond_mm(df, relapse=True)
            t5 = time.perf_counter()
        print(f"respond_mm with relapse flags: {t5 - t4:.2f} s; rows {res2.adjudicated.height:,}")
        rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024**2)
        print(f"peak RSS: {rss_gb:.2f} GB")
    print(res.visits.group_by("CONFRESP").len().sort("CONFRESP"))
    print(res.best.group_by("AVALC").len().sort("AVALC"))
    print("example:", res.visits.filter(pl.col("AVALC") == "VGPR")["EXPLAIN"][0][:300])


if __name__ == "__main__":
    main()
