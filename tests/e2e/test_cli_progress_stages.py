"""Progress on ``validate`` and ``respond`` (issue 13: every command that may run longer than about
2 s), drawn on standard error only on a terminal; ``concordance`` starts without the pipeline
(its time on the MM-003 cohort was the import of :mod:`plasmatrial.api`, not its work)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"
#: Rich treats standard error as a terminal (the bar is drawn) when FORCE_COLOR is set.
TERMINAL = {"FORCE_COLOR": "1"}


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


@pytest.mark.parametrize(("env", "drawn"), [(TERMINAL, True), ({}, False)], ids=["tty", "pipe"])
def test_validate_shows_its_stage_on_a_terminal_only(env: dict[str, str], drawn: bool) -> None:
    res = run_cli("validate", "--dm", str(AL / "dm.csv"), "--lb", str(AL / "lb.csv"), env_extra=env)
    assert res.returncode == 0, res.stderr
    assert ("validate: reading and checking dm.csv, lb.csv" in _plain(res.stderr)) is drawn
    assert _plain(res.stdout).startswith("OK: 30 subjects")


def test_validate_problems_still_print_after_the_bar() -> None:
    bad = ROOT / "examples" / "bad"
    res = run_cli(
        "validate", "--dm", str(bad / "dm.csv"), "--lb", str(bad / "lb_bad.csv"),
        env_extra=TERMINAL,
    )  # fmt: skip
    assert res.returncode == 2
    assert "unknown_unit" in _plain(res.stderr)


@pytest.mark.parametrize(("env", "drawn"), [(TERMINAL, True), ({}, False)], ids=["tty", "pipe"])
def test_respond_shows_its_stages(tmp_path: Path, env: dict[str, str], drawn: bool) -> None:
    out = tmp_path / "calls.csv"
    res = run_cli(
        "respond", "--dm", str(AL / "dm.csv"), "--lb", str(AL / "lb.csv"),
        "--ex", str(AL / "ex.csv"), "-o", str(out), "--show", "0", env_extra=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    err = _plain(res.stderr)
    for name in ("reading and checking the input", "adjudicating", "writing"):
        assert (f"respond: {name}" in err) is drawn
    assert "respond:" not in _plain(res.stdout)
    assert "subject-visit calls" in _plain(res.stdout)
    assert out.exists()


def test_concordance_does_not_load_the_pipeline(tmp_path: Path) -> None:
    comp = tmp_path / "computed.csv"
    comp.write_text("USUBJID,ADT,AVALC\nA,2020-01-01,PR\n")
    rs = tmp_path / "rs.csv"
    rs.write_text("USUBJID,RSDTC,RSTESTCD,RSSTRESC\nA,2020-01-01,OVRLRESP,PR\n")
    args = ["concordance", "--computed", str(comp), "--rs", str(rs), "-o", str(tmp_path / "d.csv")]
    probe = (
        "import contextlib, io, sys\n"
        "from plasmatrial.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({args!r})\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "print(' '.join(m for m in ('plasmatrial.api', 'plasmatrial.trial.pipeline', 'scipy')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == []
    assert (tmp_path / "d.csv").exists()
