"""The typed ``simulation:`` block (decision 0620): strict, bounded, every knob a field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plasmatrial.design.protocol import parse_trial
from plasmatrial.design.simulation import Simulation
from plasmatrial.errors import DesignError

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src" / "plasmatrial"

BASE = """\
id: X
title: t
disease: MM
n_planned: 10
arms:
  - {code: A, name: a, regimen: [{drug: P, dose: 4, days: "1-21"}]}
primary:
  - {id: ORR, label: o, type: response_rate, categories: [sCR, CR, VGPR, PR]}
"""


def _problems(block: str) -> str:
    with pytest.raises(DesignError) as err:
        parse_trial(BASE + block, source="t.yaml")
    return str(err.value)


def test_unknown_key_is_a_located_error() -> None:
    msg = _problems("simulation:\n  median_pfs_month: 4.0\n")
    assert "simulation.median_pfs_month (line 10): unknown key" in msg


@pytest.mark.parametrize(
    ("block", "where"),
    [
        ("simulation:\n  dropout_fraction: 1.5\n", "simulation.dropout_fraction (line 10)"),
        ("simulation:\n  ae_discontinuations: -1\n", "simulation.ae_discontinuations"),
        ("simulation:\n  median_retries: '3'\n", "simulation.median_retries (line 10)"),
        ("simulation:\n  start_date: soon\n", "simulation.start_date (line 10)"),
        (
            "simulation:\n  best_response_counts: {A: {PR: 3.5}}\n",
            "simulation.best_response_counts.A.PR (line 10)",
        ),
        (
            "simulation:\n  dose_reductions: {P: [3, 0]}\n",
            "simulation.dose_reductions.P.1 (line 10)",
        ),
    ],
)
def test_values_are_strict_and_bounded(block: str, where: str) -> None:
    assert where in _problems(block)


def test_knobs_are_typed() -> None:
    sim = parse_trial(
        BASE
        + """\
simulation:
  start_date: "2011-03-01"
  best_response_counts: {A: {VGPR: 1, PR: 3, SD: 6}}
  dose_reductions: {P: [3, 2]}
  median_pfs_months: {A: 4}
"""
    ).simulation
    assert sim.start_date is not None and sim.start_date.isoformat() == "2011-03-01"
    assert list(sim.best_response_counts or {}) == ["A"]
    assert list((sim.best_response_counts or {})["A"]) == ["VGPR", "PR", "SD"]  # order kept
    assert sim.dose_reductions == {"P": (3.0, 2.0)}
    assert sim.get("dropout_fraction", 0.03) == 0.03
    assert sim.given() == {
        "start_date": sim.start_date,
        "best_response_counts": {"A": {"VGPR": 1, "PR": 3, "SD": 6}},
        "dose_reductions": {"P": (3.0, 2.0)},
        "median_pfs_months": {"A": 4},
    }


def _read_keys(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    pattern = r"""(?:_sim\(trial, |sim\.get\(|sim\[|per_arm\()"(\w+)\""""
    return set(re.findall(pattern, text))


@pytest.mark.parametrize("module", ["synth/trials.py", "design/simulate.py"])
def test_every_key_the_generators_read_is_a_field(module: str) -> None:
    keys = _read_keys(SRC / module)
    assert keys  # the pattern still finds the reads
    assert keys <= set(Simulation.model_fields), keys - set(Simulation.model_fields)


def test_the_design_passthrough_keys_are_fields() -> None:
    text = (SRC / "design" / "simulate.py").read_text(encoding="utf-8")
    block = text[text.index("passthrough = {") : text.index("}", text.index("passthrough = {"))]
    keys = set(re.findall(r'"(\w+)"', block))
    assert keys and keys <= set(Simulation.model_fields), keys - set(Simulation.model_fields)
