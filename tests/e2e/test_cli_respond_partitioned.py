"""``plasmatrial respond --partition-size/--scheduler`` (decision 0900): the same files as the
in-memory run, and nothing at the output path when a partition fails."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from plasmatrial.intake import write_frame
from plasmatrial.synth import generate_al_cohort
from tests.e2e.cli import run_cli


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("al")
    cohort = generate_al_cohort(12, seed=4)
    write_frame(cohort.dm, folder / "dm.csv")
    write_frame(cohort.lb.sample(fraction=1.0, shuffle=True, seed=2), folder / "lb.csv")
    write_frame(cohort.ex, folder / "ex.csv")
    return folder


def _respond(data: Path, out: Path, *extra: str, lb: Path | None = None) -> str:
    res = run_cli(
        "respond",
        "--dm",
        str(data / "dm.csv"),
        "--lb",
        str(lb or data / "lb.csv"),
        "--ex",
        str(data / "ex.csv"),
        "-o",
        str(out),
        "--show",
        "2",
        *extra,
    )
    assert res.returncode == (0 if lb is None else 2), res.stderr + res.stdout
    return res.stdout + res.stderr


def test_partitioned_and_distributed_write_the_in_memory_files(data: Path, tmp_path: Path) -> None:
    _respond(data, tmp_path / "mem.csv")
    text = _respond(data, tmp_path / "part.csv", "--partition-size", "5")
    assert "3 partitions of up to 5 subjects" in text
    assert "10 more subjects" in text
    text = _respond(
        data, tmp_path / "dask.parquet", "--scheduler", "local", "--workers", "1", "--quiet"
    )
    assert "Dask scheduler local" in text
    want = (tmp_path / "mem.csv").read_text().splitlines()
    got = (tmp_path / "part.csv").read_text().splitlines()
    assert got[0] == want[0] and sorted(got) == sorted(want)
    assert (tmp_path / "part.subjects.csv").read_bytes() == (
        tmp_path / "mem.subjects.csv"
    ).read_bytes()
    mem = pl.read_csv(tmp_path / "mem.csv", infer_schema=False)
    dask = pl.read_parquet(tmp_path / "dask.parquet").cast(pl.String)
    assert dask.sort(dask.columns).equals(mem.sort(mem.columns).select(dask.columns))


def test_a_failed_partition_leaves_nothing(data: Path, tmp_path: Path) -> None:
    lb = pl.read_csv(data / "lb.csv", infer_schema=False)
    last = sorted(lb.get_column("USUBJID").unique())[-1]
    bad = lb.with_columns(
        pl.when(pl.col("USUBJID") == last)
        .then(pl.lit("1e999x"))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES")
    )
    write_frame(bad, tmp_path / "bad.csv")
    out = tmp_path / "res" / "calls.csv"
    text = _respond(data, out, "--partition-size", "5", lb=tmp_path / "bad.csv")
    assert "partition 3 (subjects" in text and last in text
    assert sorted(p.name for p in out.parent.iterdir()) == [".calls.csv.lock"]


def test_chunked_synth_parquet_feeds_a_partitioned_respond(tmp_path: Path) -> None:
    data = tmp_path / "data"
    res = run_cli(
        "synth", "al", "--out", str(data), "--n", "25", "--chunk-size", "10", "--format",
        "parquet", "--quiet",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    dm = pl.read_parquet(data / "dm.parquet")
    lb = pl.read_parquet(data / "lb.parquet")
    assert dm.get_column("USUBJID").n_unique() == 25
    assert set(lb.get_column("USUBJID")) == set(dm.get_column("USUBJID"))
    assert not list(data.glob(".*.tmp"))
    common = ["--dm", str(data / "dm.parquet"), "--lb", str(data / "lb.parquet")]
    common += ["--ex", str(data / "ex.parquet"), "--show", "0"]
    mem = run_cli("respond", *common, "-o", str(tmp_path / "mem.csv"))
    part = run_cli("respond", *common, "-o", str(tmp_path / "part.csv"), "--partition-size", "4")
    assert mem.returncode == 0 and part.returncode == 0, mem.stderr + part.stderr
    want = (tmp_path / "mem.csv").read_text().splitlines()
    assert sorted((tmp_path / "part.csv").read_text().splitlines()) == sorted(want)


def test_memory_limit_and_file_urls(data: Path, tmp_path: Path) -> None:
    """``--memory-limit`` picks the partition size; inputs and ``-o`` as ``file://`` URLs."""
    _respond(data, tmp_path / "mem.csv")
    out = tmp_path / "url" / "calls.csv"
    res = run_cli(
        "respond", "--dm", (data / "dm.csv").as_uri(), "--lb", (data / "lb.csv").as_uri(),
        "--ex", str(data / "ex.csv"), "-o", out.as_uri(), "--show", "0", "--memory-limit", "1GiB",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    assert "1 partitions of up to" in res.stdout  # 1 GiB holds these 12 subjects at once
    want = (tmp_path / "mem.csv").read_text().splitlines()
    assert sorted(out.read_text().splitlines()) == sorted(want)
    assert (tmp_path / "url" / "calls.subjects.csv").is_file()
    both = run_cli(
        "respond", "--dm", str(data / "dm.csv"), "--lb", str(data / "lb.csv"),
        "-o", str(tmp_path / "x.csv"), "--memory-limit", "1G", "--partition-size", "3",
    )  # fmt: skip
    assert both.returncode != 0 and "not both" in both.stdout + both.stderr
