"""Registry-size ``respond``: subjects in partitions, memory bounded by the partition (decision 0900).

Subjects are independent of each other: confirmation, best response, baseline and time to
response only ever look at one subject's own visits. So the subjects of DM, sorted by
``USUBJID``, are cut into ranges of ``partition_size`` subjects, and every partition is
adjudicated on its own by the same engine the in-memory run uses (:func:`plasmatrial.api.respond`
on :func:`plasmatrial.intake.check_frames` of the partition's rows). The results, concatenated,
equal the in-memory run's row for row (after sorting; ``tests/unit/test_partitioned.py``).

Steps
-----
1. DM (one row per subject) and CM are read whole and sliced; LB, EX, TU and TR (LB: one row
   per analyte and visit, the big one) are scanned lazily (CSV or Parquet) and split once, in one
   streaming pass each, into one Parquet folder per partition under a work folder. Rows keep
   their file order inside a partition, so a subject whose visits are scattered over the file
   gets them all, in the same order.
2. Each partition is validated and adjudicated here, serially, or as one task on
   ``dask.distributed`` (:func:`plasmatrial._dask.dask_client`); it writes its calls and subject
   summaries as Parquet files in the work folder and returns only their names, row counts and
   schemas.
3. :func:`write_outputs` streams the parts, in subject order, into one CSV or Parquet file per
   output (columns unified over the parts: a column all null in one partition keeps the type the
   others give it).

The subject ranges, the cut of a frame by range and the loop over the partitions (here or on
Dask) are :mod:`plasmatrial._partitions`, shared with the partitioned ``run``
(:mod:`plasmatrial.trial.partitions`, decision 0902).

A partition that fails (bad data, an engine error) fails the run with its subject range named;
the caller writes into a staging folder (:func:`plasmatrial.intake.outputs.output_files`), so
nothing partial reaches the output path.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import polars as pl

from plasmatrial._partitions import (
    PART,
    Partition,
    map_partitions,
    partition_expr,
    slice_frame,
    subject_ranges,
)
from plasmatrial.api import (
    check_organ_flags,
    check_responder,
    check_rule_set,
    measurable_counts,
    prepare_assessments,
    refuse_unmeasurable,
    respond,
)
from plasmatrial.criteria import get_rule_set
from plasmatrial.criteria.core.registry import default_rule_set
from plasmatrial.errors import IntakeError, PlasmatrialError, Problem
from plasmatrial.intake import check_frames, read_domain
from plasmatrial.intake.io import neutralise_csv_cells, read_table
from plasmatrial.intake.readers import as_text, duplicate_columns
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS
from plasmatrial.intake.validate import raise_if

__all__ = [
    "AUTO_PARTITION_BYTES",
    "DEFAULT_PARTITION_SIZE",
    "Location",
    "Partition",
    "PartitionedRun",
    "location",
    "parse_bytes",
    "partition_size_for",
    "publish",
    "respond_partitioned",
    "write_outputs",
]

#: Subjects per partition unless told: about 50,000 AL visits (10 per subject); the 1M-visit run
#: peaked at 1.2 GiB, the 10M-visit run at 1.5 GiB (docs/scale.md).
DEFAULT_PARTITION_SIZE: Final = 5_000
#: ``respond`` without ``--partition-size`` partitions by itself when LB is larger than this.
AUTO_PARTITION_BYTES: Final = 256 * 1024 * 1024

_PART: Final = PART
#: Rows read at a time when a domain is split into partitions.
SPLIT_BATCH_ROWS: Final = 500_000
#: Rows per row group of a CSV domain converted to Parquet before the split (decision 0905).
CONVERT_ROW_GROUP_ROWS: Final = 100_000
#: Rows per row group of the final Parquet outputs.
_ROW_GROUP_ROWS: Final = 128 * 1024
Disease = Literal["al", "mm"]
Progress = Callable[[int, int], None]
#: A local path, or an fsspec URL (``file:///data/lb.parquet``, ``memory://x/lb.csv``,
#: ``s3://bucket/lb.parquet``).
Location = str | Path

#: ``--memory-limit``: what one partition costs at its peak, per LB row it holds (calls with
#: explanations and inputs, the wide frame, the validated LB), measured (docs/scale.md).
BYTES_PER_LB_ROW: Final = 1_200
#: ``--memory-limit``: the process before any partition (interpreter, polars, the split's
#: batches) ...
BASE_BYTES: Final = 450 * 2**20
#: ... and DM, held whole and sliced, per subject.
DM_BYTES_PER_SUBJECT: Final = 600
_UNITS: Final = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}
_URL: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(/?)(.*)$")
_COPY_BLOCK: Final = 16 * 2**20


def parse_bytes(text: str, option: str = "--memory-limit") -> int:
    """``"4GiB"``, ``"3.5G"``, ``"500MB"``, ``"1e9"`` as bytes (G = 10^9, GiB = 2^30)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise PlasmatrialError(
            f"{option}: expected a size such as 4GiB, 3.5G or 500MB, got '{text}'"
        )
    return int(float(match.group(1)) * _UNITS[unit])


def partition_size_for(
    memory_limit: int, *, n_subjects: int, lb_rows: int, workers: int = 1
) -> int:
    """Subjects per partition so that the run's peak RSS stays under ``memory_limit`` bytes.

    ``workers`` partitions are in memory at once (a local Dask cluster of threads); the
    constants :data:`BASE_BYTES`, :data:`DM_BYTES_PER_SUBJECT` and :data:`BYTES_PER_LB_ROW` were
    measured on synthetic AL data with explanations (docs/scale.md). It is an estimate: data
    with far longer explanations or far more columns per row need a margin.

    Raises
    ------
    PlasmatrialError
        The limit does not leave room for one subject per worker.
    """
    per_subject = BYTES_PER_LB_ROW * max(lb_rows, 1) / max(n_subjects, 1)
    budget = memory_limit - BASE_BYTES - DM_BYTES_PER_SUBJECT * n_subjects
    size = int(budget // (per_subject * max(workers, 1))) if budget > 0 else 0
    if size < 1:
        need = BASE_BYTES + DM_BYTES_PER_SUBJECT * n_subjects + per_subject * max(workers, 1)
        raise PlasmatrialError(
            f"--memory-limit {memory_limit / 2**20:.0f} MiB is too small for this input "
            f"({n_subjects} subjects, {lb_rows} LB rows, {workers} worker(s)): it needs at least "
            f"{math.ceil(need / 2**20)} MiB"
        )
    return size


def location(path: Location) -> tuple[str, str]:
    """``(protocol, path)`` of a local path or an fsspec URL (protocol ``""``: a local path).

    ``file://`` URLs are local paths. A URL that went through :class:`pathlib.Path` (which
    folds ``memory://x`` into ``memory:/x``, as a command-line option typed ``Path`` does) is
    recognised when its scheme is a protocol fsspec knows.
    """
    text = str(path)
    match = _URL.match(text)
    if match is None:
        return "", text
    scheme, rest = match.group(1).lower(), match.group(3)
    if "://" not in text:  # folded by Path: only a protocol fsspec knows counts as a URL
        try:
            import fsspec  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - fsspec comes with dask
            return "", text
        if scheme not in fsspec.available_protocols():
            return "", text
    if scheme in ("file", "local"):
        return "", "/" + rest.lstrip("/")
    return scheme, f"{scheme}://{rest}"


def _fs(url: str) -> tuple[Any, str]:
    try:
        import fsspec  # type: ignore[import-untyped]

        return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise PlasmatrialError(f"cannot open {url}: {exc}") from None


def _local_input(path: Location | None, domain: str, work: Path) -> Path | None:
    """A local path for an input: as given, ``file://`` unwrapped, or (another file system)
    copied into ``work`` block by block (memory: one block)."""
    if path is None:
        return None
    protocol, name = location(path)
    if not protocol:
        return Path(name)
    fs, inner = _fs(name)
    if not fs.isfile(inner):
        raise PlasmatrialError(f"{domain} file not found: {name}")
    target = work / "inputs" / f"{domain.lower()}{Path(inner).suffix.lower()}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with fs.open(inner, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, _COPY_BLOCK)
    except OSError as exc:
        raise PlasmatrialError(f"cannot read {name}: {exc}") from None
    return target


def publish(files: Sequence[tuple[Path, Location]]) -> None:
    """Copy finished local files to their locations (local paths are renamed into place).

    Each file is uploaded to a hidden temporary sibling and then moved onto its name, so it
    appears whole or not at all; a failure removes what this call wrote. The files appear one
    after another, not together (the local output set of decision 0765 does that).
    """
    done: list[tuple[Any, str]] = []
    try:
        for local, target in files:
            protocol, name = location(target)
            if not protocol:
                os.replace(local, name)
                continue
            fs, inner = _fs(name)
            parent, base = inner.rsplit("/", 1) if "/" in inner else ("", inner)
            tmp = f"{parent}/.{base}.{os.getpid()}.tmp"
            fs.put_file(str(local), tmp)
            done.append((fs, tmp))
            fs.mv(tmp, inner)
            done[-1] = (fs, inner)
    except Exception as exc:
        for fs, inner in done:
            with contextlib.suppress(Exception):
                fs.rm(inner)
        raise PlasmatrialError(f"could not write the outputs: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Split:
    """One domain's rows of one partition: its Parquet files (none: no rows) and columns."""

    domain: str
    files: tuple[str, ...]
    schema: tuple[tuple[str, pl.DataType], ...]

    def read(self) -> pl.DataFrame:
        """The rows as text, as :func:`plasmatrial.intake.read_domain` returns them."""
        if self.files:
            frame = pl.read_parquet(list(self.files), hive_partitioning=False)
        else:
            frame = pl.DataFrame(schema=dict(self.schema))
        return as_text(frame)


@dataclass(frozen=True, slots=True)
class _Task:
    """Everything one partition's worker needs (picklable: sent to Dask workers)."""

    part: Partition
    split: tuple[_Split, ...]
    dm: pl.DataFrame
    cm: pl.DataFrame | None
    files: tuple[str, str, str]
    imaging_files: tuple[str, str]
    rule_set: str
    disease: Disease
    responder: tuple[str, ...] | None
    check_disease: bool
    accept_units: bool
    imaging_window_days: int
    out_dir: str


@dataclass(frozen=True, slots=True)
class _PartOutput:
    """What a worker returns: file names, counts and schemas, or the failure."""

    part: Partition
    visits: str = ""
    subjects: str = ""
    n_visits: int = 0
    n_subjects: int = 0
    visits_schema: tuple[tuple[str, pl.DataType], ...] = ()
    subjects_schema: tuple[tuple[str, pl.DataType], ...] = ()
    measurable: pl.DataFrame | None = None
    error: str | None = None
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PartitionedRun:
    """A finished partitioned adjudication: the parts on disk, in subject order.

    Attributes
    ----------
    parts : tuple of Partition
        The subject ranges, in order.
    visit_files, subject_files : tuple of str
        Each partition's calls and subject summaries (Parquet, in the work folder).
    visits_schema, subjects_schema : polars.Schema
        The columns unified over the partitions.
    n_visits, n_subjects : int
        Rows over all partitions.
    rule_set, version, disease : str
        As :class:`plasmatrial.api.ResponseResult`.
    seconds : tuple of float
        Each partition's time in its worker.
    partition_size : int
        Subjects per partition (as given, or derived from a memory limit).
    """

    parts: tuple[Partition, ...]
    visit_files: tuple[str, ...]
    subject_files: tuple[str, ...]
    visits_schema: pl.Schema
    subjects_schema: pl.Schema
    n_visits: int
    n_subjects: int
    rule_set: str
    version: str
    disease: str
    seconds: tuple[float, ...] = field(default=())
    partition_size: int = DEFAULT_PARTITION_SIZE

    def visits(self) -> pl.LazyFrame:
        """Every partition's calls, lazily, in subject order."""
        return _concat(self.visit_files, self.visits_schema)

    def subjects(self) -> pl.LazyFrame:
        """Every partition's subject summaries, lazily, in subject order."""
        return _concat(self.subject_files, self.subjects_schema)


# --------------------------------------------------------------------------------------------
# Reading and splitting
# --------------------------------------------------------------------------------------------


def _scan(path: Path, domain: str) -> pl.LazyFrame:
    """A lazy scan of a CSV or Parquet domain (all text for CSV, as :func:`read_domain` reads)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise PlasmatrialError(f"{domain} file not found: {path}")
    try:
        if suffix == ".csv":
            header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
            raise_if(duplicate_columns(path, header))
            return pl.scan_csv(path, infer_schema=False)
        if suffix in {".parquet", ".pq"}:
            lf = pl.scan_parquet(path)
            raise_if(duplicate_columns(path, lf.collect_schema().names()))
            return lf
    except PlasmatrialError:
        raise
    except Exception as exc:  # polars errors: a corrupt or unreadable file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PlasmatrialError(f"cannot read {path}: {first}") from None
    # XPT and SAS7BDAT have no lazy reader: read whole (the same reader as the in-memory run).
    return read_domain(path, domain).lazy()  # type: ignore[arg-type]


def _count_rows(path: Path, domain: str) -> int:
    """Rows of a domain file (Parquet: from its metadata; CSV: one streaming pass)."""
    count = _scan(path, domain).select(pl.len()).collect(engine="streaming").item()
    return int(count)


def _key(names: Sequence[str], path: Path, domain: str) -> str:
    for name in names:
        if name.upper() == "USUBJID":
            return name
    raise PlasmatrialError(f"{path}: the {domain} file has no USUBJID column")


def _as_parquet(lazy: pl.LazyFrame, path: Path, domain: str, work: Path) -> Path:
    """A domain that is not Parquet (CSV; XPT/SAS already read whole) converted once into a
    Parquet file in the work folder, by polars' streaming engine (decision 0905).

    The same reader as before (``scan_csv``, every column text), so the rows are the same; the
    sink holds a few row groups of :data:`CONVERT_ROW_GROUP_ROWS`, whatever the size of the file
    (0.44 GiB for a 1.3 GB LB CSV of 13M rows). ``collect_batches`` of the CSV scan read ahead of
    its consumer: 1.17 GiB for the same file.
    """
    target = work / "inputs" / f"{domain.lower()}.from-{path.suffix.lower().lstrip('.')}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        lazy.sink_parquet(target, row_group_size=CONVERT_ROW_GROUP_ROWS)
    except Exception as exc:  # polars errors: a malformed row, a bad encoding
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PlasmatrialError(f"cannot read {path}: {first}") from None
    return target


def _batches(lazy: pl.LazyFrame, path: Path) -> Iterator[pl.DataFrame]:
    """The rows of a Parquet domain in batches of about :data:`SPLIT_BATCH_ROWS`, in file order.

    Whole row groups (consecutive ones joined up to the batch size), each read by a slice of the
    scan, so memory holds one batch (or one row group larger than it). ``collect_batches`` of a
    Parquet scan reads ahead of its consumer: 1.1 GiB at 13M LB rows, 1.7 GiB at 130M (decision
    0901). Other formats are converted to Parquet first (:func:`_as_parquet`).
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    meta = pq.ParquetFile(path).metadata
    start = length = 0
    for group in range(meta.num_row_groups):
        length += meta.row_group(group).num_rows
        if length >= SPLIT_BATCH_ROWS or group == meta.num_row_groups - 1:
            yield lazy.slice(start, length).collect()
            start, length = start + length, 0


def _split(path: Path, domain: str, bounds: pl.Series, work: Path, n: int) -> list[_Split]:
    """Write a domain once, streaming in batches, as one Parquet file per partition.

    Batches of about :data:`SPLIT_BATCH_ROWS` rows are cut by subject range and appended (one row
    group per batch and partition) to the partitions' files, so memory holds one batch, whatever
    the size of the file (``polars.PartitionBy`` held a growing share of the input). A domain that
    is not Parquet is first converted into the work folder (:func:`_as_parquet`), and that copy is
    removed afterwards.
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    lazy = _scan(path, domain)
    schema = lazy.collect_schema()
    key = _key(schema.names(), path, domain)
    source = path
    if path.suffix.lower() not in {".parquet", ".pq"}:
        source = _as_parquet(lazy, path, domain, work)
        lazy = pl.scan_parquet(source)
    base = work / domain.lower()
    base.mkdir(parents=True, exist_ok=True)
    writers: dict[int, Any] = {}
    try:
        for batch in _batches(lazy, source):
            tagged = batch.with_columns(partition_expr(key, bounds))
            for (index,), rows in tagged.group_by(_PART, maintain_order=True):
                table = rows.drop(_PART).to_arrow()
                writer = writers.get(int(index))  # type: ignore[call-overload]
                if writer is None:
                    writer = pq.ParquetWriter(base / f"{index}.parquet", table.schema)
                    writers[int(index)] = writer  # type: ignore[call-overload]
                writer.write_table(table)
    finally:
        for writer in writers.values():
            writer.close()
        if source != path:
            source.unlink(missing_ok=True)
    items = tuple(schema.items())
    return [
        _Split(domain, (str(base / f"{i}.parquet"),) if i in writers else (), items)
        for i in range(n)
    ]


# --------------------------------------------------------------------------------------------
# One partition
# --------------------------------------------------------------------------------------------


def _schema(frame: pl.DataFrame) -> tuple[tuple[str, pl.DataType], ...]:
    return tuple(frame.schema.items())


def _run_part(task: _Task) -> _PartOutput:
    """Validate and adjudicate one partition; write its two Parquet parts (never raises)."""
    t0 = time.perf_counter()
    try:
        frames = {split.domain: split.read() for split in task.split}
        problems, bundle = check_frames(
            task.dm,
            frames["LB"],
            frames.get("EX"),
            files=task.files,
            tu=frames.get("TU"),
            tr=frames.get("TR"),
            imaging_files=task.imaging_files,
            imaging_window_days=task.imaging_window_days,
            accept_units=task.accept_units,
        )
        if problems or bundle is None:
            return _PartOutput(task.part, error="invalid data", problems=tuple(problems))
        res = respond(
            bundle,
            task.rule_set,
            disease=task.disease,
            cm=task.cm,
            responder=task.responder,
            check_disease=False,
        )
        counts = None
        if task.check_disease:
            rs = get_rule_set(task.rule_set)
            counts = measurable_counts(prepare_assessments(bundle.assessments, rs.columns), rs)
        stem = Path(task.out_dir) / f"part-{task.part.index:06d}"
        visits, subjects = f"{stem}.visits.parquet", f"{stem}.subjects.parquet"
        res.visits.write_parquet(visits)
        res.subjects.write_parquet(subjects)
        return _PartOutput(
            task.part,
            visits=visits,
            subjects=subjects,
            n_visits=res.visits.height,
            n_subjects=res.subjects.height,
            visits_schema=_schema(res.visits),
            subjects_schema=_schema(res.subjects),
            measurable=counts,
            seconds=time.perf_counter() - t0,
        )
    except IntakeError as exc:
        return _PartOutput(task.part, error=str(exc), problems=exc.problems)
    except Exception as exc:  # reported with the subject range by the caller
        return _PartOutput(task.part, error=f"{type(exc).__name__}: {exc}")


def _raise_failed(out: _PartOutput) -> None:
    if out.error is None:
        return
    if out.problems:
        n = len(out.problems)
        raise IntakeError(
            out.problems,
            f"{out.part.label}: {n} problem{'s' if n != 1 else ''} found "
            f"(row numbers count within the partition)",
        )
    raise PlasmatrialError(f"{out.part.label} failed: {out.error}")


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def respond_partitioned(
    dm: Location,
    lb: Location,
    ex: Location | None = None,
    *,
    workdir: Path,
    tu: Location | None = None,
    tr: Location | None = None,
    cm: Location | None = None,
    criteria: str | None = None,
    disease: Disease = "al",
    responder: Sequence[str] | None = None,
    check_disease: bool = True,
    accept_units: bool = False,
    imaging_window_days: int = IMAGING_WINDOW_DAYS,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    scheduler: str | None = None,
    n_workers: int = 2,
    processes: bool = False,
    memory_limit: int | None = None,
    progress: Progress | None = None,
) -> PartitionedRun:
    """Adjudicate response per subject-visit in partitions of subjects (see the module notes).

    Parameters
    ----------
    dm, lb, ex, tu, tr, cm : Path or str
        The domain files, as ``plasmatrial respond`` takes them (LB: CSV or Parquet is read
        lazily; other formats whole): local paths or fsspec URLs (:func:`location`; a URL of
        another file system than ``file://`` is first copied into ``workdir``, block by block).
    workdir : Path
        An empty or new folder for the split LB and the per-partition results; on a Dask cluster
        it must be visible to every worker (shared storage). The caller removes it.
    criteria, disease, responder, check_disease : optional
        As :func:`plasmatrial.api.respond`.
    accept_units, imaging_window_days : optional
        As :func:`plasmatrial.intake.load_sdtm`.
    partition_size : int
        Subjects per partition: peak memory grows with it, not with the input.
    scheduler : str, optional
        ``None``: partitions run here, one after another. ``"local"`` or a scheduler address:
        one Dask task per partition (:func:`plasmatrial._dask.dask_client`).
    n_workers, processes : int, bool
        The local cluster's workers (``scheduler="local"`` only).
    memory_limit : int, optional
        Bytes: ``partition_size`` is then derived from it, the number of subjects and of LB
        rows (:func:`partition_size_for`).
    progress : callable, optional
        ``progress(done_partitions, total_partitions)``.

    Returns
    -------
    PartitionedRun
        The parts; write them with :func:`write_outputs`.

    Raises
    ------
    IntakeError
        A partition's data failed validation (its subject range named).
    PlasmatrialError
        Bad options, an unreadable file, a failed partition (its subject range named), or (myeloma)
        data that look like AL over the whole input.
    """
    if partition_size < 1:
        raise PlasmatrialError(f"--partition-size must be at least 1, got {partition_size}")
    rule_set = criteria or default_rule_set(disease)
    check_rule_set(disease, rule_set)
    cats = check_responder(responder, rule_set)
    rs = get_rule_set(rule_set)
    names = {"DM": dm, "LB": lb, "EX": ex, "TU": tu, "TR": tr, "CM": cm}
    workdir.mkdir(parents=True, exist_ok=True)
    local = {domain: _local_input(path, domain, workdir) for domain, path in names.items()}
    dm_path, lb_path = local["DM"], local["LB"]
    assert dm_path is not None and lb_path is not None
    dm_frame = read_domain(dm_path, "DM")
    if "USUBJID" not in dm_frame.columns:
        raise PlasmatrialError(f"{dm}: the DM file has no USUBJID column")
    if check_disease:
        check_organ_flags(dm_frame, rs, disease)
    if memory_limit is not None:
        partition_size = partition_size_for(
            memory_limit,
            n_subjects=dm_frame.height,
            lb_rows=_count_rows(lb_path, "LB"),
            workers=n_workers if scheduler == "local" else 1,
        )
    parts, bounds = subject_ranges(dm_frame, partition_size)
    n = len(parts)
    dm_parts = slice_frame(dm_frame, "USUBJID", bounds, n)
    del dm_frame
    cm_parts: list[Any] = [None] * n
    if local["CM"] is not None:
        cm_frame = read_table(local["CM"])
        cm_key = next((c for c in cm_frame.columns if c.upper() == "USUBJID"), "")
        # Without USUBJID every partition gets it whole and the respond check reports it.
        cm_parts = slice_frame(cm_frame, cm_key, bounds, n) if cm_key else [cm_frame] * n
    splits = [
        _split(path, domain, bounds, workdir, n)
        for domain in ("LB", "EX", "TU", "TR")
        if (path := local[domain]) is not None
    ]
    out_dir = workdir / "out"
    out_dir.mkdir(exist_ok=True)
    tasks = []
    for part in parts:
        tasks.append(
            _Task(
                part=part,
                split=tuple(domain[part.index] for domain in splits),
                dm=dm_parts[part.index],
                cm=cm_parts[part.index],
                files=(location(dm)[1], location(lb)[1], location(ex)[1] if ex else "EX"),
                imaging_files=(
                    location(tu)[1] if tu is not None else "TU",
                    location(tr)[1] if tr is not None else "TR",
                ),
                rule_set=rule_set,
                disease=disease,
                responder=cats,
                check_disease=check_disease and rs.response_spec().measurable is not None,
                accept_units=accept_units,
                imaging_window_days=imaging_window_days,
                out_dir=str(out_dir),
            )
        )
    outputs = map_partitions(
        _run_part,
        tasks,
        n,
        check=_raise_failed,
        scheduler=scheduler,
        n_workers=n_workers,
        processes=processes,
        progress=progress,
    )
    if check_disease and rs.response_spec().measurable is not None:
        counts = [o.measurable for o in outputs if o.measurable is not None]
        if counts:
            total = pl.concat(counts).group_by("AVALC").agg(pl.col("len").sum())
            refuse_unmeasurable(total, rs, disease)
    return PartitionedRun(
        parts=tuple(o.part for o in outputs),
        visit_files=tuple(o.visits for o in outputs),
        subject_files=tuple(o.subjects for o in outputs),
        visits_schema=_unify([o.visits_schema for o in outputs]),
        subjects_schema=_unify([o.subjects_schema for o in outputs]),
        n_visits=sum(o.n_visits for o in outputs),
        n_subjects=sum(o.n_subjects for o in outputs),
        rule_set=rule_set,
        version=rs.version,
        disease=disease,
        seconds=tuple(o.seconds for o in outputs),
        partition_size=partition_size,
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _unify(schemas: Sequence[tuple[tuple[str, pl.DataType], ...]]) -> pl.Schema:
    """Columns in order of first appearance; types relaxed to a common supertype."""
    frames = [pl.DataFrame(schema=dict(s)) for s in schemas if s]
    if not frames:
        return pl.Schema()
    return pl.concat(frames, how="diagonal_relaxed").schema


def _conform(lf: pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    have = lf.collect_schema()
    return lf.select(
        [
            (pl.col(name) if name in have else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def _concat(files: Sequence[str], schema: pl.Schema) -> pl.LazyFrame:
    if not files:
        return pl.LazyFrame(schema=schema)
    return pl.concat([_conform(pl.scan_parquet(f), schema) for f in files], how="vertical")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_one(
    files: Sequence[str], schema: pl.Schema, target: Path, *, neutralise_csv: bool
) -> None:
    if target.suffix.lower() == ".csv":
        with open(target, "wb") as fh:
            if not files:
                pl.DataFrame(schema=schema).write_csv(fh)
            for k, name in enumerate(files):
                frame = _conform(pl.scan_parquet(name), schema).collect()
                if neutralise_csv:
                    frame = neutralise_csv_cells(frame)
                frame.write_csv(fh, include_header=k == 0)
            fh.flush()
            os.fsync(fh.fileno())
        return
    _write_parquet(files, schema, target)
    _fsync(target)


def _write_parquet(files: Sequence[str], schema: pl.Schema, target: Path) -> None:
    """One Parquet file from the parts, a part at a time (one or more row groups each).

    ``pyarrow.parquet.ParquetWriter`` holds one part's table, never the whole output; polars'
    ``sink_parquet`` over a concatenation of many scans gave no such bound (decision 0901).
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    writer: Any = None
    try:
        for name in files:
            table = _conform(pl.scan_parquet(name), schema).collect().to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema, compression="zstd")
            writer.write_table(table, row_group_size=_ROW_GROUP_ROWS)
            del table
        if writer is None:
            pl.DataFrame(schema=schema).write_parquet(target)
    finally:
        if writer is not None:
            writer.close()


def write_outputs(
    run: PartitionedRun, calls: Path, subjects: Path, *, neutralise_csv: bool = True
) -> None:
    """Write the calls and subject summaries, streaming one partition at a time.

    ``calls`` and ``subjects`` end in ``.csv`` (one header, the partitions appended in subject
    order; formula-like cells neutralised as :func:`plasmatrial.intake.write_frame` does) or
    ``.parquet``. Write them into a staging folder
    (:func:`plasmatrial.intake.outputs.output_files`): a failure leaves them partial.
    """
    _write_one(run.visit_files, run.visits_schema, calls, neutralise_csv=neutralise_csv)
    _write_one(run.subject_files, run.subjects_schema, subjects, neutralise_csv=neutralise_csv)
