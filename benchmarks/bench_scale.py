"""Benchmark: ``plasmatrial respond`` at registry size, in memory, in partitions and on Dask.

For each size (subject-visits: distinct subject and assessment date, about 13 LB rows each) the
script writes a synthetic AL cohort with ``plasmatrial synth al --format parquet`` (in chunks, so
the input never sits in memory; or, with ``--replicate``, renamed copies of the 1M cohort) and
runs ``plasmatrial respond`` on it, each configuration in its own process (started by a small
launcher, so that its ``ru_maxrss`` is its own: decision 0905). Measured from outside: wall time;
CPU time (user + system of the process and every descendant it waited for); peak RSS of the whole
process tree (sampled every 0.2 s, summed over the process and its live descendants, never below
``ru_maxrss``). Configurations:

* ``memory``: today's in-memory run (``--partition-size`` not given; LB is below the automatic
  threshold at these sizes);
* ``partitions``: ``--partition-size 5000`` (subjects), partitions one after another;
  ``pN``: ``--partition-size N``; ``memN``: ``--memory-limit N`` MiB;
* ``dask1`` / ``dask2``: ``--scheduler local --workers 1|2`` (a LocalCluster of threads).

Every configuration writes Parquet; a result hash (an order-free sum of row hashes of the calls
and subject summaries, computed afterwards in another process) must be the same for all of them.

Usage::

    python benchmarks/bench_scale.py [--sizes 1e6,3e6] [--with-10m] [--configs memory,p10000]
                                     [--replicate] [--work DIR] [--keep] [--json FILE]

``--with-10m`` adds 10 million visits (and leaves out ``memory`` there: it needs far more than the
machine has). Quick check: ``--sizes 1e5 --configs memory,p2500``. Figures and the paper
calculation are in ``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl
import psutil  # type: ignore[import-untyped]

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


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return [proc]


#: Runs the measured command as its child and reports the child's ``RUSAGE_CHILDREN``. Linux
#: copies a parent's high-water RSS into a forked child and keeps it across ``exec``, so the
#: ``ru_maxrss`` of a command started straight from this script was never below this script's
#: own peak (2.0 GiB after ``--replicate`` of 3M visits: the "2.06 GiB at 3M" of decision 0905).
#: The launcher is a fresh, small process, so its child's maximum is the command's own.
_LAUNCHER = (
    "import json, resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "with open(sys.argv[1], 'w') as fh:\n"
    "    json.dump({'rc': rc, 'cpu': ru.ru_utime + ru.ru_stime, 'maxrss_kib': ru.ru_maxrss}, fh)\n"
)


def _measured(cmd: list[str], interval: float = 0.2) -> dict[str, float]:
    """Run ``cmd``: wall time, CPU time and peak RSS of its whole process tree.

    ``cmd`` runs as the child of a small launcher process (:data:`_LAUNCHER`), which reports
    ``RUSAGE_CHILDREN``: CPU time (user + system) of the command and every descendant it waited
    for (Dask worker processes, if any), and ``ru_maxrss`` (``maxrss_gib``, the largest single
    process, exact but not summed). Peak RSS is also sampled every ``interval`` s as the *sum*
    over the command and all its live descendants (the launcher left out); ``peak_rss_gib`` is
    the larger of the two, since a short spike between samples can escape the sampler.
    """
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        report = Path(tmp) / "rusage.json"
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(report), *cmd],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        launcher = psutil.Process(proc.pid)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                total = 0
                for p in _tree(launcher)[1:]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak = max(peak, total)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        err_chunks: list[bytes] = []
        reader = threading.Thread(
            target=lambda: err_chunks.append(proc.stderr.read() if proc.stderr else b""),
            daemon=True,
        )
        reader.start()
        proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        reader.join()
        err = b"".join(err_chunks).decode(errors="replace")
        usage = json.loads(report.read_text()) if report.is_file() else {"rc": proc.returncode}
    if proc.returncode != 0 or usage["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd[3:])}\n{err[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage["cpu"], 2),
        "peak_rss_gib": round(max(peak, usage["maxrss_kib"] * 1024) / 2**30, 2),
        "maxrss_gib": round(usage["maxrss_kib"] / 2**20, 2),
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


def replicate(base: Path, folder: Path, copies: int) -> dict[str, float]:
    """``copies`` copies of the cohort in ``base``, subjects renamed ``ID-R2`` ... ``ID-Rk``.

    A quick way to a large input (``--replicate``): the synthetic generator takes about
    60 CPU-seconds per million visits, and this takes a few. Every copy is a separate subject
    with the same values, so the work per visit is that of the generated cohort. Streamed in
    batches (one batch in memory: pyarrow's ``iter_batches``; polars' ``collect_batches`` read
    ahead and took this process to 2.0 GiB for 3 copies); the files appear when complete.
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    t0, c0 = time.perf_counter(), time.process_time()
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("dm", "lb", "ex"):
        tmp = folder / f".{name}.parquet.tmp"
        writer = None
        for k in range(copies):
            source = pq.ParquetFile(base / f"{name}.parquet")
            for record_batch in source.iter_batches(batch_size=1_000_000):
                batch = pl.DataFrame(pl.from_arrow(record_batch))
                if k:
                    suffix = f"-R{k + 1}"
                    fixes = [pl.col("USUBJID") + suffix]
                    if "SUBJID" in batch.columns:
                        fixes.append(pl.col("SUBJID") + suffix)
                    batch = batch.with_columns(fixes)
                table = batch.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
        assert writer is not None
        writer.close()
        tmp.rename(folder / f"{name}.parquet")
    return {
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round(time.process_time() - c0, 2),
    }


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


def _config(name: str) -> list[str]:
    """The ``respond`` options of a configuration (``p1000``: ``--partition-size 1000``)."""
    if name in CONFIGS:
        return CONFIGS[name]
    if name.startswith("p") and name[1:].isdigit():
        return ["--partition-size", name[1:]]
    if name.startswith("mem") and name[3:].isdigit():  # --memory-limit in MiB
        return ["--memory-limit", f"{name[3:]}MiB"]
    raise SystemExit(f"unknown configuration {name!r}: {', '.join(CONFIGS)}, pN or memN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e6,3e6", help="subject-visits, comma-separated")
    parser.add_argument("--with-10m", action="store_true", help="add 10 million visits")
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help=f"of {','.join(CONFIGS)}, pN (--partition-size N), memN (--memory-limit N MiB)",
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/plasmatrial-bench-scale"))
    parser.add_argument("--keep", action="store_true", help="keep the inputs for another run")
    parser.add_argument("--json", type=Path, help="append each result as a JSON line here")
    parser.add_argument(
        "--replicate",
        action="store_true",
        help="build sizes of k million visits as k renamed copies of the 1M cohort (fast)",
    )
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    if args.with_10m:
        sizes.append(10_000_000)
    configs = [c for c in args.configs.split(",") if c]
    for config in configs:
        _config(config)
    per_subject = visits_per_subject()
    print(f"# {per_subject:.2f} visits per synthetic subject; load {os.getloadavg()}", flush=True)
    rows = []
    for size in sizes:
        n_subjects = math.ceil(size / per_subject)
        data = args.work / f"al-{size}"
        copies = size // 1_000_000
        if args.replicate and copies > 1 and size == copies * 1_000_000:
            base = args.work / "al-1000000"
            make_data(base, math.ceil(1_000_000 / per_subject))
            if not (data / "ex.parquet").is_file():
                made = replicate(base, data, copies)
                print(f"replicated 1M x {copies}: {json.dumps(made)}", flush=True)
        else:
            made = make_data(data, n_subjects)
            if made:
                print(f"synth {n_subjects} subjects: {json.dumps(made)}", flush=True)
        n_subjects = pl.scan_parquet(data / "dm.parquet").select(pl.len()).collect().item()
        lb_rows = pl.scan_parquet(data / "lb.parquet").select(pl.len()).collect().item()
        for config in configs:
            if config == "memory" and size >= 10_000_000:
                continue
            out = args.work / f"out-{size}-{config}.parquet"
            cmd = _cli(
                "respond", "--dm", str(data / "dm.parquet"), "--lb", str(data / "lb.parquet"),
                "--ex", str(data / "ex.parquet"), "-o", str(out), "--show", "0", "--quiet",
                *_config(config),
            )  # fmt: skip
            load_before = os.getloadavg()[0]
            stats = _measured(cmd)
            digest = result_hash(out)
            row = {
                "visits": size,
                "subjects": n_subjects,
                "lb_rows": lb_rows,
                "config": config,
                **stats,
                "cpu_us_per_visit": round(stats["cpu_s"] / size * 1e6, 2),
                "visits_per_s": round(size / stats["wall_s"]),
                "hash": digest,
                "load_before": round(load_before, 2),
                "load_after": round(os.getloadavg()[0], 2),
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.json is not None:
                with args.json.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
            out.unlink(missing_ok=True)
            out.with_name(f"{out.stem}.subjects{out.suffix}").unlink(missing_ok=True)
            for hidden in out.parent.glob(f".{out.stem}.*"):  # the output set's generations
                if hidden.is_dir() and not hidden.is_symlink():
                    shutil.rmtree(hidden, ignore_errors=True)
                else:
                    hidden.unlink(missing_ok=True)
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
        hashes = {r["hash"] for r in rows if r["visits"] == size}
        print(f"# {size} visits: {'same result hash' if len(hashes) == 1 else 'HASHES DIFFER'}")
    print("| visits | config | wall (s) | CPU (s) | CPU us/visit | peak RSS tree (GiB) | load |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['visits']:,} | {r['config']} | {r['wall_s']} | {r['cpu_s']} | "
            f"{r['cpu_us_per_visit']} | {r['peak_rss_gib']} | {r['load_before']} |"
        )


if __name__ == "__main__":
    main()
