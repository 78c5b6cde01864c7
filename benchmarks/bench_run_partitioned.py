"""Benchmark: ``plasmatrial run`` in one piece against ``--partition-size`` (decision 0902).

The data are a synthetic AL-POMDEX-P2 trial (every domain: DM, LB, EX, AE, DS, QS, RS, PR, CM):
``plasmatrial simulate-data`` on the seed trial file with ``n_planned`` set to ``--base``
subjects, then, to reach ``--subjects``, renamed copies of those subjects (``-R1``, ``-R2`` ...
appended to ``USUBJID`` in every domain), which takes seconds instead of a calibrated simulation
of thousands of patients. Each configuration runs ``plasmatrial run`` in its own process and is
measured from outside, as ``bench_scale.py`` measures ``respond``: wall time; CPU time (user +
system of the process and its waited-for descendants, ``os.wait4``); peak RSS of the process
tree (sampled every 0.2 s) and ``ru_maxrss``. Configurations:

* ``memory``: ``plasmatrial run`` without options (validation and adjudication in one piece);
* ``pN``: ``--partition-size N`` (subjects), partitions one after another;
* ``daskN``: ``--scheduler local --workers N`` (partitions of 5,000 subjects, or ``--dask-size``).

Every configuration's ADaM files must be the same: a hash of each Parquet file's rows, in order,
is compared with the in-memory run's (the first configuration's).

Usage::

    python benchmarks/bench_run_partitioned.py [--subjects 4000] [--base 500]
                                               [--configs memory,p250,p1000] [--work DIR]
                                               [--keep] [--json FILE]

Quick check: ``--subjects 200 --base 100 --configs memory,p50``. Figures in
``docs/decisions/0902-partitioned-run.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import _cli, _env, _measured

ROOT = Path(__file__).resolve().parent.parent
TRIAL = ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml"
SEED = 20261207


def make_trial(work: Path, n: int) -> Path:
    """The seed trial file with ``n_planned: n``."""
    text, count = re.subn(
        r"^n_planned: \d+", f"n_planned: {n}", TRIAL.read_text("utf-8"), flags=re.M
    )
    if count != 1:
        raise SystemExit(f"{TRIAL}: no 'n_planned:' line")
    path = work / f"trial_{n}.yaml"
    path.write_text(text, "utf-8")
    return path


def make_data(work: Path, trial: Path, base: int, subjects: int) -> Path:
    """``subjects`` subjects: ``base`` simulated, the rest renamed copies of them."""
    folder = work / f"data_{subjects}"
    if (folder / "dm.csv").is_file():
        return folder
    seed_folder = work / f"data_base_{base}"
    if not (seed_folder / "dm.csv").is_file():
        cmd = _cli("simulate-data", str(trial), "--seed", str(SEED), "--out", str(seed_folder))
        subprocess.run([*cmd, "--quiet"], env=_env(), check=True, stdout=subprocess.DEVNULL)
    ids = sorted(pl.read_csv(seed_folder / "dm.csv", infer_schema=False)["USUBJID"].to_list())
    # Copy k holds the first min(base, subjects - k * base) subjects, renamed.
    copies = [ids[: min(base, subjects - k * base)] for k in range(-(-subjects // base))]
    tmp = Path(tempfile.mkdtemp(dir=work))
    for src in sorted(seed_folder.glob("*.csv")):
        frame = pl.read_csv(src, infer_schema=False)
        if "USUBJID" not in frame.columns:
            shutil.copy(src, tmp / src.name)
            continue
        parts = []
        for k, wanted in enumerate(copies):
            part = frame.filter(pl.col("USUBJID").is_in(wanted))
            if k:
                part = part.with_columns(pl.col("USUBJID") + f"-R{k}")
            parts.append(part)
        pl.concat(parts).write_csv(tmp / src.name)
    shutil.copy(seed_folder / "generator.json", tmp / "generator.json")
    tmp.rename(folder)
    return folder


def adam_hashes(out: Path) -> dict[str, str]:
    """SHA-256 of each ADaM Parquet file's rows, in order (an order-sensitive row hash)."""
    hashes = {}
    for path in sorted((out / "adam").glob("*.parquet")):
        frame = pl.read_parquet(path)
        digest = hashlib.sha256(str(frame.schema).encode())
        digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
        hashes[path.stem] = digest.hexdigest()[:16]
    return hashes


def config_args(name: str, dask_size: int) -> list[str]:
    if name == "memory":
        return []
    if name.startswith("p") and name[1:].isdigit():
        return ["--partition-size", name[1:]]
    if name.startswith("dask") and name[4:].isdigit():
        return [
            "--scheduler", "local", "--workers", name[4:], "--partition-size", str(dask_size)
        ]  # fmt: skip
    raise SystemExit(f"unknown configuration {name!r} (memory, pN, daskN)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=4000)
    ap.add_argument("--base", type=int, default=500, help="subjects actually simulated")
    ap.add_argument("--configs", default="memory,p250,p1000")
    ap.add_argument("--dask-size", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_run_part_"))
    work.mkdir(parents=True, exist_ok=True)
    base = min(args.base, args.subjects)
    try:
        trial = make_trial(work, base)
        data = make_data(work, trial, base, args.subjects)
        lb_rows = pl.scan_csv(data / "lb.csv", infer_schema=False).select(pl.len()).collect()
        visits = (
            pl.scan_csv(data / "lb.csv", infer_schema=False)
            .select("USUBJID", "LBDTC")
            .unique()
            .select(pl.len())
            .collect()
            .item()
        )
        print(
            f"{args.subjects} subjects, {visits} subject-visits, {lb_rows.item()} LB rows; "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        rows = []
        reference: dict[str, str] | None = None
        for name in args.configs.split(","):
            out = work / f"out_{name}"
            shutil.rmtree(out, ignore_errors=True)
            load = os.getloadavg()[0]
            cmd = _cli("run", str(trial), "--data", str(data), "--out", str(out))
            figures = _measured([*cmd, *config_args(name, args.dask_size)])
            hashes = adam_hashes(out)
            reference = reference or hashes
            same = hashes == reference
            row = {"config": name, **figures, "load": round(load, 1), "same_adam": same}
            rows.append(row)
            print(
                f"{name:>10}: wall {figures['wall_s']:7.2f} s  cpu {figures['cpu_s']:7.2f} s  "
                f"peak RSS {figures['peak_rss_gib']:.2f} GiB (ru_maxrss "
                f"{figures['maxrss_gib']:.2f})  load {load:.1f}  same ADaM: {same}",
                flush=True,
            )
            shutil.rmtree(out, ignore_errors=True)
            if not same:
                raise SystemExit(f"{name}: ADaM files differ from {args.configs.split(',')[0]}")
        if args.json:
            payload = {"subjects": args.subjects, "visits": visits, "runs": rows}
            args.json.write_text(json.dumps(payload, indent=1), "utf-8")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
