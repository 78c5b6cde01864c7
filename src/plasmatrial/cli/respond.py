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
from plasmatrial.cli.mm import _prepare_assessments
from plasmatrial.criteria import RuleSet, adjudicate, get_rule_set, stage
from plasmatrial.criteria.rules import DEFAULT_RULE_SETS, default_rule_set, is_for_disease
from plasmatrial.criteria.scale import ResponseSpec
from plasmatrial.criteria.summary import evaluability, summarise_response
from plasmatrial.design.protocol import NEW_THERAPY_CATEGORIES
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import load_sdtm, write_frame
from plasmatrial.intake.tumor import IMAGING_WINDOW_DAYS
from plasmatrial.trial.derive import new_therapy_dates, time_origin

Disease = Literal["al", "mm"]
console = Console()


def summary_path(out: Path) -> Path:
    """Where the per-subject summary goes: ``OUT`` with ``.subjects`` before the extension."""
    return out.with_name(f"{out.stem}.subjects{out.suffix}")


def subject_summary(
    visits: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    *,
    response: ResponseSpec,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """Best response, first response and time to response per DM subject.

    The derivation ``plasmatrial run`` uses (:func:`plasmatrial.trial.derive.derive_response`
    through :func:`plasmatrial.criteria.summary.summarise_response`), with the same time origin
    (randomisation, else first dose), the same responder categories by DEFAULT (the rule set's
    ``response.responder``), new anticancer therapy from CM and deaths from DM ``DTHDTC``, so
    the two never disagree about a subject.
    """
    param = response.parameter
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
        scale=response.scale,
        responder=responder or response.responder,
    )
    return summary.subjects


def respond_frames(
    assessments: pl.DataFrame,
    dm: pl.DataFrame,
    ex: pl.DataFrame | None,
    rule_set: str,
    *,
    cm: pl.DataFrame | None = None,
    responder: tuple[str, ...] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-visit calls and per-subject summary, as the rule set's response says (decision 0260).

    Per visit: the rule set's ``response.visits`` frame (IMWG: confirmed OVRLRESP with relapse
    flags), else every adjudicated parameter. Per subject: :func:`subject_summary`, with the
    baseline evaluability class and the staging rule set's stages when the response has them.
    """
    rs = get_rule_set(rule_set)
    response = rs.response_spec()
    if response.visits is not None:
        visits = response.visits(assessments, rs)
    else:
        visits = adjudicate(assessments, rule_set)
    subjects = subject_summary(visits, dm, ex, response=response, cm=cm, responder=responder)
    if response.evaluability is None and response.staging is None:
        return visits, subjects
    if response.evaluability is not None:
        subjects = subjects.join(evaluability(assessments, rule_set), on="USUBJID", how="left")
    if response.staging is not None:
        subjects = subjects.join(
            _stages_wide(assessments, response.staging), on="USUBJID", how="left"
        )
    return visits, subjects.sort("USUBJID")


def _stages_wide(assessments: pl.DataFrame, rule_set: str) -> pl.DataFrame:
    """Baseline stages (AL: Mayo 2004, Mayo 2012, BU, renal) as one column each."""
    stages = stage(assessments, rule_set)
    return stages.pivot(on="PARAMCD", index="USUBJID", values="AVALC", aggregate_function="first")


def _responder(text: str | None, rule_set: str) -> tuple[str, ...] | None:
    """``--responder`` as a tuple of categories of the rule set's scale (None: the DEFAULT)."""
    if text is None:
        return None
    cats = tuple(c.strip() for c in text.split(",") if c.strip())
    scale = get_rule_set(rule_set).response_spec().scale
    unknown = [c for c in cats if c not in scale.ranking]
    if unknown or not cats:
        raise PlasmatrialError(
            f"--responder: {', '.join(unknown) or '(empty)'} not a {rule_set} category; "
            f"choose from {', '.join(scale.ranking)}"
        )
    return cats


def _check_disease(disease: str, rule_set: str) -> None:
    rs = get_rule_set(rule_set)
    if not is_for_disease(rs, disease):
        raise PlasmatrialError(
            f"rule set {rule_set} is for {rs.disease}, not {disease.upper()}; "
            "see `plasmatrial criteria list`"
        )
    param = get_rule_set(default_rule_set(disease)).response_spec().parameter
    made = {t.paramcd for t in rs.tables} | {o.paramcd for o in rs.overall}
    if rs.response is None or param not in made:
        raise PlasmatrialError(
            f"--criteria {rule_set}: not a response rule set (it derives "
            f"{', '.join(sorted(made)) or 'nothing'}, no {param}); respond needs one that "
            f"calls {param}, e.g. {default_rule_set(disease)} (see `plasmatrial criteria list`)"
        )


#: DM columns that only AL amyloidosis data carry (baseline organ involvement, docs/intake.md).
AL_ORGAN_FLAGS: tuple[str, ...] = ("HEARTFL", "KIDNEYFL", "LIVERFL")


def _check_measurable_data(
    assessments: pl.DataFrame, dm: pl.DataFrame, rule_set: RuleSet, disease: str
) -> None:
    """Refuse a rule set with a measurability parameter (IMWG) on data that look like AL (issue 13).

    Two signals, either one refuses: DM flags AL organ involvement (``HEARTFL``/``KIDNEYFL``/
    ``LIVERFL`` = Y for some subject), or no subject has a measurable serum or urine M-protein at
    baseline by the rule set's own measurability table (``response.measurable``: MMMEAS).
    """
    measurable = rule_set.response_spec().measurable
    if measurable is None:
        return
    meas_param, m_protein_classes = measurable
    flags = [c for c in AL_ORGAN_FLAGS if c in dm.columns]
    organ = (
        dm.filter(
            pl.any_horizontal(pl.col(c).cast(pl.String).str.to_uppercase() == "Y" for c in flags)
        ).height
        if flags
        else 0
    )
    hint = "use --disease al, or add --no-disease-check if this really is myeloma data"
    if organ:
        raise PlasmatrialError(
            f"--disease {disease}: DM flags AL amyloidosis organ involvement ({', '.join(flags)} = Y "
            f"for {organ} of {dm.height} subjects); {hint}"
        )
    calls = adjudicate(assessments, rule_set)
    meas = calls.filter(pl.col("PARAMCD") == meas_param).unique("USUBJID", keep="first")
    if meas.height == 0 or meas.filter(pl.col("AVALC").is_in(m_protein_classes)).height:
        return
    counts = meas.group_by("AVALC").len().sort("AVALC")
    shown = ", ".join(f"{r['AVALC'] or 'none'} {r['len']}" for r in counts.iter_rows(named=True))
    raise PlasmatrialError(
        f"--disease {disease}: no subject has a measurable serum or urine M-protein at baseline "
        f"by {rule_set.name} (measurability: {shown}); FLC-only data like this is usually AL "
        f"amyloidosis: {hint}"
    )


def _check_outputs(out: Path, inputs: list[Path | None]) -> None:
    """Refuse an output path that is one of the inputs (it would be overwritten)."""
    targets = {out.resolve(): "--out", summary_path(out).resolve(): "the subject summary"}
    for path in inputs:
        if path is not None and path.resolve() in targets:
            raise PlasmatrialError(
                f"{targets[path.resolve()]} would overwrite the input file {path}; "
                "choose another --out"
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
        no_disease_check: Annotated[
            bool,
            typer.Option(
                "--no-disease-check",
                help="With --disease mm: do not refuse data without measurable M-protein",
            ),
        ] = False,
    ) -> None:
        """Adjudicate response and progression per subject-visit, with explanations."""
        disease = disease.lower()
        if disease.upper() not in DEFAULT_RULE_SETS:
            raise PlasmatrialError(f"--disease must be 'al' or 'mm', got '{disease}'")
        if out.suffix.lower() not in {".csv", ".parquet"}:
            raise PlasmatrialError(f"--out must end in .csv or .parquet, got '{out.name}'")
        rule_set = criteria or default_rule_set(disease)
        _check_disease(disease, rule_set)
        _check_outputs(out, [dm, lb, ex, cm, tu, tr])
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
        cats = _responder(responder, rule_set)
        rs = get_rule_set(rule_set)
        prepared = _prepare_assessments(bundle.assessments, rs.columns)
        if not no_disease_check:
            _check_measurable_data(prepared, bundle.dm, rs, disease)
        visits, subjects = respond_frames(
            prepared, bundle.dm, bundle.ex, rule_set, cm=cm_frame, responder=cats
        )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PlasmatrialError(f"--out: cannot create folder '{out.parent}': {exc}") from None
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
