"""Engine behaviour: provenance, errors, options, summaries, predicate rendering."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.criteria import adjudicate, best_response, get_rule_set, time_to_first_response
from plasmatrial.criteria.core.confirmation import confirm_response
from plasmatrial.criteria.core.engine import OUTPUT_COLUMNS
from plasmatrial.criteria.core.predicates import (
    BASELINE,
    Waived,
    all_of,
    any_of,
    flag,
    pct_decrease,
    value,
)
from plasmatrial.criteria.core.predicates import in_order as _in_order
from plasmatrial.criteria.core.scale import AL_SCALE
from plasmatrial.errors import RuleError
from tests.unit.criteria.helpers import LAMBDA_240, frame, run


def lam(lv: float, kv: float, **extra: object) -> dict[str, object]:
    return {"FLCLAM": lv, "FLCKAP": kv, **extra}


def test_output_columns_and_provenance() -> None:
    out = run(LAMBDA_240, lam(60, 12), lam(45, 10))
    assert tuple(out.columns) == OUTPUT_COLUMNS
    assert out.height == 2 * 7  # two post-baseline visits x seven parameters
    for col in ("RULEID", "RULESET", "RULESETVER", "EXPLAIN", "INPUTS"):
        assert out[col].null_count() == 0
    inputs = json.loads(out.filter(pl.col("PARAMCD") == "HEMCAT")["INPUTS"][0])
    assert inputs["DFLC"] == 48.0 and inputs["DFLC__baseline"] == 240.0


def test_unknown_rule_set_lists_valid_names() -> None:
    with pytest.raises(RuleError, match=r"unknown rule set 'NOPE'; valid names: .*CR_2012_RATIO"):
        get_rule_set("NOPE")


def test_unknown_option_and_bad_value() -> None:
    with pytest.raises(RuleError, match="unknown option"):
        get_rule_set("CR_2012_RATIO", nonsense=1)
    with pytest.raises(RuleError, match="cr_relapse_doubling_applies_to"):
        get_rule_set("CR_2012_RATIO", cr_relapse_doubling_applies_to="sometimes")


def test_missing_key_columns() -> None:
    with pytest.raises(RuleError, match="ABLFL"):
        adjudicate(frame(LAMBDA_240).drop("ABLFL"))


def test_absent_analyte_columns_are_null() -> None:
    out = adjudicate(frame(LAMBDA_240, lam(60, 12)).drop("INVLC"), parameters=["HEMCAT"])
    # λ 250 / κ 10: ratio 0.04 < 0.26 → λ inferred
    r = out.row(0, named=True)
    assert (r["AVALC"], r["FLAGS"]) == ("PR", "INVLC_INFERRED")


def test_parameters_selects_and_validates() -> None:
    out = run(LAMBDA_240, lam(60, 12))
    assert set(out["PARAMCD"]) == {
        "HEMRESP",
        "HEMCAT",
        "HEMPROG",
        "CARDRESP",
        "CARDGRD",
        "RENRESP",
        "LIVRESP",
    }
    with pytest.raises(RuleError, match="parameters"):
        adjudicate(frame(LAMBDA_240, lam(60, 12)), parameters=["XYZ"])


def test_confirmation_is_the_one_mechanism_and_off_by_default() -> None:
    """``confirm=`` sets CONFIRMED by confirmation.confirm_response on the AL scale (0260)."""
    f = frame(LAMBDA_240, lam(60, 12), lam(45, 10), lam(60, 12))
    assert adjudicate(f, parameters=["HEMCAT"])["CONFIRMED"].null_count() == 3
    conf = adjudicate(f, parameters=["HEMCAT"], confirm=["HEMCAT"])
    # PR then VGPR (>= PR: confirmed), VGPR then PR (confirmed only as PR), the last PR has no
    # next assessment (criteria.md 4.4 step 2: not confirmed)
    assert conf["CONFIRMED"].to_list() == [True, False, False]
    visits = conf.select("USUBJID", "ADT", "AVALC", "FLAGS")
    same = confirm_response(visits, spec=AL_SCALE.confirmation_spec(), warn=False)
    assert conf["CONFIRMED"].to_list() == (same["CONFFL"] == "Y").to_list()


def test_confirmation_needs_a_response_scale() -> None:
    f = frame(LAMBDA_240, lam(60, 12), lam(45, 10))
    with pytest.raises(
        RuleError, match="HEMPROG categories NOPROG are not on the AL hematologic scale"
    ):
        adjudicate(f, parameters=["HEMPROG"], confirm=["HEMPROG"])  # NOPROG
    with pytest.raises(RuleError, match="no response scale"):
        adjudicate(f, "AL_STAGING", confirm=["MAYO2004"])


def test_best_response_stops_at_progression_and_new_therapy() -> None:
    f = frame(
        LAMBDA_240,
        lam(60, 12),
        lam(45, 10),
        lam(101, 12),
        lam(20, 12, SIFE="NEGATIVE", UIFE="NEGATIVE"),
    )
    out = adjudicate(f)
    best = best_response(out).row(0, named=True)
    assert (best["AVALC"], best["ADT"]) == ("VGPR", dt.date(2024, 3, 1))
    assert best["EXPLAIN"].startswith("best response VGPR first reached 2024-03-01")
    nt = pl.DataFrame({"USUBJID": ["S1"], "NTRTDT": [dt.date(2024, 2, 15)]})
    assert best_response(out, new_therapy=nt)["AVALC"].to_list() == ["PR"]


def test_time_to_first_response() -> None:
    out = adjudicate(
        pl.concat(
            [
                frame(LAMBDA_240, lam(200, 12), lam(60, 12)),
                frame(LAMBDA_240, lam(200, 12), subject="S2"),
            ]
        )
    )
    dose = pl.DataFrame({"USUBJID": ["S1", "S2"], "TRTSDT": [dt.date(2024, 1, 1)] * 2})
    ttr = time_to_first_response(out, dose)
    assert ttr["AVAL"].to_list() == [60, 30]
    assert ttr["CNSR"].to_list() == [0, 1]


def test_predicate_rendering_and_requires() -> None:
    p = all_of(value("DFLC") < 40, pct_decrease("DFLC", BASELINE) > 50)
    assert str(p) == "DFLC < 40 mg/L AND pct_decrease(DFLC vs baseline) > 50%"
    assert [str(i) for i in p.requires()] == ["DFLC [mg/L]", "DFLC [mg/L] (baseline)"]


def test_three_valued_logic() -> None:
    df = pl.DataFrame({"DFLC": [30.0, None, 50.0], "DFLC__baseline": [100.0, 100.0, None]})
    p = all_of(value("DFLC") < 40, pct_decrease("DFLC", BASELINE) > 50)
    assert df.select(p.to_expr())[:, 0].to_list() == [True, None, False]


def test_percent_with_nonpositive_reference_is_not_evaluable() -> None:
    df = pl.DataFrame({"DFLC": [5.0], "DFLC__baseline": [0.0]})
    assert df.select((pct_decrease("DFLC") > 50).to_expr())[:, 0].to_list() == [None]


def test_every_registered_set_records_version() -> None:
    rs = get_rule_set("AL_PROG_PALLADINI_2018")
    out = adjudicate(frame(LAMBDA_240, lam(60, 12)), rs, parameters=["HEMPROG"])
    assert out["RULESET"].to_list() == ["AL_PROG_PALLADINI_2018"]
    assert out["RULESETVER"].to_list() == [rs.version]


_KEY_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", None]),
        st.sampled_from([1, 2, None]),
        st.booleans(),
    ),
    min_size=0,
    max_size=7,
)


@settings(max_examples=300, deadline=None)
@given(_KEY_ROWS)
def test_in_order_agrees_with_a_stable_sort(
    rows: list[tuple[str | None, int | None, bool]],
) -> None:
    """The sortedness check that lets the engine skip its sort says "in order" exactly when a
    stable sort (nulls last, third key descending) would leave the rows as they are."""
    df = pl.DataFrame(rows, schema={"a": pl.Utf8, "b": pl.Int64, "c": pl.Boolean}, orient="row")
    desc = [False, False, True]
    stable = df.sort(["a", "b", "c"], descending=desc, nulls_last=True, maintain_order=True)
    assert _in_order(df, ["a", "b", "c"], desc) == df.equals(stable)


def test_unsorted_input_gives_the_sorted_input_result() -> None:
    f = pl.concat([frame(LAMBDA_240, lam(60.0, 12.0), lam(30.0, 12.0), subject=s) for s in "BA"])
    assert adjudicate(f[::-1]).equals(adjudicate(f))


def test_waived_is_kleene_or_and_states_the_waiver() -> None:
    """``Waived(w, p)`` has the truth of ``w OR p``; where ``w`` holds the text is the waiver's."""
    df = pl.DataFrame(
        {
            "W": [True, True, False, False, False, None, None],
            "DFLC": [50.0, None, 30.0, 50.0, None, 30.0, 50.0],
        }
    )
    w, p = flag("W"), value("DFLC") < 40
    waived = Waived(w, p, "waived here")
    truth = df.select(waived.to_expr())[:, 0].to_list()
    assert truth == df.select(any_of(w, p).to_expr())[:, 0].to_list()
    assert truth == [True, True, True, False, None, True, None]
    text = df.select(waived.explain())[:, 0].to_list()
    assert text[:2] == ["waived here", "waived here"]
    assert text[2] == "dFLC 30 mg/L < 40 mg/L"
    assert df[3].select(waived.explain_as(False))[0, 0] == "dFLC 50 mg/L ≥ 40 mg/L"


def test_table_without_current_inputs_explains_not_evaluable() -> None:
    """A table whose rules read only baseline references: its NE sentence names the missing
    reference in words (no empty ``concat_str``), and so does its downgrade note."""
    from plasmatrial.criteria.core.rules import Rule, RuleSet, RuleTable
    from plasmatrial.criteria.core.sources import PALLADINI_2012

    cite = PALLADINI_2012.at("test")
    bl = value("NTPROBNP", BASELINE)
    high = Rule("T.HIGH", "HIGH", cite, "baseline NT-proBNP high", bl > 1000)
    low = Rule("T.LOW", "LOW", cite, "baseline NT-proBNP low", bl <= 1000)
    rs = RuleSet("T", "0", "AL", "test", (RuleTable("BLCAT", "test", "T", (high, low)),))
    f = frame({"NTPROBNP": None}, {"NTPROBNP": 900.0})
    out = adjudicate(f, rs)
    row = out.row(0, named=True)
    assert row["AVALC"] == "NE"
    assert row["EXPLAIN"].startswith(
        "NE: no category could be established (missing: baseline NT-proBNP)"
    )
    assert "missing baseline NT-proBNP" in row["DOWNGRADE"]
    assert "__" not in row["EXPLAIN"] + row["DOWNGRADE"]
