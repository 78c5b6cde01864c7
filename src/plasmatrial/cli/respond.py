"""``plasmatrial respond``: adjudicate response and progression from SDTM-like lab data.

Reads DM, LB (and EX; for myeloma also TU and TR), validates everything at once, builds the wide
assessment frame, applies the chosen rule set and writes one row per subject-visit and parameter
with the rule id, rule-set version, the values and references used and a sentence explaining each
call. A per-subject summary (evaluability, best response, time to first response) is written
beside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER
from plasmatrial.criteria import (
    adjudicate,
    best_response,
    get_rule_set,
    stage,
    time_to_first_response,
)
from plasmatrial.criteria.summary import evaluability
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import load_sdtm, write_frame
from plasmatrial.intake.assessments import first_dose_dates
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS

Disease = Literal["al", "mm"]
DEFAULT_RULE_SET: dict[str, str] = {"al": "CR_2012_RATIO", "mm": "IMWG_2016"}
DISEASE_NAMES: dict[str, tuple[str, ...]] = {
    "al": ("al", "al amyloidosis"),
    "mm": ("mm", "multiple myeloma", "myeloma"),
}

console = Console()


def summary_path(out: Path) -> Path:
    """Where the per-subject summary goes: ``OUT`` with ``.subjects`` before the extension."""
    return out.with_name(f"{out.stem}.subjects{out.suffix}")


def adjudicate_al(
    assessments: pl.DataFrame, dm: pl.DataFrame, ex: pl.DataFrame | None, rule_set: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-visit adjudication and per-subject summary for AL amyloidosis."""
    visits = adjudicate(assessments, rule_set)
    best = best_response(visits)
    first = first_dose_dates(dm, ex).rename({"FDT": "TRTSDT"})
    ttr = time_to_first_response(visits, first)
    evals = evaluability(assessments, rule_set)
    subjects = (
        evals.join(
            best.select(
                "USUBJID",
                pl.col("AVALC").alias("BESTRESP"),
                pl.col("ADT").alias("BESTDT"),
                pl.col("EXPLAIN").alias("BESTEXPL"),
            ),
            on="USUBJID",
            how="left",
        )
        .join(
            ttr.select(
                "USUBJID",
                pl.col("AVAL").alias("TTFR_DAYS"),
                pl.col("CNSR").alias("TTFR_CNSR"),
            ),
            on="USUBJID",
            how="left",
        )
        .join(_stages_wide(assessments), on="USUBJID", how="left")
        .sort("USUBJID")
    )
    return visits, subjects


def _stages_wide(assessments: pl.DataFrame) -> pl.DataFrame:
    """Baseline stages (Mayo 2004, Mayo 2012, BU, renal) as one column each."""
    stages = stage(assessments)
    return stages.pivot(on="PARAMCD", index="USUBJID", values="AVALC", aggregate_function="first")


def _check_disease(disease: str, rule_set: str) -> None:
    rs = get_rule_set(rule_set)
    if rs.disease.lower() not in DISEASE_NAMES[disease]:
        raise PlasmatrialError(
            f"rule set {rule_set} is for {rs.disease}, not {disease.upper()}; "
            "see `plasmatrial criteria list`"
        )


def _print_summary(subjects: pl.DataFrame, rule_set: str, version: str, limit: int) -> None:
    table = Table(title=f"Best response ({rule_set} v{version})", show_lines=False)
    for col in ("USUBJID", "class", "best", "date", "explanation"):
        table.add_column(col, overflow="fold")
    eval_col = next((c for c in ("HEMEVAL", "MMMEAS", "EVALCLASS") if c in subjects.columns), None)
    for row in subjects.head(limit).iter_rows(named=True):
        table.add_row(
            str(row["USUBJID"]),
            str(row.get(eval_col, "")) if eval_col else "",
            str(row.get("BESTRESP") or "NE"),
            str(row.get("BESTDT") or ""),
            str(row.get("BESTEXPL") or ""),
        )
    console.print(table)
    if subjects.height > limit:
        console.print(f"... {subjects.height - limit} more subjects in the summary file")


def register(app: typer.Typer) -> None:
    """Attach ``respond`` to the root app."""

    @app.command("respond")
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
    ) -> None:
        """Adjudicate response and progression per subject-visit, with explanations."""
        disease = disease.lower()
        if disease not in DEFAULT_RULE_SET:
            raise PlasmatrialError(f"--disease must be 'al' or 'mm', got '{disease}'")
        if out.suffix.lower() not in {".csv", ".parquet"}:
            raise PlasmatrialError(f"--out must end in .csv or .parquet, got '{out.name}'")
        rule_set = criteria or DEFAULT_RULE_SET[disease]
        _check_disease(disease, rule_set)
        bundle = load_sdtm(dm, lb, ex, tu_path=tu, tr_path=tr, imaging_window_days=imaging_window)
        if disease == "al":
            visits, subjects = adjudicate_al(bundle.assessments, bundle.dm, bundle.ex, rule_set)
        else:
            from plasmatrial.cli.mm import adjudicate_mm

            visits, best = adjudicate_mm(bundle.assessments, rule_set)
            subjects = best.rename({"AVALC": "BESTRESP", "ADT": "BESTDT"}).with_columns(
                pl.format(
                    "best confirmed response {} first reached {}",
                    pl.col("BESTRESP"),
                    pl.col("BESTDT").cast(pl.String).fill_null("-"),
                ).alias("BESTEXPL")
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        write_frame(visits, out)
        write_frame(subjects, summary_path(out))
        version = get_rule_set(rule_set).version
        if show > 0:
            _print_summary(subjects, rule_set, version, show)
        console.print(
            f"Wrote {visits.height} subject-visit calls to {out} and {subjects.height} subject "
            f"summaries to {summary_path(out)} using {rule_set} v{version}."
        )
        console.print(f"[dim]{DISCLAIMER}[/]")
