"""Progress on standard error for commands that run longer than about 2 s (issue 13).

Standard output stays what the command prints (tables, ``--json``); the bar is drawn on standard
error, only when that is a terminal, and never with ``--quiet`` or ``--json``.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

#: Help of ``--quiet`` on the long-running commands.
QUIET_HELP = "Show no progress bar (it is drawn on standard error, and only on a terminal)."


def stderr_progress(*, quiet: bool = False) -> Progress:
    """A transient progress bar on standard error, disabled when quiet or not a terminal."""
    console = Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
