"""``run_trial(partition_size=...)`` (decision 0902): validation and adjudication per range of
subjects give the in-memory run's datasets, endpoint results and intake problems."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import plasmatrial.trial.partitions as partitions
from plasmatrial._partitions import subject_ranges
from plasmatrial.cli.app import app
from plasmatrial.cli.trial import write_trial_data
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.intake import check_frames, read_domain
from plasmatrial.synth import simulate_trial_data
from plasmatrial.trial import TrialInputs, TrialResults, run_trial
from plasmatrial.trial.derive import derive_adrs, time_origin
from plasmatrial.trial.files import read_trial, read_trial_data
from plasmatrial.trial.inputs import resolve_criteria
from plasmatrial.trial.partitions import ADLB_ROWS, derive_visits

ROOT = Path(__file__).resolve().parents[3]
TRIALS = ROOT / "examples" / "trials"
MM_IMAGING = ROOT / "tests" / "e2e" / "data" / "mm_imaging"


def _shuffled(inputs: TrialInputs, seed: int = 5) -> TrialInputs:
    """LB rows in random order: every subject's visits are scattered over the file."""
    lb = inputs.lb.sample(fraction=1.0, shuffle=True, seed=seed)
    return dataclasses.replace(inputs, lb=lb)


def _scattered(lb: pl.DataFrame) -> bool:
    """Some subject's LB rows are not one contiguous block."""
    runs = lb.select((pl.col("USUBJID") != pl.col("USUBJID").shift(1)).fill_null(value=True))
    return int(runs.to_series().sum()) > lb.get_column("USUBJID").n_unique()


def _trial_data(name: str, folder: Path, seed: int = 20240601) -> tuple[Any, TrialInputs]:
    trial = read_trial(TRIALS / f"{name}.yaml")
    write_trial_data(simulate_trial_data(trial, seed=seed), folder)
    return trial, _shuffled(read_trial_data(folder))


def _assert_same(a: TrialResults, b: TrialResults) -> None:
    assert list(a.datasets) == list(b.datasets)
    for name, frame in a.datasets.items():
        assert_frame_equal(frame, b.datasets[name], check_exact=True)
    assert [r.endpoint for r in a.endpoints] == [r.endpoint for r in b.endpoints]
    for x, y in zip(a.endpoints, b.endpoints, strict=True):
        assert_frame_equal(x.to_frame(), y.to_frame(), check_exact=True)
    assert_frame_equal(a.published, b.published, check_exact=True)
    assert a.notes == b.notes
    assert a.to_dict() == b.to_dict()


@pytest.fixture(scope="module")
def al(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, TrialInputs, TrialResults]:
    trial, inputs = _trial_data("al_pomdex_phase2", tmp_path_factory.mktemp("al"))
    assert _scattered(inputs.lb)
    return trial, inputs, run_trial(trial, inputs)


@pytest.mark.parametrize(("size", "scheduler"), [(3, None), (10, "local")])
def test_al_partitions_equal_the_in_memory_run(
    al: tuple[Any, TrialInputs, TrialResults], size: int, scheduler: str | None
) -> None:
    trial, inputs, whole = al
    seen: list[tuple[int, int]] = []
    part = run_trial(
        trial,
        inputs,
        partition_size=size,
        scheduler=scheduler,
        partition_progress=lambda done, total: seen.append((done, total)),
    )
    n = -(-inputs.dm.height // size)
    assert seen == [(k, n) for k in range(1, n + 1)]
    assert {"ADSL", "ADRS", "ADTTE", "ADLB", "ADEX", "ADAE"} <= set(whole.datasets)
    _assert_same(whole, part)


def test_myeloma_partitions_equal_the_in_memory_run(tmp_path: Path) -> None:
    trial, inputs = _trial_data("mm_pom_two_schedules", tmp_path)
    assert trial.disease.lower() == "mm"
    assert _scattered(inputs.lb)
    _assert_same(run_trial(trial, inputs), run_trial(trial, inputs, partition_size=12))


def test_imaging_domains_are_cut_by_subject() -> None:
    """TU and TR (myeloma imaging) go with their subjects; the frames equal one piece's (of
    the standardised LB, the rows ADLB grades; ``SRCROW`` is checked by ADLB above)."""
    frames = {d: read_domain(MM_IMAGING / f"{d}.csv", d.upper()) for d in ("dm", "lb", "ex")}
    tu = read_domain(MM_IMAGING / "tu.csv", "TU")
    tr = read_domain(MM_IMAGING / "tr.csv", "TR")
    lb = frames["lb"].reverse()  # the last subject's rows first
    inputs = TrialInputs(dm=frames["dm"], lb=lb, ex=frames["ex"], tu=tu, tr=tr)
    trial = read_trial(TRIALS / "mm_pom_two_schedules.yaml")
    visits = derive_visits(trial, inputs, partition_size=1)
    assert visits is not None and len(visits.parts) == 3
    problems, bundle = check_frames(inputs.dm, lb, inputs.ex, tu=tu, tr=tr)
    assert not problems and bundle is not None
    assert bundle.assessments.get_column("NEWLESFL").drop_nulls().len() > 0
    adrs = derive_adrs(
        trial,
        bundle.assessments,
        resolve_criteria(trial),
        first_dose=time_origin(bundle.dm, bundle.ex),
    )
    assert_frame_equal(visits.bundle.lb, bundle.lb.filter(ADLB_ROWS), check_exact=True)
    assert_frame_equal(visits.bundle.assessments, bundle.assessments, check_exact=True)
    assert_frame_equal(visits.adrs, adrs, check_exact=True)


def _problems(trial: Any, inputs: TrialInputs, **kwargs: Any) -> Counter[Any]:
    with pytest.raises(IntakeError) as info:
        run_trial(trial, inputs, **kwargs)
    return Counter(info.value.problems)


def test_every_partitions_problems_are_reported_in_file_rows(
    al: tuple[Any, TrialInputs, TrialResults],
) -> None:
    trial, inputs, _ = al
    lb = inputs.lb.with_row_index("_I")
    ids = sorted(inputs.dm.get_column("USUBJID").to_list())
    # Bad numbers in the first, a middle and the last range; a duplicated row (its problem cites
    # the first copy's data row); a subject that is not in DM.
    bad = pl.col("USUBJID").is_in([ids[0], ids[13], ids[-1]]) & (pl.col("_I") % 7 == 0)
    lb = lb.with_columns(
        pl.when(bad).then(pl.lit("n/a")).otherwise(pl.col("LBORRES")).alias("LBORRES")
    ).drop("_I")
    stray = lb.head(1).with_columns(pl.lit("NOT-IN-DM").alias("USUBJID"))
    lb = pl.concat([lb, lb.slice(40, 1), stray])
    broken = dataclasses.replace(inputs, lb=lb)
    whole = _problems(trial, broken)
    assert any("first at data row" in p.expected for p in whole)
    assert len(whole) > 10
    assert _problems(trial, broken, partition_size=3) == whole


def test_a_file_wide_unit_mixup_is_found_with_small_partitions(
    al: tuple[Any, TrialInputs, TrialResults],
) -> None:
    """Rule D judges the whole file; no partition of 3 subjects could (decision 0105)."""
    trial, inputs, _ = al
    flc = pl.col("LBTESTCD").is_in(["FLCKAP", "FLCLAM"])
    lb = inputs.lb.with_columns(
        pl.when(flc)
        .then((pl.col("LBORRES").cast(pl.Float64) / 10).round(4).cast(pl.String))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES"),
    )
    broken = dataclasses.replace(inputs, lb=lb)
    whole = _problems(trial, broken)
    assert any(p.row is None and "whole file" in p.expected for p in whole)
    assert _problems(trial, broken, partition_size=3) == whole
    # --accept-units: no unit checks, the same results in partitions as in one piece.
    _assert_same(
        run_trial(trial, broken, accept_units=True),
        run_trial(trial, broken, accept_units=True, partition_size=7),
    )


def test_a_failed_partition_names_its_subjects_and_leaves_no_output(
    al: tuple[Any, TrialInputs, TrialResults],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trial, inputs, _ = al
    victim = sorted(inputs.dm.get_column("USUBJID").to_list())[17]
    parts, _ = subject_ranges(inputs.dm, 5)
    label = next(p.label for p in parts if p.first <= victim <= p.last)

    def failing(trial: Any, assessments: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        if victim in assessments.get_column("USUBJID").to_list():
            raise RuntimeError("engine broke")
        return derive_adrs(trial, assessments, *args, **kwargs)

    monkeypatch.setattr(partitions, "derive_adrs", failing)
    with pytest.raises(PlasmatrialError, match="engine broke") as info:
        run_trial(trial, inputs, partition_size=5)
    assert str(info.value).startswith(f"{label} failed: RuntimeError")

    data = tmp_path / "data"
    data.mkdir()
    for name in ("dm", "lb", "ex"):
        getattr(inputs, name).write_csv(data / f"{name}.csv")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["run", str(TRIALS / "al_pomdex_phase2.yaml"), "--data", str(data), "--out", str(out),
         "--partition-size", "5"],
    )  # fmt: skip
    assert isinstance(res.exception, PlasmatrialError)
    assert label in str(res.exception) and "engine broke" in str(res.exception)
    assert not out.exists()


def test_a_bad_partition_size_is_refused(al: tuple[Any, TrialInputs, TrialResults]) -> None:
    trial, inputs, _ = al
    with pytest.raises(PlasmatrialError, match="--partition-size must be at least 1"):
        run_trial(trial, inputs, partition_size=0)
