"""The command line starts without its heavy libraries and prints help and tables whole (issue 13).

What is imported is read from ``sys.modules`` in a fresh interpreter, not timed; the times are in
``benchmarks/bench_cli_startup.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main

from plasmatrial.cli.app import RootGroup, app
from plasmatrial.cli.stats import StatsGroup
from tests.e2e.cli import ROOT, run_cli

HEAVY = ("polars", "scipy", "matplotlib", "numpy")


def _loaded_by(*args: str) -> set[str]:
    """Heavy top-level modules imported by ``plasmatrial ARGS`` (output discarded)."""
    probe = (
        "import contextlib, io, sys\n"
        "from plasmatrial.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({list(args)!r})\n"
        "    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "args", [pytest.param(["--help"], id="help"), pytest.param(["version"], id="version")]
)
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    assert _loaded_by(*args) == set()


@pytest.mark.parametrize("method", ["clopper-pearson", "jeffreys"])
def test_stats_ci_exact_intervals_import_no_heavy_library(method: str) -> None:
    # the beta quantile is pure Python (stats/_betainv.py, decision 0109)
    assert _loaded_by("stats", "ci", "--x", "19", "--n", "28", "--method", method) == set()


def test_stats_ci_normal_intervals_import_scipy_special_only() -> None:
    assert _loaded_by("stats", "ci", "--x", "19", "--n", "28", "--method", "wilson") == {
        "numpy",
        "scipy",
    }


def test_stats_help_does_not_import_the_cox_model() -> None:
    assert _loaded_by("stats", "--help") == set()


def test_listed_help_is_the_loaded_commands_own() -> None:
    root = typer.main.get_group(app)
    stats = root.load("stats")  # type: ignore[attr-defined]
    for group, lazy_commands in ((root, RootGroup.LAZY), (stats, StatsGroup.LAZY)):
        for name, lazy in lazy_commands.items():
            command = group.load(name)
            first_paragraph = (command.help or "").split("\n\n")[0].strip()
            assert lazy.help == first_paragraph, name


def test_every_command_module_registers_what_it_lists() -> None:
    root = typer.main.get_group(app)
    names = root.list_commands(None)  # type: ignore[arg-type]
    assert names[0] == "version"
    assert set(names[1:]) == set(RootGroup.LAZY)


def test_a_mistyped_command_gets_a_suggestion() -> None:
    proc = run_cli("simulat")
    assert proc.returncode == 2
    assert "Did you mean 'simulate'" in proc.stderr


def test_flags_show_no_bool_type_in_help() -> None:
    for args in (["--help"], ["stats", "ci", "--help"], ["run", "--help"]):
        proc = run_cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert "<bool>" not in proc.stdout, args
    assert "--json" in run_cli("stats", "ci", "--help").stdout


def test_problem_table_is_not_cut_when_not_a_terminal() -> None:
    proc = run_cli(
        "validate", "--dm", "examples/bad/dm.csv", "--lb", "examples/bad/lb_bad.csv",
        cwd=ROOT, columns=None,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "examples/bad/lb_bad.csv │ line 4 (data row 3)" in proc.stderr
    assert "a unit accepted for NTPROBNP: ng/L, pg/mL" in proc.stderr
