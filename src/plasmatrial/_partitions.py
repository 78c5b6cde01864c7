"""Subjects in partitions: the ranges, the rows of each range, and the loop over the ranges.

Shared by the partitioned ``respond`` (:mod:`plasmatrial.partitioned`, decision 0900) and the
partitioned per-visit derivations of ``run`` (:mod:`plasmatrial.trial.partitions`, decision
0902), so that both cut subjects the same way and name a failed partition the same way:

* :func:`subject_ranges`: DM's ``USUBJID``s, sorted, cut into ranges of ``size`` subjects
  (:class:`Partition`, labelled ``partition 3 (subjects S0101 .. S0150)`` in messages);
* :func:`partition_expr`: the range each row's ``USUBJID`` falls in (a subject that is not in DM
  falls into a neighbouring range, where validation reports it as it would in one piece);
* :func:`partition_rows` and :func:`slice_frame`: a frame's rows per range, in their order in the
  frame (a subject whose rows are scattered over the input gets all of them, in the same order);
* :func:`map_partitions`: one function over the partitions, here one after another or as Dask
  tasks (:func:`plasmatrial._dask.dask_client`), with a check that stops the run at a failure.

This module sits below every layer that uses it: it imports polars and the errors only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import polars as pl

__all__ = [
    "PART",
    "Partition",
    "map_partitions",
    "partition_expr",
    "partition_rows",
    "slice_frame",
    "subject_ranges",
]

#: The column :func:`partition_expr` names.
PART: Final = "_PART"
_ROWIDX: Final = "_ROWIDX"

Progress = Callable[[int, int], None]
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Partition:
    """One range of subjects: the ``index``-th, ``first`` to ``last`` by ``USUBJID``."""

    index: int
    first: str
    last: str
    n_subjects: int

    @property
    def label(self) -> str:
        """``partition 3 (subjects S0101 .. S0150)`` for messages."""
        return f"partition {self.index + 1} (subjects {self.first} .. {self.last})"


def subject_ranges(dm: pl.DataFrame, size: int) -> tuple[list[Partition], pl.Series]:
    """Ranges of ``size`` DM subjects (sorted ``USUBJID``) and the first ``USUBJID`` of each
    range but the first (the bounds :func:`partition_expr` searches)."""
    ids = dm.get_column("USUBJID").cast(pl.String).drop_nulls().unique().sort()
    if ids.len() == 0:
        return [Partition(0, "", "", 0)], pl.Series("USUBJID", [], dtype=pl.String)
    parts = []
    for index, start in enumerate(range(0, ids.len(), size)):
        chunk = ids.slice(start, size)
        parts.append(Partition(index, str(chunk[0]), str(chunk[-1]), chunk.len()))
    bounds = pl.Series("USUBJID", [p.first for p in parts[1:]], dtype=pl.String)
    return parts, bounds


def partition_expr(key: str, bounds: pl.Series) -> pl.Expr:
    """The partition of each row (column :data:`PART`): the range its ``key`` falls in (a null
    key: the first partition)."""
    if bounds.len() == 0:
        return pl.lit(0, dtype=pl.UInt32).alias(PART)
    return (
        pl.lit(bounds)
        .search_sorted(pl.col(key).cast(pl.String), side="right")
        .fill_null(0)
        .cast(pl.UInt32)
        .alias(PART)
    )


def partition_rows(frame: pl.DataFrame, key: str, bounds: pl.Series, n: int) -> list[pl.Series]:
    """The row numbers (0-based, ascending) of ``frame`` in each of the ``n`` partitions.

    Memory: one index per row. ``frame[rows]`` (a gather) is the partition's frame, in the
    frame's order; the numbers also map a partition's row back to the frame's row.
    """
    groups = (
        frame.select(partition_expr(key, bounds))
        .with_row_index(_ROWIDX)
        .group_by(PART, maintain_order=True)
        .agg(pl.col(_ROWIDX))
    )
    by_part = {int(p): rows for p, rows in groups.iter_rows()}
    return [pl.Series(_ROWIDX, by_part.get(i, []), dtype=pl.UInt32) for i in range(n)]


def slice_frame(frame: pl.DataFrame | None, key: str, bounds: pl.Series, n: int) -> list[Any]:
    """``frame`` cut into ``n`` partitions by ``key``, rows in their order (``None`` stays
    ``None``)."""
    if frame is None:
        return [None] * n
    tagged = frame.with_columns(partition_expr(key, bounds))
    groups = {k[0]: g.drop(PART) for k, g in tagged.group_by(PART, maintain_order=True)}
    empty = frame.clear()
    return [groups.get(i, empty) for i in range(n)]


def map_partitions(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    n: int,
    *,
    check: Callable[[R], None] | None = None,
    scheduler: str | None = None,
    n_workers: int = 2,
    processes: bool = False,
    in_flight: int | None = None,
    progress: Progress | None = None,
) -> list[R]:
    """``fn`` over the ``n`` tasks, results in task order.

    Parameters
    ----------
    fn : callable
        One partition's work. On Dask it must be picklable (a module-level function) and should
        return failures rather than raise them.
    tasks : iterable
        Built lazily: a task is taken from the iterable only when it is about to run (Dask: when
        fewer than ``in_flight`` tasks are pending), so only those partitions' inputs are held.
    check : callable, optional
        Called on each result as it arrives; what it raises stops the run (Dask: the pending
        tasks are cancelled) and propagates.
    scheduler : str, optional
        ``None``: here, one after another. ``"local"`` or an address: Dask.
    n_workers, processes : int, bool
        The local cluster's workers (``scheduler="local"`` only).
    in_flight : int, optional
        Dask tasks submitted and not yet finished at most (default: twice the workers).
    progress : callable, optional
        ``progress(done, n)`` after each result.
    """
    if scheduler is None:
        results = []
        for done, task in enumerate(tasks, start=1):
            out = fn(task)
            if check is not None:
                check(out)
            results.append(out)
            if progress is not None:
                progress(done, n)
        return results
    return _map_dask(
        fn, iter(tasks), n, check=check, scheduler=scheduler, n_workers=n_workers,
        processes=processes, in_flight=in_flight or 2 * max(n_workers, 1), progress=progress,
    )  # fmt: skip


def _map_dask(
    fn: Callable[[T], R],
    tasks: Iterator[T],
    n: int,
    *,
    check: Callable[[R], None] | None,
    scheduler: str,
    n_workers: int,
    processes: bool,
    in_flight: int,
    progress: Progress | None,
) -> list[R]:
    from plasmatrial._dask import dask_client, distributed_module

    distributed = distributed_module()
    with dask_client(
        scheduler, n_workers=n_workers, processes=processes, option="--scheduler"
    ) as client:
        pending = distributed.as_completed()
        running: dict[Any, int] = {}  # future -> its task's number
        submitted = 0

        def submit() -> None:
            nonlocal submitted
            task = next(tasks, None)
            if task is not None:
                future = client.submit(fn, task, pure=False)
                running[future] = submitted
                submitted += 1
                pending.add(future)

        for _ in range(in_flight):
            submit()
        results: dict[int, R] = {}
        for done, future in enumerate(pending, start=1):
            out: R = future.result()
            number = running.pop(future)
            if check is not None:
                try:
                    check(out)
                except BaseException:
                    client.cancel(list(running))
                    raise
            results[number] = out
            submit()
            if progress is not None:
                progress(done, n)
    return [results[i] for i in range(len(results))]
