"""Command groups whose commands are imported only when run (decision 0770).

``plasmatrial --help`` lists every command with its one-line help, but importing every command
module loads polars, scipy and matplotlib (2-3 s). A :class:`LazyGroup` knows each command's name,
the module that registers it and its one-line help; the listing in ``--help`` uses those, and the
module is imported only when the command itself is resolved (run, or asked for its own help).
``tests/e2e/test_cli_startup.py`` checks that each listed help equals the loaded command's help.

Also here, because every loaded command passes through it: flags (``--json``, ``--help``) show no
type in the help (typer 0.2x prints ``<bool>`` after them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar

import typer
import typer.main
from typer._click import Context  # the click that typer vendors (0.2x)
from typer.core import TyperGroup, TyperOption


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """A command of a lazy group: the module whose ``register(app)`` attaches it, and its help."""

    module: str
    help: str


def hide_flag_types(command: Any) -> None:
    """Show no ``<bool>`` after flags in the help of ``command`` and every command below it."""
    ctx = Context(command)
    for param in command.get_params(ctx):  # includes --help
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        hide_flag_types(sub)


class LazyGroup(TyperGroup):
    """A Typer group whose ``LAZY`` commands are imported on first use.

    Subclasses set ``LAZY`` (name -> :class:`LazyCommand`, in help order). Commands registered on
    the Typer app itself (``version``) are listed first, as usual.
    """

    LAZY: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        return [*self.commands, *(n for n in self.LAZY if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in self.LAZY:
            return self.commands.get(cmd_name)
        # Listing (help): a placeholder holding the name and help, never invoked.
        return typer.core.TyperCommand(name=cmd_name, help=self.LAZY[cmd_name].help)

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        if args and args[0] in self.LAZY:
            self.load(args[0])
        elif args and not args[0].startswith("-") and args[0] not in self.commands:
            matches = get_close_matches(args[0], self.list_commands(ctx))
            if matches:  # typer's own suggestion sees only the commands loaded so far
                hint = ", ".join(repr(m) for m in matches)
                ctx.fail(f"No such command {args[0]!r}. Did you mean {hint}?")
        return super().resolve_command(ctx, args)

    def load(self, cmd_name: str) -> Any:
        """Import the module of ``cmd_name`` and attach its real command to this group."""
        if cmd_name not in self.commands:
            holder = typer.Typer()
            importlib.import_module(self.LAZY[cmd_name].module).register(holder)
            command = typer.main.get_group(holder).commands[cmd_name]
            hide_flag_types(command)
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_help(self, ctx: Context, formatter: Any) -> None:
        hide_flag_types(self)
        super().format_help(ctx, formatter)
