"""The per-visit derivations of ``run`` in partitions of subjects (decision 0902).

:func:`plasmatrial.trial.run_trial` validates DM, LB, EX (and TU/TR) and adjudicates every
subject-visit (ADRS) before it derives anything per subject. Both steps only ever look at one
subject's rows, so with ``partition_size`` they run per range of subjects: the ranges, the rows
of each range and the loop over them (here, or as Dask tasks) are those of the partitioned
``respond`` (:mod:`plasmatrial._partitions`). Each partition runs the in-memory code:
:func:`plasmatrial.intake.check_frames` on its rows, then :func:`~plasmatrial.trial.derive.
time_origin` and :func:`~plasmatrial.trial.derive.derive_adrs`. The partitions' standardised LB,
wide assessment frame and ADRS, concatenated in subject order, are the in-memory run's frames row
for row:

* the three frames are sorted by ``USUBJID`` first, and the ranges follow the same order;
* a partition's LB rows keep their order in the input, so a subject whose visits are scattered
  over LB gets all of them, in the same order, and ``SRCROW`` (the standardised record's LB row)
  is mapped back to the row of the whole LB;
* DM, EX, TU and TR stay the frames as read (the bundle carries them unchanged).

Intake problems. Every partition is validated, also after one has failed, and the problems of all
of them are reported together, with rows (and the "first at data row N" of duplicates) counted in
the whole input, as the in-memory run counts them. One check is not per subject: rule D of the
FLC unit check (decision 0101) judges a subject against the median of the whole file, and the
file as a whole. The partitions therefore skip the unit checks, and rules A-E run once over the
FLC rows of the whole LB (a small share of it), unless ``accept_units``. The problems listed are
the in-memory run's, ordered by file, row and column (the in-memory run keeps the order of the
checks). Inputs that cannot be cut by subject (no ``USUBJID`` column) are validated whole.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl

from plasmatrial._partitions import (
    Partition,
    map_partitions,
    partition_rows,
    subject_ranges,
)
from plasmatrial.design.protocol import Trial
from plasmatrial.errors import IntakeError, PlasmatrialError, Problem
from plasmatrial.intake import SdtmBundle, check_frames
from plasmatrial.intake.analytes import ALIAS_TO_CODE
from plasmatrial.intake.lbprep import prepare_lb
from plasmatrial.intake.mixup import FLC_CODES, flc_unit_mixups
from plasmatrial.intake.validate import LB_REQUIRED
from plasmatrial.trial.derive import CTCAE_GRADED_CODES, derive_adrs, time_origin
from plasmatrial.trial.inputs import TrialInputs, resolve_criteria

__all__ = ["DEFAULT_PARTITION_SIZE", "VisitDerivations", "derive_visits"]

#: Subjects per partition of ``plasmatrial run --scheduler`` without ``--partition-size``.
DEFAULT_PARTITION_SIZE: Final = 5_000
#: The domains cut by subject, by the file names :func:`check_frames` gives their problems.
_DOMAINS: Final = ("DM", "LB", "EX", "TU", "TR")
#: The standardised LB rows :func:`~plasmatrial.trial.derive.derive_adlb_grades` grades (its
#: first step keeps only these); the partitions keep no others.
ADLB_ROWS: Final = pl.col("LBTESTCD").is_in(list(CTCAE_GRADED_CODES)) & pl.col("AVAL").is_not_null()
_DATA_ROW: Final = re.compile(r"data row (\d+)")
PartitionProgress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class VisitDerivations:
    """The validated bundle and ADRS of the whole input, derived partition by partition.

    Attributes
    ----------
    bundle : SdtmBundle
        DM, EX, TU and TR as given; the wide assessment frame of every partition, in subject
        order; of the standardised LB only the rows that ADLB grades (:data:`ADLB_ROWS`), which
        is all that ``run_trial`` reads of it.
    adrs : polars.DataFrame
        :func:`plasmatrial.trial.derive.derive_adrs` of every partition, in subject order.
    parts : tuple of Partition
        The subject ranges.
    seconds : tuple of float
        Each partition's time in its worker.
    """

    bundle: SdtmBundle
    adrs: pl.DataFrame
    parts: tuple[Partition, ...]
    seconds: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class _Task:
    """One partition's frames and their rows in the whole input (picklable for Dask)."""

    part: Partition
    frames: Mapping[str, pl.DataFrame | None]
    rows: Mapping[str, pl.Series]
    trial: Trial


@dataclass(frozen=True, slots=True)
class _PartOutput:
    part: Partition
    lb: pl.DataFrame | None = None
    assessments: pl.DataFrame | None = None
    adrs: pl.DataFrame | None = None
    problems: tuple[Problem, ...] = ()
    error: str | None = None
    seconds: float = 0.0


def _key(frame: pl.DataFrame) -> str | None:
    return next((c for c in frame.columns if c.upper() == "USUBJID"), None)


def _file_row(rows: pl.Series, row: int) -> int:
    """A partition's 1-based row as the whole input's 1-based row."""
    return int(rows[row - 1]) + 1


def _in_file_rows(problems: list[Problem], rows: Mapping[str, pl.Series]) -> tuple[Problem, ...]:
    """``problems`` of a partition with rows counted in the whole input (also in the texts)."""
    out = []
    for p in problems:
        where = rows.get(p.file)
        if where is None:
            out.append(p)
            continue

        def cite(match: re.Match[str], where: pl.Series = where) -> str:
            return f"data row {_file_row(where, int(match.group(1)))}"

        out.append(
            Problem(
                p.file,
                None if p.row is None else _file_row(where, p.row),
                p.column,
                None if p.value is None else _DATA_ROW.sub(cite, p.value),
                _DATA_ROW.sub(cite, p.expected),
                p.reason,
            )
        )
    return tuple(out)


def _derive_part(task: _Task) -> _PartOutput:
    """Validate and adjudicate one partition (never raises: failures are returned)."""
    t0 = time.perf_counter()
    f = task.frames
    try:
        dm, lb = f["DM"], f["LB"]
        assert dm is not None and lb is not None
        # The FLC unit checks run over the whole LB (module notes).
        problems, bundle = check_frames(dm, lb, f["EX"], tu=f["TU"], tr=f["TR"], accept_units=True)
        if problems or bundle is None:
            return _PartOutput(task.part, problems=_in_file_rows(problems, task.rows))
        criteria = resolve_criteria(task.trial)
        first_dose = time_origin(bundle.dm, bundle.ex)
        adrs = derive_adrs(task.trial, bundle.assessments, criteria, first_dose=first_dose)
        # Only the rows derive_adlb_grades reads are kept (its first step is this filter).
        rows = task.rows["LB"]
        std = bundle.lb.filter(ADLB_ROWS).with_columns(
            (pl.lit(rows).gather(pl.col("SRCROW") - 1).cast(pl.Int64) + 1).alias("SRCROW")
        )
        return _PartOutput(
            task.part,
            lb=std,
            assessments=bundle.assessments,
            adrs=adrs,
            seconds=time.perf_counter() - t0,
        )
    except IntakeError as exc:
        return _PartOutput(task.part, problems=_in_file_rows(list(exc.problems), task.rows))
    except Exception as exc:  # reported with the subject range by the caller
        return _PartOutput(task.part, error=f"{type(exc).__name__}: {exc}")


def _raise_error(out: _PartOutput) -> None:
    """Stop the run at a partition that failed other than by its data (intake problems are
    collected over every partition)."""
    if out.error is not None:
        raise PlasmatrialError(f"{out.part.label} failed: {out.error}")


def flc_problems(lb: pl.DataFrame, *, file: str = "LB") -> list[Problem]:
    """The FLC unit checks (rules A-E, decision 0101) over the FLC rows of a whole raw LB.

    Only those rows are prepared (:func:`plasmatrial.intake.lbprep.prepare_lb`); their row
    numbers are the whole LB's, so the problems equal those of the whole LB's validation.
    """
    names = {c.upper(): c for c in lb.columns}
    if any(c not in names for c in LB_REQUIRED):
        return []  # the partitions report the missing columns
    test = pl.col(names["LBTESTCD"]).cast(pl.String)
    uniques = lb.select(test.drop_nulls().unique()).to_series().to_list()
    flc = [u for u in uniques if ALIAS_TO_CODE.get(u.strip().upper()) in FLC_CODES]
    if not flc:
        return []
    picked = lb.with_row_index("_SRC").filter(test.is_in(flc))
    prep = prepare_lb(picked.drop("_SRC"))
    kept = picked.get_column("_SRC")
    if "LBSTAT" in names:  # prepare_lb drops NOT DONE rows: keep their file rows aligned
        stat = picked.get_column(names["LBSTAT"]).cast(pl.String)
        kept = kept.filter(stat.is_null() | (stat.str.to_uppercase() != "NOT DONE"))
    prep = prep.with_columns((kept + 1).cast(prep.schema["_ROW"]).alias("_ROW"))
    return flc_unit_mixups(prep, file=file)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Without repeats (a missing column is reported by every partition), sorted by file, row
    and column as :func:`plasmatrial.intake.validate.raise_if` sorts."""
    out = list(dict.fromkeys(problems))
    return sorted(out, key=lambda p: (p.file, -1 if p.row is None else p.row, p.column or ""))


def derive_visits(
    trial: Trial,
    data: TrialInputs,
    *,
    partition_size: int,
    accept_units: bool = False,
    scheduler: str | None = None,
    n_workers: int = 2,
    progress: PartitionProgress | None = None,
) -> VisitDerivations | None:
    """Validate and adjudicate ``data`` in partitions of ``partition_size`` subjects.

    Parameters
    ----------
    trial, data :
        As :func:`plasmatrial.trial.run_trial`.
    partition_size : int
        Subjects per partition.
    accept_units : bool
        As :func:`plasmatrial.trial.run_trial`.
    scheduler, n_workers : optional
        ``None``: here, one partition after another; ``"local"`` (a cluster of ``n_workers``
        threads) or a scheduler address: one Dask task per partition
        (:func:`plasmatrial._partitions.map_partitions`).
    progress : callable, optional
        ``progress(done, total)`` after each partition.

    Returns
    -------
    VisitDerivations or None
        ``None`` when the input cannot be cut by subject (a domain without ``USUBJID``): the
        caller runs in one piece, which reports it.

    Raises
    ------
    IntakeError
        The problems of every partition and of the FLC unit checks (module notes).
    PlasmatrialError
        ``partition_size`` below 1, or a partition that failed (its subject range named).
    """
    if partition_size < 1:
        raise PlasmatrialError(f"--partition-size must be at least 1, got {partition_size}")
    given = {"DM": data.dm, "LB": data.lb, "EX": data.ex, "TU": data.tu, "TR": data.tr}
    keys = {d: _key(frame) for d, frame in given.items() if frame is not None}
    if keys.get("DM") != "USUBJID" or any(k is None for k in keys.values()):
        return None
    parts, bounds = subject_ranges(data.dm, partition_size)
    n = len(parts)
    rows = {
        domain: partition_rows(frame, keys[domain] or "USUBJID", bounds, n)
        for domain, frame in given.items()
        if frame is not None
    }

    def tasks() -> Iterator[_Task]:
        for part in parts:
            i = part.index
            yield _Task(
                part=part,
                frames={
                    d: None if frame is None else frame[rows[d][i]] for d, frame in given.items()
                },
                rows={d: r[i] for d, r in rows.items()},
                trial=trial,
            )

    results = map_partitions(
        _derive_part,
        tasks(),
        n,
        check=_raise_error,
        scheduler=scheduler,
        n_workers=n_workers,
        progress=progress,
    )
    rows.clear()  # the row maps are no longer needed
    problems = [p for r in results for p in r.problems]
    if not accept_units:
        problems += flc_problems(data.lb)
    if problems or any(r.lb is None for r in results):
        raise IntakeError(_unique(problems))
    ok = [r for r in results if r.lb is not None and r.assessments is not None]
    bundle = SdtmBundle(
        dm=data.dm,
        lb=pl.concat([r.lb for r in ok if r.lb is not None], how="vertical_relaxed"),
        ex=data.ex,
        assessments=pl.concat(
            [r.assessments for r in ok if r.assessments is not None], how="vertical_relaxed"
        ),
        tu=data.tu,
        tr=data.tr,
    )
    adrs = pl.concat([r.adrs for r in ok if r.adrs is not None], how="vertical_relaxed")
    return VisitDerivations(
        bundle=bundle, adrs=adrs, parts=tuple(parts), seconds=tuple(r.seconds for r in results)
    )
