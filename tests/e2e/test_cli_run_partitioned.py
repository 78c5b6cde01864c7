"""``plasmatrial run --partition-size`` (decision 0902) through the real entry point: the ADaM
files and ``results.json`` of the in-memory run, from an LB file whose rows are shuffled."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from tests.e2e.cli import run_cli

ROOT = Path(__file__).parents[2]
TRIAL = ROOT / "examples" / "trials" / "al_darapom.yaml"


def test_run_in_partitions_writes_the_in_memory_outputs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sim = run_cli("simulate-data", str(TRIAL), "--seed", "3", "--out", str(data))
    assert sim.returncode == 0, sim.stderr[-2000:]
    lb = pl.read_csv(data / "lb.csv", infer_schema=False)
    lb.sample(fraction=1.0, shuffle=True, seed=1).write_csv(data / "lb.csv")
    outs = {}
    for name, extra in (("mem", []), ("part", ["--partition-size", "4"])):
        outs[name] = tmp_path / name
        res = run_cli("run", str(TRIAL), "--data", str(data), "--out", str(outs[name]), *extra)
        assert res.returncode == 0, res.stderr[-2000:]
        assert "not a substitute for clinical judgement" in res.stdout
    files = sorted(p.name for p in (outs["mem"] / "adam").glob("*.parquet"))
    assert {"adsl.parquet", "adrs.parquet", "adtte.parquet", "adlb.parquet"} <= set(files)
    assert files == sorted(p.name for p in (outs["part"] / "adam").glob("*.parquet"))
    for name in files:
        assert_frame_equal(
            pl.read_parquet(outs["mem"] / "adam" / name),
            pl.read_parquet(outs["part"] / "adam" / name),
            check_exact=True,
        )
    mem, part = (json.loads((outs[k] / "results.json").read_text("utf-8")) for k in outs)
    assert mem == part
    bad = run_cli(
        "run", str(TRIAL), "--data", str(data), "--out", str(tmp_path / "x"),
        "--partition-size", "0",
    )  # fmt: skip
    assert bad.returncode == 2 and "--partition-size" in bad.stderr
