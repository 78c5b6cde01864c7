"""Group-sequential boundaries and log-rank sample sizes against rpact (fixture design_rpact.json)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from plasmatrial.design.group_sequential import group_sequential_design
from plasmatrial.design.sample_size import sample_size_logrank
from tests.reference import RTOL_R_ITER, load_fixture

pytestmark = pytest.mark.reference

FIXTURE = load_fixture("design_rpact")
#: rpact stops its own alpha-spending search at 0.02499999 (1e-8 absolute), i.e. 4e-7 relative.
RTOL_ALPHA_SPENT = 1e-6


def _gs_id(case: dict) -> str:
    a = case["args"]
    return f"K{a['kMax']}-{a['typeOfDesign']}-sided{a['sided']}-beta{a['beta']}"


@pytest.mark.parametrize("case", FIXTURE["expected"]["group_sequential"], ids=_gs_id)
def test_group_sequential_boundaries(case: dict) -> None:
    a = case["args"]
    d = group_sequential_design(
        a["kMax"],
        alpha=a["alpha"],
        beta=a["beta"],
        sided=a["sided"],
        type_of_design=a["typeOfDesign"],
        information_rates=np.atleast_1d(a["informationRates"]),
    )
    np.testing.assert_allclose(d.critical_values, case["criticalValues"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(d.stage_levels, case["stageLevels"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(d.alpha_spent, case["alphaSpent"], rtol=RTOL_ALPHA_SPENT)
    np.testing.assert_allclose(d.inflation_factor, case["inflationFactor"], rtol=RTOL_R_ITER)
    np.testing.assert_allclose(d.shift, case["shift"], rtol=RTOL_R_ITER)


def _ss_id(case: dict) -> str:
    a = case["args"]
    return (
        f"K{a['kMax']}-hr{a['hazardRatio']}-r{a['allocationRatioPlanned']}-beta{a['beta']}"
        f"-drop{a['dropoutRate']}-{a['typeOfComputation']}"
    )


@pytest.mark.parametrize("case", FIXTURE["expected"]["survival"], ids=_ss_id)
def test_sample_size_survival(case: dict) -> None:
    a = case["args"]
    res = sample_size_logrank(
        a["hazardRatio"],
        alpha=case["alpha"],
        power=1 - a["beta"],
        ratio=a["allocationRatioPlanned"],
        accrual=case["accrualTime"],
        follow_up=case["followUpTime"],
        median_control=a.get("median2"),
        lambda2=a.get("lambda2"),
        dropout_rate=a["dropoutRate"],
        dropout_time=case["dropoutTime"],
        method=a["typeOfComputation"].lower(),
        k_max=a["kMax"],
    )
    rtol = RTOL_R_ITER
    np.testing.assert_allclose(res.events, case["maxNumberOfEvents"], rtol=rtol)
    np.testing.assert_allclose(res.n_total, case["maxNumberOfSubjects"], rtol=rtol)
    np.testing.assert_allclose(res.events_per_stage, case["eventsPerStage"], rtol=rtol)
    np.testing.assert_allclose(res.analysis_times, case["analysisTime"], rtol=rtol)
    np.testing.assert_allclose(res.expected_events_h1, case["expectedEventsH1"], rtol=rtol)
    np.testing.assert_allclose(res.expected_duration_h1, case["studyDurationH1"], rtol=rtol)
    np.testing.assert_allclose([res.lambda1, res.lambda2], [case["lambda1"], case["lambda2"]])
    if case["maxNumberOfSubjects1"]:  # rpact fills the per-arm maxima only for kMax > 1
        np.testing.assert_allclose(res.n_treatment, case["maxNumberOfSubjects1"], rtol=rtol)
        np.testing.assert_allclose(res.n_control, case["maxNumberOfSubjects2"], rtol=rtol)
    if case["expectedEventsH0"]:
        np.testing.assert_allclose(res.expected_events_h0, case["expectedEventsH0"], rtol=rtol)
    # rpact reports unrounded values; ours round up
    assert res.events_rounded == math.ceil(case["maxNumberOfEvents"])
    assert res.n_treatment_rounded == math.ceil(
        case["maxNumberOfSubjects"]
        * a["allocationRatioPlanned"]
        / (1 + a["allocationRatioPlanned"])
    )
