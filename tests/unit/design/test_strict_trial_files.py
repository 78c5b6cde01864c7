"""Strict trial files (decision 0747): typed endpoint options, bounded YAML, cross-checks."""

from __future__ import annotations

import pytest

from plasmatrial.design.endpoint_options import (
    OPTIONS_BY_TYPE,
    DurationOfResponseOptions,
    OrganResponseOptions,
    TimeToEventOptions,
    TimeToResponseOptions,
)
from plasmatrial.design.protocol import EndpointType, parse_trial
from plasmatrial.design.yaml_source import MAX_YAML_DEPTH, load_yaml
from plasmatrial.errors import DesignError

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


def _parse(extra: str = "", base: str = BASE) -> str:
    with pytest.raises(DesignError) as err:
        parse_trial(base + extra, source="t.yaml")
    return str(err.value)


def test_every_endpoint_type_has_an_options_model() -> None:
    from typing import get_args

    assert set(OPTIONS_BY_TYPE) == set(get_args(EndpointType))


def test_options_are_typed_by_endpoint_type() -> None:
    t = parse_trial(
        BASE
        + """\
secondary:
  - {id: PFS, label: p, type: time_to_event, options: {event: progression_or_death, at_months: [12]}}
  - {id: DOR, label: d, type: duration_of_response}
  - {id: TTOR, label: r, type: time_to_response, options: {organ: true}}
  - {id: CARD, label: c, type: organ_response, options: {organ: Renal, months: 6}}
"""
    )
    pfs, dor, ttr, card = t.secondary
    assert isinstance(pfs.options, TimeToEventOptions)
    assert (pfs.options.event, pfs.options.at_months) == ("progression_or_death", (12.0,))
    assert isinstance(dor.options, DurationOfResponseOptions)
    assert isinstance(ttr.options, TimeToResponseOptions)
    assert (ttr.options.organ, ttr.options.at_months) == (True, (1.0, 3.0, 6.0, 12.0))
    assert isinstance(card.options, OrganResponseOptions)
    assert (card.options.organ, card.options.months) == ("renal", 6.0)
    assert "type" not in pfs.options.model_dump()


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        pytest.param(
            "{id: OS, label: o, type: time_to_event, options: {event: next_treatment}}",
            "secondary.0.options.event (line 10): Input should be",
            id="unsupported-event",
        ),
        pytest.param(
            "{id: OS, label: o, type: time_to_event, options: {crossover_adjustment: ipcw}}",
            "secondary.0.options.crossover_adjustment (line 10)",
            id="crossover-method",
        ),
        pytest.param(
            "{id: OS, label: o, type: time_to_event, options: {at_months: [12, '24']}}",
            "secondary.0.options.at_months.1 (line 10): Input should be a valid number",
            id="string-month",
        ),
        pytest.param(
            "{id: AE, label: a, type: adverse_events, options: {grade: 3}}",
            "secondary.0.options.grade (line 10): unknown key",
            id="no-options-type",
        ),
        pytest.param(
            "{id: ORR2, label: o, type: response_rate, options: {population: PP}}",
            "secondary.0.options.population (line 10)",
            id="population",
        ),
        pytest.param(
            "{id: ORR2, label: o, type: organ_response, categories: [CR]}",
            "secondary.0.categories (line 10): a organ_response endpoint has no categories",
            id="categories-on-organ",
        ),
        pytest.param(
            "{id: ORR2, label: o, type: response_rate, timepoint: cycle six}",
            "secondary.0.timepoint (line 10)",
            id="timepoint",
        ),
    ],
)
def test_bad_endpoint_is_located(endpoint: str, message: str) -> None:
    assert message in _parse(f"secondary:\n  - {endpoint}\n")


def test_published_figures_are_checked_against_the_trial() -> None:
    msg = _parse(
        """\
secondary:
  - {id: OS, label: o, type: time_to_event, subgroups: [SEX]}
published:
  - {endpoint: OS_SEX, label: a, value: 0.5, unit: proportion}
  - {endpoint: OS_FOLLOWUP, label: b, value: 30, unit: months}
  - {endpoint: ORR_FOLLOWUP, label: c, value: 30, unit: months}
  - {endpoint: ALIVE, label: d, value: 3, unit: count}
  - {endpoint: ALIVE, among: LDPR, label: e, value: 3, unit: count}
  - {endpoint: WHATEVER, label: f, value: 3, unit: count, not_computed: why}
"""
    )
    assert "published.0" not in msg and "published.1" not in msg and "published.5" not in msg
    assert "published.2.endpoint (line 14): 'ORR_FOLLOWUP' is no endpoint" in msg
    assert "published.3.among (line 15)" in msg
    assert "published.4.among (line 16): 'LDPR' is not a response category of MM" in msg


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"1-21"', '"0-21"', "days 0-21 outside the 28-day cycle"),
        ('"1-21"', '"21-1"', "range 21-1 is reversed"),
        ('"1-21"', '"1-x"', "expected days and ranges"),
        ('"1-21"', "[1, 40]", "days 40 outside the 28-day cycle"),
        ("dose: 4", "dose: 4, cycle_days: 400", "less than or equal to 366"),
    ],
)
def test_days_are_within_the_cycle(old: str, new: str, message: str) -> None:
    assert message in _parse(base=BASE.replace(old, new))


def test_simulation_sizes_are_bounded() -> None:
    msg = _parse("simulation: {n_per_arm: {A: 1000000}, n_patients: true}\n")
    assert "simulation.n_patients (line 9)" in msg
    assert "simulation.n_per_arm.A (line 9): expected a whole number of patients" in msg


def test_yaml_limits() -> None:
    with pytest.raises(DesignError, match=r"nesting deeper than \d+ levels \(line 1\)"):
        load_yaml("a: " + "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1), source="s")
    with pytest.raises(DesignError, match=r"anchors and aliases .* \(line 2\)"):
        load_yaml("a: &x [1]\nb: *x\n", source="s")
    with pytest.raises(
        DesignError, match=r"s: a.b \(line 3\): duplicate key 'b' \(first at line 2"
    ):
        load_yaml("a:\n  b: 1\n  b: 2\n", source="s")
    with pytest.raises(DesignError, match=r"s: not valid YAML \(line 2\)"):
        load_yaml("a: [1\nb: 2\n", source="s")
    with pytest.raises(DesignError, match="bytes; a trial file may have"):
        load_yaml("#" * 2_000_000, source="s")


def test_phase_days_and_timepoint_case() -> None:
    base = BASE.replace(
        'days: "1-21"', 'days: "1-21", phases: [{cycles: "1-2", days: "1,8,15,22,29"}]'
    )
    assert "arms.0.regimen.0.phases (line 6): phases.0.days 29 outside the 28-day cycle" in _parse(
        base=base
    )
    t = parse_trial(
        BASE.replace("type: response_rate,", "type: response_rate, timepoint: Cycle 3,")
    )
    assert t.primary[0].timepoint == "Cycle 3"


def test_a_non_string_endpoint_type_is_a_located_error() -> None:
    # found by the fuzz test: `type: []` was a TypeError (unhashable) in the options tagging
    msg = _parse(base=BASE.replace("type: response_rate", "type: []"))
    assert "primary.0.type (line 8): Input should be 'response_rate'" in msg
