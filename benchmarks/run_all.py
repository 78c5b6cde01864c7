"""Run every ``benchmarks/bench_*.py`` script in turn and print their figures.

Benchmarks are not tests: they print measured figures and ratios to peers measured in the same run.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def main() -> int:
    """Run each benchmark script found beside this file (optionally filtered by argv)."""
    here = Path(__file__).parent
    wanted = set(sys.argv[1:])
    for script in sorted(here.glob("bench_*.py")):
        if wanted and script.stem not in wanted:
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        runpy.run_path(str(script), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
