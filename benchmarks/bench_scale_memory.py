"""Benchmark: where partitioned ``respond`` holds its memory, stage by stage (decision 0905).

Runs :func:`plasmatrial.partitioned.respond_partitioned` and
:func:`~plasmatrial.partitioned.write_outputs` in this process on the inputs that
``benchmarks/bench_scale.py --keep`` leaves (``DIR/dm.parquet``, ``lb.parquet``, ``ex.parquet``,
or ``.csv`` with ``--format csv``), with a thread that samples this process's RSS every 0.05 s.
It prints, as one JSON object: the peak RSS of each stage (DM read and cut, the split of each
domain, every partition, the two output files), the RSS when each stage ended, the CPU time and
the load average. Compare two sizes with the same partition size: what grows with the input
shows up in the stage that grows.

Usage::

    python benchmarks/bench_scale.py --sizes 3e5,1e6 --configs p5000 --work /tmp/b --keep
    python benchmarks/bench_scale_memory.py /tmp/b/al-300000 [--partition-size 5000]
    python benchmarks/bench_scale_memory.py /tmp/b/al-1000000

The process is started fresh by the shell, so its ``ru_maxrss`` is its own (a child of a large
process would inherit the parent's high-water mark: decision 0905).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from plasmatrial import partitioned as part

GIB = 2**30


class Stages:
    """Peak and final RSS per named stage, from a sampling thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.proc = psutil.Process()
        self.current = "start (DM read and cut)"
        self.order = [self.current]
        self.peak: dict[str, int] = {}
        self.end: dict[str, int] = {}
        self.interval = interval
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _note(self) -> int:
        rss = int(self.proc.memory_info().rss)
        self.peak[self.current] = max(self.peak.get(self.current, 0), rss)
        return rss

    def _sample(self) -> None:
        while not self.done.is_set():
            self._note()
            self.done.wait(self.interval)

    def enter(self, name: str) -> None:
        self.end[self.current] = self._note()
        self.current = name
        self.order.append(name)

    def wrap(self, fn: Callable[..., Any], label: Callable[..., str]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            self.enter(label(*args, **kwargs))
            try:
                return fn(*args, **kwargs)
            finally:
                self.enter("between stages")

        return inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a folder with dm, lb and ex files")
    parser.add_argument("--partition-size", type=int, default=part.DEFAULT_PARTITION_SIZE)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    args = parser.parse_args()
    stages = Stages()
    part._split = stages.wrap(part._split, lambda path, domain, *a, **k: f"split {domain}")
    part._run_part = stages.wrap(part._run_part, lambda task: f"partition {task.part.index}")
    part._write_one = stages.wrap(
        part._write_one, lambda files, schema, target, **k: f"write {target.name}"
    )
    files = {d: args.data / f"{d}.{args.format}" for d in ("dm", "lb", "ex")}
    load = os.getloadavg()
    stages.thread.start()
    t0, c0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench-scale-memory-") as tmp:
        run = part.respond_partitioned(
            files["dm"], files["lb"], files["ex"], workdir=Path(tmp) / "parts",
            partition_size=args.partition_size,
        )  # fmt: skip
        part.write_outputs(run, Path(tmp) / "calls.parquet", Path(tmp) / "subjects.parquet")
        stages.enter("end")
        stages.done.set()
        shutil.rmtree(Path(tmp) / "parts", ignore_errors=True)
    parts = [s for s in stages.order if s.startswith("partition ")]
    part_peaks = [stages.peak.get(s, 0) / GIB for s in parts]
    out: dict[str, Any] = {
        "data": str(args.data),
        "format": args.format,
        "partition_size": args.partition_size,
        "partitions": len(parts),
        "visits": run.n_visits,
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - c0, 1),
        "maxrss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "partition_peak_gib": {
            "max": round(max(part_peaks, default=0), 3),
            "first": round(part_peaks[0], 3) if part_peaks else None,
            "last": round(part_peaks[-1], 3) if part_peaks else None,
            "all": " ".join(f"{x:.2f}" for x in part_peaks),
        },
        "stages_gib": {
            s: {"peak": round(stages.peak.get(s, 0) / GIB, 3), "end": round(stages.end[s] / GIB, 3)}
            for s in dict.fromkeys(stages.order)
            if not s.startswith("partition ") and s in stages.end and s != "between stages"
        },
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
