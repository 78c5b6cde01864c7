"""``plasmatrial eligibility`` and ``plasmatrial concordance``: myeloma prior-therapy eligibility and
computed-vs-investigator response concordance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from plasmatrial import DISCLAIMER
from plasmatrial.cli._common import (
    NO_CSV_NEUTRALISE_HELP,
    echo_json,
    read_table,
    require_columns,
)
from plasmatrial.criteria.mm.concordance import concordance
from plasmatrial.criteria.mm.eligibility import ELIGIBILITY_RULE_SETS, evaluate_eligibility
from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake.io import write_frame
from plasmatrial.intake.outputs import output_files, refuse_inside


def eligibility(
    prior_therapy: Annotated[
        Path, typer.Option("--prior-therapy", help="Prior-therapy table (CSV or Parquet).")
    ],
    rule: Annotated[
        str, typer.Option("--rule", help=f"Rule set: {', '.join(ELIGIBILITY_RULE_SETS)}.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Evaluate a prior-therapy eligibility rule set for every subject."""
    frame = read_table(prior_therapy)
    require_columns(frame, prior_therapy, ["USUBJID", "REGID", "DRUG", "ASTDT"])
    from plasmatrial.api import as_dates as _as_dates

    frame = _as_dates(frame, ("ASTDT", "AENDT", "PDDT"))
    res = evaluate_eligibility(frame, rule)
    if as_json:
        echo_json({**res.to_dict(), "disclaimer": DISCLAIMER})
        return
    typer.echo(f"Rule set {res.rule_set} v{res.version}")
    for row in res.subjects.iter_rows(named=True):
        verdict = {True: "ELIGIBLE", False: "NOT ELIGIBLE", None: "UNDECIDED"}[row["ELIGFL"]]
        typer.echo(f"{row['USUBJID']}: {verdict}")
        for crit in res.criteria.filter(pl.col("USUBJID") == row["USUBJID"]).iter_rows(named=True):
            mark = {True: "pass", False: "FAIL", None: "n/a"}[crit["PASS"]]
            typer.echo(f"  [{mark}] {crit['CRITID']}: {crit['CRITTEXT']} - {crit['EXPLAIN']}")
    typer.echo(DISCLAIMER)


#: Overall response parameters, in the order ``concordance`` picks one from an ADRS.
OVERALL_PARAMS: tuple[str, ...] = ("OVRLRESP", "HEMRESP")


def _one_parameter(
    frame: pl.DataFrame, path: Path, param: str | None
) -> tuple[pl.DataFrame, str | None]:
    """Keep one PARAMCD of an ADRS-like frame (every row was compared before issue 13)."""
    if "PARAMCD" not in frame.columns:
        if param is not None:
            raise PlasmatrialError(f"--param {param}: {path} has no PARAMCD column")
        return frame, None
    present = frame.get_column("PARAMCD").cast(pl.String).drop_nulls().unique().sort().to_list()
    chosen = param or next((p for p in OVERALL_PARAMS if p in present), None)
    if chosen is None and len(present) == 1:
        chosen = present[0]
    if chosen is None or chosen not in present:
        raise PlasmatrialError(
            f"--param: choose the parameter of {path} to compare"
            + (f" ({chosen!r} is not one)" if chosen else "")
            + f"; PARAMCD values: {', '.join(present) or 'none'}"
        )
    return frame.filter(pl.col("PARAMCD").cast(pl.String) == chosen), chosen


def concordance_cmd(
    computed: Annotated[Path, typer.Option("--computed", help="Computed responses (CSV/Parquet).")],
    rs: Annotated[Path, typer.Option("--rs", help="SDTM RS domain (CSV/Parquet).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV of discordant visits.")],
    test_code: Annotated[str, typer.Option("--test-code")] = "OVRLRESP",
    param: Annotated[
        str | None,
        typer.Option(
            "--param",
            help="PARAMCD of --computed to compare when it holds several (an ADRS); "
            "default OVRLRESP, else HEMRESP",
        ),
    ] = None,
    no_csv_neutralise: Annotated[
        bool, typer.Option("--no-csv-neutralise", help=NO_CSV_NEUTRALISE_HELP)
    ] = False,
) -> None:
    """Write every subject-visit where the computed response differs from the investigator's."""
    if out.suffix.lower() != ".csv":
        raise PlasmatrialError(f"--out: expected a .csv path, got {out}")
    if not out.parent.is_dir():
        raise PlasmatrialError(f"--out: directory does not exist: '{out.parent}'")
    refuse_inside(out, [computed, rs], "--out")
    from plasmatrial.intake.dates import as_date  # not plasmatrial.api: it loads the pipeline

    comp = read_table(computed)
    if "ADT" in comp.columns:
        comp = comp.with_columns(as_date(comp, "ADT").alias("ADT"))
    comp, chosen = _one_parameter(comp, computed, param)
    inv = read_table(rs)
    res = concordance(comp, inv, test_code=test_code)
    with output_files([out]) as (staged,):
        write_frame(res.to_frame(), staged, neutralise_csv=not no_csv_neutralise)
    agreement = "n/a" if res.agreement is None else f"{res.agreement:.1%}"
    which = f" (computed PARAMCD {chosen} vs investigator {test_code})" if chosen else ""
    typer.echo(
        f"{res.n_compared} visits compared{which}, {res.n_agree} agree ({agreement}); "
        f"{res.to_frame().height} discordant rows written to {out}"
    )
    typer.echo(DISCLAIMER)


def respond_mm_cmd(
    assessments: Annotated[
        Path, typer.Option("--assessments", help="Wide assessment frame (CSV or Parquet).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Per-visit output (.csv or .parquet).")],
    criteria: Annotated[
        str, typer.Option("--criteria", help="IMWG_2016 (default) or IMWG_2011_NADIR.")
    ] = "IMWG_2016",
    no_csv_neutralise: Annotated[
        bool, typer.Option("--no-csv-neutralise", help=NO_CSV_NEUTRALISE_HELP)
    ] = False,
) -> None:
    """IMWG response per visit with confirmation; best confirmed response beside it."""
    if criteria not in ("IMWG_2016", "IMWG_2011_NADIR"):
        raise PlasmatrialError(f"--criteria: {criteria!r} is not one of IMWG_2016, IMWG_2011_NADIR")
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise PlasmatrialError(f"--out: expected a .csv or .parquet path, got {out}")
    best_path = out.with_name(f"{out.stem}.subjects{out.suffix}")
    refuse_inside(out, [assessments], "--out")
    refuse_inside(best_path, [assessments], "--out")
    frame = read_table(assessments)
    require_columns(frame, assessments, ["USUBJID", "ADT", "ABLFL"])
    from plasmatrial.api import adjudicate_mm

    visits, best = adjudicate_mm(frame, criteria)
    # Visits and best response are published together, under a lock (decision 0765).
    with output_files([out, best_path]) as staged:
        for df, path in zip((visits, best), staged, strict=True):
            write_frame(df, path, neutralise_csv=not no_csv_neutralise)
    counts = best.group_by("AVALC").len().sort("AVALC")
    summary = ", ".join(f"{r['AVALC']} {r['len']}" for r in counts.iter_rows(named=True))
    typer.echo(
        f"{criteria}: {visits.height} visits of {best.height} subjects written to {out}; "
        f"best confirmed response ({best_path}): {summary}"
    )
    typer.echo(DISCLAIMER)


def register(app: typer.Typer) -> None:
    """Attach ``eligibility``, ``concordance`` and ``respond-mm`` to the root app."""
    app.command("eligibility")(eligibility)
    app.command("concordance")(concordance_cmd)
    app.command("respond-mm")(respond_mm_cmd)


__all__ = ["register"]
