"""Time-dependent response (tmerge) and landmark fits against survival (timedep.R)."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.stats.cox import cox_ph
from plasmatrial.stats.landmark import landmark_analysis, to_counting_process
from tests.reference import RTOL_R, load_fixture

pytestmark = pytest.mark.reference
FIX = load_fixture("timedep")
D = FIX["data"]
RESP = np.array([np.nan if v is None else v for v in D["resp_time"]], dtype=float)


def test_counting_process_rows_equal_tmerge() -> None:
    cp = to_counting_process(np.asarray(D["id"]), D["time"], D["event"], RESP)
    tm = FIX["tmerge"]
    np.testing.assert_array_equal(cp.id, tm["id"])
    np.testing.assert_allclose(cp.start, tm["tstart"], rtol=RTOL_R)
    np.testing.assert_allclose(cp.stop, tm["tstop"], rtol=RTOL_R)
    np.testing.assert_array_equal(cp.event, np.asarray(tm["death"], dtype=bool))
    np.testing.assert_array_equal(cp.status, tm["resp"])


def test_time_dependent_cox_equals_r() -> None:
    cp = to_counting_process(np.asarray(D["id"]), D["time"], D["event"], RESP)
    fit = cox_ph(cp.stop, cp.event, cp.status, entry=cp.start)
    exp = FIX["timedep"]
    np.testing.assert_allclose(fit.coef, exp["coef"], rtol=RTOL_R)
    np.testing.assert_allclose(fit.var.ravel(), np.ravel(exp["var"]), rtol=RTOL_R)
    np.testing.assert_allclose([fit.loglik_null, fit.loglik], exp["loglik"], rtol=RTOL_R)
    np.testing.assert_allclose(fit.score_test.statistic, exp["score_test"], rtol=RTOL_R)


def test_landmark_equals_r() -> None:
    exp = FIX["landmark"]
    res = landmark_analysis(D["time"], D["event"], RESP, landmark=exp["landmark"])
    assert res.n_at_risk == exp["n_at_risk"]
    assert int(res.responded.sum()) == exp["n_responders"]
    np.testing.assert_allclose(res.cox.coef, exp["coef"], rtol=RTOL_R)
    np.testing.assert_allclose(res.cox.var.ravel(), np.ravel(exp["var"]), rtol=RTOL_R)
    np.testing.assert_allclose([res.cox.loglik_null, res.cox.loglik], exp["loglik"], rtol=RTOL_R)
