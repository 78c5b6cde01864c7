"""``plasmatrial stats ...``: command group for the statistics in :mod:`plasmatrial.stats`.

Commands are defined in sibling modules (``stats_ci``, ``stats_descriptive``, ``stats_cox``), each
imported only when one of its commands runs (:class:`~plasmatrial.cli._lazy_group.LazyGroup`), so
``plasmatrial stats ci`` does not load polars or the Cox model.
"""

from __future__ import annotations

from typing import ClassVar

import typer

from plasmatrial.cli._lazy_group import LazyCommand, LazyGroup

_DESCRIPTIVE = "plasmatrial.cli.stats_descriptive"


class StatsGroup(LazyGroup):
    """``stats`` subcommands, in help order, with the one-line helps ``stats --help`` lists."""

    LAZY: ClassVar[dict[str, LazyCommand]] = {
        "ci": LazyCommand(
            "plasmatrial.cli.stats_ci",
            "Confidence interval for a proportion x/n (default exact Clopper-Pearson).",
        ),
        "km": LazyCommand(
            _DESCRIPTIVE,
            "Kaplan-Meier estimate (R survfit conventions): medians with CIs, and the curve.",
        ),
        "logrank": LazyCommand(_DESCRIPTIVE, "Log-rank / G-rho test (R survdiff)."),
        "cif": LazyCommand(
            _DESCRIPTIVE,
            "Cumulative incidence per cause (cmprsk cuminc) with Gray's test across groups.",
        ),
        "rmst": LazyCommand(
            _DESCRIPTIVE,
            "Restricted mean survival time up to --tau (R survfit rmean); difference for two groups.",
        ),
        "cox": LazyCommand(
            "plasmatrial.cli.stats_cox",
            "Fit a Cox proportional-hazards model (as R survival::coxph).",
        ),
    }


stats_app = typer.Typer(
    help="Survival and inference statistics (checked against R survival/cmprsk).",
    cls=StatsGroup,
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Attach the ``stats`` group to the root app."""
    app.add_typer(stats_app, name="stats")
