"""Benchmark: the MM-003 trial report (455 patients), the time ``plasmatrial report`` takes.

Simulates the MM-003 data once (seed 20240601, not timed), then times, in one process, the stages
of ``plasmatrial report``: reading the input files, the trial analysis (``run_trial``), building the
report document (tables and figures), rendering the HTML, and writing ADaM/results and the HTML
(what ``write_outputs`` and ``write_report`` do). Target (issue 12): the whole under 15 s on the 2-core
reference machine. Timings are printed, never asserted.

Usage: python benchmarks/bench_report.py [--repeat N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from plasmatrial.cli.trial import example_trial, write_outputs, write_trial_data
from plasmatrial.intake.io import write_text
from plasmatrial.report.html import render_html
from plasmatrial.report.trial_report import build_trial_report
from plasmatrial.synth import simulate_trial_data
from plasmatrial.trial import run_trial
from plasmatrial.trial.files import read_trial, read_trial_data

SEED = 20240601
TARGET_S = 15.0


def main() -> None:
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    trial = read_trial(example_trial("mm_pom_lodex_vs_hidex.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        t0 = time.perf_counter()
        write_trial_data(simulate_trial_data(trial, seed=SEED), data)
        print(f"simulate-data (not timed in the total)  {time.perf_counter() - t0:7.2f} s")
        for k in range(repeat):
            stages: list[tuple[str, float]] = []
            t = time.perf_counter()
            inputs = read_trial_data(data)
            stages.append(("read inputs", time.perf_counter() - t))
            t = time.perf_counter()
            res = run_trial(trial, inputs)
            stages.append(("run_trial (analysis)", time.perf_counter() - t))
            t = time.perf_counter()
            doc = build_trial_report(res)
            stages.append(("build report (tables, figures)", time.perf_counter() - t))
            t = time.perf_counter()
            html = render_html(doc)
            stages.append(("render HTML", time.perf_counter() - t))
            t = time.perf_counter()
            out = Path(tmp) / f"out{k}"
            write_outputs(res, out)
            write_text(out / "report.html", html)
            stages.append(("write ADaM, results, report.html", time.perf_counter() - t))
            total = sum(s for _, s in stages)
            print(f"run {k + 1}: {res.adsl.height} patients, report.html {len(html) / 1e6:.1f} MB")
            for name, s in stages:
                print(f"  {name:36s} {s:7.2f} s")
            verdict = "within" if total < TARGET_S else "OVER"
            print(f"  {'total':36s} {total:7.2f} s  ({verdict} the {TARGET_S:.0f} s target)")


if __name__ == "__main__":
    main()
