"""Synthetic AL cohorts written in chunks of subjects, never whole in memory (decision 0900).

``plasmatrial synth al --n N`` with ``N`` above ``--chunk-size`` calls the public generator
:func:`plasmatrial.synth.generate_al_cohort` once per chunk and appends each chunk to the
CSV or Parquet files, so a registry-size input (10 million subject-visits) needs the memory of one
chunk. Chunk 0 uses ``seed`` itself (a cohort of one chunk is exactly today's); chunk ``k`` uses
a seed drawn from ``numpy.random.SeedSequence([seed, k])``. Subject numbers continue across
chunks (``PLAS-AL-01-001`` ... ``PLAS-AL-01-100000``); every other value is the generator's.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.io import current_umask
from plasmatrial.synth import generate_al_cohort

#: Subjects generated at a time (about 140,000 LB rows, 100 MB).
DEFAULT_CHUNK_SUBJECTS: Final = 1_000
DOMAINS: Final = ("dm", "lb", "ex")


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of chunk ``chunk`` (chunk 0: ``seed``)."""
    if chunk == 0:
        return seed
    return int(np.random.SeedSequence([seed, chunk]).generate_state(1, dtype=np.uint32)[0])


def _renumber(frame: pl.DataFrame, offset: int) -> pl.DataFrame:
    """Subject numbers shifted by ``offset`` in ``USUBJID`` (and ``SUBJID``)."""
    if offset == 0:
        return frame
    number = (pl.col("USUBJID").str.extract(r"(\d+)$").cast(pl.Int64) + offset).cast(pl.String)
    fixes = [(pl.col("USUBJID").str.replace(r"\d+$", "") + number.str.zfill(3)).alias("USUBJID")]
    if "SUBJID" in frame.columns:
        fixes.append(number.str.zfill(3).alias("SUBJID"))
    return frame.with_columns(fixes)


class _Sink:
    """One output file written chunk by chunk into a hidden sibling, renamed on :meth:`close`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        self.tmp = Path(name)
        self.fh = os.fdopen(fd, "wb")
        self.writer: Any = None
        self.schema: pl.Schema | None = None
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        if self.schema is None:
            self.schema = frame.schema
        else:
            frame = frame.select(pl.col(c).cast(t) for c, t in self.schema.items())
        if self.target.suffix == ".csv":
            frame.write_csv(self.fh, include_header=self.rows == 0)
        else:
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            table = frame.to_arrow()
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.fh, table.schema, compression="zstd")
            self.writer.write_table(table)
        self.rows += frame.height

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.chmod(self.tmp, 0o666 & ~current_umask())
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            if self.writer is not None:
                self.writer.close()
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(OSError):
            self.tmp.unlink()


@contextlib.contextmanager
def _sinks(out: Path, fmt: str) -> Iterator[dict[str, _Sink]]:
    sinks: dict[str, _Sink] = {}
    try:
        for name in DOMAINS:
            sinks[name] = _Sink(out / f"{name}.{fmt}")
        yield sinks
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()


def write_al_chunks(
    out: Path,
    *,
    n: int,
    seed: int,
    n_cycles: int,
    fmt: str,
    chunk_size: int = DEFAULT_CHUNK_SUBJECTS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write ``dm``/``lb``/``ex`` of an ``n``-subject AL cohort in chunks; rows per domain.

    Raises
    ------
    PlasmatrialError
        ``fmt`` not csv or parquet, or a file that cannot be written (nothing is left then).
    """
    if fmt not in ("csv", "parquet"):
        raise PlasmatrialError(f"--format: chunked writing takes csv or parquet, got '{fmt}'")
    if chunk_size < 1:
        raise PlasmatrialError(f"--chunk-size must be at least 1, got {chunk_size}")
    starts = list(range(0, n, chunk_size))
    try:
        with _sinks(out, fmt) as sinks:
            for k, start in enumerate(starts):
                size = min(chunk_size, n - start)
                cohort = generate_al_cohort(
                    n_subjects=size, n_cycles=n_cycles, seed=chunk_seed(seed, k)
                )
                for name, frame in (("dm", cohort.dm), ("lb", cohort.lb), ("ex", cohort.ex)):
                    sinks[name].write(_renumber(frame, start))
                del cohort
                if progress is not None:
                    progress(k + 1, len(starts))
            return {name: sink.rows for name, sink in sinks.items()}
    except OSError as exc:
        raise PlasmatrialError(f"--out: could not write into '{out}': {exc}") from exc
