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
    pattern = r"""(?:_sim\(trial, |sim\.get\(|simulation\.get\()"(\w+)\""""
    return set(re.findall(pattern, text))


def test_every_key_the_generator_reads_is_a_field() -> None:
    """The virtual-patient generator reads knobs by name (``synth`` does not import ``design``),
    so a misspelt name is found here (and at run time by ``Simulation.get``)."""
    keys = set().union(*(_read_keys(p) for p in sorted((SRC / "synth").glob("*.py"))))
    assert {"best_response_counts", "cardiac_fraction", "profile"} <= keys  # the pattern finds
    assert keys <= set(Simulation.model_fields), keys - set(Simulation.model_fields)


def test_the_design_simulation_reads_typed_attributes() -> None:
    """``design_from_trial`` reads the model's attributes (mypy checks each name), not a dict."""
    text = (SRC / "design" / "simulate.py").read_text(encoding="utf-8")
    attrs = set(re.findall(r"\bsim\.(\w+)", text))
    assert {"median_pfs_months", "hazard_shape", "events"} <= attrs
    assert attrs <= set(Simulation.model_fields), attrs - set(Simulation.model_fields)
    assert ".given()" not in text


def test_the_design_passthrough_keys_are_fields() -> None:
    text = (SRC / "design" / "simulate.py").read_text(encoding="utf-8")
    start = text.index("passthrough: dict[str, Any] = {")
    block = text[start : text.index("}", start)]
    pairs = re.findall(r'"(\w+)": sim\.(\w+)', block)
    assert pairs and all(key == attr for key, attr in pairs), pairs
    assert {k for k, _ in pairs} <= set(Simulation.model_fields)


def test_an_unknown_profile_is_a_located_error() -> None:
    msg = _problems("simulation:\n  profile: light_chain\n")
    assert "simulation.profile (line 10)" in msg
    assert "light-chain" in msg and "m-protein" in msg  # the known profiles are listed
