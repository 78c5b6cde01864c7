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
from plasmatrial.cli._common import ACCEPT_UNITS_HELP, read_table, require_columns
from plasmatrial.criteria import adjudicate, get_rule_set, stage
from plasmatrial.criteria.summary import evaluability, summarise_response
from plasmatrial.design.protocol import NEW_THERAPY_CATEGORIES
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import load_sdtm, write_frame
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS
from plasmatrial.trial.derive import (
    DEFAULT_RESPONDER,
    RESPONSE_PARAM,
    RESPONSE_SCALE,
    new_therapy_dates,
    time_origin,
)

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


def subject_summary(
    visits: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    *,
    disease: str,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """Best response, first response and time to response per DM subject.

    The derivation ``plasmatrial run`` uses (:func:`plasmatrial.trial.derive.derive_response`
    through :func:`plasmatrial.criteria.summary.summarise_response`), with the same time origin
    (randomisation, else first dose), the same responder categories by DEFAULT
    (:data:`plasmatrial.trial.derive.DEFAULT_RESPONDER`), new anticancer therapy from CM and
    deaths from DM ``DTHDTC``, so the two never disagree about a subject.
    """
    key = disease.upper()
    param = RESPONSE_PARAM[key]
    subjects = time_origin(dm, ex)
    if "DTHDTC" in dm.columns:
        dth = dm.select(
            pl.col("USUBJID").cast(pl.Utf8),
            pl.col("DTHDTC")
            .cast(pl.Utf8)
            .str.slice(0, 10)
            .str.to_date(strict=False)
            .alias("DTHDT"),
        ).unique("USUBJID", keep="first")
        subjects = subjects.join(dth, on="USUBJID", how="left")
    if cm is not None:
        nact = (
            new_therapy_dates(cm, NEW_THERAPY_CATEGORIES)
            .join(subjects.select("USUBJID", "STARTDT"), on="USUBJID", how="inner")
            .filter(pl.col("NACTDT") > pl.col("STARTDT"))
            .group_by("USUBJID")
            .agg(pl.col("NACTDT").min())
        )
        subjects = subjects.join(nact, on="USUBJID", how="left")
    calls = visits.filter(pl.col("PARAMCD") == param)
    summary = summarise_response(
        calls,
        subjects,
        scale=RESPONSE_SCALE[key],
        responder=responder or DEFAULT_RESPONDER[key],
    )
    return summary.subjects


def adjudicate_al(
    assessments: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    rule_set: str,
    *,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-visit adjudication and per-subject summary for AL amyloidosis."""
    visits = adjudicate(assessments, rule_set)
    summary = subject_summary(visits, dm, ex, disease="al", cm=cm, responder=responder)
    evals = evaluability(assessments, rule_set)
    subjects = (
        summary.join(evals, on="USUBJID", how="left")
        .join(_stages_wide(assessments), on="USUBJID", how="left")
        .sort("USUBJID")
    )
    return visits, subjects


def _stages_wide(assessments: pl.DataFrame) -> pl.DataFrame:
    """Baseline stages (Mayo 2004, Mayo 2012, BU, renal) as one column each."""
    stages = stage(assessments)
    return stages.pivot(on="PARAMCD", index="USUBJID", values="AVALC", aggregate_function="first")


def _responder(text: str | None, disease: str, rule_set: str) -> tuple[str, ...] | None:
    """``--responder`` as a tuple of categories of the disease's scale (None: the DEFAULT)."""
    if text is None:
        return None
    cats = tuple(c.strip() for c in text.split(",") if c.strip())
    scale = RESPONSE_SCALE[disease.upper()]
    unknown = [c for c in cats if c not in scale.ranking]
    if unknown or not cats:
        raise PlasmatrialError(
            f"--responder: {', '.join(unknown) or '(empty)'} not a {rule_set} category; "
            f"choose from {', '.join(scale.ranking)}"
        )
    return cats


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
            str(row.get("BESTRSP") or "NE"),
            str(row.get("BESTRSDT") or ""),
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
    ) -> None:
        """Adjudicate response and progression per subject-visit, with explanations."""
        disease = disease.lower()
        if disease not in DEFAULT_RULE_SET:
            raise PlasmatrialError(f"--disease must be 'al' or 'mm', got '{disease}'")
        if out.suffix.lower() not in {".csv", ".parquet"}:
            raise PlasmatrialError(f"--out must end in .csv or .parquet, got '{out.name}'")
        rule_set = criteria or DEFAULT_RULE_SET[disease]
        _check_disease(disease, rule_set)
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
        cats = _responder(responder, disease, rule_set)
        if disease == "al":
            visits, subjects = adjudicate_al(
                bundle.assessments, bundle.dm, bundle.ex, rule_set, cm=cm_frame, responder=cats
            )
        else:
            from plasmatrial.cli.mm import adjudicate_mm

            visits, _ = adjudicate_mm(bundle.assessments, rule_set)
            subjects = subject_summary(
                visits.with_columns(pl.lit("OVRLRESP").alias("PARAMCD")),
                bundle.dm, bundle.ex, disease="mm", cm=cm_frame, responder=cats,
            )  # fmt: skip
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
