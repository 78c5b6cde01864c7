"""``plasmatrial stats km|logrank|cif|rmst``: descriptive survival and inference commands.

Each command reads a CSV/Parquet table, calls :mod:`plasmatrial.stats`, and prints Rich tables or,
with ``--json``, one JSON object holding every number at full precision.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

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

if TYPE_CHECKING:
    from plasmatrial.stats.km import KaplanMeierResult

# plasmatrial.stats (and so scipy) is imported inside each command, keeping `plasmatrial --help`
# and unrelated commands fast.
console = Console()
#: This module's commands; :func:`register` attaches them to the ``stats`` group when one runs.
stats_app = typer.Typer()

FileArg = Annotated[Path, typer.Argument(help="Input table (.csv or .parquet).")]
TimeOpt = Annotated[str, typer.Option("--time", help="Column with follow-up times.")]
EventOpt = Annotated[
    str | None,
    typer.Option("--event", help="Column with event indicator (1 = event, 0 = censored)."),
]
CnsrOpt = Annotated[str | None, typer.Option("--cnsr", help=CNSR_HELP)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def _fmt(x: float, digits: int = 4) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def _columns(
    path: Path, cols: list[str | None], na: str, *, numeric: tuple[str | None, ...]
) -> tuple[dict[str, np.ndarray[Any, Any]], CompleteRows]:
    """The used columns as arrays after ``--na`` (:func:`~plasmatrial.cli.stats_na.complete_rows`)."""
    frame = read_table(path)
    wanted = [c for c in cols if c is not None]
    require_columns(frame, path, wanted)
    rows = complete_rows(frame, path, cols, na, numeric=numeric)
    return {c: rows.frame[c].to_numpy() for c in wanted}, rows


def _note(rows: CompleteRows) -> None:
    """After the tables: how many rows ``--na omit`` dropped (nothing when none)."""
    text = rows.note()
    if text:
        console.print(text, highlight=False)


def _numeric(path: Path, name: str, values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        first = next((v for v in values if not _is_number(v)), values[0])
        raise PlasmatrialError(f"{path}: column {name} must be numeric, got {first!r}") from exc


def _last(a: np.ndarray[Any, Any]) -> float:
    return float(a[-1]) if a.size else float("nan")


def _is_number(v: object) -> bool:
    try:
        float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _km_payload(fit: KaplanMeierResult) -> dict[str, Any]:
    """One group's ``--json`` object: counts, quantiles and the curve at every distinct time.

    The curve holds R ``survfit``'s columns: ``std.err`` is the standard error of S (as
    ``summary(fit)``), ``cumhaz`` and ``std.chaz`` the Nelson-Aalen cumulative hazard and its
    standard error (``fit$cumhaz``, ``fit$std.chaz``).
    """
    q = fit.quantile([0.25, 0.5, 0.75])
    frame = fit.to_frame()
    return {
        "n": fit.n,
        "events": float(fit.n_event.sum()),
        "median": float(q.quantile[1]),
        "median_lower": float(q.lower[1]),
        "median_upper": float(q.upper[1]),
        "quantiles": {"prob": q.prob, "time": q.quantile, "lower": q.lower, "upper": q.upper},
        "table": {
            **{c: frame[c].to_numpy() for c in frame.columns},
            "cumhaz": fit.cumhaz,
            "std.chaz": fit.std_chaz,
        },
    }


@stats_app.command("km")
def km_command(
    file: FileArg,
    time: TimeOpt,
    event: EventOpt = None,
    group: Annotated[str | None, typer.Option("--group", help="Grouping column.")] = None,
    conf_type: Annotated[
        str, typer.Option("--conf-type", help="log, log-log, plain or none.")
    ] = "log",
    conf_level: Annotated[float, typer.Option("--conf-level")] = 0.95,
    as_json: JsonOpt = False,
    cnsr: CnsrOpt = None,
    na: NaOpt = "fail",
    entry: Annotated[
        str | None,
        typer.Option(
            "--entry",
            help="Delayed-entry (left-truncation) time column: a subject is at risk after its "
            "entry time and up to its --time (R Surv(entry, time, event)).",
        ),
    ] = None,
) -> None:
    """Kaplan-Meier estimate (R survfit conventions): medians with CIs, and the curve."""
    from plasmatrial.stats.km import kaplan_meier_by

    column, is_cnsr = resolve_event(event, cnsr)
    cols, rows = _columns(file, [time, column, group, entry], na, numeric=(time, column, entry))
    t = _numeric(file, time, cols[time])
    d = event_indicator(file, column, cols[column], is_cnsr=is_cnsr)
    g = cols[group] if group else np.zeros(t.shape[0], dtype=np.int64)
    start = None if entry is None else _numeric(file, entry, cols[entry])
    by = kaplan_meier_by(t, d, g, entry=start, conf_level=conf_level, conf_type=conf_type)  # type: ignore[arg-type]
    labels = by.groups if group else ("all",)
    if as_json:
        echo_json(
            {
                "command": "stats km",
                "conf_type": conf_type,
                "conf_level": conf_level,
                "entry": entry,
                **rows.to_dict(),
                "groups": {lab: _km_payload(f) for lab, f in zip(labels, by.fits, strict=True)},
            }
        )
        return
    delayed = "" if entry is None else f", delayed entry: {entry}"
    table = Table(title=f"Kaplan-Meier ({conf_type} CI, {100 * conf_level:g}%{delayed})")
    for col in ("group", "n", "events", "median", "lower", "upper"):
        table.add_column(col, justify="right")
    for lab, f in zip(labels, by.fits, strict=True):
        q = f.quantile([0.5])
        table.add_row(
            lab,
            _fmt(f.n),
            _fmt(float(f.n_event.sum())),
            _fmt(q.quantile[0]),
            _fmt(q.lower[0]),
            _fmt(q.upper[0]),
        )
    console.print(table)
    _note(rows)


@stats_app.command("logrank")
def logrank_command(
    file: FileArg,
    time: TimeOpt,
    group: Annotated[str, typer.Option("--group", help="Grouping column.")],
    event: EventOpt = None,
    strata: Annotated[str | None, typer.Option("--strata", help="Stratification column.")] = None,
    rho: Annotated[
        float, typer.Option("--rho", help="G-rho weight (0 log-rank, 1 Peto-Peto).")
    ] = 0.0,
    as_json: JsonOpt = False,
    cnsr: CnsrOpt = None,
    na: NaOpt = "fail",
) -> None:
    """Log-rank / G-rho test (R survdiff)."""
    from plasmatrial.stats.logrank import logrank_test

    column, is_cnsr = resolve_event(event, cnsr)
    cols, rows = _columns(file, [time, column, group, strata], na, numeric=(time, column))
    res = logrank_test(
        _numeric(file, time, cols[time]),
        event_indicator(file, column, cols[column], is_cnsr=is_cnsr),
        cols[group],
        strata=cols[strata] if strata else None,
        rho=rho,
    )
    if as_json:
        echo_json({"command": "stats logrank", **rows.to_dict(), **res.to_dict()})
        return
    table = Table(
        title=f"G-rho test, rho = {rho:g}" + (f", stratified by {strata}" if strata else "")
    )
    frame = res.to_frame()
    for col in frame.columns:
        table.add_column(col, justify="right")
    for row in frame.iter_rows():
        table.add_row(*(v if isinstance(v, str) else _fmt(v) for v in row))
    console.print(table)
    console.print(f"Chisq = {res.chisq:.4g} on {res.df} degrees of freedom, p = {res.p_value:.4g}")
    _note(rows)


@stats_app.command("cif")
def cif_command(
    file: FileArg,
    time: TimeOpt,
    status: Annotated[str, typer.Option("--status", help="Status column: 0 censored, k cause k.")],
    group: Annotated[str | None, typer.Option("--group", help="Grouping column.")] = None,
    as_json: JsonOpt = False,
    na: NaOpt = "fail",
) -> None:
    """Cumulative incidence per cause (cmprsk cuminc) with Gray's test across groups."""
    from plasmatrial.stats.cif import cumulative_incidence

    cols, rows = _columns(file, [time, status, group], na, numeric=(time, status))
    res = cumulative_incidence(
        _numeric(file, time, cols[time]),
        _numeric(file, status, cols[status]),
        group=cols[group] if group else None,
    )
    if as_json:
        echo_json(
            {
                "command": "stats cif",
                **rows.to_dict(),
                "groups": list(res.groups),
                "causes": list(res.causes),
                "curves": [
                    {
                        "group": c.group,
                        "cause": c.cause,
                        "time": c.time,
                        "estimate": c.estimate,
                        "variance": c.variance,
                        "lower": c.lower,
                        "upper": c.upper,
                    }
                    for c in res.curves
                ],
                "tests": [
                    {"cause": t.cause, "stat": t.statistic, "df": t.df, "p_value": t.p_value}
                    for t in res.tests
                ],
            }
        )
        return
    table = Table(title="Cumulative incidence at the last event time of each curve")
    for col in ("group", "cause", "events", "final CIF", "lower", "upper"):
        table.add_column(col, justify="right")
    for c in res.curves:
        table.add_row(
            c.group,
            c.cause,
            str(c.time.size),
            _fmt(_last(c.estimate)),
            _fmt(_last(c.lower)),
            _fmt(_last(c.upper)),
        )
    console.print(table)
    for t in res.tests:
        console.print(
            f"Gray's test, cause {t.cause}: stat = {t.statistic:.4g}, df = {t.df}, p = {t.p_value:.4g}"
        )
    _note(rows)


@stats_app.command("rmst")
def rmst_command(
    file: FileArg,
    time: TimeOpt,
    tau: Annotated[float, typer.Option("--tau", help="Truncation time.")],
    event: EventOpt = None,
    group: Annotated[str | None, typer.Option("--group", help="Two-level grouping column.")] = None,
    conf_level: Annotated[float, typer.Option("--conf-level")] = 0.95,
    as_json: JsonOpt = False,
    cnsr: CnsrOpt = None,
    na: NaOpt = "fail",
) -> None:
    """Restricted mean survival time up to --tau (R survfit rmean); difference for two groups."""
    from plasmatrial.stats.rmst import rmst, rmst_difference

    column, is_cnsr = resolve_event(event, cnsr)
    cols, rows = _columns(file, [time, column, group], na, numeric=(time, column))
    t = _numeric(file, time, cols[time])
    d_event = event_indicator(file, column, cols[column], is_cnsr=is_cnsr)
    if group is None:
        r = rmst(t, d_event, tau=tau, conf_level=conf_level)
        if as_json:
            echo_json({"command": "stats rmst", **rows.to_dict(), **r.to_dict()})
            return
        table = Table(title=f"RMST up to {tau:g}")
        for col in ("rmst", "se", "lower", "upper"):
            table.add_column(col, justify="right")
        table.add_row(_fmt(r.rmst), _fmt(r.se), _fmt(r.lower), _fmt(r.upper))
        console.print(table)
        _note(rows)
        return
    d = rmst_difference(t, d_event, cols[group], tau=tau, conf_level=conf_level)
    if as_json:
        echo_json({"command": "stats rmst", "tau": tau, **rows.to_dict(), **d.to_dict()})
        return
    table = Table(title=f"RMST up to {tau:g}")
    for col in ("group", "rmst", "se", "lower", "upper"):
        table.add_column(col, justify="right")
    for lab, a in zip(d.groups, d.arms, strict=True):
        table.add_row(lab, _fmt(a.rmst), _fmt(a.se), _fmt(a.lower), _fmt(a.upper))
    table.add_row(
        f"{d.groups[1]} - {d.groups[0]}",
        _fmt(d.difference),
        _fmt(d.se),
        _fmt(d.lower),
        _fmt(d.upper),
    )
    console.print(table)
    console.print(f"z = {d.z:.4g}, p = {d.p_value:.4g}")
    _note(rows)


def register(app: typer.Typer) -> None:
    """Attach ``km``, ``logrank``, ``cif`` and ``rmst`` to ``app`` (the ``stats`` group)."""
    app.registered_commands.extend(stats_app.registered_commands)


__all__ = ["register"]
