"""``plasmatrial run`` and ``plasmatrial report``: a trial file plus its data folder to ADaM
datasets, results and a self-contained HTML (and PDF) report.

The data folder holds one file per domain named after it (``dm.csv``, ``lb.parquet``...): DM and
LB are required; EX, AE, DS, QS, RS, PR (prior therapy) and CM (subsequent therapy) are optional.
A ``generator.json`` written by the virtual-patient generator is recorded as provenance.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Final

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from plasmatrial import DISCLAIMER
from plasmatrial._dask import DEFAULT_LOCAL_WORKERS
from plasmatrial.cli._common import (
    ACCEPT_UNITS_HELP,
    SchedulerOption,
    WorkersOption,
    _jsonable,
)
from plasmatrial.design.protocol import Trial
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import write_frame
from plasmatrial.intake.io import write_text, write_text_pieces
from plasmatrial.intake.outputs import output_folder, refuse_inside
from plasmatrial.report.html import PAPER_SIZES, html_to_pdf, render_html
from plasmatrial.report.trial_report import build_trial_report
from plasmatrial.synth.trial_types import TrialData
from plasmatrial.trial import STAGES, TrialInputs, TrialResults, run_trial
from plasmatrial.trial.dataset_json import dataset_json_text
from plasmatrial.trial.files import read_trial, read_trial_data, sha256
from plasmatrial.trial.partitions import DEFAULT_PARTITION_SIZE

console = Console(stderr=True)
DEMO_TRIAL: Final = "al_pomdex_phase2.yaml"
#: What a ``simulate-data`` folder holds: one CSV per domain and ``generator.json``; such a
#: folder is replaced as a whole by the next ``simulate-data`` on it (decision 0765).
DATA_FOLDER_NAMES: Final = frozenset({f"{d}.csv" for d in TrialData.DOMAINS} | {"generator.json"})


#: The data-folder reader, under the name the CLI modules and tests use.
read_inputs = read_trial_data


def git_revision(path: Path | None = None) -> str | None:
    """Git commit of the plasmatrial source tree, when it is a checkout (``path``: a directory
    of the tree, by default this package's).

    The short hash gets ``+modified`` when tracked files under ``path`` differ from that commit,
    so that a report never attributes its results to a commit whose code did not produce them.
    """
    where = path if path is not None else Path(__file__).resolve().parent.parent

    def git(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(
                ["git", *args], cwd=where, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None

    head = git("rev-parse", "--short=12", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return None
    diff = git("diff", "--quiet", "HEAD", "--", ".")
    modified = diff is not None and diff.returncode == 1
    return head.stdout.strip() + ("+modified" if modified else "")


def run_with_progress(
    trial: Trial,
    inputs: TrialInputs,
    *,
    quiet: bool = False,
    accept_units: bool = False,
    partition_size: int | None = None,
    scheduler: str | None = None,
    workers: int = DEFAULT_LOCAL_WORKERS,
) -> TrialResults:
    """Run the pipeline with a Rich progress bar over :data:`plasmatrial.trial.STAGES` (and,
    with ``partition_size`` or ``scheduler``, over the partitions of subjects; decision 0902)."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(trial.id, total=len(STAGES))

        def progress(stage: str, index: int, total: int) -> None:
            bar.update(task, completed=index, description=f"{trial.id}: {stage}")

        def partitions(done: int, total: int) -> None:
            bar.update(task, description=f"{trial.id}: validate + adjudicate {done}/{total}")

        res = run_trial(
            trial,
            inputs,
            progress=progress,
            accept_units=accept_units,
            partition_size=partition_size,
            scheduler=scheduler,
            n_workers=workers,
            partition_progress=partitions,
        )
        bar.update(task, completed=len(STAGES))
    return res


def write_outputs(
    res: TrialResults, out: Path, *, created: dt.datetime | None = None
) -> list[Path]:
    """Write ``OUT/adam/*.parquet`` + Dataset-JSON ``*.json`` and ``OUT/results.json``."""
    adam = out / "adam"
    adam.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in res.datasets.items():
        pq = adam / f"{name.lower()}.parquet"
        write_frame(frame, pq)
        js = adam / f"{name.lower()}.json"
        # Streamed: the whole document of ADRS was the run's peak memory (decision 0902).
        text = dataset_json_text(frame, name=name, study_oid=res.trial.id, created=created)
        write_text_pieces(js, text)
        written += [pq, js]
    payload = _jsonable(res.to_dict())
    rev = git_revision()
    if rev:
        payload["provenance"]["git"] = rev
    results = out / "results.json"
    write_text(results, json.dumps(payload, indent=1, allow_nan=False, default=str))
    written.append(results)
    return written


def write_report(res: TrialResults, out: Path, *, pdf: bool = False, paper: str = "a4") -> Path:
    """Write ``OUT/report.html`` (and ``OUT/report.pdf`` on ``paper``: a4 or letter); return the
    HTML path."""
    out.mkdir(parents=True, exist_ok=True)
    rev = git_revision()
    doc = build_trial_report(res, extra_provenance={"Git revision": rev} if rev else None)
    html = out / "report.html"
    write_text(html, render_html(doc, paper=paper))
    if pdf:
        html_to_pdf(html, out / "report.pdf")
    return html


def example_trial(name: str) -> Path:
    """Path of a seed trial definition (``examples/trials/<name>``): inside an installed wheel
    (``plasmatrial/_examples/trials``) or, in a checkout or editable install, the repository's."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "_examples" / "trials", package.parents[1] / "examples" / "trials"):
        if (folder / name).is_file():
            return folder / name
    raise PlasmatrialError(f"example trial {name!r} not found (looked in the package and checkout)")


def demo_trial_report(out_dir: Path, seed: int, *, pdf: bool = False, quiet: bool = True) -> Path:
    """Simulate AL-POMDEX-P2 data, run the trial analysis and write its report.

    The data come from :func:`plasmatrial.synth.simulate_trial_data` (all domains), written to
    ``out_dir/data`` with a ``generator.json`` recording the seed. Returns ``out_dir/report.html``.
    """
    from plasmatrial.synth import simulate_trial_data

    trial = read_trial(example_trial(DEMO_TRIAL))
    data = out_dir / "data"
    write_trial_data(simulate_trial_data(trial, seed=seed), data)
    res = run_with_progress(trial, read_inputs(data), quiet=quiet)
    write_outputs(res, out_dir)
    return write_report(res, out_dir, pdf=pdf)


def write_trial_data(data: TrialData, folder: Path) -> None:
    """Write simulated domains as CSV plus ``generator.json`` (seed and trial, for provenance)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in data.frames().items():
        write_frame(frame, folder / f"{name}.csv")
    gen = {
        "generator": "plasmatrial.synth.simulate_trial_data",
        "seed": data.seed,
        "trial": data.trial_id,
    }
    write_text(folder / "generator.json", json.dumps(gen, indent=1))


def _command(
    with_report: bool,
) -> Callable[..., None]:
    def command(
        trial_file: Annotated[Path, typer.Argument(help="Trial definition (YAML)")],
        data: Annotated[Path, typer.Option("--data", help="Folder with dm, lb, ex... files")],
        out: Annotated[Path, typer.Option("--out", help="Output folder")],
        pdf: Annotated[
            bool, typer.Option("--pdf", help="Also print report.pdf (Chromium)")
        ] = False,
        paper: Annotated[
            str, typer.Option("--paper", help="Page size of the printed report: a4 or letter")
        ] = "a4",
        accept_units: Annotated[
            bool, typer.Option("--accept-units", help=ACCEPT_UNITS_HELP)
        ] = False,
        partition_size: Annotated[
            int | None,
            typer.Option(
                "--partition-size",
                min=1,
                help="Validate and adjudicate this many subjects at a time (memory of those "
                "steps bounded by the partition; same results; default: all at once, or "
                f"{DEFAULT_PARTITION_SIZE} with --scheduler)",
            ),
        ] = None,
        scheduler: SchedulerOption = None,
        workers: WorkersOption = DEFAULT_LOCAL_WORKERS,
    ) -> None:
        if paper.lower() not in PAPER_SIZES:
            raise PlasmatrialError(f"--paper must be a4 or letter, not {paper!r}")
        refuse_inside(out, [trial_file, data], "--out")
        trial = read_trial(trial_file)
        # Locked from the start (a second command on the same --out stops at once); every file
        # goes to a staging folder: the previous --out set stays whole until the new one is
        # complete, then the two are swapped (decision 0765).
        with output_folder(out) as staging:
            res = run_with_progress(
                trial,
                read_inputs(data),
                accept_units=accept_units,
                partition_size=partition_size,
                scheduler=scheduler,
                workers=workers,
            )
            written = write_outputs(res, staging)
            if with_report:
                write_report(res, staging, pdf=pdf, paper=paper)
        lines = [
            f"Wrote {len(written) - 1} ADaM files to {out / 'adam'} and {out / 'results.json'}"
        ]
        if with_report:
            html = out / "report.html"
            lines.append(f"Report: {html}" + (f" and {out / 'report.pdf'}" if pdf else ""))
        judged = res.published.filter(pl.col("AGREES").is_not_null())
        if res.published.height:
            lines.append(
                f"Published figures: {int(judged['AGREES'].sum())} of {judged.height} judged agree "
                f"({res.published.height} listed)"
            )
        lines.append(f"Criteria: {res.criteria.label}")
        for line in lines:
            typer.echo(line)
        typer.echo(DISCLAIMER)

    return command


def register(app: typer.Typer) -> None:
    """Attach ``run`` and ``report`` to the root app."""
    run_cmd = _command(with_report=False)
    run_cmd.__doc__ = "Run a trial's analysis: ADaM datasets (Parquet + Dataset-JSON) and results."
    app.command("run")(run_cmd)
    rep_cmd = _command(with_report=True)
    rep_cmd.__doc__ = "Run a trial's analysis and write the HTML (and PDF) trial report."
    app.command("report")(rep_cmd)


__all__: list[Any] = [
    "demo_trial_report",
    "read_inputs",
    "read_trial",
    "register",
    "sha256",
]
