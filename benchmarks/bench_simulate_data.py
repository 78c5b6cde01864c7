"""Benchmark: ``simulate_trial_data`` for each seed trial in ``examples/trials``.

Prints, per trial, the wall time of one generation (seed 20240601) and a SHA-256 over every
emitted domain's row hashes, so that a speed-up can be checked to leave the data unchanged
(compare the digests printed before and after).

Usage: python benchmarks/bench_simulate_data.py [trial-file-stem ...]
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

from plasmatrial.cli.trial import read_trial
from plasmatrial.synth import simulate_trial_data

TRIALS = Path(__file__).resolve().parent.parent / "examples" / "trials"
SEED = 20240601


def main() -> None:
    wanted = set(sys.argv[1:])
    total = 0.0
    for path in sorted(TRIALS.glob("*.yaml")):
        if wanted and path.stem not in wanted:
            continue
        trial = read_trial(path)
        t0 = time.perf_counter()
        data = simulate_trial_data(trial, seed=SEED)
        wall = time.perf_counter() - t0
        total += wall
        digest = hashlib.sha256()
        for name, frame in sorted(data.frames().items()):
            digest.update(name.encode())
            digest.update(str(frame.columns).encode())
            digest.update(frame.hash_rows().to_numpy().tobytes())
        print(f"{path.stem:28s} {wall:7.2f} s  data sha256 {digest.hexdigest()[:16]}", flush=True)
    print(f"{'total':28s} {total:7.2f} s")


if __name__ == "__main__":
    main()
