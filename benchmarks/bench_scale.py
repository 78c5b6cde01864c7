"""Benchmark: ``plasmatrial respond`` at registry size, in memory, in partitions and on Dask.

For each size (subject-visits: distinct subject and assessment date, about 13 LB rows each) the
script writes a synthetic AL cohort with ``plasmatrial synth al --format parquet`` (in chunks, so
the input never sits in memory) and runs ``plasmatrial respond`` on it, each configuration in its
own process, timed from outside with ``os.wait4`` (wall time, CPU time and peak RSS of that
process alone):

* ``memory``: today's in-memory run (``--partition-size`` not given; LB is below the automatic
  threshold at these sizes);
* ``partitions``: ``--partition-size 5000`` (subjects), partitions one after another;
* ``dask1`` / ``dask2``: ``--scheduler local --workers 1|2`` (a LocalCluster of threads, so the
  peak RSS still covers every worker).

Every configuration writes Parquet; a result hash (an order-free sum of row hashes of the calls
and subject summaries, computed afterwards in another process) must be the same for all of them.

Usage::

    python benchmarks/bench_scale.py [--sizes 1e6,3e6] [--with-10m] [--configs memory,partitions]
                                     [--work DIR] [--keep]

``--with-10m`` adds 10 million visits (and leaves out ``memory`` there: it needs far more than the
machine has). Figures and the paper calculation are in ``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
CONFIGS = {
    "memory": [],
    "partitions": ["--partition-size", "5000"],
    "dask1": ["--scheduler", "local", "--workers", "1"],
    "dask2": ["--scheduler", "local", "--workers", "2"],
}
SEED = 20261206
CHUNK = 5_000


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from plasmatrial.cli.app import main; main()", *args]


def _measured(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd``; wall time, CPU time (user + system) and peak RSS (GiB) of that process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd[3:])}\n{err[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_gib": round(usage.ru_maxrss / 2**20, 2),
    }


def visits_per_subject() -> float:
    """Mean subject-visits per synthetic subject (a 300-subject pilot)."""
    sys.path.insert(0, str(SRC))
    from plasmatrial.synth import generate_al_cohort

    lb = generate_al_cohort(300, seed=SEED).lb
    return lb.select("USUBJID", "LBDTC").unique().height / 300


def make_data(folder: Path, n_subjects: int) -> dict[str, float]:
    if (folder / "lb.parquet").is_file():
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    return _measured(
        _cli(
            "synth", "al", "--out", str(folder), "--n", str(n_subjects), "--seed", str(SEED),
            "--format", "parquet", "--chunk-size", str(CHUNK), "--quiet",
        )
    )  # fmt: skip


def result_hash(out: Path) -> str:
    """An order-free hash of the calls and summaries (sum of row hashes, computed lazily)."""
    code = (
        "import polars as pl, sys\n"
        "def h(p):\n"
        "    lf = pl.scan_parquet(p)\n"
        "    cols = sorted(lf.collect_schema().names())\n"
        "    return lf.select(pl.struct(cols).hash(seed=1).mod(2**31).cast(pl.Int64).sum(),"
        " pl.len()).collect(engine='streaming').row(0)\n"
        "print(h(sys.argv[1]), h(sys.argv[2]))\n"
    )
    subjects = out.with_name(f"{out.stem}.subjects{out.suffix}")
    res = subprocess.run(
        [sys.executable, "-c", code, str(out), str(subjects)],
        capture_output=True,
        text=True,
        check=True,
    )
    return res.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,3e6", help="subject-visits, comma-separated")
    parser.add_argument("--with-10m", action="store_true", help="add 10 million visits")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="of " + ",".join(CONFIGS))
    parser.add_argument("--work", type=Path, default=Path("/tmp/plasmatrial-bench-scale"))
    parser.add_argument("--keep", action="store_true", help="keep the inputs for another run")
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    if args.with_10m:
        sizes.append(10_000_000)
    configs = [c for c in args.configs.split(",") if c]
    per_subject = visits_per_subject()
    print(f"# {per_subject:.2f} visits per synthetic subject; load {os.getloadavg()[0]:.2f}")
    rows = []
    for size in sizes:
        n_subjects = math.ceil(size / per_subject)
        data = args.work / f"al-{size}"
        made = make_data(data, n_subjects)
        if made:
            print(f"synth {n_subjects} subjects: {json.dumps(made)}", flush=True)
        lb_rows = pl.scan_parquet(data / "lb.parquet").select(pl.len()).collect().item()
        for config in configs:
            if config == "memory" and size >= 10_000_000:
                continue
            out = args.work / f"out-{size}-{config}.parquet"
            cmd = _cli(
                "respond", "--dm", str(data / "dm.parquet"), "--lb", str(data / "lb.parquet"),
                "--ex", str(data / "ex.parquet"), "-o", str(out), "--show", "0", "--quiet",
                *CONFIGS[config],
            )  # fmt: skip
            stats = _measured(cmd)
            digest = result_hash(out)
            row = {
                "visits": size,
                "subjects": n_subjects,
                "lb_rows": lb_rows,
                "config": config,
                **stats,
                "visits_per_s": round(size / stats["wall_s"]),
                "hash": digest,
                "load": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            out.unlink(missing_ok=True)
            out.with_name(f"{out.stem}.subjects{out.suffix}").unlink(missing_ok=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
        hashes = {r["hash"] for r in rows if r["visits"] == size}
        print(f"# {size} visits: {'same result hash' if len(hashes) == 1 else 'HASHES DIFFER'}")
    print("| visits | config | wall (s) | CPU (s) | peak RSS (GiB) | visits/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['visits']:,} | {r['config']} | {r['wall_s']} | {r['cpu_s']} | "
            f"{r['peak_rss_gib']} | {r['visits_per_s']:,} |"
        )


if __name__ == "__main__":
    main()
