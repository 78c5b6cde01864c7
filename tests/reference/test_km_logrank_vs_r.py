"""kaplan_meier and logrank_test against R survival (fixtures/km_logrank.json)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from plasmatrial.stats.km import kaplan_meier
from plasmatrial.stats.logrank import logrank_test, logrank_test_batched
from tests.reference import ATOL_R, RTOL_R, load_fixture
from tests.reference._util import arr, strs

FIX = load_fixture("km_logrank")
KM = FIX["expected"]["km"]
LR = FIX["expected"]["logrank"]

pytestmark = pytest.mark.reference


def close(got: Any, exp: Any, what: str) -> None:
    np.testing.assert_allclose(got, arr(exp), rtol=RTOL_R, atol=ATOL_R, err_msg=what)


def fit_case(c: dict[str, Any]):  # type: ignore[no-untyped-def]
    inp = c["input"]
    return kaplan_meier(
        arr(inp["time"]),
        arr(inp["event"]),
        entry=arr(inp["entry"]) if c["entry"] else None,
        weights=arr(inp["w"]) if c["weights"] else None,
        conf_type=c["conf_type"],
    )


@pytest.mark.parametrize("case", KM, ids=[f"{c['name']}-{c['conf_type']}" for c in KM])
def test_km_curve_matches_survfit(case: dict[str, Any]) -> None:
    fit = fit_case(case)
    for ours, r in [
        ("time", "time"),
        ("n_risk", "n_risk"),
        ("n_event", "n_event"),
        ("n_censor", "n_censor"),
        ("surv", "surv"),
        ("std_err", "std_err"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("cumhaz", "cumhaz"),
        ("std_chaz", "std_chaz"),
    ]:
        close(getattr(fit, ours), case[r], ours)


@pytest.mark.parametrize("case", KM, ids=[f"{c['name']}-{c['conf_type']}" for c in KM])
def test_km_quantiles_match_quantile_survfit(case: dict[str, Any]) -> None:
    q = fit_case(case).quantile(arr(case["probs"]))
    close(q.quantile, case["q"], "quantile")
    close(q.lower, case["q_lower"], "quantile lower")
    close(q.upper, case["q_upper"], "quantile upper")


@pytest.mark.parametrize("case", KM, ids=[f"{c['name']}-{c['conf_type']}" for c in KM])
def test_km_at_times_match_summary(case: dict[str, Any]) -> None:
    fit = fit_case(case)
    close(fit.survival_at(arr(case["at"])), case["at_surv"], "survival_at")
    close(fit.number_at_risk(arr(case["at"])).n_risk, case["at_n_risk"], "n.risk")


def test_flat_segment_median_is_midpoint() -> None:
    """R quantile.survfit: S = 0.5 exactly on [3, 5) -> median 4, not 3 (lifelines says 3)."""
    case = next(c for c in KM if c["name"] == "flat_mid")
    assert arr(case["q"])[2] == 4.0
    assert kaplan_meier(arr(case["input"]["time"]), arr(case["input"]["event"])).median == 4.0


@pytest.mark.parametrize("case", LR, ids=[f"{c['name']}-rho{c['rho']}" for c in LR])
def test_logrank_matches_survdiff(case: dict[str, Any]) -> None:
    inp = case["input"]
    levels = strs(case["groups"])  # R factor order; pass codes so our sorted order matches
    res = logrank_test(
        arr(inp["time"]),
        arr(inp["event"]),
        np.array([levels.index(v) for v in strs(inp["group"])]),
        strata=np.array(strs(inp["stratum"])) if case["strata"] else None,
        rho=case["rho"],
    )
    assert list(res.groups) == [str(i) for i in range(len(levels))]
    close(res.observed, case["observed"], "observed")
    close(res.expected, case["expected"], "expected")
    close(res.variance.reshape(-1), np.array(case["variance"], dtype=float).reshape(-1), "var")
    close(res.chisq, case["chisq"], "chisq")
    assert res.df == case["df"]
    close(res.p_value, case["pvalue"], "p")


def test_logrank_with_delayed_entry_matches_exact_cox_score() -> None:
    c = FIX["expected"]["logrank_truncated"]
    inp = c["input"]
    res = logrank_test(
        arr(inp["time"]), arr(inp["event"]), np.array(strs(inp["group"])), entry=arr(inp["entry"])
    )
    close(res.chisq, c["chisq"], "chisq")
    close(res.p_value, c["pvalue"], "p")


def test_batched_rows_match_survdiff() -> None:
    rows = [c for c in LR if c["rho"] == 0 and not c["strata"] and len(strs(c["groups"])) == 2]
    n = min(len(arr(c["input"]["time"])) for c in rows)
    t = np.stack([arr(c["input"]["time"])[:n] for c in rows])
    e = np.stack([arr(c["input"]["event"])[:n] for c in rows])
    g = np.stack([np.array(strs(c["input"]["group"]))[:n] == strs(c["groups"])[1] for c in rows])
    batch = logrank_test_batched(t, e, g)
    for i, c in enumerate(rows):
        if len(arr(c["input"]["time"])) == n:  # full data set: compare with R directly
            close(batch.chisq[i], c["chisq"], c["name"])
        one = logrank_test(t[i], e[i], g[i])
        np.testing.assert_allclose(batch.chisq[i], one.chisq, rtol=RTOL_R)
        np.testing.assert_allclose(batch.observed[i], one.observed[1], rtol=RTOL_R)
