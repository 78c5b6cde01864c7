"""Benchmark: Efron Cox fit, plasmatrial vs R coxph, lifelines and statsmodels PHReg.

Prints each timing with the n used; ratios are printed only between fits at equal n measured in
this run. Set BENCH_COX_N (default 1_000_000), BENCH_COX_PEER_N (default 100_000) and
BENCH_COX_BIG_N (default 10_000_000) to change sizes.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from plasmatrial.stats.cox import cox_ph, cox_ph_batched_two_arm

R_SCRIPT = """
suppressPackageStartupMessages(library(survival))
d <- read.csv("{path}")
tm <- proc.time()
fit <- coxph(Surv(time, event) ~ x1 + x2 + x3, data = d, ties = "efron")
el <- (proc.time() - tm)[["elapsed"]]
# the fitting routine alone (coxph() always adds concordance and model-frame work)
y <- Surv(d$time, d$event); x <- as.matrix(d[, c("x1", "x2", "x3")])
tm <- proc.time()
f2 <- coxph.fit(x, y, strata = NULL, offset = NULL, init = NULL, control = coxph.control(),
                weights = NULL, method = "efron", rownames = NULL)
el2 <- (proc.time() - tm)[["elapsed"]]
cat(sprintf("%.6f %.6f %.12g %.12g %.12g\\n", el, el2, coef(fit)[1], coef(fit)[2], coef(fit)[3]))
"""


def make_data(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n), rng.uniform(size=n)])
    t = np.ceil(rng.exponential(1 / np.exp(X @ [0.3, -0.5, 0.2])) * 50)  # integer times: ties
    return t, rng.random(n) < 0.7, X


def ours(n: int, *, concordance: bool) -> tuple[float, np.ndarray]:
    t, e, X = make_data(n)
    t0 = time.perf_counter()
    fit = cox_ph(t, e, X, compute_concordance=concordance)
    return time.perf_counter() - t0, fit.coef


def r_coxph(n: int) -> tuple[float, float, np.ndarray] | None:
    if shutil.which("Rscript") is None:
        return None
    t, e, X = make_data(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.csv"
        data = np.column_stack([t, e.astype(float), X])
        np.savetxt(
            path, data, delimiter=",", header="time,event,x1,x2,x3", comments="", fmt="%.17g"
        )
        script = Path(tmp) / "fit.R"
        script.write_text(R_SCRIPT.format(path=path))
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
    vals = out.stdout.split()
    return float(vals[0]), float(vals[1]), np.array([float(v) for v in vals[2:]])


def lifelines_fit(n: int) -> float | None:
    try:
        import pandas as pd
        from lifelines import CoxPHFitter
    except ImportError:
        return None
    t, e, X = make_data(n)
    df = pd.DataFrame(
        {"time": t, "event": e.astype(int), "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]}
    )
    t0 = time.perf_counter()
    CoxPHFitter().fit(df, "time", "event")  # lifelines always uses Efron
    return time.perf_counter() - t0


def statsmodels_fit(n: int) -> float | None:
    try:
        from statsmodels.duration.hazard_regression import PHReg
    except ImportError:
        return None
    t, e, X = make_data(n)
    t0 = time.perf_counter()
    PHReg(t, X, status=e.astype(float), ties="efron").fit()
    return time.perf_counter() - t0


def main() -> None:
    n = int(os.environ.get("BENCH_COX_N", 1_000_000))
    peer_n = int(os.environ.get("BENCH_COX_PEER_N", 100_000))
    big_n = int(os.environ.get("BENCH_COX_BIG_N", 10_000_000))

    t_full, coef = ours(n, concordance=True)
    t_fit, _ = ours(n, concordance=False)
    print(
        f"plasmatrial cox_ph efron n={n:,}: {t_full:.2f} s with concordance, {t_fit:.2f} s without"
    )
    r = r_coxph(n)
    if r is None:
        print("R coxph: Rscript not found, skipped")
    else:
        print(f"R coxph efron n={n:,}: {r[0]:.2f} s (fit incl. its concordance, proc.time)")
        print(f"R coxph.fit (fit only, no concordance) n={n:,}: {r[1]:.2f} s")
        print(f"  max |coef diff| vs R: {np.max(np.abs(coef - r[2])):.2e}")
        print(f"  ratio ours/R coxph (both with concordance): {t_full / r[0]:.3f}")
        print(f"  ratio ours/R coxph.fit (both without concordance): {t_fit / r[1]:.3f}")

    t_peer, _ = ours(peer_n, concordance=True)
    t_peer_fit, _ = ours(peer_n, concordance=False)
    print(f"plasmatrial n={peer_n:,}: {t_peer:.3f} s with concordance, {t_peer_fit:.3f} s without")
    ll = lifelines_fit(peer_n)
    if ll is not None:
        print(
            f"lifelines CoxPHFitter n={peer_n:,}: {ll:.2f} s; ratio lifelines/ours (no conc.): "
            f"{ll / t_peer_fit:.1f}x; with our concordance: {ll / t_peer:.1f}x"
        )
    sm = statsmodels_fit(peer_n)
    if sm is not None:
        print(
            f"statsmodels PHReg n={peer_n:,}: {sm:.2f} s; ratio PHReg/ours (no conc.): "
            f"{sm / t_peer_fit:.1f}x"
        )

    t_big, _ = ours(big_n, concordance=False)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB (Linux)
    print(
        f"plasmatrial cox_ph efron n={big_n:,} (no concordance): {t_big:.2f} s; "
        f"peak RSS of this process so far {rss:.2f} GiB"
    )

    rng = np.random.default_rng(2)
    tt = np.ceil(rng.exponential(size=(10_000, 455)) * 20)
    ee = rng.random((10_000, 455)) < 0.8
    t0 = time.perf_counter()
    cox_ph_batched_two_arm(tt, ee, (np.arange(455) % 2).astype(float))
    print(f"cox_ph_batched_two_arm 10,000 trials x 455: {time.perf_counter() - t0:.2f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
