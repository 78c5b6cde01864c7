"""Benchmark: adjudicate ~1,000,000 synthetic AL subject-visits with full provenance.

40,000 patients x 25 visits generated with numpy in this script; every parameter of the default
rule set (CR_2012_RATIO) with explanations and JSON inputs. Prints wall time and peak RSS
(resource.getrusage ru_maxrss; tracemalloc does not see polars' allocations).
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import time

import numpy as np
import polars as pl

from plasmatrial.criteria import adjudicate

N_PATIENTS = 40_000
N_VISITS = 25


def synthetic(rng: np.random.Generator) -> pl.DataFrame:
    n = N_PATIENTS * N_VISITS
    pid = np.repeat(np.arange(N_PATIENTS), N_VISITS)
    visit = np.tile(np.arange(N_VISITS), N_PATIENTS)
    kappa_type = np.repeat(rng.random(N_PATIENTS) < 0.3, N_VISITS)
    base_i = np.repeat(rng.lognormal(np.log(150), 1.0, N_PATIENTS), N_VISITS)
    decay = np.repeat(rng.uniform(0.02, 0.4, N_PATIENTS), N_VISITS)
    relapse = np.repeat(rng.integers(8, 60, N_PATIENTS), N_VISITS)
    trend = np.exp(-decay * visit) + np.where(visit > relapse, 0.15 * (visit - relapse), 0.0)
    iflc = base_i * trend * rng.lognormal(0, 0.1, n) + 5
    uflc = rng.uniform(5, 20, n)
    miss = rng.random(n) < 0.05
    kap = np.where(kappa_type, iflc, uflc)
    lam = np.where(kappa_type, uflc, iflc)
    ife = np.where(iflc < 25, np.where(rng.random(n) < 0.7, "NEGATIVE", "POSITIVE"), "POSITIVE")
    nt = (
        np.repeat(rng.lognormal(np.log(2500), 1.0, N_PATIENTS), N_VISITS)
        * (0.6 + 0.4 * trend)
        * rng.lognormal(0, 0.15, n)
    )
    prot = np.repeat(rng.lognormal(np.log(3), 0.8, N_PATIENTS), N_VISITS) * (0.5 + 0.5 * trend)
    egfr = np.repeat(rng.uniform(30, 100, N_PATIENTS), N_VISITS) * (1 - 0.01 * visit)
    alp = np.repeat(rng.uniform(60, 400, N_PATIENTS), N_VISITS) * (0.7 + 0.3 * trend)
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
            "INVLC": np.where(kappa_type, "KAPPA", "LAMBDA"),
            "FLCKAP": np.where(miss, np.nan, kap),
            "FLCLAM": np.where(miss, np.nan, lam),
            "SIFE": ife,
            "UIFE": ife,
            "SPEPMP": np.round(rng.uniform(0, 1.5, n), 2),
            "NTPROBNP": nt,
            "NYHA": np.repeat(rng.integers(1, 5, N_PATIENTS), N_VISITS).astype(np.float64),
            "TROPT": rng.lognormal(np.log(0.03), 0.3, n),
            "PROT24H": prot,
            "EGFR": egfr,
            "ALP": alp,
            "ALP_ULN": np.full(n, 120.0),
            "HEARTFL": np.repeat(rng.random(N_PATIENTS) < 0.7, N_VISITS),
            "KIDNEYFL": np.repeat(rng.random(N_PATIENTS) < 0.6, N_VISITS),
            "LIVERFL": np.repeat(rng.random(N_PATIENTS) < 0.2, N_VISITS),
            "IMIDFL": visit > 0,
        }
    ).with_columns(pl.col("FLCKAP", "FLCLAM").fill_nan(None))


def main() -> None:
    rng = np.random.default_rng(20240601)
    t0 = time.perf_counter()
    frame = synthetic(rng)
    t1 = time.perf_counter()
    out = adjudicate(frame, "CR_2012_RATIO")
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak_gb = peak / (1024**3 if sys.platform == "darwin" else 1024**2)
    print(f"input rows (subject-visits): {frame.height:,}  generated in {t1 - t0:.2f} s")
    print(
        f"output rows (visit x parameter): {out.height:,}  parameters: {out['PARAMCD'].n_unique()}"
    )
    print(
        f"adjudicate wall time: {t2 - t1:.2f} s  ({frame.height / (t2 - t1):,.0f} subject-visits/s)"
    )
    print(f"peak RSS: {peak_gb:.2f} GB")
    print(out.group_by("PARAMCD", "AVALC").len().sort("PARAMCD", "AVALC"))
    print("example:", out.filter(pl.col("PARAMCD") == "HEMRESP")["EXPLAIN"][3])


if __name__ == "__main__":
    main()
