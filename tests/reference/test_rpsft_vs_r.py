"""RPSFT g-estimation against the survdiff-based R reference (tests/reference/r/rpsft.R)."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.stats.rpsft import rpsft
from tests.reference import RTOL_R, RTOL_R_ITER, load_fixture

pytestmark = pytest.mark.reference
FIX = load_fixture("rpsft")
D = FIX["data"]
EXP = FIX["expected"]


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return rpsft(D["time"], D["event"], D["arm"], D["rx"], censor_time=D["censor_time"])


def test_psi_and_limits(result) -> None:  # type: ignore[no-untyped-def]
    # identical bisection: psi agrees to the last digits; at a limit Z jumps where two
    # counterfactual times cross, so an ulp of exp() may move the located crossing slightly
    np.testing.assert_allclose(result.psi, EXP["psi"], rtol=RTOL_R)
    np.testing.assert_allclose(result.psi_conf_low, EXP["psi_conf_low"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(result.psi_conf_high, EXP["psi_conf_high"], rtol=RTOL_R_ITER)


def test_test_statistic_and_recensoring(result) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(result.z_at_zero, EXP["z_at_zero"], rtol=RTOL_R)
    assert result.n_recensored == EXP["n_recensored"]
    assert result.n_events_lost == EXP["n_events_lost"]


def test_adjusted_hazard_ratio(result) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_allclose(result.adjusted_cox.coef, [EXP["coef"]], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(
        result.adjusted_cox.var.ravel(), np.ravel(EXP["var"]), rtol=RTOL_R_ITER
    )
