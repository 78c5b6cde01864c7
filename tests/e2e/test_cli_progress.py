"""Long commands draw progress on standard error, only on a terminal and never with --quiet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.cli import ROOT, run_cli

TRIAL = str(ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml")
#: Rich treats standard error as a terminal (the bar is drawn) when FORCE_COLOR is set.
TERMINAL = {"FORCE_COLOR": "1"}
TWO_ARMS = str(ROOT / "examples" / "trials" / "mm_pom_lodex_vs_hidex.yaml")


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


@pytest.mark.parametrize(
    ("env", "quiet", "drawn"),
    [
        pytest.param(TERMINAL, False, True, id="terminal"),
        pytest.param(TERMINAL, True, False, id="terminal-quiet"),
        pytest.param({}, False, False, id="pipe"),
    ],
)
def test_simulate_data_progress(
    tmp_path: Path, env: dict[str, str], quiet: bool, drawn: bool
) -> None:
    args = ["simulate-data", TRIAL, "--out", str(tmp_path / "data")]
    proc = run_cli(*args, *(["--quiet"] if quiet else []), env_extra=env)
    assert proc.returncode == 0, proc.stderr
    assert ("pass 1/" in proc.stderr) is drawn
    assert "AL-POMDEX-P2: 28 subjects" in _plain(proc.stdout)
    assert "pass 1/" not in proc.stdout


def test_simulate_progress_is_on_stderr_only() -> None:
    args = ["simulate", TWO_ARMS, "--n-sims", "200", "--batch-size", "50", "--json"]
    quiet = run_cli(*args)
    shown = run_cli(*args[:-1], env_extra=TERMINAL)
    assert quiet.returncode == 0, quiet.stderr
    assert shown.returncode == 0, shown.stderr
    assert "simulating trials" not in quiet.stderr
    assert "simulating trials" in shown.stderr
    assert "simulating trials" not in shown.stdout
