"""cox_ph against survival::coxph (fixture written by tests/reference/r/cox.R)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from plasmatrial.stats.cox import cox_ph
from tests.reference import RTOL_R, RTOL_R_ITER, load_fixture

pytestmark = pytest.mark.reference

FIX = load_fixture("cox")
CASES = FIX["cases"]
CONC_KEYS = ("concordant", "discordant", "tied.x", "tied.y", "tied.xy")


def _fit(case: dict[str, Any]) -> Any:
    data = {k: np.asarray(v) for k, v in case["data"].items()}
    cols = list(data)
    if "entry" in cols:
        entry, tcol, ecol, rest = data["entry"], "time", "event", cols[3:]
    else:
        entry, tcol, ecol, rest = None, cols[0], cols[1], cols[2:]
    kw: dict[str, Any] = {}
    xs = []
    for c in rest:
        if c == "celltype":
            kw["strata"] = data[c]
        elif c in ("inst", "grp"):
            kw["cluster"] = data[c]
        elif c == "w":
            kw["weights"] = data[c]
        else:
            xs.append(c)
    if "robust = TRUE" in case["call"]:
        kw["robust"] = True
    X = np.column_stack([data[c] for c in xs])
    return cox_ph(data[tcol], data[ecol], X, entry=entry, ties=case["ties"], names=xs, **kw)


@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_variance_loglik(name: str) -> None:
    case = CASES[name]
    exp = case["expected"]
    fit = _fit(case)
    # R iterates to |1 - ll_old/ll_new| <= 1e-9 and so do we, step for step: the same iterate.
    assert fit.n_iter == exp["iter"]
    assert fit.converged
    np.testing.assert_allclose(fit.coef, exp["coef"], rtol=RTOL_R)
    np.testing.assert_allclose(fit.var, np.reshape(exp["var"], fit.var.shape), rtol=RTOL_R)
    if exp["naive_var"] is not None:
        naive = np.reshape(exp["naive_var"], fit.var.shape)
        np.testing.assert_allclose(fit.naive_var, naive, rtol=RTOL_R)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], exp["loglik"], rtol=RTOL_R)
    assert fit.n == exp["n"]
    assert fit.n_events == exp["nevent"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_global_tests_and_intervals(name: str) -> None:
    exp = CASES[name]["expected"]
    fit = _fit(CASES[name])
    np.testing.assert_allclose(fit.score_test.statistic, exp["score_test"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(fit.wald_test.statistic, exp["wald_test"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(fit.lr_test.statistic, exp["lr_test"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(fit.p_value, exp["p_value"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(fit.conf_low, exp["conf_low"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(fit.conf_high, exp["conf_high"], rtol=RTOL_R_ITER)
    if exp["robust_score_test"] is None:
        assert fit.robust_score_test is None
    else:
        assert fit.robust_score_test is not None
        np.testing.assert_allclose(
            fit.robust_score_test.statistic, exp["robust_score_test"], rtol=RTOL_R_ITER
        )


@pytest.mark.parametrize("name", sorted(CASES))
def test_concordance(name: str) -> None:
    exp = CASES[name]["expected"]["concordance"]
    conc = _fit(CASES[name]).concordance
    assert conc is not None
    got = [conc.concordant, conc.discordant, conc.tied_x, conc.tied_y, conc.tied_xy]
    np.testing.assert_allclose(got, [exp[k] for k in CONC_KEYS], rtol=RTOL_R)
    np.testing.assert_allclose(conc.concordance, exp["concordance"], rtol=RTOL_R)
    np.testing.assert_allclose(conc.std, exp["std"], rtol=RTOL_R)


def test_fixture_records_provenance() -> None:
    assert FIX["r_version"].startswith("R version")
    assert "survival" in FIX["packages"]
