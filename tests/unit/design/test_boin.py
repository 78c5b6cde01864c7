"""BOIN boundaries against Liu & Yuan (2015) and the BOIN decision table."""

from __future__ import annotations

import pytest
from scipy.stats import beta

from plasmatrial.design.dose_escalation import boin_boundaries
from plasmatrial.errors import DesignError


@pytest.mark.parametrize(
    ("target", "lam_e", "lam_d"),
    [
        pytest.param(0.3, 0.236, 0.358, id="target-0.30"),  # Liu & Yuan 2015, Table 1
        pytest.param(0.25, 0.197, 0.298, id="target-0.25"),
        pytest.param(0.2, 0.157, 0.238, id="target-0.20"),
    ],
)
def test_published_boundaries(target, lam_e, lam_d) -> None:
    b = boin_boundaries(target)
    # published to 3 decimals (0.358 for 0.35852: truncated, not rounded)
    assert b.lambda_e == pytest.approx(lam_e, abs=1e-3)
    assert b.lambda_d == pytest.approx(lam_d, abs=1e-3)


def test_decision_table_target_03() -> None:
    b = boin_boundaries(0.3, max_n=12).to_frame()
    rows = {r["n_treated"]: r for r in b.to_dicts()}
    # BOIN decision table for target 0.3 (cohorts of 3)
    assert [rows[n]["escalate_if_dlt_le"] for n in (3, 6, 9, 12)] == [0, 1, 2, 2]
    assert [rows[n]["deescalate_if_dlt_ge"] for n in (3, 6, 9, 12)] == [2, 3, 4, 5]
    assert [rows[n]["eliminate_if_dlt_ge"] for n in (3, 6, 9, 12)] == [3, 4, 5, 7]


@pytest.mark.parametrize("n", [3, 6, 9, 12])
def test_elimination_threshold_just_meets_and_misses(n) -> None:
    b = boin_boundaries(0.3, max_n=12)
    y = int(b.eliminate_min[n - 1])
    assert beta.sf(0.3, y + 1, n - y + 1) > 0.95  # just meets
    assert beta.sf(0.3, y, n - y + 2) <= 0.95  # one DLT fewer misses


def test_no_elimination_below_three_patients() -> None:
    b = boin_boundaries(0.3)
    assert list(b.eliminate_min[:2]) == [-1, -1]


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"target": 0.0}, id="target-0"),
        pytest.param({"target": 0.3, "phi1": 0.35}, id="phi1-above-target"),
        pytest.param({"target": 0.3, "phi2": 0.25}, id="phi2-below-target"),
    ],
)
def test_invalid(kwargs) -> None:
    with pytest.raises(DesignError):
        boin_boundaries(**kwargs)
