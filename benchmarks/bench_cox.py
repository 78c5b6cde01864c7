"""Benchmark: Efron Cox fit, plasmatrial vs R coxph, lifelines and statsmodels PHReg.

Prints each timing with the n used; ratios are printed only between fits at equal n measured in
this run. Every fit is timed ``BENCH_COX_REPEAT`` times (default 3; R inside one R session) and
the median wall time is reported with the process CPU time of that run (R: user + system from
``proc.time``). The large fit runs in a fresh subprocess so that its peak RSS is its own. The
one-minute load average is printed before and after, since the 2-core reference machine is shared.
R ``coxph`` runs in the same run at both sizes (a fresh ``Rscript`` per size, reading the same
data as raw float64; only the ``coxph`` call is timed) and is skipped with a note when
``Rscript`` is not on PATH. Set BENCH_COX_N (default 1_000_000), BENCH_COX_PEER_N (default
100_000) and BENCH_COX_BIG_N (default 10_000_000) to change sizes, BENCH_COX_PEERS=0 to skip
lifelines, statsmodels and the batched fit; quick check:
``BENCH_COX_N=20000 BENCH_COX_BIG_N=50000 BENCH_COX_PEERS=0 python benchmarks/bench_cox.py``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from plasmatrial.stats.cox import cox_ph, cox_ph_batched_two_arm

REPEAT = int(os.environ.get("BENCH_COX_REPEAT", 3))

R_SCRIPT = """
suppressPackageStartupMessages(library(survival))
con <- file("{path}", "rb")
m <- matrix(readBin(con, "double", n = {n} * 5), ncol = 5)
close(con)
d <- data.frame(time = m[, 1], event = m[, 2], x1 = m[, 3], x2 = m[, 4], x3 = m[, 5])
rm(m)
y <- Surv(d$time, d$event); x <- as.matrix(d[, c("x1", "x2", "x3")])
for (i in seq_len({repeat})) {{
  invisible(gc())
  tm <- proc.time()
  fit <- coxph(Surv(time, event) ~ x1 + x2 + x3, data = d, ties = "efron")
  el <- proc.time() - tm
  el2 <- c(elapsed = NA, user.self = NA, sys.self = NA)
  if ({fit_only}) {{
    # the fitting routine alone (coxph() always adds concordance and model-frame work)
    invisible(gc())
    tm <- proc.time()
    f2 <- coxph.fit(x, y, strata = NULL, offset = NULL, init = NULL, control = coxph.control(),
                    weights = NULL, method = "efron", rownames = NULL)
    el2 <- proc.time() - tm
  }}
  cat(sprintf("%.6f %.6f %.6f %.6f %.12g %.12g %.12g %.12g\\n", el[["elapsed"]],
              el[["user.self"]] + el[["sys.self"]], el2[["elapsed"]],
              el2[["user.self"]] + el2[["sys.self"]], coef(fit)[1], coef(fit)[2], coef(fit)[3],
              fit$concordance[["concordance"]]))
}}
"""


def make_data(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n), rng.uniform(size=n)])
    t = np.ceil(rng.exponential(1 / np.exp(X @ [0.3, -0.5, 0.2])) * 50)  # integer times: ties
    return t, rng.random(n) < 0.7, X


def timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Median-of-REPEAT wall time, the CPU time of that run, and the last result."""
    runs = []
    out: object = None
    for _ in range(REPEAT):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
    runs.sort()
    wall, cpu = runs[len(runs) // 2]
    return wall, cpu, out


def ours(n: int, *, concordance: bool) -> tuple[float, float, object]:
    t, e, X = make_data(n)
    return timed(lambda: cox_ph(t, e, X, compute_concordance=concordance))


def r_coxph(n: int, repeat: int = REPEAT, fit_only: bool = True) -> dict[str, Any] | None:
    """R ``coxph`` (Efron) on the same data, in one fresh ``Rscript`` process; None without R.

    The data go to R as raw float64 (``readBin``: reading a 1e7-row CSV would take longer than
    the fit); only the ``coxph`` call (and, with ``fit_only``, ``coxph.fit``) is timed, with
    ``proc.time``: elapsed, and CPU as user + system. Median over ``repeat`` calls.
    """
    if shutil.which("Rscript") is None:
        return None
    t, e, X = make_data(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.f64"
        np.asfortranarray(np.column_stack([t, e.astype(float), X])).T.tofile(path)
        del t, e, X
        script = Path(tmp) / "fit.R"
        script.write_text(
            R_SCRIPT.format(path=path, n=n, repeat=repeat, fit_only="TRUE" if fit_only else "FALSE")
        )
        out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
    rows = sorted(
        [float("nan") if v == "NA" else float(v) for v in line.split()]
        for line in out.stdout.strip().splitlines()
    )
    full = rows[len(rows) // 2]
    fit_rows = sorted(rows, key=lambda r: r[2])
    fit_row = fit_rows[len(rows) // 2]
    return {
        "wall": full[0],
        "cpu": full[1],
        "fit_wall": fit_row[2],
        "fit_cpu": fit_row[3],
        "coef": np.array(full[4:7]),
        "concordance": full[7],
    }


def lifelines_fit(n: int) -> tuple[float, float, float, float] | None:
    """(wall, cpu) of CoxPHFitter.fit, then of fit + its (lazy) concordance_index_."""
    try:
        import pandas as pd
        from lifelines import CoxPHFitter
    except ImportError:
        return None
    t, e, X = make_data(n)
    df = pd.DataFrame(
        {"time": t, "event": e.astype(int), "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]}
    )
    wall, cpu, _ = timed(lambda: CoxPHFitter().fit(df, "time", "event"))  # always Efron

    def with_conc() -> float:
        return float(CoxPHFitter().fit(df, "time", "event").concordance_index_)

    wall_c, cpu_c, _ = timed(with_conc)
    return wall, cpu, wall_c, cpu_c


def statsmodels_fit(n: int) -> tuple[float, float] | None:
    try:
        from statsmodels.duration.hazard_regression import PHReg
    except ImportError:
        return None
    t, e, X = make_data(n)
    wall, cpu, _ = timed(lambda: PHReg(t, X, status=e.astype(float), ties="efron").fit())
    return wall, cpu


def big_child(n: int, concordance: bool = False) -> None:
    """One large fit in this (fresh) process; prints a JSON line with wall, CPU, peak RSS.

    CPU is split into user and system time: on the reference VM the first touch of memory the
    guest has not used before costs system time (page faults), which varies from run to run.
    """
    t, e, X = make_data(n)
    rss_input = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, t0 = time.process_time(), time.perf_counter()
    cox_ph(t, e, X, compute_concordance=concordance)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "user": r1.ru_utime - r0.ru_utime,
                "sys": r1.ru_stime - r0.ru_stime,
                "faults": r1.ru_minflt - r0.ru_minflt,
                "peak_gb": r1.ru_maxrss / 1024**2,
                "input_gb": rss_input,
            }
        )
    )


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def report_r(r: dict[str, Any], n: int, wall: float, cpu: float, fit: object | None) -> None:
    """R's figures at ``n`` and our default fit's ratios to them (wall and CPU)."""
    print(
        f"R coxph efron n={n:,}: {r['wall']:.2f} s (CPU {r['cpu']:.2f} s; with its concordance, "
        f"only the coxph call timed, proc.time)"
    )
    if np.isfinite(r["fit_wall"]):
        print(
            f"R coxph.fit (fit only, no concordance) n={n:,}: {r['fit_wall']:.2f} s "
            f"(CPU {r['fit_cpu']:.2f} s)"
        )
    if fit is not None:
        coef = fit.coef  # type: ignore[attr-defined]
        conc = fit.concordance.concordance  # type: ignore[attr-defined]
        print(f"  max |coef diff| vs R: {np.max(np.abs(coef - r['coef'])):.2e}")
        print(f"  |concordance diff| vs R: {abs(conc - float(r['concordance'])):.2e}")
    print(
        f"  ratio ours/R coxph at n={n:,} (both with concordance): wall {wall / r['wall']:.3f}, "
        f"CPU {cpu / r['cpu']:.3f} (target <= 0.3)"
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--big":
        big_child(int(sys.argv[2]), concordance=len(sys.argv) > 3)
        return
    n = int(os.environ.get("BENCH_COX_N", 1_000_000))
    peer_n = int(os.environ.get("BENCH_COX_PEER_N", 100_000))
    big_n = int(os.environ.get("BENCH_COX_BIG_N", 10_000_000))
    peers = os.environ.get("BENCH_COX_PEERS", "1") != "0"
    have_r = shutil.which("Rscript") is not None
    print(f"load average (1/5/15 min) at start: {load()}; median of {REPEAT} runs per fit")
    if not have_r:
        print("R coxph: Rscript not found on PATH: R is skipped (no ratio to R in this run)")

    t_full, c_full, fit = ours(n, concordance=True)
    t_fit, c_fit, _ = ours(n, concordance=False)
    print(
        f"plasmatrial cox_ph efron n={n:,}: {t_full:.2f} s (CPU {c_full:.2f} s) with concordance, "
        f"{t_fit:.2f} s (CPU {c_fit:.2f} s) without"
    )
    r = r_coxph(n)
    if r is not None:
        report_r(r, n, t_full, c_full, fit)
        if np.isfinite(r["fit_wall"]):
            print(
                f"  ratio ours/R coxph.fit (both without concordance): "
                f"wall {t_fit / r['fit_wall']:.3f}, CPU {c_fit / r['fit_cpu']:.3f}"
            )
    print(f"load average: {load()}")

    if peers:
        run_peers(peer_n)

    for extra, what in (([], "no concordance"), (["--concordance"], "with concordance")):
        proc = subprocess.run(
            [sys.executable, __file__, "--big", str(big_n), *extra],
            capture_output=True,
            text=True,
            check=True,
        )
        big = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"plasmatrial cox_ph efron n={big_n:,} ({what}, fresh process): "
            f"{big['wall']:.2f} s (CPU {big['cpu']:.2f} s = user {big['user']:.2f} + system "
            f"{big['sys']:.2f}, {big['faults']:,} page faults); peak RSS {big['peak_gb']:.2f} GiB "
            f"(of which input data {big['input_gb']:.2f} GiB); load {load()}"
        )
    if have_r:
        # one coxph call in a fresh R process, right after ours
        rb = r_coxph(big_n, repeat=1, fit_only=False)
        assert rb is not None
        report_r(rb, big_n, big["wall"], big["cpu"], None)
    print(f"load average at end: {load()}")
    sys.stdout.flush()


def run_peers(peer_n: int) -> None:
    """Ours, lifelines and statsmodels at ``peer_n``; the batched two-arm fit."""
    t_peer, c_peer, _ = ours(peer_n, concordance=True)
    t_peer_fit, c_peer_fit, _ = ours(peer_n, concordance=False)
    print(
        f"plasmatrial n={peer_n:,}: {t_peer:.3f} s (CPU {c_peer:.3f} s) with concordance, "
        f"{t_peer_fit:.3f} s (CPU {c_peer_fit:.3f} s) without"
    )
    ll = lifelines_fit(peer_n)
    if ll is not None:
        print(
            f"lifelines CoxPHFitter n={peer_n:,}: fit {ll[0]:.3f} s (CPU {ll[1]:.3f} s), "
            f"fit + concordance_index_ {ll[2]:.3f} s (CPU {ll[3]:.3f} s)"
        )
        print(
            f"  ratio lifelines fit / ours without concordance: {ll[0] / t_peer_fit:.1f}x; "
            f"lifelines fit + concordance / ours with: {ll[2] / t_peer:.1f}x; "
            f"lifelines fit / ours with: {ll[0] / t_peer:.1f}x"
        )
    sm = statsmodels_fit(peer_n)
    if sm is not None:
        print(
            f"statsmodels PHReg n={peer_n:,}: {sm[0]:.3f} s (CPU {sm[1]:.3f} s); "
            f"ratio PHReg / ours (no conc.): {sm[0] / t_peer_fit:.1f}x"
        )
    rng = np.random.default_rng(2)
    tt = np.ceil(rng.exponential(size=(10_000, 455)) * 20)
    ee = rng.random((10_000, 455)) < 0.8
    t0 = time.perf_counter()
    cox_ph_batched_two_arm(tt, ee, (np.arange(455) % 2).astype(float))
    print(f"cox_ph_batched_two_arm 10,000 trials x 455: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
