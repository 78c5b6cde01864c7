"""cumulative_incidence against R cmprsk::cuminc / timepoints (fixtures/cif.json)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from plasmatrial.stats.cif import cumulative_incidence
from tests.reference import ATOL_R, RTOL_R, load_fixture
from tests.reference._util import arr, strs

CASES = load_fixture("cif")["expected"]["cases"]
pytestmark = pytest.mark.reference
#: p-values below this are compared with R's upper-tail pchisq rather than cmprsk's 1 - pchisq.
TINY_P = 1e-6


def fit(case: dict[str, Any]):  # type: ignore[no-untyped-def]
    inp = case["input"]
    return cumulative_incidence(
        arr(inp["time"]),
        arr(inp["status"]),
        group=np.array(strs(inp["group"])),
        strata=np.array(strs(inp["stratum"])) if case["strata"] else None,
        rho=case["rho"],
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_cif_curves_match_cuminc(case: dict[str, Any]) -> None:
    res = fit(case)
    assert len(res.curves) == len(case["curves"])
    for rc in case["curves"]:
        group, cause = rc["name"].rsplit(" ", 1)
        ours = res.curve(cause, group)
        t, est, var = arr(rc["time"]), arr(rc["est"]), arr(rc["var"])
        np.testing.assert_array_equal(ours.time, t[2:-1:2], err_msg=rc["name"])
        np.testing.assert_allclose(ours.estimate, est[2:-1:2], rtol=RTOL_R, atol=ATOL_R)
        np.testing.assert_allclose(ours.variance, var[2:-1:2], rtol=RTOL_R, atol=ATOL_R)
        assert ours.last_time == t[-1]
        assert np.all((ours.lower <= ours.estimate) | np.isnan(ours.lower))
        assert np.all((ours.upper >= ours.estimate) | np.isnan(ours.upper))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_timepoints_match(case: dict[str, Any]) -> None:
    res = fit(case)
    tp = arr(case["timepoints"])
    for name, est, var in zip(strs(case["tp_names"]), case["tp_est"], case["tp_var"], strict=True):
        group, cause = name.rsplit(" ", 1)
        e, v = res.curve(cause, group).at(tp)
        np.testing.assert_allclose(e, arr(est), rtol=RTOL_R, atol=ATOL_R, err_msg=name)
        np.testing.assert_allclose(v, arr(var), rtol=RTOL_R, atol=ATOL_R, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_gray_test_matches(case: dict[str, Any]) -> None:
    res = fit(case)
    tests = case["tests"]
    assert [t.cause for t in res.tests] == strs(tests["cause"])
    np.testing.assert_allclose([t.statistic for t in res.tests], arr(tests["stat"]), rtol=RTOL_R)
    assert [t.df for t in res.tests] == [int(d) for d in arr(tests["df"])]
    for ours, pv, upper in zip(
        res.tests, arr(tests["pv"]), arr(case["pv_upper_tail"]), strict=True
    ):
        if pv > TINY_P:
            np.testing.assert_allclose(ours.p_value, pv, rtol=RTOL_R)
        np.testing.assert_allclose(ours.p_value, upper, rtol=RTOL_R)
