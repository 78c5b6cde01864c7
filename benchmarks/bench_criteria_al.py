"""Benchmark: adjudicate ~1,000,000 synthetic AL subject-visits with full provenance.

40,000 patients x 25 visits generated with numpy in this script. Two configurations, each in a
fresh subprocess so that the peak RSS is that configuration's own:

* ``full``: every parameter of the default rule set (CR_2012_RATIO), with EXPLAIN and INPUTS;
* ``hem``: the hematologic parameters only (HEMRESP, HEMCAT, HEMPROG).

Prints, per configuration, the wall time and process CPU time of ``adjudicate`` (CPU time is less
sensitive to other processes sharing the cores), the peak RSS of the process (resource.getrusage
ru_maxrss, which includes the ~0.5 GB input frame; tracemalloc does not see polars' allocations),
and the 1-minute load average before and after, since other processes may share the machine.

Usage: python benchmarks/bench_criteria_al.py [full|hem ...] [--patients N]
(``--patients``: 25 visits each, default 40,000 = 1 M subject-visits; e.g. 4000 for a quick run).
Target (issue): full run in at most 5 s and under 4 GB on a 2-core machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import polars as pl

from plasmatrial.criteria import adjudicate

N_PATIENTS = 40_000
N_VISITS = 25


def patients_option(argv: list[str]) -> list[str]:
    """Apply ``--patients N`` (sets :data:`N_PATIENTS`); the option's arguments, to pass on."""
    global N_PATIENTS
    if "--patients" not in argv:
        return []
    value = argv[argv.index("--patients") + 1]
    N_PATIENTS = int(value)
    return ["--patients", value]


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


CONFIGS: dict[str, list[str] | None] = {"full": None, "hem": ["HEMRESP", "HEMCAT", "HEMPROG"]}


def child(config: str) -> None:
    """Run one configuration and print its figures as one JSON line (last line of output)."""
    rng = np.random.default_rng(20240601)
    t0 = time.perf_counter()
    frame = synthetic(rng)
    t_gen = time.perf_counter() - t0
    scale = 1024**3 if sys.platform == "darwin" else 1024**2
    rss_input = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    load0 = os.getloadavg()[0]
    c1, t1 = time.process_time(), time.perf_counter()
    out = adjudicate(frame, "CR_2012_RATIO", parameters=CONFIGS[config])
    t2, c2 = time.perf_counter(), time.process_time()
    load1 = os.getloadavg()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    if config == "full":
        print(out.group_by("PARAMCD", "AVALC").len().sort("PARAMCD", "AVALC"))
        print("example:", out.filter(pl.col("PARAMCD") == "HEMRESP")["EXPLAIN"][3])
    figures = {
        "config": config,
        "input_rows": frame.height,
        "output_rows": out.height,
        "parameters": out["PARAMCD"].n_unique(),
        "generate_s": round(t_gen, 2),
        "wall_s": round(t2 - t1, 2),
        "cpu_s": round(c2 - c1, 2),
        "peak_rss_gb": round(peak, 2),
        "rss_after_input_gb": round(rss_input, 2),
        "load_before": round(load0, 2),
        "load_after": round(load1, 2),
    }
    print(json.dumps(figures), flush=True)


def main() -> None:
    passed = patients_option(sys.argv)
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    wanted = [a for a in sys.argv[1:] if a in CONFIGS] or list(CONFIGS)
    print(f"machine: {os.cpu_count()} CPUs, polars {pl.__version__}")
    for config in wanted:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", config, *passed],
            capture_output=True,
            text=True,
            check=True,
        )
        lines = proc.stdout.strip().splitlines()
        f = json.loads(lines[-1])
        if config == "full":
            print("\n".join(lines[:-1]))
        print(
            f"[{config}] {f['input_rows']:,} subject-visits -> {f['output_rows']:,} rows "
            f"({f['parameters']} parameters): adjudicate wall {f['wall_s']:.2f} s "
            f"({f['input_rows'] / f['wall_s']:,.0f} subject-visits/s), CPU {f['cpu_s']:.2f} s; "
            f"peak RSS {f['peak_rss_gb']:.2f} GB (after input generation "
            f"{f['rss_after_input_gb']:.2f} GB); load average {f['load_before']:.2f} -> "
            f"{f['load_after']:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
