"""Kaplan-Meier (with CIs) and 2-group log-rank on n = 1,000,000 rows with heavy ties.

Integer days (about 1,500 distinct values) and one group: a quick check of the sort and grid
paths at one size. The benchmark of issue 15's targets (its data shape, four sizes, every peer,
CPU time) is ``bench_survival_scale.py`` (decisions 0355 and 0357).

Times our implementation against peers measured in the same run: lifelines, scikit-survival,
statsmodels, R survival (survfit + survdiff, timed inside R with proc.time) and a numpy
argsort + cumsum floor. Prints each figure (best of ``REPEATS``) and its ratio to the fastest peer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from plasmatrial.stats.km import kaplan_meier
from plasmatrial.stats.logrank import logrank_test, logrank_test_batched

N = int(os.environ.get("BENCH_N", "1000000"))
REPEATS = 3


def best(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def data(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    g = rng.integers(0, 2, n)
    t_ev = np.ceil(rng.exponential(np.where(g == 1, 400.0, 300.0)))  # days: heavy ties
    t_c = np.ceil(rng.uniform(30, 1500, n))
    return np.minimum(t_ev, t_c), t_ev <= t_c, g


def floor(t: np.ndarray, e: np.ndarray) -> None:
    order = np.argsort(t)
    np.cumsum(e[order])


def r_timings(t: np.ndarray, e: np.ndarray, g: np.ndarray) -> tuple[float, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.bin"
        np.column_stack([t, e, g]).astype(np.float64).T.tofile(path)  # raw doubles, column-major
        script = f"""
suppressPackageStartupMessages(library(survival))
x <- readBin("{path}", "double", n = {3 * t.size}); n <- {t.size}
time <- x[1:n]; event <- x[(n + 1):(2 * n)]; group <- x[(2 * n + 1):(3 * n)]
km <- min(sapply(1:{REPEATS}, function(i) system.time(survfit(Surv(time, event) ~ 1))[["elapsed"]]))
lr <- min(sapply(1:{REPEATS}, function(i) system.time(survdiff(Surv(time, event) ~ group))[["elapsed"]]))
cat(km, lr, "\\n")
"""
        res = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print("R failed:", res.stderr.strip()[:200])
            return None
        km, lr = (float(v) for v in res.stdout.split())
        return km, lr


def main() -> None:
    t, e, g = data(N)
    print(f"n = {N:,} rows, {np.unique(t).size:,} distinct times, {int(e.sum()):,} events")
    km: dict[str, float] = {}
    lr: dict[str, float] = {}
    km["plasmatrial"] = best(lambda: kaplan_meier(t, e, conf_type="log"))
    lr["plasmatrial"] = best(lambda: logrank_test(t, e, g))
    km["numpy floor (argsort+cumsum)"] = best(lambda: floor(t, e))
    lr["numpy floor (argsort+cumsum)"] = km["numpy floor (argsort+cumsum)"]
    try:
        from statsmodels.duration.survfunc import SurvfuncRight, survdiff

        km["statsmodels"] = best(lambda: SurvfuncRight(t, e.astype(float)))
        lr["statsmodels"] = best(lambda: survdiff(t, e.astype(float), g))
    except ImportError:
        print("statsmodels not installed")
    try:
        from sksurv.compare import compare_survival
        from sksurv.nonparametric import kaplan_meier_estimator

        y = np.empty(N, dtype=[("event", bool), ("time", float)])
        y["event"], y["time"] = e, t
        km["scikit-survival"] = best(lambda: kaplan_meier_estimator(e, t, conf_type="log-log"))
        lr["scikit-survival"] = best(lambda: compare_survival(y, g))
    except ImportError:
        print("scikit-survival not installed")
    try:
        from lifelines import KaplanMeierFitter
        from lifelines.statistics import logrank_test as ll_logrank

        km["lifelines"] = best(lambda: KaplanMeierFitter().fit(t, e), repeats=1)
        m = g == 1
        lr["lifelines"] = best(lambda: ll_logrank(t[m], t[~m], e[m], e[~m]), repeats=1)
    except ImportError:
        print("lifelines not installed")
    r = r_timings(t, e, g)
    if r is not None:
        km["R survival (survfit)"], lr["R survival (survdiff)"] = r
    rng = np.random.default_rng(7)
    bt = np.ceil(rng.exponential(300.0, (10_000, 455)))
    be = rng.random((10_000, 455)) < 0.8
    bg = rng.random((10_000, 455)) < 0.5
    print(
        f"logrank_test_batched, 10,000 trials x 455 patients: "
        f"{1000 * best(lambda: logrank_test_batched(bt, be, bg), repeats=1):.0f} ms"
    )
    for title, res in (("Kaplan-Meier with CIs", km), ("two-group log-rank", lr)):
        peers = {k: v for k, v in res.items() if k not in ("plasmatrial",) and "floor" not in k}
        fastest = min(peers, key=peers.__getitem__)
        print(f"\n{title} (ratio to fastest peer: {fastest})")
        for name, sec in sorted(res.items(), key=lambda kv: kv[1]):
            print(f"  {name:32s} {1000 * sec:9.1f} ms   x{sec / peers[fastest]:.2f}")


if __name__ == "__main__":
    main()
