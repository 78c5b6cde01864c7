"""The CLI entry point: help, version and the one-line error contract."""

from __future__ import annotations

from tests.e2e.cli import run_cli


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
