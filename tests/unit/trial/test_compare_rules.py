"""Comparison rules of published figures (decision 0745): counts exactly, printed digits by
rounding, CIs at the printed digits, p-values at their printed digits, stated inequalities and
"nearly", named AE terms, and figures the pipeline does not compute."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from pydantic import ValidationError

from plasmatrial.design.protocol import PublishedFigure, parse_trial
from plasmatrial.stats.binomial import binomial_ci
from plasmatrial.stats.km import kaplan_meier
from plasmatrial.trial.analyse import ResponseRateResult, TableResult, TimeToEventResult
from plasmatrial.trial.compare import (
    Computed,
    compare_published,
    judge,
    median_followup,
    rounds_to,
    rule_text,
)


def fig(**kw: object) -> PublishedFigure:
    base: dict[str, object] = {"endpoint": "X", "label": "x"}
    return PublishedFigure.model_validate(base | kw)


@pytest.mark.parametrize(
    ("computed", "printed", "digits", "expected"),
    [
        (0.6786, 0.68, 2, True),
        (0.675, 0.68, 2, True),  # half up, not to even
        (0.6749, 0.68, 2, False),
        (0.7037, 0.68, 2, False),
        (16.4, 16, 0, True),
        (16.5, 16, 0, False),  # "within a month" would have passed
        (15.2, 16, 0, False),
        (0.0012, 0.001, 3, True),
        (0.003, 0.001, 3, False),
        (28.6, 30, -1, True),
        (24.9, 30, -1, False),
    ],
)
def test_rounds_to_the_printed_digits(
    computed: float, printed: float, digits: int, expected: bool
) -> None:
    assert rounds_to(computed, printed, digits) is expected


def test_ci_is_judged_at_the_printed_digits_so_the_method_is_checked() -> None:
    f = fig(value=0.68, ci=(0.49, 0.83), unit="proportion", digits=2)
    for method, expected in (("jeffreys", True), ("clopper-pearson", False), ("wilson", False)):
        r = binomial_ci(19, 28, method=method)
        ok, ci_ok = judge(f, Computed(r.estimate, r.lower, r.upper))
        assert (ok, ci_ok) == (expected, expected), method
    # the estimate alone still agrees when only the interval misses
    r = binomial_ci(19, 28, method="clopper-pearson")
    assert judge(f.model_copy(update={"ci": None}), Computed(r.estimate))[0] is True


def test_counts_compare_exactly_with_their_denominator() -> None:
    f = fig(value=95, denominator=302, unit="count")
    assert judge(f, Computed(95.0, denominator=302))[0] is True
    assert judge(f, Computed(94.0, denominator=302))[0] is False
    assert judge(f, Computed(95.0, denominator=301))[0] is False
    assert "95 of 302" in rule_text(f)


def test_inequalities_and_nearly() -> None:
    half = fig(value=0.5, unit="proportion", relation="greater_than")
    assert judge(half, Computed(15 / 28))[0] is True
    assert judge(half, Computed(14 / 28))[0] is False
    nearly = fig(value=30, unit="percent", digits=-1, relation="nearly")
    assert judge(nearly, Computed(100 * 8 / 28))[0] is True
    assert judge(nearly, Computed(31.0))[0] is False  # "nearly 30" is below 30
    assert judge(nearly, Computed(24.0))[0] is False
    with pytest.raises(ValidationError, match="nearly"):
        fig(value=30, unit="percent", relation="nearly")


def test_not_computed_rows_are_shown_never_judged() -> None:
    f = fig(value=11, unit="count", not_computed="no causality in AE")
    assert judge(f, Computed(11.0)) == (None, None)
    assert rule_text(f).startswith("not computed")


TRIAL = """
id: T
title: t
disease: AL
n_planned: 4
arms:
  - {code: A, name: a, regimen: [{drug: POMALIDOMIDE, dose: 4}]}
primary:
  - {id: RR, label: r, type: response_rate, categories: [CR, PR]}
secondary:
  - {id: OS, label: o, type: time_to_event}
  - {id: AE, label: a, type: adverse_events}
"""


def test_compare_reads_ae_overview_top_terms_and_follow_up() -> None:
    trial = parse_trial(
        TRIAL
        + "published:\n"
        + "  - {endpoint: RR, label: r, value: 3, denominator: 4, unit: count}\n"
        + "  - {endpoint: AE_GR3, label: g, value: 0.5, unit: proportion, relation: greater_than}\n"
        + "  - {endpoint: AE_GR34_TERMS, label: t, unit: terms, terms: [Infection, Rash]}\n"
        + "  - {endpoint: OS_FOLLOWUP, label: f, value: 4.5, unit: months, digits: 1}\n"
        + "  - {endpoint: OS, label: m, value: 11, unit: months, not_computed: because}\n"
    )
    rr = ResponseRateResult(
        "RR", "r", "ITT", ("CR", "PR"), "best",
        pl.DataFrame({"ARMCD": ["ALL"], "SUBGROUP": [""], "LEVEL": [""], "X": [3], "N": [4],
                      "ESTIMATE": [0.75], "LOWER": [0.2], "UPPER": [0.99],
                      "METHOD": ["clopper-pearson"], "CONF_LEVEL": [0.95]}),
    )  # fmt: skip
    overview = pl.DataFrame(
        {"ARMCD": ["A"], "CATEGORY": ["TEAE grade >= 3"], "N": [3], "DENOM": [4], "PCT": [75.0]}
    )
    by_grade = pl.DataFrame(
        {
            "ARMCD": ["A"] * 4,
            "AEDECOD": ["Infection", "Rash", "Fatigue", "Neutrophil count decreased"],
            "N_GR3_4": [3, 2, 2, 1],
        }
    )
    ae = TableResult("AE", "a", "adverse_events", overview, {"by_grade": by_grade})
    # OS: deaths at 2 and 6, censored at 3, 4 and 5 months -> reverse KM median 4.5 (censorings
    # are the events; the deaths at 2 and 6 censor follow-up)
    times = [2.0, 3.0, 4.0, 5.0, 6.0]
    event = [True, False, False, False, True]
    fit = kaplan_meier(times, event)
    os_ = TimeToEventResult("OS", "o", "OS", pl.DataFrame(), {"ALL": fit})
    out = compare_published(trial, [rr, os_, ae])
    assert out["AGREES"].to_list()[:2] == [True, True]
    # Rash and Fatigue tie at the 2nd place: the commonest are Infection, Rash, Fatigue
    assert out["AGREES"][2] is False
    assert "Fatigue 2" in out["MATCH"][2]
    reverse = kaplan_meier(times, [not e for e in event]).median
    assert median_followup(os_) == reverse == 4.5  # S = 0.5 from 4 to 5: R takes the midpoint
    assert out["AGREES"][3] is True
    assert out["AGREES"][4] is None and out["RULE"][4].startswith("not computed")
    assert all(isinstance(r, str) and r for r in out["RULE"].to_list())


def test_terms_figure_needs_terms_and_others_a_value() -> None:
    with pytest.raises(ValidationError, match="terms"):
        fig(unit="terms")
    with pytest.raises(ValidationError, match="value is required"):
        fig(unit="proportion")
    assert math.isnan(Computed().value)


def test_counts_among_a_best_response_category() -> None:
    trial = parse_trial(
        TRIAL
        + "published:\n"
        + "  - {endpoint: ALIVE, among: CR, label: a, value: 1, unit: count}\n"
        + "  - {endpoint: PROGRESSED, among: CR, label: p, value: 1, unit: count}\n"
        + "  - {endpoint: FIRST_RESPONSE, among: CR, window_months: [3, 6], label: f, value: 1,"
        + " unit: count}\n"
        + "  - {endpoint: FIRST_RESPONSE, among: CR, window_months: [7, null], label: g,"
        + " value: 1, unit: count}\n"
    )
    start = dt.date(2024, 1, 1)
    adsl = pl.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "ARMCD": ["A"] * 3,
            "BESTRSP": ["CR", "CR", "PR"],
            "DTHFL": ["Y", None, "N"],
            "TRTSDT": [start] * 3,
        }
    )
    adtte = pl.DataFrame(
        {
            "USUBJID": ["1", "2", "3"],
            "PARAMCD": ["DOR"] * 3,
            "CNSR": [0, 1, 0],
            "EVNTDESC": ["PROGRESSIVE DISEASE", "ALIVE WITHOUT PD", "PROGRESSIVE DISEASE"],
        }
    )
    # subject 1: PR at day 30, CR at day 84 (2.8 months -> 3); subject 2: CR at day 560 (18.4)
    adrs = pl.DataFrame(
        {
            "USUBJID": ["1", "1", "2", "3"],
            "PARAMCD": ["HEMRESP"] * 4,
            "AVALC": ["PR", "CR", "CR", "PR"],
            "ADT": [start + dt.timedelta(days=d) for d in (30, 84, 560, 84)],
        }
    )
    out = compare_published(trial, [], datasets={"ADSL": adsl, "ADTTE": adtte, "ADRS": adrs})
    assert out["COMPUTED"].to_list() == [1.0, 1.0, 1.0, 1.0]
    assert out["AGREES"].to_list() == [True, True, True, True]
    assert "months 3, 18" in out["MATCH"][2]
    assert compare_published(trial, [])["AGREES"].to_list() == [None] * 4  # no ADaM: not judged
