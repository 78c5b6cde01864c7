"""Every ``plasmatrial`` command of the README's Quick start runs as written (issue 13).

The commands are read from the Quick start's ``sh`` block (backslash continuations joined, ``#``
comments dropped; a trailing ``# exit N`` states an expected exit code other than 0) and run in
order in a temporary folder holding a copy of ``examples/``, as on a fresh checkout.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.e2e.cli import ROOT, run_cli

#: Commands that simulate or analyse whole trials, or read what those wrote (tens of seconds).
HEAVY = frozenset({"simulate-data", "run", "report", "simulate", "replicate"})
WRITTEN_BY_HEAVY = ("al/", "mm003/")


def quickstart_commands(readme: Path = ROOT / "README.md") -> list[tuple[list[str], int]]:
    """``(argv after 'plasmatrial', expected exit code)`` for each Quick-start command."""
    text = readme.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "no sh block in the Quick start"
    joined = re.sub(r"\\\n\s*", " ", block.group(1))
    commands = []
    for line in joined.splitlines():
        if not line.startswith("plasmatrial"):
            continue
        code = re.search(r"#\s*exit (\d+)", line)
        argv = shlex.split(line, comments=True)
        commands.append((argv[1:], int(code.group(1)) if code else 0))
    return commands


def _is_heavy(argv: list[str]) -> bool:
    return argv[0] in HEAVY or any(a.startswith(WRITTEN_BY_HEAVY) for a in argv)


def _fresh_checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def _run_all(commands: list[tuple[list[str], int]], cwd: Path) -> None:
    for argv, expected in commands:
        proc = run_cli(*argv, cwd=cwd, timeout=600)
        assert proc.returncode == expected, (
            f"plasmatrial {shlex.join(argv)}: exit {proc.returncode}\n{proc.stderr[-2000:]}"
        )


def test_quickstart_is_found_and_has_no_placeholders() -> None:
    commands = quickstart_commands()
    assert len(commands) >= 20
    for argv, _ in commands:
        assert "..." not in argv, argv
    assert any(code == 2 for _, code in commands)  # the bad-file example


def test_light_quickstart_commands_run_as_written(tmp_path: Path) -> None:
    light = [c for c in quickstart_commands() if not _is_heavy(c[0])]
    assert len(light) >= 10
    _run_all(light, _fresh_checkout(tmp_path))


@pytest.mark.slow
def test_every_quickstart_command_runs_as_written(tmp_path: Path) -> None:
    _run_all(quickstart_commands(), _fresh_checkout(tmp_path))
