"""``plasmatrial validate`` and ``plasmatrial synth al``: check input files, write synthetic ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import polars as pl
import typer

from plasmatrial.cli._chunked import DEFAULT_CHUNK_SUBJECTS, write_al_chunks
from plasmatrial.cli._common import ACCEPT_UNITS_HELP
from plasmatrial.cli._progress import QUIET_HELP, stage, staged, stderr_progress
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import load_sdtm, write_frame

synth_app = typer.Typer(help="Write seeded synthetic study data.", no_args_is_help=True)

SynthFormat = Literal["csv", "parquet", "xpt"]


def validate(
    dm: Annotated[Path, typer.Option("--dm", help="DM file (csv, parquet, xpt, sas7bdat).")],
    lb: Annotated[Path, typer.Option("--lb", help="LB file.")],
    ex: Annotated[Path | None, typer.Option("--ex", help="EX file (optional).")] = None,
    tu: Annotated[Path | None, typer.Option("--tu", help="TU file (myeloma lesions).")] = None,
    tr: Annotated[Path | None, typer.Option("--tr", help="TR file (lesion diameters).")] = None,
    accept_units: Annotated[bool, typer.Option("--accept-units", help=ACCEPT_UNITS_HELP)] = False,
) -> None:
    """Validate DM/LB/EX (TU/TR) files; print every problem at once (exit 2) or a summary."""
    given = ", ".join(p.name for p in (dm, lb, ex, tu, tr) if p is not None)
    stage(f"reading and checking {given}")
    bundle = load_sdtm(dm, lb, ex, tu_path=tu, tr_path=tr, accept_units=accept_units)
    stage(None)
    typer.echo(f"OK: {bundle.n_subjects} subjects, {bundle.assessments.height} assessments")


def _write_xpt(frame: pl.DataFrame, path: Path, name: str) -> None:
    import os
    import tempfile

    import pyreadstat

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pyreadstat.write_xport(frame.to_pandas(), tmp, table_name=name, file_format_version=5)
        os.replace(tmp, path)
    except Exception as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PlasmatrialError(f"--out: could not write '{path}': {exc}") from exc


def synth_al(
    out: Annotated[Path, typer.Option("--out", help="Output directory (created if needed).")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of patients.")] = 30,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20240601,
    n_cycles: Annotated[int, typer.Option("--cycles", min=1, help="Treatment cycles.")] = 6,
    fmt: Annotated[str, typer.Option("--format", help="csv, parquet or xpt.")] = "csv",
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size",
            min=1,
            help="Subjects generated at a time when --n is larger (csv and parquet): files of "
            "any size in the memory of one chunk",
        ),
    ] = DEFAULT_CHUNK_SUBJECTS,
    quiet: Annotated[bool, typer.Option("--quiet", help=QUIET_HELP)] = False,
) -> None:
    """Write dm/lb/ex files of a synthetic AL amyloidosis cohort (lab values only)."""
    from plasmatrial.synth import generate_al_cohort  # only this command needs the generator

    if fmt not in ("csv", "parquet", "xpt"):
        raise PlasmatrialError(f"--format: expected csv, parquet or xpt, got '{fmt}'")
    out.mkdir(parents=True, exist_ok=True)
    if n > chunk_size and fmt != "xpt":
        with stderr_progress(quiet=quiet) as progress:
            task = progress.add_task(f"generating {n} subjects", total=None)
            rows = write_al_chunks(
                out,
                n=n,
                seed=seed,
                n_cycles=n_cycles,
                fmt=fmt,
                chunk_size=chunk_size,
                progress=lambda k, total: progress.update(task, completed=k, total=total),
            )
        for name, count in rows.items():
            typer.echo(f"wrote {out / f'{name}.{fmt}'} ({count} rows)")
        return
    cohort = generate_al_cohort(n_subjects=n, n_cycles=n_cycles, seed=seed)
    for name, frame in (("dm", cohort.dm), ("lb", cohort.lb), ("ex", cohort.ex)):
        path = out / f"{name}.{fmt}"
        if fmt == "xpt":
            _write_xpt(frame, path, name.upper())
        else:
            write_frame(frame, path)
        typer.echo(f"wrote {path} ({frame.height} rows)")


def register(app: typer.Typer) -> None:
    """Attach ``validate`` and the ``synth`` group to the root app."""
    app.command("validate")(staged("validate", 1)(validate))
    synth_app.command("al")(synth_al)
    app.add_typer(synth_app, name="synth")
