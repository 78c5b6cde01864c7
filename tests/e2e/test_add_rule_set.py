"""The walk-through "adding a rule set" of docs/architecture.md, kept true (decision 0270).

A package outside plasmatrial declares one entry point in the group ``plasmatrial.rule_sets``
(here a dist-info folder on PYTHONPATH, exactly what ``pip install`` of such a package leaves)
and nothing else: the rule set then appears in ``criteria list``, ``criteria show``, the docs
check and ``respond``, through the real command line.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import polars as pl
import pytest

from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"
NAME = "AL_2024_EXAMPLE"

#: The plug-in's whole source: a builder that returns a RuleSet (the architecture walk-through).
PLUGIN = '''
"""A hypothetical 2024 AL consensus update: the 2012 tables with the ISA Board CR definition."""

from dataclasses import replace

from plasmatrial.criteria.al.response import build_al_rule_set
from plasmatrial.criteria.core.rules import OptionValue, RuleSet


def build(**options: OptionValue) -> RuleSet:
    base = build_al_rule_set(**{"cr_variant": "CR_ISA", **options})
    return replace(
        base,
        name="AL_2024_EXAMPLE",
        version="2024.0.1",
        description="Hypothetical 2024 AL consensus update (walk-through example)",
        builder=build,
    )
'''


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PYTHONPATH with the source tree and an installed-looking plug-in package."""
    site = tmp_path_factory.mktemp("site")
    (site / "al2024_example").mkdir()
    (site / "al2024_example" / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    dist = site / "al2024_example-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: al2024-example\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(f"""\
            [plasmatrial.rule_sets]
            {NAME} = al2024_example:build
            """),
        encoding="utf-8",
    )
    return f"{ROOT / 'src'}{os.pathsep}{site}"


def _cli(plugin_path: str, *args: str) -> tuple[int, str, str]:
    res = run_cli(*args, env_extra={"PYTHONPATH": plugin_path})
    return res.returncode, res.stdout, res.stderr


def test_the_new_rule_set_is_listed_and_shown(plugin_path: str) -> None:
    code, out, err = _cli(plugin_path, "criteria", "list")
    assert code == 0, err
    assert NAME in out and "Hypothetical 2024 AL consensus update" in out
    code, out, err = _cli(plugin_path, "criteria", "show", NAME)
    assert code == 0, err
    assert "version 2024.0.1" in out and "AL.HEM.CR.CR_ISA" in out


def test_the_docs_check_asks_for_its_page_and_accepts_it_once_written(
    plugin_path: str, tmp_path: Path
) -> None:
    code, _, err = _cli(plugin_path, "criteria", "docs", str(ROOT / "docs" / "criteria"), "--check")
    assert code == 1
    assert [line.split(": ", 1)[1] for line in err.splitlines()] == [f"missing: {NAME}.md"]
    code, _, err = _cli(plugin_path, "criteria", "docs", str(tmp_path))
    assert code == 0, err
    assert f"# {NAME} (version 2024.0.1)" in (tmp_path / f"{NAME}.md").read_text(encoding="utf-8")
    code, out, err = _cli(plugin_path, "criteria", "docs", str(tmp_path), "--check")
    assert code == 0, err
    assert "current" in out


def test_respond_runs_it_like_a_built_in(plugin_path: str, tmp_path: Path) -> None:
    files = ("--dm", str(AL / "dm.csv"), "--lb", str(AL / "lb.csv"), "--ex", str(AL / "ex.csv"))
    new, isa = tmp_path / "new.parquet", tmp_path / "isa.parquet"
    code, _, err = _cli(
        plugin_path, "respond", "--disease", "al", "--criteria", NAME, *files, "-o", str(new)
    )
    assert code == 0, err
    code, _, err = _cli(
        plugin_path, "respond", "--disease", "al", "--criteria", "CR_ISA", *files, "-o", str(isa)
    )
    assert code == 0, err
    got, ref = pl.read_parquet(new), pl.read_parquet(isa)
    assert set(got["RULESET"].unique()) == {NAME}
    assert set(got["RULESETVER"].unique()) == {"2024.0.1"}
    # Same tables as CR_ISA, so the same calls; only the rule set's name and version differ.
    drop = ["RULESET", "RULESETVER"]
    assert got.drop(drop).equals(ref.drop(drop))


def test_without_the_plug_in_the_name_is_unknown() -> None:
    res = run_cli("criteria", "show", NAME)
    assert res.returncode == 2
    assert f"unknown rule set {NAME!r}" in res.stderr
