"""Progress on standard error for commands that run longer than about 2 s (issue 13).

Standard output stays what the command prints (tables, ``--json``); the bar is drawn on standard
error, only when that is a terminal, and never with ``--quiet`` or ``--json``. Commands that call
one library function per stage use :func:`staged` and :func:`stage` (``validate``, ``respond``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

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


_STEP: ContextVar[Callable[[str | None], None] | None] = ContextVar(
    "plasmatrial_step", default=None
)
_F = TypeVar("_F", bound=Callable[..., Any])


def staged(label: str, total: int) -> Callable[[_F], _F]:
    """Decorate a command whose body marks its stages with :func:`stage`: while it runs, a
    transient bar (standard error, terminal only) shows ``label: stage`` and how many of ``total``
    stages are done. A command without a ``--quiet`` gets the bar only on a terminal."""

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with stderr_progress() as bar:
                task = bar.add_task(label, total=total)
                done = -1

                def step(text: str | None) -> None:
                    nonlocal done
                    if text is None:  # finished: clear the bar before the command prints
                        bar.update(task, completed=total)
                        bar.stop()
                        return
                    done += 1
                    # drawn now, not at the next tick of the refresh thread: a stage shorter
                    # than a tick (or a busy machine) would otherwise never show its name
                    bar.update(task, description=f"{label}: {text}", completed=done, refresh=True)

                token = _STEP.set(step)
                try:
                    return func(*args, **kwargs)
                finally:
                    _STEP.reset(token)

        return run  # type: ignore[return-value]

    return decorate


def stage(text: str | None) -> None:
    """Mark the start of a stage of a :func:`staged` command (``None``: all stages done)."""
    step = _STEP.get()
    if step is not None:
        step(text)
