"""The CLI entry point: help, version and the one-line error contract."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from plasmatrial.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_help_lists_commands() -> None:
    res = run_cli("--help")
    assert res.returncode == 0
    assert "version" in res.stdout
    flat = " ".join(res.stdout.split())
    assert "not a substitute for clinical judgement" in flat


def test_version() -> None:
    res = run_cli("version")
    assert res.returncode == 0
    assert res.stdout.startswith("plasmatrial ")


def test_unknown_command_exit_2_without_traceback() -> None:
    res = run_cli("no-such-command")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
