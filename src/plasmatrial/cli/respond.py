"""``plasmatrial respond``: adjudicate response and progression from SDTM-like lab data.

Reads DM, LB (and EX; for myeloma also TU and TR), validates everything at once, builds the wide
assessment frame, applies the chosen rule set and writes one row per subject-visit and parameter
with the rule id, rule-set version, the values and references used and a sentence explaining each
call. A per-subject summary (evaluability, best response, time to first response) is written
beside it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER
from plasmatrial._dask import DEFAULT_LOCAL_WORKERS
from plasmatrial.api import (
    AL_ORGAN_FLAGS,
    check_responder,
    check_rule_set,
    respond_frames,
    subject_summary,
)
from plasmatrial.api import respond as respond_study
from plasmatrial.cli._common import (
    ACCEPT_UNITS_HELP,
    NO_CSV_NEUTRALISE_HELP,
    SchedulerOption,
    WorkersOption,
    read_table,
    require_columns,
)
from plasmatrial.cli._progress import QUIET_HELP, stage, staged, stderr_progress
from plasmatrial.criteria import get_rule_set
from plasmatrial.criteria.core.registry import DEFAULT_RULE_SETS, default_rule_set
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import load_sdtm, write_frame
from plasmatrial.intake.outputs import output_files
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS
from plasmatrial.partitioned import (
    AUTO_PARTITION_BYTES,
    DEFAULT_PARTITION_SIZE,
    location,
    parse_bytes,
    publish,
    respond_partitioned,
    write_outputs,
)

Disease = Literal["al", "mm"]
#: The derivation moved to :mod:`plasmatrial.api` (the CLI is a thin shell over it); these
#: names stay importable from here.
__all__ = [
    "AL_ORGAN_FLAGS",
    "register",
    "respond_frames",
    "subject_summary",
    "summary_path",
]

console = Console()


def summary_path(out: Path) -> Path:
    """Where the per-subject summary goes: ``OUT`` with ``.subjects`` before the extension."""
    return out.with_name(f"{out.stem}.subjects{out.suffix}")


def _responder(text: str | None, rule_set: str) -> tuple[str, ...] | None:
    """``--responder`` as a tuple of categories of the rule set's scale (None: the DEFAULT)."""
    if text is None:
        return None
    cats = tuple(c.strip() for c in text.split(",") if c.strip())
    return check_responder(cats, rule_set, option="--responder")


def _check_outputs(out: Path, inputs: list[Path | None]) -> None:
    """Refuse an output path that is one of the inputs (it would be overwritten)."""
    targets = {out.resolve(): "--out", summary_path(out).resolve(): "the subject summary"}
    for path in inputs:
        if path is not None and path.resolve() in targets:
            raise PlasmatrialError(
                f"{targets[path.resolve()]} would overwrite the input file {path}; "
                "choose another --out"
            )


def _print_summary(
    subjects: pl.DataFrame, rule_set: str, version: str, limit: int, total: int | None = None
) -> None:
    table = Table(title=f"Best response ({rule_set} v{version})", show_lines=False)
    for col in ("USUBJID", "class", "best", "date", "explanation"):
        table.add_column(col, overflow="fold")
    eval_col = next((c for c in ("HEMEVAL", "MMMEAS", "EVALCLASS") if c in subjects.columns), None)
    for row in subjects.head(limit).iter_rows(named=True):
        table.add_row(
            str(row["USUBJID"]),
            str(row.get(eval_col, "")) if eval_col else "",
            str(row.get("BESTRSP") or "NE"),
            str(row.get("BESTRSDT") or ""),
            str(row.get("BESTEXPL") or ""),
        )
    console.print(table)
    total = subjects.height if total is None else total
    if total > limit:
        console.print(f"... {total - limit} more subjects in the summary file")


def register(app: typer.Typer) -> None:
    """Attach ``respond`` to the root app."""

    @app.command("respond")
    @staged("respond", 3)
    def respond(
        dm: Annotated[Path, typer.Option("--dm", help="DM domain (CSV, Parquet, XPT, SAS7BDAT)")],
        lb: Annotated[Path, typer.Option("--lb", help="LB domain")],
        out: Annotated[
            Path, typer.Option("-o", "--out", help="Per-visit output (.csv or .parquet)")
        ],
        disease: Annotated[str, typer.Option("--disease", help="al or mm")] = "al",
        ex: Annotated[
            Path | None, typer.Option("--ex", help="EX domain (first dose, IMiD flag)")
        ] = None,
        criteria: Annotated[
            str | None, typer.Option("--criteria", help="Rule set (plasmatrial criteria list)")
        ] = None,
        show: Annotated[int, typer.Option("--show", help="Subjects to print (0 = none)")] = 40,
        cm: Annotated[
            Path | None,
            typer.Option(
                "--cm",
                help="CM domain: new anticancer therapy (CMSTDTC; CMCAT when present) ends the "
                "assessments that count for best response and time to response",
            ),
        ] = None,
        responder: Annotated[
            str | None,
            typer.Option(
                "--responder",
                help="Categories counted as response, comma-separated (default AL "
                "CR,VGPR,PR,LDPR; MM sCR,CR,VGPR,PR)",
            ),
        ] = None,
        tu: Annotated[
            Path | None,
            typer.Option("--tu", help="TU domain (myeloma: target, non-target and new lesions)"),
        ] = None,
        tr: Annotated[
            Path | None,
            typer.Option("--tr", help="TR domain (myeloma: plasmacytoma diameters; needs --tu)"),
        ] = None,
        imaging_window: Annotated[
            int,
            typer.Option(
                "--imaging-window", help="Days between an imaging date and its assessment date"
            ),
        ] = IMAGING_WINDOW_DAYS,
        accept_units: Annotated[
            bool, typer.Option("--accept-units", help=ACCEPT_UNITS_HELP)
        ] = False,
        no_disease_check: Annotated[
            bool,
            typer.Option(
                "--no-disease-check",
                help="With --disease mm: do not refuse data without measurable M-protein",
            ),
        ] = False,
        no_csv_neutralise: Annotated[
            bool, typer.Option("--no-csv-neutralise", help=NO_CSV_NEUTRALISE_HELP)
        ] = False,
        partition_size: Annotated[
            int | None,
            typer.Option(
                "--partition-size",
                min=1,
                help="Adjudicate this many subjects at a time (memory bounded by the partition, "
                f"not the input; default: all at once, or {DEFAULT_PARTITION_SIZE} when LB is over "
                f"{AUTO_PARTITION_BYTES // 2**20} MiB or --scheduler is given)",
            ),
        ] = None,
        scheduler: SchedulerOption = None,
        workers: WorkersOption = DEFAULT_LOCAL_WORKERS,
        memory_limit: Annotated[
            str | None,
            typer.Option(
                "--memory-limit",
                help="Instead of --partition-size: the partition size that keeps the run under "
                "this much memory (4GiB, 3.5G, 500MB; an estimate, docs/scale.md)",
            ),
        ] = None,
        quiet: Annotated[bool, typer.Option("--quiet", help=QUIET_HELP)] = False,
    ) -> None:
        """Adjudicate response and progression per subject-visit, with explanations."""
        disease = disease.lower()
        if disease.upper() not in DEFAULT_RULE_SETS:
            raise PlasmatrialError(f"--disease must be 'al' or 'mm', got '{disease}'")
        if out.suffix.lower() not in {".csv", ".parquet"}:
            raise PlasmatrialError(f"--out must end in .csv or .parquet, got '{out.name}'")
        rule_set = criteria or default_rule_set(disease)
        check_rule_set(disease, rule_set)
        # fsspec URLs (decision 0901): file:// is a local path; other file systems run in
        # partitions, which read and write through fsspec.
        dm, lb, out = _local(dm), _local(lb), _local(out)
        ex, cm, tu, tr = (_local(p) if p is not None else None for p in (ex, cm, tu, tr))
        remote = any(location(p)[0] for p in (dm, lb, ex, cm, tu, tr, out) if p is not None)
        _check_outputs(out, [dm, lb, ex, cm, tu, tr])
        limit = parse_bytes(memory_limit) if memory_limit is not None else None
        if limit is not None and partition_size is not None:
            raise PlasmatrialError("give --memory-limit or --partition-size, not both")
        if partition_size is None and (
            scheduler is not None
            or limit is not None
            or remote
            or (lb.is_file() and lb.stat().st_size > AUTO_PARTITION_BYTES)
        ):
            partition_size = DEFAULT_PARTITION_SIZE
        if partition_size is not None:
            _respond_in_partitions(
                dm=dm,
                lb=lb,
                ex=ex,
                tu=tu,
                tr=tr,
                cm=cm,
                out=out,
                rule_set=rule_set,
                disease=disease,  # type: ignore[arg-type]
                responder=_responder(responder, rule_set),
                check_disease=not no_disease_check,
                accept_units=accept_units,
                imaging_window=imaging_window,
                partition_size=partition_size,
                scheduler=scheduler,
                workers=workers,
                memory_limit=limit,
                neutralise=not no_csv_neutralise,
                show=show,
                quiet=quiet,
            )
            return
        stage("reading and checking the input")
        bundle = load_sdtm(
            dm,
            lb,
            ex,
            tu_path=tu,
            tr_path=tr,
            imaging_window_days=imaging_window,
            accept_units=accept_units,
        )
        cm_frame = None
        if cm is not None:
            cm_frame = read_table(cm)
            require_columns(cm_frame, cm, ["USUBJID", "CMSTDTC"])
        stage("adjudicating")
        res = respond_study(
            bundle,
            rule_set,
            disease=disease,  # type: ignore[arg-type]
            cm=cm_frame,
            responder=_responder(responder, rule_set),
            check_disease=not no_disease_check,
        )
        visits, subjects = res.visits, res.subjects
        # Calls and subjects are published together, under a lock (decision 0765).
        stage("writing")
        with output_files([out, summary_path(out)]) as (calls_tmp, subjects_tmp):
            write_frame(visits, calls_tmp, neutralise_csv=not no_csv_neutralise)
            write_frame(subjects, subjects_tmp, neutralise_csv=not no_csv_neutralise)
        stage(None)
        version = get_rule_set(rule_set).version
        if show > 0:
            _print_summary(subjects, rule_set, version, show)
        console.print(
            f"Wrote {visits.height} subject-visit calls to {out} and {subjects.height} subject "
            f"summaries to {summary_path(out)} using {rule_set} v{version}."
        )
        console.print(f"[dim]{DISCLAIMER}[/]")


def _respond_in_partitions(
    *,
    dm: Path,
    lb: Path,
    ex: Path | None,
    tu: Path | None,
    tr: Path | None,
    cm: Path | None,
    out: Path,
    rule_set: str,
    disease: Disease,
    responder: tuple[str, ...] | None,
    check_disease: bool,
    accept_units: bool,
    imaging_window: int,
    partition_size: int,
    scheduler: str | None,
    workers: int,
    memory_limit: int | None,
    neutralise: bool,
    show: int,
    quiet: bool,
) -> None:
    """``respond`` in partitions of subjects (decision 0900), published as one output set."""
    with (
        _staged_outputs(out) as (calls_tmp, subjects_tmp),
        stderr_progress(quiet=quiet) as progress,
    ):
        task = progress.add_task("adjudicating partitions", total=None)

        def on_part(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        run = respond_partitioned(
            dm,
            lb,
            ex,
            workdir=calls_tmp.parent / "parts",
            tu=tu,
            tr=tr,
            cm=cm,
            criteria=rule_set,
            disease=disease,
            responder=responder,
            check_disease=check_disease,
            accept_units=accept_units,
            imaging_window_days=imaging_window,
            partition_size=partition_size,
            scheduler=scheduler,
            n_workers=workers,
            memory_limit=memory_limit,
            progress=on_part,
        )
        progress.update(task, description="writing the outputs")
        write_outputs(run, calls_tmp, subjects_tmp, neutralise_csv=neutralise)
        head = run.subjects().head(show).collect() if show > 0 else None
    if head is not None:
        _print_summary(head, rule_set, run.version, show, total=run.n_subjects)
    console.print(
        f"Wrote {run.n_visits} subject-visit calls to {out} and {run.n_subjects} subject "
        f"summaries to {summary_path(out)} using {rule_set} v{run.version} "
        f"({len(run.parts)} partitions of up to {run.partition_size} subjects"
        + (f", Dask scheduler {scheduler}" if scheduler else "")
        + ")."
    )
    console.print(f"[dim]{DISCLAIMER}[/]")


def _local(path: Path) -> Path:
    """A ``file://`` URL as its local path; anything else as given (decision 0901)."""
    protocol, name = location(path)
    return path if protocol else Path(name)


@contextlib.contextmanager
def _staged_outputs(out: Path) -> Iterator[list[Path]]:
    """Where to write the calls and the summaries: the local output set (decision 0765), or
    for another file system a local temporary folder uploaded when the run succeeds."""
    if not location(out)[0]:
        with output_files([out, summary_path(out)]) as staged_files:
            yield staged_files
        return
    with tempfile.TemporaryDirectory(prefix="plasmatrial-respond-") as tmp:
        local = [Path(tmp) / "calls" / out.name, Path(tmp) / "calls" / summary_path(out).name]
        local[0].parent.mkdir()
        yield local
        publish([(local[0], out), (local[1], summary_path(out))])
