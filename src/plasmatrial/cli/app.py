"""The ``plasmatrial`` command.

Each command group lives in its own module exposing ``register(app)``; this module only wires them
together and turns :class:`~plasmatrial.errors.PlasmatrialError` into one clear line and exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plasmatrial import DISCLAIMER, __version__
from plasmatrial.errors import IntakeError, PlasmatrialError

app = typer.Typer(
    name="plasmatrial",
    help=(
        "Run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma.\n\n" + DISCLAIMER
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command-group modules under plasmatrial.cli, each with register(app: typer.Typer) -> None.
COMMAND_MODULES: tuple[str, ...] = (
    "stats",
    "design",
    "simulate",
    "intake",
    "criteria",
    "respond",
    "demo",
    "mm",
    "trial",
    "simulate_data",
    "replicate",
)

err_console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _root() -> None:
    """Run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma."""


@app.command()
def version() -> None:
    """Print the plasmatrial version."""
    typer.echo(f"plasmatrial {__version__}")


_registered: list[bool] = []


def _register_all() -> None:
    """Attach every command group once (``main`` may run several times in one process)."""
    if _registered:
        return
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"plasmatrial.cli.{name}")
        module.register(app)
    _registered.append(True)


def print_problems(exc: IntakeError) -> None:
    """Print every intake problem as one table on standard error."""
    table = Table(title=str(exc), show_lines=False)
    for col in ("file", "row", "column", "value", "expected", "reason"):
        table.add_column(col)
    for p in exc.problems:
        d = p.as_dict()
        table.add_row(*("" if d[c] is None else str(d[c]) for c in d))
    err_console.print(table)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user mistakes become one line on stderr and exit code 2."""
    _register_all()
    try:
        app(args=argv, prog_name="plasmatrial")
    except IntakeError as exc:
        print_problems(exc)
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except PlasmatrialError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2)
    except OSError as exc:  # an output path that is a folder, read-only, missing, /proc ...
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
