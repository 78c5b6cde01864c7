"""The ``plasmatrial`` command.

Each command group lives in its own module exposing ``register(app)``; this module lists them
(imported only when their command runs, :mod:`plasmatrial.cli._lazy_group`) and turns :class:`~plasmatrial.errors.PlasmatrialError` into one clear line and exit code 2.
"""

from __future__ import annotations

import os
import sys
from typing import ClassVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plasmatrial import DISCLAIMER, __version__
from plasmatrial.cli._lazy_group import LazyCommand, LazyGroup
from plasmatrial.errors import IntakeError, PlasmatrialError


def _cmd(module: str, help_text: str) -> LazyCommand:
    return LazyCommand(f"plasmatrial.cli.{module}", help_text)


class RootGroup(LazyGroup):
    """The root command: each command's module is imported only when that command runs.

    The one-line helps listed by ``plasmatrial --help`` are written here; a test checks each
    against the loaded command's own help.
    """

    LAZY: ClassVar[dict[str, LazyCommand]] = {
        "simulate": _cmd(
            "simulate",
            "Simulate a trial file's design: power, type I error, stopping, HR estimates "
            "(with MC SE).",
        ),
        "validate": _cmd(
            "intake",
            "Validate DM/LB/EX (TU/TR) files; print every problem at once (exit 2) or a summary.",
        ),
        "respond": _cmd(
            "respond", "Adjudicate response and progression per subject-visit, with explanations."
        ),
        "demo": _cmd(
            "demo",
            "Simulate the AL pomalidomide-dexamethasone trial, explain every call, "
            "write the report.",
        ),
        "eligibility": _cmd(
            "mm", "Evaluate a prior-therapy eligibility rule set for every subject."
        ),
        "concordance": _cmd(
            "mm",
            "Write every subject-visit where the computed response differs from the "
            "investigator's.",
        ),
        "respond-mm": _cmd(
            "mm", "IMWG response per visit with confirmation; best confirmed response beside it."
        ),
        "run": _cmd(
            "trial",
            "Run a trial's analysis: ADaM datasets (Parquet + Dataset-JSON) and results.",
        ),
        "report": _cmd(
            "trial", "Run a trial's analysis and write the HTML (and PDF) trial report."
        ),
        "simulate-data": _cmd(
            "simulate_data",
            "Simulate raw trial data (DM, LB, EX, AE, DS, QS, RS, PR, CM) for a trial file.",
        ),
        "replicate": _cmd(
            "replicate",
            "Simulate and analyse N seeds; per published figure, the share of seeds "
            "reproducing it.",
        ),
        "stats": _cmd(
            "stats", "Survival and inference statistics (checked against R survival/cmprsk)."
        ),
        "design": _cmd("design", "Trial design: Simon two-stage, 3+3, BOIN, log-rank sample size."),
        "synth": _cmd("intake", "Write seeded synthetic study data."),
        "criteria": _cmd(
            "criteria", "Published response/progression/staging criteria encoded as data."
        ),
        "serve": _cmd("serve", "Serve the response review workbench (web pages on SQLite or PostgreSQL)."),
        "audit": _cmd(
            "audit",
            "Check the workbench's audit trail: every row's hash, in order (exit 1 when broken).",
        ),
    }


app = typer.Typer(
    name="plasmatrial",
    help=(
        "Run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma.\n\n" + DISCLAIMER
    ),
    cls=RootGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Command-group modules under plasmatrial.cli, each with register(app: typer.Typer) -> None.
COMMAND_MODULES: tuple[str, ...] = tuple(
    dict.fromkeys(c.module.rsplit(".", 1)[1] for c in RootGroup.LAZY.values())
)
#: Width Rich uses when neither stdout nor stderr is a terminal and COLUMNS is unset: wide
#: enough that problem tables and result tables are not cut (Rich would use 80).
PIPE_COLUMNS = 200

err_console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _root() -> None:
    """Run and analyse IMiD-based trials in AL amyloidosis and multiple myeloma."""


@app.command()
def version() -> None:
    """Print the plasmatrial version."""
    typer.echo(f"plasmatrial {__version__}")


def where(file: str, row: int | None) -> str:
    """Where a problem is: ``line L (data row N)`` in a CSV file, ``data row N`` otherwise.

    ``Problem.row`` is the data row (1 = first record after the header), as in the problems'
    texts ("first at data row 3"); the CSV line is the one a text editor or a spreadsheet shows
    (header = line 1). A line end inside a quoted cell would shift it (study tables have none).
    """
    if row is None:
        return ""
    line = f"line {row + 1} " if file.lower().endswith(".csv") else ""
    return f"{line}(data row {row})" if line else f"data row {row}"


def print_problems(exc: IntakeError) -> None:
    """Print every intake problem as one table on standard error."""
    table = Table(title=str(exc), show_lines=False)
    for col in ("file", "where", "column", "value", "expected", "reason"):
        table.add_column(col)
    for p in exc.problems:
        d = p.as_dict()
        d["row"] = where(p.file, p.row)
        table.add_row(*("" if d[c] is None else str(d[c]) for c in d))
    err_console.print(table)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: user mistakes become one line on stderr and exit code 2."""
    if "COLUMNS" not in os.environ and not (sys.stdout.isatty() or sys.stderr.isatty()):
        os.environ["COLUMNS"] = str(PIPE_COLUMNS)
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
