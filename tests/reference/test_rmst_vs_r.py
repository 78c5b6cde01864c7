"""rmst / rmst_difference against R survival (summary(fit, rmean = tau)): fixtures/rmst.json."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from plasmatrial.stats.rmst import rmst, rmst_difference
from tests.reference import RTOL_R, load_fixture
from tests.reference._util import arr, strs

CASES = load_fixture("rmst")["expected"]["cases"]
pytestmark = pytest.mark.reference


@pytest.mark.parametrize("case", CASES, ids=[f"{c['name']}-tau{c['tau']}" for c in CASES])
def test_rmst_matches_survmean(case: dict[str, Any]) -> None:
    t, e = arr(case["input"]["time"]), arr(case["input"]["event"])
    res = rmst(t, e, tau=case["tau"])
    np.testing.assert_allclose([res.rmst, res.se], [case["rmean"], case["se"]], rtol=RTOL_R)
    g = np.array(strs(case["input"]["group"]))
    diff = rmst_difference(t, e, g, tau=case["tau"])
    assert list(diff.groups) == strs(case["groups"])
    r_mean, r_se = arr(case["group_rmean"]), arr(case["group_se"])
    np.testing.assert_allclose([a.rmst for a in diff.arms], r_mean, rtol=RTOL_R)
    np.testing.assert_allclose([a.se for a in diff.arms], r_se, rtol=RTOL_R)
    # difference and its Wald test from R's per-arm figures (independent arms)
    d, se = r_mean[1] - r_mean[0], float(np.hypot(*r_se))
    np.testing.assert_allclose([diff.difference, diff.se], [d, se], rtol=RTOL_R)
    np.testing.assert_allclose(diff.p_value, 2 * stats.norm.sf(abs(d / se)), rtol=RTOL_R)
