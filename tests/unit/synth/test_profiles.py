"""Generator profiles (decision 0621): what the virtual-patient generator knows about a disease
is data chosen once from a registry, and the generator follows whatever the profile says."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType, SimpleNamespace

import polars as pl
import pytest

from plasmatrial.criteria.core.registry import DEFAULT_RULE_SETS
from plasmatrial.design.protocol import Trial, parse_trial, response_categories
from plasmatrial.design.simulation import Simulation
from plasmatrial.errors import DesignError
from plasmatrial.synth import light_chain, m_protein, profiles, simulate_trial_data
from plasmatrial.synth.profile import GeneratorProfile
from plasmatrial.synth.profiles import DEFAULT_PROFILES, PROFILES, get_profile, profile_for

TRIALS = Path(__file__).resolve().parents[3] / "examples" / "trials"


def _trial(name: str) -> Trial:
    return parse_trial((TRIALS / name).read_text(encoding="utf-8"))


def _with_simulation(trial: Trial, **knobs: object) -> Trial:
    sim = Simulation.model_validate(trial.simulation.model_dump(exclude_unset=True) | knobs)
    return trial.model_copy(update={"simulation": sim})


def test_every_disease_with_a_default_rule_set_has_a_default_profile() -> None:
    assert set(DEFAULT_PROFILES) == set(DEFAULT_RULE_SETS)
    assert set(DEFAULT_PROFILES.values()) <= set(PROFILES)
    assert all(name == p.name for name, p in PROFILES.items())


@pytest.mark.parametrize("disease", sorted(DEFAULT_PROFILES))
def test_a_default_profile_fills_its_disease_response_scale(disease: str) -> None:
    """The categories a profile assigns are categories of the DEFAULT rule set's scale, so that
    the analysis can classify every simulated best response."""
    p = get_profile(DEFAULT_PROFILES[disease])
    scale = response_categories(disease)
    assert set(p.categories) <= set(scale), set(p.categories) - set(scale)
    assert p.progression in scale or p.progression == "PROG"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("al_pomdex_phase2.yaml", light_chain.PROFILE),
        ("mm_pom_two_schedules.yaml", m_protein.PROFILE),
    ],
)
def test_a_trial_without_a_named_profile_gets_its_disease_default(
    name: str, expected: GeneratorProfile
) -> None:
    assert profile_for(_trial(name)) is expected


def test_simulation_profile_names_the_profile() -> None:
    trial = _with_simulation(_trial("mm_pom_two_schedules.yaml"), profile="light-chain")
    assert profile_for(trial) is light_chain.PROFILE


def test_a_disease_without_a_profile_is_refused_with_the_choices() -> None:
    stub = SimpleNamespace(id="X-1", disease="WM", simulation=Simulation())
    with pytest.raises(DesignError, match=r"no generator profile for disease 'WM'.*AL, MM"):
        profile_for(stub)  # type: ignore[arg-type]
    with pytest.raises(DesignError, match="profiles: light-chain, m-protein"):
        get_profile("nope")


def test_counts_outside_the_profile_scale_are_refused() -> None:
    trial = _trial("mm_pom_two_schedules.yaml")
    first, second = (a.code for a in trial.arms)
    trial = _with_simulation(
        trial, best_response_counts={first: {"VGPR": 10, "LDPR": 2, "SD": 30}, second: {"SD": 42}}
    )
    with pytest.raises(DesignError, match=r"LDPR not categories of generator profile 'm-protein'"):
        simulate_trial_data(trial, seed=1)


@pytest.mark.parametrize(
    "change",
    [
        {"responders": ("VGPR", "XX")},
        {"no_response": "PR"},
        {"minor": "VGPR"},
        {"unconfirmed": None},
        {"ae_terms": m_protein.AE_TERMS[:3]},
    ],
)
def test_an_inconsistent_profile_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="generator profile 'm-protein'"):
        dataclasses.replace(m_protein.PROFILE, **change)  # type: ignore[arg-type]


def test_the_generator_follows_the_profile_not_the_disease(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new profile (here a variant of the M-protein one) changes what the generator emits
    without any edit to the generator: AE terms, the investigator's criteria label, subsequent
    therapies, the DM flags and the age range all come from the profile."""
    custom = dataclasses.replace(
        m_protein.PROFILE,
        name="test-variant",
        rs_category="TEST 2030",
        ae_terms=(
            ("Nausea", "Nausea", 0.5),
            ("Headache", "Headache", 0.4),
            ("Cough", "Cough", 0.3),
            ("Insomnia", "Insomnia", 0.3),
        ),
        subsequent_therapies=("THERAPY X",),
        age=(50, 1, 49, 51),
        age_flag=("AGEGT50", 50),
        dm_flags=("NPRLINES",),
    )
    monkeypatch.setattr(profiles, "PROFILES", MappingProxyType({**PROFILES, custom.name: custom}))
    trial = _with_simulation(_trial("mm_pom_two_schedules.yaml"), profile=custom.name)
    data = simulate_trial_data(trial, seed=4)
    clinical = data.ae.filter(
        ~pl.col("AETERM").is_in(["Neutropenia", "Thrombocytopenia", "Anaemia"])
    )
    assert set(clinical["AETERM"]) <= {t for t, _, _ in custom.ae_terms}
    assert set(data.rs.filter(pl.col("RSTESTCD") == "OVRLRESP")["RSCAT"]) == {"TEST 2030"}
    subsequent = set(data.cm["CMTRT"])
    assert subsequent and subsequent <= {"THERAPY X"}
    assert set(data.dm["AGE"].to_list()) <= {49, 50, 51}
    assert "AGEGT50" in data.dm.columns and "AGEGT75" not in data.dm.columns
    assert "REFRACT" not in data.dm.columns
    # the default profile of the same trial emits the myeloma ones
    default = simulate_trial_data(_trial("mm_pom_two_schedules.yaml"), seed=4)
    assert set(default.rs.filter(pl.col("RSTESTCD") == "OVRLRESP")["RSCAT"]) == {"IMWG 2016"}
    assert "REFRACT" in default.dm.columns


def test_the_light_chain_profile_emits_organ_flags_and_the_myeloma_one_does_not() -> None:
    al = simulate_trial_data(_trial("al_darapom.yaml"), seed=2)
    mm = simulate_trial_data(_trial("mm_pom_two_schedules.yaml"), seed=2)
    organ_flags = {"HEARTFL", "KIDNEYFL", "LIVERFL"}
    assert organ_flags <= set(al.dm.columns) and not organ_flags & set(mm.dm.columns)
    assert {"FLCKAP", "NTPROBNP"} <= set(al.lb["LBTESTCD"])
    assert {"SPEPMP", "B2MICG"} <= set(mm.lb["LBTESTCD"]) and "NTPROBNP" not in set(
        mm.lb["LBTESTCD"]
    )
