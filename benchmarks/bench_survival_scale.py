"""KM by arm, median, log-rank and stratified log-rank against every peer, n = 1e4 ... 1e7 (issue 15).

The committed benchmark for issue 15's survival targets (decisions 0355 and 0357). Data shape of
the issue: times in days rounded to 0.1 (about 11,000 distinct values at 1e6), unsorted, 2:1 arms,
four strata, about 60 % events; the inputs are in-memory numpy arrays (R: vectors already in
memory). Tasks, each with the library's defaults otherwise:

* ``km``: Kaplan-Meier by arm with log-log confidence limits (lifelines' and scikit-survival's
  intervals are log-log; R ``survfit(..., conf.type = "log-log")``; statsmodels computes its
  Greenwood standard errors and no limits by default);
* ``median``: median survival time of each arm (each library's own way from its KM fit);
* ``logrank``: two-arm log-rank test;
* ``strat``: log-rank stratified by the four strata (statsmodels and R; lifelines and
  scikit-survival have none).

Method, the same for every library: every input is built once before timing and shared; a task
runs once as warm-up in every library, then ``repeats`` rounds in which each library runs one
timed batch of ``B`` calls (``B`` chosen from its warm-up so a batch lasts about 20 ms; 1 call
for slow tasks, which get 1-2 rounds), so that load changes fall on every library alike; the
figure is the median per-call wall time of the batches, with the median per-call process CPU
time beside it (the reference machine is a shared 2-core VM: CPU time is what the other
workloads disturb least). R runs in one ``Rscript`` process per size with the same data (raw
doubles) and the same method (``proc.time``). The ratio is ours / the fastest peer by wall time,
with the CPU-time ratio beside it. Missing peers are skipped with a note.

Run: ``python benchmarks/bench_survival_scale.py`` (all four sizes, or ``BENCH_SIZES``; 1e7
takes many minutes with every peer, R's formula interface being the slowest, and about 2.5 GB)
or ``--sizes 1e4,1e5`` for a quick run; ``--repeats``, ``--tasks`` and ``--peers`` narrow it
further.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from plasmatrial.stats.km import kaplan_meier_by
from plasmatrial.stats.logrank import logrank_test

TASKS = ("km", "median", "logrank", "strat")
#: Target length of one timed batch, seconds.
BATCH_S = 0.02
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def data(n: int, seed: int = 15) -> Arrays:
    """Times (days, 0.1 resolution, unsorted), events (~60 %), arm (2:1) and stratum (4)."""
    rng = np.random.default_rng(seed)
    arm = (rng.random(n) < 2.0 / 3.0).astype(np.int64)
    stratum = rng.integers(0, 4, n)
    t_ev = rng.exponential(np.where(arm == 1, 520.0, 380.0) * (1.0 + 0.1 * stratum))
    t_c = rng.uniform(0.0, 1100.0, n)
    t = np.round(np.minimum(t_ev, t_c), 1)
    return t, t_ev <= t_c, arm, stratum


def measure(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median per-call wall and CPU seconds of each library's ``repeats`` batches.

    Every function runs once as warm-up (which sizes its batch); then the rounds interleave the
    libraries, one batch each per round, so that a change of the machine's load during the run
    falls on every library alike."""
    batch: dict[str, int] = {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        batch[name] = max(1, int(BATCH_S / max(first, 1e-9)))
        if first > 2.0:  # slow peers at 1e7: fewer rounds for them, a few minutes in all
            batch[name] = -(2 if first < 10.0 else 1)
    walls: dict[str, list[float]] = {k: [] for k in fns}
    cpus: dict[str, list[float]] = {k: [] for k in fns}
    for r in range(repeats):
        for name, fn in fns.items():
            b = batch[name]
            if b < 0 and r >= -b:
                continue
            b = abs(b) if b > 0 else 1
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(b):
                fn()
            walls[name].append((time.perf_counter() - w0) / b)
            cpus[name].append((time.process_time() - c0) / b)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in fns}


def ours(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, s: np.ndarray
) -> dict[str, Callable[[], object]]:
    return {
        "km": lambda: kaplan_meier_by(t, e, g, conf_type="log-log"),
        "median": lambda: [f.median for f in kaplan_meier_by(t, e, g, conf_type="none").fits],
        "logrank": lambda: logrank_test(t, e, g),
        "strat": lambda: logrank_test(t, e, g, strata=s),
    }


def statsmodels_tasks(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, s: np.ndarray
) -> dict[str, Callable[[], object]]:
    try:
        from statsmodels.duration.survfunc import SurvfuncRight, survdiff
    except ImportError:
        return {}
    ef = e.astype(np.float64)  # statsmodels wants numeric status
    arms = [g == k for k in (0, 1)]
    return {
        "km": lambda: [SurvfuncRight(t[m], ef[m]) for m in arms],
        "median": lambda: [SurvfuncRight(t[m], ef[m]).quantile(0.5) for m in arms],
        "logrank": lambda: survdiff(t, ef, g),
        "strat": lambda: survdiff(t, ef, g, strata=s),
    }


def lifelines_tasks(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, s: np.ndarray
) -> dict[str, Callable[[], object]]:
    try:
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import logrank_test as ll_logrank
    except ImportError:
        return {}
    arms = [g == k for k in (0, 1)]
    m1 = g == 1
    return {
        "km": lambda: [KaplanMeierFitter().fit(t[m], e[m]) for m in arms],
        "median": lambda: [KaplanMeierFitter().fit(t[m], e[m]).median_survival_time_ for m in arms],
        "logrank": lambda: ll_logrank(t[m1], t[~m1], e[m1], e[~m1]),
    }


def sksurv_tasks(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, s: np.ndarray
) -> dict[str, Callable[[], object]]:
    try:
        from sksurv.compare import compare_survival
        from sksurv.nonparametric import kaplan_meier_estimator
    except ImportError:
        return {}
    arms = [g == k for k in (0, 1)]
    y = np.empty(t.shape[0], dtype=[("event", bool), ("time", float)])
    y["event"], y["time"] = e, t

    def median() -> list[float]:  # scikit-survival has no median: first time with S <= 0.5
        out = []
        for m in arms:
            x, surv = kaplan_meier_estimator(e[m], t[m])
            below = np.flatnonzero(surv <= 0.5)
            out.append(float(x[below[0]]) if below.size else float("nan"))
        return out

    return {
        "km": lambda: [kaplan_meier_estimator(e[m], t[m], conf_type="log-log") for m in arms],
        "median": median,
        "logrank": lambda: compare_survival(y, g),
    }


R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(TRUE); path <- args[1]; n <- as.integer(args[2]); repeats <- as.integer(args[3])
x <- readBin(path, "double", n = 4 * n)
time <- x[1:n]; event <- x[(n + 1):(2 * n)]; arm <- x[(2 * n + 1):(3 * n)]; stratum <- x[(3 * n + 1):(4 * n)]
tasks <- list(
  km = function() survfit(Surv(time, event) ~ arm, conf.type = "log-log"),
  median = function() summary(survfit(Surv(time, event) ~ arm))$table[, "median"],
  logrank = function() survdiff(Surv(time, event) ~ arm),
  strat = function() survdiff(Surv(time, event) ~ arm + strata(stratum))
)
for (name in names(tasks)) {
  f <- tasks[[name]]
  first <- system.time(f())[["elapsed"]]
  batch <- max(1L, as.integer(0.02 / max(first, 1e-4)))
  reps <- if (first > 10) 1L else if (first > 2) min(repeats, 2L) else repeats
  wall <- numeric(reps); cpu <- numeric(reps)
  for (r in seq_len(reps)) {
    p0 <- proc.time(); for (i in seq_len(batch)) f(); d <- proc.time() - p0
    wall[r] <- d[["elapsed"]] / batch; cpu[r] <- (d[["user.self"]] + d[["sys.self"]]) / batch
  }
  cat(name, median(wall), median(cpu), "\n")
}
"""


def r_tasks(
    t: np.ndarray, e: np.ndarray, g: np.ndarray, s: np.ndarray, repeats: int
) -> dict[str, tuple[float, float]]:
    """R survival's figures for every task (wall, CPU seconds per call), or {} without R."""
    if shutil.which("Rscript") is None:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.bin"
        np.concatenate([t, e, g, s]).astype(np.float64).tofile(path)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        res = subprocess.run(
            ["Rscript", str(script), str(path), str(t.shape[0]), str(repeats)],
            capture_output=True,
            text=True,
            check=False,
        )
    if res.returncode != 0:
        print(f"  note: R survival failed: {res.stderr.strip()[:300]}")
        return {}
    out = {}
    for line in res.stdout.splitlines():
        name, wall, cpu = line.split()
        out[name] = (float(wall), float(cpu))
    return out


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def fmt(sec: float) -> str:
    return f"{1000 * sec:.3g}" if sec < 10 else f"{sec:.1f}s"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes",
        default=os.environ.get("BENCH_SIZES", "1e4,1e5,1e6,1e7"),
        help="comma-separated n (default all four; or BENCH_SIZES)",
    )
    ap.add_argument(
        "--repeats",
        type=int,
        default=int(os.environ.get("BENCH_REPEATS", "7")),
        help="timed batches per task (default 7; or BENCH_REPEATS)",
    )
    ap.add_argument("--tasks", default=",".join(TASKS), help=f"subset of {','.join(TASKS)}")
    ap.add_argument(
        "--peers",
        default="all",
        help="comma-separated subset of statsmodels,lifelines,scikit-survival,R (default all)",
    )
    args = ap.parse_args(argv)
    sizes = [int(float(v)) for v in args.sizes.split(",")]
    tasks = [v for v in args.tasks.split(",") if v]
    print(
        f"numpy {np.__version__}; {os.cpu_count()} CPUs; wall ms (CPU ms) per call, median of batches"
    )
    for n in sizes:
        t, e, g, s = data(n)
        print(
            f"\nn = {n:,}: {np.unique(t).size:,} distinct times, {e.mean():.1%} events, "
            f"arm 1 share {g.mean():.2f}; load at start {load()}",
            flush=True,
        )
        wanted = args.peers.split(",") if args.peers != "all" else None
        peer_fns = {
            "statsmodels": statsmodels_tasks,
            "lifelines": lifelines_tasks,
            "scikit-survival": sksurv_tasks,
        }
        libs = {"plasmatrial": ours(t, e, g, s)}
        for name, make in peer_fns.items():
            if wanted is not None and name not in wanted:
                print(f"  note: {name} left out (--peers)")
                continue
            libs[name] = make(t, e, g, s)
            if not libs[name]:
                print(f"  note: {name} is not installed (pip install '.[bench]'); skipped")
        r_res: dict[str, tuple[float, float]] = {}
        if wanted is not None and "R" not in wanted:
            print("  note: R survival left out (--peers)")
        elif shutil.which("Rscript") is None:
            print("  note: Rscript not found; R survival skipped")
        else:
            r_res = r_tasks(t, e, g, s, args.repeats)
        names = [k for k, v in libs.items() if v] + (["R survival"] if r_res else [])
        print(f"  {'task':8s} " + " ".join(f"{k:>20s}" for k in names) + "   ours/fastest peer")
        for task in tasks:
            res = measure({k: fns[task] for k, fns in libs.items() if task in fns}, args.repeats)
            if task in r_res:
                res["R survival"] = r_res[task]
            peers = {k: v for k, v in res.items() if k != "plasmatrial"}
            cells = " ".join(
                f"{fmt(res[k][0]) + ' (' + fmt(res[k][1]) + ')':>20s}"
                if k in res
                else f"{'-':>20s}"
                for k in names
            )
            fastest = min(peers, key=lambda k: peers[k][0]) if peers else None
            ratio = (
                f"{res['plasmatrial'][0] / peers[fastest][0]:.2f} ({fastest}; CPU "
                f"{res['plasmatrial'][1] / peers[fastest][1]:.2f})"
                if fastest
                else "-"
            )
            print(f"  {task:8s} {cells}   {ratio}", flush=True)
        print(f"  load at end {load()}", flush=True)


if __name__ == "__main__":
    main()
