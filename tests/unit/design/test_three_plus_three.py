"""Exact 3+3 operating characteristics: hand-computable cases and a seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.design.dose_escalation import three_plus_three
from plasmatrial.errors import DesignError

MC_SIMS = 20_000
MC_TOL = 0.015  # ~4 Monte Carlo standard errors for a probability near 0.3


def simulate_one(tox: list[float], rng: np.random.Generator) -> tuple[int, list[int], list[int]]:
    """Straightforward sequential 3+3 (MTD = highest dose with <= 1/6 DLT), written independently."""
    k = len(tox)
    n, t = [0] * k, [0] * k

    def cohort(i: int) -> None:
        n[i] += 3
        t[i] += int(rng.binomial(3, tox[i]))

    d = 0
    while True:
        cohort(d)
        if t[d] == 1:
            cohort(d)
        if t[d] <= 1:
            if d == k - 1:
                return d, n, t
            d += 1
            continue
        j = d - 1
        while j >= 0:
            while n[j] < 6 and t[j] <= 1:
                cohort(j)
            if t[j] <= 1:
                return j, n, t
            j -= 1
        return -1, n, t


def test_matches_seeded_simulation(rng) -> None:
    tox = [0.05, 0.1, 0.2, 0.35]
    res = three_plus_three(tox)
    sel = np.zeros(len(tox) + 1)
    npat = np.zeros(len(tox))
    for _ in range(MC_SIMS):
        mtd, n, _t = simulate_one(tox, rng)
        sel[mtd + 1] += 1
        npat += n
    np.testing.assert_allclose(sel[1:] / MC_SIMS, res.prob_mtd, atol=MC_TOL)
    assert sel[0] / MC_SIMS == pytest.approx(res.prob_below_lowest, abs=MC_TOL)
    np.testing.assert_allclose(npat / MC_SIMS, res.expected_patients, atol=0.1)


def test_all_safe_selects_highest_dose() -> None:
    res = three_plus_three([0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(res.prob_mtd, [0, 0, 0, 1])
    np.testing.assert_array_equal(res.expected_patients, [3, 3, 3, 3])
    assert res.expected_total_dlts == 0.0


def test_certain_toxicity_at_first_dose() -> None:
    res = three_plus_three([1.0, 0.5, 0.5])
    assert res.prob_below_lowest == 1.0
    np.testing.assert_array_equal(res.expected_patients, [3, 0, 0])
    assert res.dlt_rate == 1.0


def test_single_dose_by_hand() -> None:
    p = 0.2
    q = 1 - p
    res = three_plus_three([p])
    # MTD declared: 0/3, or 1/3 then 0/3
    p_mtd = q**3 + 3 * p * q**2 * q**3
    assert res.prob_mtd[0] == pytest.approx(p_mtd, rel=1e-14)
    assert res.expected_patients[0] == pytest.approx(3 + 3 * 3 * p * q**2, rel=1e-14)


def test_deescalation_expands_lower_dose() -> None:
    # dose 1 always 0/3, dose 2 always toxic: back to dose 1 for 3 more (0 DLT) -> MTD dose 1
    res = three_plus_three([0.0, 1.0])
    assert res.prob_mtd[0] == 1.0
    np.testing.assert_array_equal(res.expected_patients, [6, 3])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"tox": [0.1, 1.2]}, "tox", id="prob-above-1"),
        pytest.param({"tox": []}, "tox", id="empty"),
        pytest.param({"tox": [0.1, 0.2], "start": 2}, "start", id="start-out-of-range"),
        pytest.param({"tox": [0.1, 0.2], "doses": ["2"]}, "doses", id="labels-mismatch"),
    ],
)
def test_invalid(kwargs, match) -> None:
    with pytest.raises(DesignError, match=match):
        three_plus_three(**kwargs)


@settings(max_examples=25)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
def test_property_probabilities_sum_to_one(tox) -> None:
    res = three_plus_three(tox)
    assert res.prob_mtd.sum() + res.prob_below_lowest == pytest.approx(1.0, abs=1e-12)
    assert np.all(res.expected_dlts <= res.expected_patients + 1e-12)
    assert 3.0 - 1e-12 <= res.expected_total_patients <= 6 * len(tox) + 1e-12


@settings(max_examples=25)
@given(st.lists(st.floats(0.0, 0.9), min_size=2, max_size=4).map(sorted), st.floats(0.0, 0.1))
def test_property_more_toxicity_fewer_top_selections(tox, bump) -> None:
    base = three_plus_three(tox)
    worse = three_plus_three([min(1.0, p + bump) for p in tox])
    assert worse.prob_mtd[-1] <= base.prob_mtd[-1] + 1e-12
