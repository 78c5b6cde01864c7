"""``plasmatrial stats cox``: Cox proportional-hazards regression on a CSV or Parquet table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from plasmatrial import DISCLAIMER
from plasmatrial.cli._common import (
    CNSR_HELP,
    echo_json,
    event_indicator,
    read_table,
    require_columns,
    resolve_event,
)
from plasmatrial.cli.stats_na import CompleteRows, NaOpt, complete_rows
from plasmatrial.errors import PlasmatrialError
from plasmatrial.stats.cox import CoxResult, cox_ph

#: This module's command; :func:`register` attaches it to the ``stats`` group when it runs.
stats_app = typer.Typer()


def design_matrix(frame: pl.DataFrame, covariates: list[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric columns as they are; string/categorical/boolean columns one-hot coded.

    The first level in sorted order is the reference (R's treatment contrasts on a factor whose
    levels are sorted); each other level becomes a 0/1 column named ``COL=level``.
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        s = frame[c]
        if s.null_count():
            raise PlasmatrialError(f"--covariates: column {c} has {s.null_count()} missing values")
        if s.dtype.is_numeric():
            cols.append(s.cast(pl.Float64).to_numpy())
            names.append(c)
            continue
        values = s.cast(pl.String).to_numpy()
        levels = sorted(set(values.tolist()))
        if len(levels) < 2:
            raise PlasmatrialError(f"--covariates: column {c} has a single level {levels!r}")
        for lev in levels[1:]:
            cols.append((values == lev).astype(np.float64))
            names.append(f"{c}={lev}")
    return np.column_stack(cols), names


def _event(frame: pl.DataFrame, col: str) -> np.ndarray:
    s = frame[col]
    if s.null_count():
        raise PlasmatrialError(f"--event: column {col} has {s.null_count()} missing values")
    return s.cast(pl.Float64).to_numpy() if s.dtype != pl.Boolean else s.to_numpy()


def _payload(fit: CoxResult, args: dict[str, Any]) -> dict[str, Any]:
    c = fit.concordance
    return {
        "command": "stats cox",
        "arguments": args,
        "n": fit.n,
        "n_events": fit.n_events,
        "ties": fit.ties,
        "robust": fit.robust,
        "coefficients": fit.to_dict(),
        "var": fit.var,
        "naive_var": fit.naive_var,
        "loglik_null": fit.loglik_null,
        "loglik": fit.loglik,
        "tests": {
            name: {"statistic": t.statistic, "df": t.df, "p_value": t.p_value}
            for name, t in (
                ("likelihood_ratio", fit.lr_test),
                ("wald", fit.wald_test),
                ("score", fit.score_test),
                ("robust_score", fit.robust_score_test),
            )
            if t is not None
        },
        "concordance": None
        if c is None
        else {
            "concordance": c.concordance,
            "std": c.std,
            "concordant": c.concordant,
            "discordant": c.discordant,
            "tied_x": c.tied_x,
            "tied_y": c.tied_y,
            "tied_xy": c.tied_xy,
        },
        "n_iter": fit.n_iter,
        "converged": fit.converged,
        "conf_level": fit.conf_level,
        "equivalent_r": "survival::coxph",
        "disclaimer": DISCLAIMER,
    }


def _print(fit: CoxResult, path: Path, rows: CompleteRows) -> None:
    console = Console()
    pct = f"{100 * fit.conf_level:g}%"
    table = Table(
        title=f"Cox model: {path.name} (n={fit.n}, events={fit.n_events}, ties={fit.ties})"
    )
    cols = ["term", "coef", "HR", "se(coef)"] + (["robust se"] if fit.robust else [])
    for col in [*cols, "z", "p", f"HR {pct} CI"]:
        table.add_column(col, justify="left" if col == "term" else "right")
    for j, name in enumerate(fit.names):
        row = [name, f"{fit.coef[j]:.4g}", f"{fit.hazard_ratio[j]:.4g}", f"{fit.naive_se[j]:.4g}"]
        if fit.robust:
            row.append(f"{fit.se[j]:.4g}")
        row += [
            f"{fit.z[j]:.3f}",
            f"{fit.p_value[j]:.3g}",
            f"{fit.conf_low[j]:.4g}–{fit.conf_high[j]:.4g}",
        ]
        table.add_row(*row)
    console.print(table)
    for label, t in (
        ("Likelihood ratio test", fit.lr_test),
        ("Wald test" + (" (robust)" if fit.robust else ""), fit.wald_test),
        ("Score (logrank) test", fit.score_test),
        ("Robust score test", fit.robust_score_test),
    ):
        if t is not None:
            console.print(f"{label} = {t.statistic:.4g} on {t.df} df, p = {t.p_value:.3g}")
    if fit.concordance is not None:
        c = fit.concordance
        console.print(f"Concordance = {c.concordance:.4f} (se = {c.std:.4f})")
    if not fit.converged:
        console.print(f"[yellow]warning:[/] not converged after {fit.n_iter} iterations")
    note = rows.note()
    if note:
        console.print(note, highlight=False)
    console.print(f"[dim]{DISCLAIMER}[/]")


@stats_app.command("cox")
def cox_command(
    file: Annotated[
        Path, typer.Argument(help="CSV or Parquet table, one row per subject/interval.")
    ],
    time: Annotated[str, typer.Option("--time", help="Exit-time column.")],
    covariates: Annotated[
        str, typer.Option("--covariates", help="Comma-separated covariate columns.")
    ],
    event: Annotated[
        str | None, typer.Option("--event", help="Event column (1 = event, 0 = censored).")
    ] = None,
    cnsr: Annotated[str | None, typer.Option("--cnsr", help=CNSR_HELP)] = None,
    strata: Annotated[str | None, typer.Option("--strata", help="Stratum column.")] = None,
    ties: Annotated[str, typer.Option("--ties", help="efron, breslow or exact.")] = "efron",
    entry: Annotated[
        str | None, typer.Option("--entry", help="Entry (counting-process start) column.")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="Cluster column (robust variance).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    na: NaOpt = "fail",
) -> None:
    """Fit a Cox proportional-hazards model (as R survival::coxph).

    String covariates are one-hot coded with the first sorted level as reference.
    """
    covs = [c.strip() for c in covariates.split(",") if c.strip()]
    if not covs:
        raise PlasmatrialError("--covariates: give at least one column name")
    if ties not in ("efron", "breslow", "exact"):
        raise PlasmatrialError(f"--ties: expected efron, breslow or exact; got {ties!r}")
    column, is_cnsr = resolve_event(event, cnsr)
    frame = read_table(file)
    extra = [c for c in (strata, entry, cluster) if c is not None]
    require_columns(frame, file, [time, column, *covs, *extra])
    rows = complete_rows(
        frame, file, [time, column, *covs, *extra], na, numeric=(time, column, entry)
    )
    frame = rows.frame
    X, names = design_matrix(frame, covs)
    tie: Literal["efron", "breslow", "exact"] = ties  # type: ignore[assignment]
    fit = cox_ph(
        frame[time].cast(pl.Float64).to_numpy(),
        event_indicator(file, column, _event(frame, column), is_cnsr=is_cnsr),
        X,
        entry=None if entry is None else frame[entry].cast(pl.Float64).to_numpy(),
        strata=None if strata is None else frame[strata].cast(pl.String).to_numpy(),
        cluster=None if cluster is None else frame[cluster].cast(pl.String).to_numpy(),
        ties=tie,
        names=names,
    )
    if as_json:
        args = {
            "file": str(file),
            "time": time,
            "event": event,
            "cnsr": cnsr,
            "covariates": covs,
            "strata": strata,
            "ties": ties,
            "entry": entry,
            "cluster": cluster,
            "na": rows.na,
        }
        echo_json({**_payload(fit, args), "n_read": rows.n_read, "n_omitted": rows.n_omitted})
    else:
        _print(fit, file, rows)


def register(app: typer.Typer) -> None:
    """Attach ``cox`` to ``app`` (the ``stats`` group)."""
    app.registered_commands.extend(stats_app.registered_commands)
