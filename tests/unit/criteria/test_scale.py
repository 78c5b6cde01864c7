"""What response rule sets carry (``RuleSet.response``, decision 0260) agrees with their tables."""

from __future__ import annotations

import polars as pl
import pytest

from plasmatrial.criteria import get_rule_set, list_rule_sets
from plasmatrial.criteria.core.registry import DEFAULT_RULE_SETS, default_rule_set, is_for_disease
from plasmatrial.criteria.core.rules import RuleSet
from plasmatrial.criteria.core.scale import AL_SCALE, IMWG_SCALE, ResponseSpec
from plasmatrial.errors import RuleError

RESPONSE_SETS = [rs.name for rs in list_rule_sets() if rs.response is not None]


def _categories(rs: RuleSet, paramcd: str) -> set[str]:
    return {r.category for r in rs.table(paramcd).rows}


def test_every_response_rule_set_is_known() -> None:
    assert {"CR_2012_RATIO", "AL_PROG_PALLADINI_2018", "IMWG_2016", "IMWG_2011_NADIR"} <= set(
        RESPONSE_SETS
    )
    assert get_rule_set("AL_STAGING").response is None
    with pytest.raises(RuleError, match="not a response rule set"):
        get_rule_set("AL_STAGING").response_spec()


@pytest.mark.parametrize("name", RESPONSE_SETS)
def test_response_spec_matches_the_rule_set(name: str) -> None:
    rs = get_rule_set(name)
    spec = rs.response_spec()
    overall = next(o for o in rs.overall if o.paramcd == spec.parameter)
    ranked = rs.table(overall.response)
    # the scale is the response table's order; progression is the overall parameter's
    assert spec.scale.ranking == ranked.order
    assert spec.progression == overall.progression_categories
    assert spec.progression[0] in _categories(rs, overall.progression)
    assert set(spec.responder) <= set(spec.scale.ranking) - {spec.scale.stable}
    for organ in spec.organs:
        assert organ.category in _categories(rs, organ.paramcd)
    if spec.evaluability is not None:
        assert rs.table(spec.evaluability).timepoint == "post_baseline"  # raises if absent
    if spec.staging is not None:
        assert get_rule_set(spec.staging).response is None
    if spec.measurable is not None:
        assert set(spec.measurable[1]) <= _categories(rs, spec.measurable[0])


def test_confirmation_spec_of_a_scale() -> None:
    assert IMWG_SCALE.confirmation_spec() is IMWG_SCALE.confirmation
    al = AL_SCALE.confirmation_spec()
    assert al.responses == ("CR", "VGPR", "PR", "LDPR")
    assert (al.stable, al.progression, al.not_evaluable) == ("NR", "PROG", "NE")


def test_al_marker_is_involved_minus_uninvolved() -> None:
    spec: ResponseSpec = get_rule_set("CR_2012_RATIO").response_spec()
    assert spec.marker is not None
    frame = pl.DataFrame(
        {"INVLC": ["KAPPA", "lambda"], "FLCKAP": [100.0, 10.0], "FLCLAM": [10.0, 50.0]}
    )
    assert frame.select(spec.marker.build()).to_series().to_list() == [90.0, 40.0]


def test_the_disease_selects_only_the_default_rule_set() -> None:
    assert {d: default_rule_set(d.lower()) for d in DEFAULT_RULE_SETS} == {
        "AL": "CR_2012_RATIO",
        "MM": "IMWG_2016",
    }
    with pytest.raises(RuleError, match="unknown disease 'XX'"):
        default_rule_set("XX")
    assert is_for_disease(get_rule_set("IMWG_2016"), "mm")
    assert not is_for_disease(get_rule_set("IMWG_2016"), "AL")
    assert is_for_disease(get_rule_set("CARD_2005"), "AL")
