"""Benchmark: wall time of short ``plasmatrial`` commands beside bare interpreter start-ups.

Each command runs in a fresh interpreter (as the console script does) with the source tree on
``PYTHONPATH``; the figure is the median of ``BENCH_RUNS`` runs (default 7) after one warm-up run
that fills the file cache. ``python -c pass`` is the floor; ``import polars`` shows what one heavy
import costs on the same machine. The target for ``--help``, ``version`` and ``stats ci`` is 0.3 s.

Usage: python benchmarks/bench_cli_startup.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
CLI = "from plasmatrial.cli.app import main; main()"
CASES: tuple[tuple[str, list[str]], ...] = (
    ("python -c pass", ["-c", "pass"]),
    ('python -c "import polars"', ["-c", "import polars"]),
    ("plasmatrial --help", ["-c", CLI, "--help"]),
    ("plasmatrial version", ["-c", CLI, "version"]),
    ("plasmatrial stats ci --x 19 --n 28", ["-c", CLI, "stats", "ci", "--x", "19", "--n", "28"]),
    (
        "plasmatrial stats ci ... --method wilson",
        ["-c", CLI, "stats", "ci", "--x", "19", "--n", "28", "--method", "wilson"],
    ),
    ("plasmatrial stats --help", ["-c", CLI, "stats", "--help"]),
)


def _wall(args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    runs = int(os.environ.get("BENCH_RUNS", "7"))
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "100"}
    print(f"median wall time of {runs} runs (s), {sys.executable}")
    for label, args in CASES:
        _wall(args, env)  # warm-up
        times = [_wall(args, env) for _ in range(runs)]
        print(f"{label:40s} {statistics.median(times):6.3f}  (min {min(times):.3f})", flush=True)


if __name__ == "__main__":
    main()
