"""``plasmatrial stats ...``: command group for the statistics in :mod:`plasmatrial.stats`.

Commands are defined in sibling modules (listed in ``STATS_COMMAND_MODULES``) that decorate
``stats_app``; this keeps each estimator's CLI next to nothing else.
"""

from __future__ import annotations

import importlib

import typer

stats_app = typer.Typer(
    help="Survival and inference statistics (checked against R survival/cmprsk).",
    no_args_is_help=True,
)

STATS_COMMAND_MODULES: tuple[str, ...] = ("stats_descriptive", "stats_cox")


def register(app: typer.Typer) -> None:
    """Attach the ``stats`` group to the root app."""
    for name in STATS_COMMAND_MODULES:
        importlib.import_module(f"plasmatrial.cli.{name}")
    app.add_typer(stats_app, name="stats")
