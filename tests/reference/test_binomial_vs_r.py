"""binomial_ci against R (binom.test, prop.test, qbeta, uniroot): fixtures/binomial.json."""

from __future__ import annotations

import numpy as np
import pytest

from plasmatrial.stats.binomial import BINOMIAL_METHODS, binomial_ci
from tests.reference import ATOL_R, RTOL_R, load_fixture

FIX = load_fixture("binomial")
CASES = FIX["expected"]["cases"]


@pytest.mark.reference
@pytest.mark.parametrize("method", BINOMIAL_METHODS)
def test_binomial_ci_matches_r(method: str) -> None:
    cases = [c for c in CASES if c["method"] == method]
    assert len(cases) > 50
    for c in cases:
        res = binomial_ci(
            c["x"], c["n"], method=method, conf_level=c["conf_level"], alternative=c["alternative"]
        )
        np.testing.assert_allclose(
            [res.lower, res.upper],
            [c["lower"], c["upper"]],
            rtol=RTOL_R,
            atol=ATOL_R,
            err_msg=str(c),
        )
