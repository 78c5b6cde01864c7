"""``plasmatrial stats ci``: a confidence interval for a proportion.

Kept apart from the survival commands so that it imports neither polars nor the table readers:
only :mod:`plasmatrial.stats.binomial` (numpy and :mod:`scipy.special`).
"""

from __future__ import annotations

import math
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from plasmatrial.cli._json import echo_json

_METHODS = "clopper-pearson, wilson, wilson-cc, jeffreys, agresti-coull, mid-p, wald"

console = Console()
#: This module's command; :func:`register` attaches it to the ``stats`` group when it runs.
stats_app = typer.Typer()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def _fmt(x: float, digits: int = 4) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


@stats_app.command("ci")
def ci_command(
    x: Annotated[int, typer.Option("--x", help="Number of successes (responders).")],
    n: Annotated[int, typer.Option("--n", help="Number of trials (evaluable patients).")],
    method: Annotated[
        str, typer.Option("--method", help=f"One of {_METHODS}.")
    ] = "clopper-pearson",
    conf_level: Annotated[float, typer.Option("--conf-level")] = 0.95,
    alternative: Annotated[
        str, typer.Option("--alternative", help="two-sided, less or greater.")
    ] = "two-sided",
    as_json: JsonOpt = False,
) -> None:
    """Confidence interval for a proportion x/n (default exact Clopper-Pearson)."""
    from plasmatrial.stats.binomial import binomial_ci

    res = binomial_ci(x, n, method=method, conf_level=conf_level, alternative=alternative)  # type: ignore[arg-type]
    if as_json:
        echo_json({"command": "stats ci", **res.to_dict()})
        return
    table = Table(title=f"Binomial proportion ({res.method}, {res.alternative})")
    for col in ("x", "n", "estimate", f"{100 * conf_level:g}% lower", "upper"):
        table.add_column(col, justify="right")
    table.add_row(str(x), str(n), _fmt(res.estimate), _fmt(res.lower), _fmt(res.upper))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Attach ``ci`` to ``app`` (the ``stats`` group)."""
    app.registered_commands.extend(stats_app.registered_commands)
