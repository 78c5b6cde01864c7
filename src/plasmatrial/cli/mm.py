"""``plasmatrial eligibility`` and ``plasmatrial concordance``: myeloma prior-therapy eligibility and
computed-vs-investigator response concordance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from plasmatrial import DISCLAIMER
from plasmatrial.cli._common import echo_json, read_table, require_columns
from plasmatrial.criteria.mm_concordance import concordance
from plasmatrial.criteria.mm_eligibility import ELIGIBILITY_RULE_SETS, evaluate_eligibility
from plasmatrial.errors import PlasmatrialError


def _as_dates(frame: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    fixes = [
        pl.col(c).cast(pl.String).str.to_date(strict=False)
        for c in cols
        if c in frame.columns and frame.schema[c] != pl.Date
    ]
    return frame.with_columns(fixes) if fixes else frame


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


def concordance_cmd(
    computed: Annotated[Path, typer.Option("--computed", help="Computed responses (CSV/Parquet).")],
    rs: Annotated[Path, typer.Option("--rs", help="SDTM RS domain (CSV/Parquet).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output CSV of discordant visits.")],
    test_code: Annotated[str, typer.Option("--test-code")] = "OVRLRESP",
) -> None:
    """Write every subject-visit where the computed response differs from the investigator's."""
    comp = _as_dates(read_table(computed), ("ADT",))
    inv = read_table(rs)
    res = concordance(comp, inv, test_code=test_code)
    if out.suffix.lower() != ".csv":
        raise PlasmatrialError(f"--out: expected a .csv path, got {out}")
    res.to_frame().write_csv(out)
    agreement = "n/a" if res.agreement is None else f"{res.agreement:.1%}"
    typer.echo(
        f"{res.n_compared} visits compared, {res.n_agree} agree ({agreement}); "
        f"{res.to_frame().height} discordant rows written to {out}"
    )
    typer.echo(DISCLAIMER)


def register(app: typer.Typer) -> None:
    """Attach ``eligibility`` and ``concordance`` to the root app."""
    app.command("eligibility")(eligibility)
    app.command("concordance")(concordance_cmd)
