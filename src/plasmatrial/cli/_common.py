"""Small helpers shared by the CLI command modules: reading tables and printing JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from plasmatrial.cli._json import _jsonable as _jsonable
from plasmatrial.cli._json import echo_json as echo_json
from plasmatrial.errors import PlasmatrialError

if TYPE_CHECKING:
    import polars as pl

#: Help of ``--no-csv-neutralise`` (commands that write CSV; decision 0765).
NO_CSV_NEUTRALISE_HELP = (
    "Write CSV text cells verbatim: by default a cell starting with =, +, -, @, tab or CR that is "
    "not a number gets a leading ' so that a spreadsheet does not run it as a formula"
)
#: Help of ``--accept-units`` (validate, respond, run, report; decision 0105).
ACCEPT_UNITS_HELP = (
    "Accept the FLC unit labels as written: do not report unit_mixup problems "
    "(use only after checking the labels with the laboratory)."
)


#: ``--scheduler`` of the commands that run subject partitions on Dask (respond, run, report).
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Run the partitions on Dask: 'local' (a LocalCluster of --workers) or a scheduler "
        "address (tcp://host:8786; for respond the output folder must be shared storage)",
    ),
]
#: ``--workers`` of ``--scheduler local``.
WorkersOption = Annotated[
    int, typer.Option("--workers", min=1, help="Workers of --scheduler local")
]

#: Help of ``--cnsr`` on the survival commands.
CNSR_HELP = "ADaM censoring-flag column (CNSR: 1 = censored, 0 = event); instead of --event."


def resolve_event(event: str | None, cnsr: str | None) -> tuple[str, bool]:
    """The column holding the outcome and whether it is a censoring flag (``--cnsr``).

    ``--event CNSR`` is refused: ADaM's CNSR is 1 for a *censored* subject, the opposite of an
    event indicator, and reading it as one silently inverts the analysis.
    """
    if event is not None and cnsr is not None:
        raise PlasmatrialError("give --event or --cnsr, not both")
    if event is None and cnsr is None:
        raise PlasmatrialError(
            "give --event COLUMN (1 = event, 0 = censored) or --cnsr COLUMN "
            "(ADaM CNSR: 1 = censored, 0 = event)"
        )
    if event is not None:
        if event.strip().upper() == "CNSR":
            raise PlasmatrialError(
                f"--event {event}: CNSR is the ADaM censoring flag (1 = censored, 0 = event), "
                f"the opposite of an event indicator; use --cnsr {event}"
            )
        return event, False
    assert cnsr is not None
    return cnsr, True


def event_indicator(
    path: Path, column: str, values: np.ndarray[Any, Any], *, is_cnsr: bool
) -> np.ndarray[Any, Any]:
    """``values`` as given (``--event``) or ``1 - CNSR`` after checking CNSR is 0/1."""
    if not is_cnsr:
        return values
    try:
        flag = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        flag = np.full(len(values), np.nan)
    bad = ~np.isin(flag, (0.0, 1.0))
    if bad.any():
        first = values[int(np.argmax(bad))]
        raise PlasmatrialError(
            f"{path}: --cnsr column {column} must hold 0 or 1 (1 = censored), got {first!r}"
        )
    return 1.0 - flag


def read_table(path: Path) -> pl.DataFrame:
    """:func:`plasmatrial.intake.io.read_table`, importing polars only when a table is read."""
    from plasmatrial.intake.io import read_table as read

    return read(path)


def require_columns(frame: pl.DataFrame, path: Path, columns: list[str]) -> None:
    """Fail with one line naming every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlasmatrialError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )
