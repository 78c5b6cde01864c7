"""Typed rule-set options (decision 0748): every bad option listed, in the builders' words."""

from __future__ import annotations

import pytest

from plasmatrial.criteria.al.response import AL_DEFAULT_OPTIONS, build_al_rule_set
from plasmatrial.criteria.mm.imwg import IMWG_DEFAULT_OPTIONS, build_imwg_rule_set
from plasmatrial.errors import RuleError


def test_al_lists_every_bad_option() -> None:
    with pytest.raises(RuleError) as err:
        build_al_rule_set(cr_variant="CR_2099", flc_ratio_low="0.26", kappa_high=True)
    msg = str(err.value)
    assert "option cr_variant: 'CR_2099' is not one of CR_2012_RATIO, " in msg
    assert "option flc_ratio_low: expected a number, got '0.26'" in msg
    assert "option kappa_high: expected a number, got True" in msg


@pytest.mark.parametrize(
    ("build", "options", "message"),
    [
        (build_al_rule_set, {"cr_varient": "CR_ISA"}, "option cr_varient: unknown option"),
        (build_al_rule_set, {"troponin_increase_pct": float("inf")}, "expected a number"),
        (build_imwg_rule_set, {"flc_vgpr_strict": "no"}, "expected true/false, got 'no'"),
        (build_imwg_rule_set, {"pd_reference": "zenith"}, "not one of lowest_confirmed, nadir"),
    ],
)
def test_bad_option_is_a_rule_error(
    build: object, options: dict[str, object], message: str
) -> None:
    with pytest.raises(RuleError, match=message):
        build(**options)  # type: ignore[operator]


def test_defaults_and_int_numbers_build_the_same_rule_set() -> None:
    assert build_al_rule_set().tables == build_al_rule_set(**AL_DEFAULT_OPTIONS).tables
    a = build_imwg_rule_set(urine_measurable=200)
    b = build_imwg_rule_set(**IMWG_DEFAULT_OPTIONS)
    assert a.tables == b.tables
