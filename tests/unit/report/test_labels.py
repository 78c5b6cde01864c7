"""The report's variable-label dictionary: words for ADaM names and coded values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from plasmatrial.report.labels import (
    VARIABLE_LABELS,
    ae_term,
    arm_names,
    decode,
    label,
    subgroup_label,
)


@pytest.mark.parametrize(
    ("var", "words"),
    [
        ("ARMCD", "Arm"),
        ("N_GR1_PLUS", "Any grade"),
        ("PCT_GR3_4", "Grade 3–4"),
        ("AEDECOD", "Preferred term"),
        ("RDI_MEDIAN", "Median relative dose intensity"),
        ("PRIORLGT2", "More than 2 prior lines of therapy"),
        ("PRIORLEN", "Prior lenalidomide"),
        ("PRIORASCT", "Prior autologous stem cell transplant"),
    ],
)
def test_variable_labels(var: str, words: str) -> None:
    assert label(var) == words


def test_no_label_is_a_code() -> None:
    for var, words in VARIABLE_LABELS.items():
        assert "_" not in words, var
        assert words != var, var


@pytest.mark.parametrize(
    ("var", "value", "words"),
    [
        ("SEX", "F", "Female"),
        ("SEX", "M", "Male"),
        ("PRIORLEN", "Y", "Yes"),
        ("HEARTFL", "N", "No"),
        ("AGEGR1", ">=75", "≥75 years"),
        ("AGEGR1", "65-74", "65–74 years"),
        ("MAYO2004", "IIIa", "Stage IIIa"),
        ("RENSTG", "II", "Stage II"),
        ("INVLC", "LAMBDA", "Lambda"),
        ("HEMEVAL", "LOW_DFLC", "Low dFLC (20–50 mg/L)"),
        ("DCTREAS", "PROGRESSIVE DISEASE", "Progressive disease"),
        ("VISIT", "CYCLE 4 DAY 1", "Cycle 4 day 1"),
        ("AEDECOD", "Anaemia", "Anemia"),
        ("EXTRT", "POMALIDOMIDE", "Pomalidomide"),
        ("SEX", None, "Not known"),
    ],
)
def test_decodes(var: str, value: str | None, words: str) -> None:
    assert decode(var, value) == words


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("Anaemia", "Anemia"),
        ("Oedema peripheral", "Edema peripheral"),
        ("Diarrhoea", "Diarrhea"),
        ("Haemorrhage", "Hemorrhage"),
        ("Febrile neutropenia", "Febrile neutropenia"),
        ("Hypokalaemia", "Hypokalemia"),
        ("Anemia", "Anemia"),
    ],
)
def test_one_spelling_for_ae_terms(british: str, american: str) -> None:
    assert ae_term(british) == american


def test_subgroup_and_arm_names() -> None:
    assert subgroup_label("AGEGR1", ">=75") == "Age group: ≥75 years"
    assert subgroup_label("PRIORLEN", "N") == "Prior lenalidomide: no"

    @dataclass(frozen=True)
    class Arm:
        code: str
        name: str

    names = arm_names([Arm("B", "Placebo"), Arm("A", "Drug")])
    assert list(names) == ["B", "A", "ALL"]
    assert names["ALL"] == "All patients"
