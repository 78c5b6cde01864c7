"""KM by arm, median, log-rank and stratified log-rank against every peer, n = 1e4 ... 1e7 (issue 15).

Data shape of issue 15: times in days rounded to 0.1 (about 11,000 distinct values at 1e6),
unsorted, 2:1 arms, four strata, about 60 % events; inputs are in-memory numpy arrays. Tasks:

* ``km``: Kaplan-Meier by arm with log-log confidence limits (lifelines' and scikit-survival's
  intervals are log-log; statsmodels computes its standard errors and no limits by default);
* ``median``: median survival time of each arm (each library's own way from its KM fit);
* ``logrank``: two-arm log-rank test;
* ``strat``: log-rank stratified by the four strata (statsmodels only: lifelines and
  scikit-survival have no stratified log-rank).

Every figure is the minimum wall time of ``BENCH_REPEATS`` runs (default 5; 2 at 1e7), all peers in
the same process and run; the 1-minute load average is printed before and after each size since
the 2-core reference machine is shared. ``BENCH_SIZES`` (comma-separated, default
``10000,100000,1000000``) picks the sizes; ``1e7`` peaked at 2.1 GB RSS. Peers that are not installed
are skipped (``pip install '.[bench]'``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from plasmatrial.stats.km import kaplan_meier_by
from plasmatrial.stats.logrank import logrank_test

SIZES = [int(float(v)) for v in os.environ.get("BENCH_SIZES", "1e4,1e5,1e6").split(",")]
TASKS = ("km", "median", "logrank", "strat")
SLOW = 5.0


def data(n: int, seed: int = 15) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times (days, 0.1 resolution, unsorted), events (~60 %), arm (2:1) and stratum (4)."""
    rng = np.random.default_rng(seed)
    arm = (rng.random(n) < 2.0 / 3.0).astype(np.int64)
    stratum = rng.integers(0, 4, n)
    t_ev = rng.exponential(np.where(arm == 1, 520.0, 380.0) * (1.0 + 0.1 * stratum))
    t_c = rng.uniform(0.0, 1100.0, n)
    t = np.round(np.minimum(t_ev, t_c), 1)
    return t, t_ev <= t_c, arm, stratum


def best(fn: Callable[[], object], repeats: int) -> float:
    """Minimum wall time of ``repeats`` calls, in seconds, after one warm-up call. A call that
    takes more than ``SLOW`` seconds (the slowest peers at 1e7) is timed once, warm-up included:
    that overstates only peers far slower than the fastest one, so no ratio changes."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first > SLOW:
        return first
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


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
    ef = e.astype(np.float64)
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

    def median() -> list[float]:
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


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    for n in SIZES:
        t, e, g, s = data(n)
        repeats = int(os.environ.get("BENCH_REPEATS", "2" if n >= 5_000_000 else "5"))
        print(
            f"\nn = {n:,}: {np.unique(t).size:,} distinct times, {e.mean():.1%} events, "
            f"arm 1 share {g.mean():.2f}; min of {repeats} runs; load at start {load()}",
            flush=True,
        )
        libs = {
            "plasmatrial": ours(t, e, g, s),
            "statsmodels": statsmodels_tasks(t, e, g, s),
            "lifelines": lifelines_tasks(t, e, g, s),
            "scikit-survival": sksurv_tasks(t, e, g, s),
        }
        print(f"  {'task':8s} " + " ".join(f"{k:>15s}" for k in libs) + "   ratio (ours/fastest)")
        for task in TASKS:
            secs = {name: best(fns[task], repeats) for name, fns in libs.items() if task in fns}
            peers = {k: v for k, v in secs.items() if k != "plasmatrial"}
            cells = " ".join(
                f"{1000 * secs[k]:12.2f} ms" if k in secs else f"{'-':>15s}" for k in libs
            )
            fastest = min(peers, key=peers.__getitem__) if peers else None
            ratio = f"{secs['plasmatrial'] / peers[fastest]:.2f} ({fastest})" if fastest else "-"
            print(f"  {task:8s} {cells}   {ratio}", flush=True)
        print(f"  load at end {load()}", flush=True)


if __name__ == "__main__":
    main()
