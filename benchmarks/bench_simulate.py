"""10,000 simulated two-arm trials of 455 patients (MM-003 scenario), each analysed by the
log-rank test and a Cox model (primary PFS and OS, with and without crossover), numpy backend;
and, when cupy is importable, the same on the GPU.

Prints wall time and trials per second (target on the 2-core reference machine: at most 60 s).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from plasmatrial.design.simulate import ArmScenario, SimulationDesign, simulate_trials

N_SIMS = int(os.environ.get("BENCH_SIMS", "10000"))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))


def mm003_design() -> SimulationDesign:
    """MM-003: 2:1, 455 patients over 18 months, PFS 4.0 vs 1.9, OS 12.7 vs 8.1, 50% crossover."""
    arms = (
        ArmScenario("POMLODEX", 2, 4.0, 12.7, p_response=0.31),
        ArmScenario("HIDEX", 1, 1.9, 8.1, crossover_fraction=0.5),
    )
    return SimulationDesign(
        arms,
        "HIDEX",
        n_patients=455,
        accrual=18.0,
        pfs_responder_hr=0.5,
        os_responder_hr=0.7,
        crossover_hr=0.65,
        dropout_rate=0.05,
        events=300,
    )


def run(backend: str) -> float:
    t0 = time.perf_counter()
    res = simulate_trials(
        mm003_design(),
        n_sims=N_SIMS,
        seed=1,
        backend=backend,
        batch_size=BATCH,  # type: ignore[arg-type]
    )
    wall = time.perf_counter() - t0
    c = res.comparisons[0]
    print(
        f"{backend:>6}: {N_SIMS} trials x 455 patients in {wall:.2f} s "
        f"({N_SIMS / wall:,.0f} trials/s); power {c.rejection_rate:.4f}, "
        f"PFS HR {c.primary.hr_geometric_mean:.3f} (true {c.primary.true_hr:.3f}), "
        f"OS HR {c.os.hr_geometric_mean:.3f} vs {c.os_nocross.hr_geometric_mean:.3f} "
        "without crossover"
    )
    return wall


def main() -> None:
    print(f"cpu count {os.cpu_count()}; batch size {BATCH}")
    cpu = run("numpy")
    if importlib.util.find_spec("cupy") is None:
        print("  cupy: not importable here, GPU not measured")
        return
    import cupy

    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    name = name.decode() if isinstance(name, bytes) else name
    run("cupy")  # warm-up (kernel compilation)
    gpu = run("cupy")
    print(f"  GPU {name}: speed-up {cpu / gpu:.1f}x over numpy")


if __name__ == "__main__":
    main()
