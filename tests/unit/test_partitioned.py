"""Partitioned ``respond`` (decision 0900): the same calls as the in-memory run, at any partition
size, serially or on Dask, including a subject whose visits are scattered over the LB file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from plasmatrial.api import read_sdtm, respond
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.intake import write_frame
from plasmatrial.intake.egfr import egfr_ckd_epi_expr
from plasmatrial.partitioned import (
    BASE_BYTES,
    BYTES_PER_LB_ROW,
    DM_BYTES_PER_SUBJECT,
    PartitionedRun,
    parse_bytes,
    partition_size_for,
    publish,
    respond_partitioned,
    write_outputs,
)
from plasmatrial.synth import generate_al_cohort

MM = Path(__file__).resolve().parents[1] / "e2e" / "data" / "mm_imaging"


@pytest.fixture(scope="module")
def al_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 24-subject AL cohort with DM, LB and EX rows shuffled (no subject's visits are
    contiguous, and DM is not in subject order)."""
    folder = tmp_path_factory.mktemp("al")
    cohort = generate_al_cohort(24, seed=11)
    lb = cohort.lb.sample(fraction=1.0, shuffle=True, seed=5)
    write_frame(cohort.dm.sample(fraction=1.0, shuffle=True, seed=6), folder / "dm.csv")
    write_frame(lb, folder / "lb.csv")
    write_frame(lb, folder / "lb.parquet")
    write_frame(cohort.ex.sample(fraction=1.0, shuffle=True, seed=7), folder / "ex.csv")
    return folder


@pytest.fixture(scope="module")
def al_expected(al_files: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    res = respond(read_sdtm(al_files / "dm.csv", al_files / "lb.csv", al_files / "ex.csv"))
    return res.visits, res.subjects


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """One in-process LocalCluster for the module (starting one costs seconds)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as local:
        yield local.scheduler_address


def _same(run: PartitionedRun, visits: pl.DataFrame, subjects: pl.DataFrame) -> None:
    got_v, got_s = run.visits().collect(), run.subjects().collect()
    assert got_v.columns == visits.columns
    assert got_s.columns == subjects.columns
    assert got_v.sort(got_v.columns).equals(visits.sort(visits.columns))
    assert got_s.sort("USUBJID").equals(subjects.sort("USUBJID"))


def test_fixture_scatters_a_subjects_visits(al_files: Path) -> None:
    ids = pl.read_csv(al_files / "lb.csv").get_column("USUBJID")
    rows = ids.eq(ids[0]).arg_true()
    assert rows.len() > 2 and rows.diff().drop_nulls().max() > 1  # not one contiguous block
    dm = pl.read_csv(al_files / "dm.csv").get_column("USUBJID")
    assert not dm.equals(dm.sort())


@pytest.mark.parametrize("workers", [1, 2])
def test_local_cluster_equals_in_memory(
    al_files: Path, al_expected: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path, workers: int
) -> None:
    """``scheduler="local"``: the LocalCluster made by ``plasmatrial._dask.dask_client``."""
    pytest.importorskip("distributed")
    run = respond_partitioned(
        al_files / "dm.csv",
        al_files / "lb.parquet",
        al_files / "ex.csv",
        workdir=tmp_path / "work",
        partition_size=5,
        scheduler="local",
        n_workers=workers,
    )
    assert len(run.parts) == 5
    _same(run, *al_expected)


def test_fsspec_urls_in_and_out(
    al_files: Path, al_expected: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    """Inputs as ``file://`` and ``memory://`` URLs (one also folded by ``Path``, as a command
    line option reads it); the outputs published to ``memory://`` and to a ``file://`` URL."""
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    memory.put_file(str(al_files / "lb.parquet"), "/t_urls/in/lb.parquet")
    memory.put_file(str(al_files / "ex.csv"), "/t_urls/in/ex.csv")
    try:
        run = respond_partitioned(
            (al_files / "dm.csv").as_uri(),
            Path("memory://t_urls/in/lb.parquet"),  # Path folds it to memory:/t_urls/...
            "memory://t_urls/in/ex.csv",
            workdir=tmp_path / "work",
            partition_size=7,
        )
        _same(run, *al_expected)
        write_outputs(run, tmp_path / "calls.parquet", tmp_path / "subjects.parquet")
        publish(
            [
                (tmp_path / "calls.parquet", "memory://t_urls/out/calls.parquet"),
                (tmp_path / "subjects.parquet", (tmp_path / "published.parquet").as_uri()),
            ]
        )
        with memory.open("/t_urls/out/calls.parquet", "rb") as fh:
            calls = pl.read_parquet(fh)
        assert calls.sort(calls.columns).equals(al_expected[0].sort(calls.columns))
        assert memory.ls("/t_urls/out", detail=False) == ["/t_urls/out/calls.parquet"]
        assert (
            pl.read_parquet(tmp_path / "published.parquet")
            .sort("USUBJID")
            .equals(al_expected[1].sort("USUBJID"))
        )
        with pytest.raises(PlasmatrialError, match=r"EX file not found: memory://t_urls/no\.csv"):
            respond_partitioned(
                al_files / "dm.csv",
                al_files / "lb.csv",
                "memory://t_urls/no.csv",
                workdir=tmp_path / "work2",
            )
    finally:
        memory.rm("/t_urls", recursive=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4GiB", 4 * 2**30), ("3.5G", 3_500_000_000), ("500 MB", 500_000_000), ("1e9", 10**9)],
)
def test_parse_bytes(text: str, expected: int) -> None:
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "4 parsecs", "GiB", "-1G"])
def test_parse_bytes_refuses(text: str) -> None:
    with pytest.raises(PlasmatrialError, match="--memory-limit: expected a size"):
        parse_bytes(text)


def test_partition_size_for_a_memory_limit() -> None:
    """Grows with the limit, shrinks with rows per subject and with workers, and refuses a limit
    without room for one subject."""
    kw = {"n_subjects": 100_000, "lb_rows": 13_000_000}
    small = partition_size_for(2 * 2**30, **kw)
    large = partition_size_for(4 * 2**30, **kw)
    assert 1 <= small < large
    assert partition_size_for(4 * 2**30, **kw, workers=2) == pytest.approx(large / 2, abs=1)
    assert partition_size_for(4 * 2**30, n_subjects=100_000, lb_rows=26_000_000) < large
    with pytest.raises(PlasmatrialError, match=r"--memory-limit 100 MiB is too small .* at least"):
        partition_size_for(100 * 2**20, **kw)


def test_memory_limit_sets_the_partition_size(
    al_files: Path, al_expected: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    lb_rows = pl.read_parquet(al_files / "lb.parquet").height
    limit = BASE_BYTES + DM_BYTES_PER_SUBJECT * 24 + BYTES_PER_LB_ROW * lb_rows // 3
    run = respond_partitioned(
        al_files / "dm.csv",
        al_files / "lb.parquet",
        al_files / "ex.csv",
        workdir=tmp_path / "work",
        memory_limit=limit,
    )
    assert run.partition_size == partition_size_for(limit, n_subjects=24, lb_rows=lb_rows)
    assert 1 < len(run.parts) == -(-24 // run.partition_size)
    _same(run, *al_expected)


@pytest.mark.parametrize(("size", "lb_name"), [(1, "lb.csv"), (5, "lb.parquet"), (100, "lb.csv")])
def test_partitioned_equals_in_memory(
    al_files: Path,
    al_expected: tuple[pl.DataFrame, pl.DataFrame],
    tmp_path: Path,
    size: int,
    lb_name: str,
) -> None:
    run = respond_partitioned(
        al_files / "dm.csv",
        al_files / lb_name,
        al_files / "ex.csv",
        workdir=tmp_path / "work",
        partition_size=size,
    )
    assert len(run.parts) == -(-24 // size)
    assert run.n_subjects == 24
    _same(run, *al_expected)


def test_distributed_equals_in_memory(
    al_files: Path, al_expected: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path, cluster: str
) -> None:
    seen: list[tuple[int, int]] = []
    run = respond_partitioned(
        al_files / "dm.csv",
        al_files / "lb.csv",
        al_files / "ex.csv",
        workdir=tmp_path / "work",
        partition_size=7,
        scheduler=cluster,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (4, 4)
    _same(run, *al_expected)


def test_written_csv_equals_in_memory_csv(
    al_files: Path, al_expected: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path
) -> None:
    run = respond_partitioned(
        al_files / "dm.csv",
        al_files / "lb.csv",
        al_files / "ex.csv",
        workdir=tmp_path / "work",
        partition_size=5,
    )
    write_outputs(run, tmp_path / "calls.csv", tmp_path / "subjects.csv")
    write_outputs(run, tmp_path / "calls.parquet", tmp_path / "subjects.parquet")
    write_frame(al_expected[0], tmp_path / "mem.csv")
    write_frame(al_expected[1], tmp_path / "mem.subjects.csv")
    got = (tmp_path / "calls.csv").read_text().splitlines()
    want = (tmp_path / "mem.csv").read_text().splitlines()
    assert got[0] == want[0] and sorted(got) == sorted(want)  # byte for byte after sorting
    assert (tmp_path / "subjects.csv").read_bytes() == (tmp_path / "mem.subjects.csv").read_bytes()
    parquet = pl.read_parquet(tmp_path / "calls.parquet")
    assert parquet.sort(parquet.columns).equals(al_expected[0].sort(al_expected[0].columns))


def test_myeloma_with_imaging_equals_in_memory(tmp_path: Path) -> None:
    res = respond(
        read_sdtm(MM / "dm.csv", MM / "lb.csv", MM / "ex.csv", tu=MM / "tu.csv", tr=MM / "tr.csv"),
        disease="mm",
    )
    run = respond_partitioned(
        MM / "dm.csv",
        MM / "lb.csv",
        MM / "ex.csv",
        tu=MM / "tu.csv",
        tr=MM / "tr.csv",
        disease="mm",
        workdir=tmp_path / "work",
        partition_size=1,
    )
    assert len(run.parts) > 1
    _same(run, res.visits, res.subjects)


def test_bad_partition_names_its_subject_range(al_files: Path, tmp_path: Path) -> None:
    lb = pl.read_csv(al_files / "lb.csv", infer_schema=False)
    victim = sorted(lb.get_column("USUBJID").unique())[10]
    bad = lb.with_columns(
        pl.when(pl.col("USUBJID") == victim)
        .then(pl.lit("not a number"))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES")
    )
    write_frame(bad, tmp_path / "lb.csv")
    with pytest.raises(IntakeError, match=r"partition 3 \(subjects .* \.\. .*\)") as info:
        respond_partitioned(
            al_files / "dm.csv",
            tmp_path / "lb.csv",
            al_files / "ex.csv",
            workdir=tmp_path / "work",
            partition_size=5,
        )
    assert all(p.file == str(tmp_path / "lb.csv") for p in info.value.problems)


def test_csv_is_split_through_one_parquet_copy_that_is_removed(
    al_files: Path, tmp_path: Path
) -> None:
    """A CSV domain is converted once into the work folder (decision 0905), then removed."""
    work = tmp_path / "work"
    run = respond_partitioned(
        al_files / "dm.csv", al_files / "lb.csv", al_files / "ex.csv", workdir=work,
        partition_size=7,
    )  # fmt: skip
    assert run.n_subjects == 24
    assert sorted(p.name for p in (work / "lb").iterdir()) == [f"{i}.parquet" for i in range(4)]
    assert not list(work.rglob("*.from-csv.parquet"))


def test_a_malformed_csv_names_its_file(al_files: Path, tmp_path: Path) -> None:
    text = (al_files / "lb.csv").read_text()
    (tmp_path / "lb.csv").write_text(text + "A,LB,S1,1,X,y,1,g/L,,2024-01-01,V1,1,extra,extra\n")
    with pytest.raises(PlasmatrialError, match=r"cannot read .*lb\.csv: .*fields"):
        respond_partitioned(
            al_files / "dm.csv",
            tmp_path / "lb.csv",
            al_files / "ex.csv",
            workdir=tmp_path / "work",
            partition_size=5,
        )


def test_refuses_a_partition_size_below_one(al_files: Path, tmp_path: Path) -> None:
    with pytest.raises(PlasmatrialError, match="partition-size"):
        respond_partitioned(
            al_files / "dm.csv", al_files / "lb.csv", workdir=tmp_path, partition_size=0
        )


@pytest.mark.parametrize("n", [1, 2, 9])
def test_egfr_does_not_depend_on_the_other_rows(n: int) -> None:
    """A subject's eGFR is the same alone, among men only, and among men and women."""
    frame = pl.DataFrame(
        {"c": [1.17] * n, "age": [80.0] * n, "sex": ["M"] * (n - 1) + ["M" if n < 9 else "F"]}
    )
    got = frame.select(
        egfr_ckd_epi_expr(
            pl.col("c"), pl.col("age"), pl.col("sex"), pl.lit(False), equation="CKD-EPI 2009"
        )
    ).to_series()
    alone = 141.0 * (1.17 / 0.9) ** -1.209 * 0.993**80.0
    assert got[0] == pytest.approx(alone, rel=1e-14)
    first = pl.DataFrame({"c": [1.17], "age": [80.0], "sex": ["M"]}).select(
        egfr_ckd_epi_expr(
            pl.col("c"), pl.col("age"), pl.col("sex"), pl.lit(False), equation="CKD-EPI 2009"
        )
    )
    assert got[0] == first.item()  # exactly, not approximately


def test_an_engine_error_names_the_partition(
    al_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = respond
    calls: list[int] = []

    def flaky(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("plasmatrial.partitioned.respond", flaky)
    with pytest.raises(PlasmatrialError, match=r"partition 2 \(subjects \S+ \.\. \S+\) failed: "
                       r"RuntimeError: boom"):  # fmt: skip
        respond_partitioned(
            al_files / "dm.csv", al_files / "lb.csv", workdir=tmp_path, partition_size=10
        )


def test_a_local_cluster_needs_a_worker() -> None:
    from plasmatrial._dask import dask_client

    with (
        pytest.raises(PlasmatrialError, match="at least 1 worker"),
        dask_client("local", n_workers=0),
    ):
        pass  # pragma: no cover


@pytest.mark.parametrize("organ_flags", [True, False])
def test_al_data_as_myeloma_is_refused_as_in_memory(
    al_files: Path, tmp_path: Path, organ_flags: bool
) -> None:
    """The AL-look refusal is decided over the whole input: the same message as in memory."""
    dm = pl.read_csv(al_files / "dm.csv")
    lb = pl.read_csv(al_files / "lb.csv", infer_schema=False)
    if not organ_flags:  # and no M-protein: nobody is measurable by IMWG
        dm = dm.drop("HEARTFL", "KIDNEYFL", "LIVERFL")
        lb = lb.filter(~pl.col("LBTESTCD").is_in(["SPEPMP", "PROT24H"]))
    write_frame(dm, tmp_path / "dm.csv")
    write_frame(lb, tmp_path / "lb.csv")
    with pytest.raises(PlasmatrialError) as mem:
        respond(
            read_sdtm(tmp_path / "dm.csv", tmp_path / "lb.csv", al_files / "ex.csv"),
            disease="mm",
        )
    with pytest.raises(PlasmatrialError) as part:
        respond_partitioned(
            tmp_path / "dm.csv",
            tmp_path / "lb.csv",
            al_files / "ex.csv",
            disease="mm",
            workdir=tmp_path / "work",
            partition_size=5,
        )
    assert str(part.value) == str(mem.value)
    assert ("organ involvement" in str(mem.value)) == organ_flags
    assert organ_flags or "no subject has a measurable" in str(mem.value)
