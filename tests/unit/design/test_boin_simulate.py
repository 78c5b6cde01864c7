"""BOIN simulation: deterministic scenarios, PAVA against a scalar reference, probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.design.boin_simulate import isotonic_regression_batched, simulate_boin
from plasmatrial.errors import DesignError


def _pava(v: list[float], w: list[float]) -> list[float]:
    """Textbook pool-adjacent-violators (scalar reference)."""
    blocks: list[list[float]] = []  # [weighted mean, weight, count]
    for x, wt in zip(v, w, strict=True):
        blocks.append([x, wt, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            b2, b1 = blocks.pop(), blocks.pop()
            tw = b1[1] + b2[1]
            blocks.append([(b1[0] * b1[1] + b2[0] * b2[1]) / tw, tw, b1[2] + b2[2]])
    out: list[float] = []
    for mean, _, cnt in blocks:
        out.extend([mean] * int(cnt))
    return out


@given(
    data=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.1, 10.0)), min_size=1, max_size=8),
    extra=st.integers(0, 3),
)
def test_isotonic_matches_scalar_pava(data: list[tuple[float, float]], extra: int) -> None:
    v = [d[0] for d in data]
    w = [d[1] for d in data]
    m = len(v)
    values = np.array([v + [0.9] * extra])
    weights = np.array([w + [1.0] * extra])
    fit = isotonic_regression_batched(values, weights, np.array([m]))
    np.testing.assert_allclose(fit[0, :m], _pava(v, w), rtol=1e-9, atol=1e-12)
    assert np.isnan(fit[0, m:]).all()


def test_deterministic_toxicity_selects_last_safe_dose() -> None:
    """DLT probabilities 0 or 1: dose 3 gives 3/3 DLTs, is eliminated; dose 2 is the MTD."""
    r = simulate_boin([0.0, 0.0, 1.0, 1.0], 0.3, n_sims=50, seed=1)
    np.testing.assert_array_equal(r.select_prob, [0.0, 1.0, 0.0, 0.0])
    # cohorts: dose 1, dose 2, dose 3 (eliminated), then dose 2 for the remaining 7 cohorts
    np.testing.assert_array_equal(r.mean_patients, [3.0, 24.0, 3.0, 0.0])
    np.testing.assert_array_equal(r.mean_dlts, [0.0, 0.0, 3.0, 0.0])


def test_all_doses_too_toxic_stops_without_mtd() -> None:
    r = simulate_boin([1.0, 1.0, 1.0], 0.3, n_sims=20, seed=1)
    assert r.no_selection == 1.0 and r.early_stop == 1.0
    np.testing.assert_array_equal(r.mean_patients, [3.0, 0.0, 0.0])


def test_all_doses_safe_selects_highest() -> None:
    r = simulate_boin([0.0, 0.0, 0.0], 0.3, n_cohorts=6, n_sims=20, seed=1)
    np.testing.assert_array_equal(r.select_prob, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(r.mean_patients, [3.0, 3.0, 12.0])


@given(
    tox=st.lists(st.floats(0.0, 0.9), min_size=2, max_size=5).map(sorted),
    seed=st.integers(0, 2**32 - 1),
)
def test_probabilities_sum_to_one(tox: list[float], seed: int) -> None:
    r = simulate_boin(tox, 0.25, n_cohorts=6, n_sims=200, seed=seed)
    assert r.select_prob.sum() + r.no_selection == pytest.approx(1.0)
    assert r.mean_patients.sum() <= 6 * 3 + 1e-9  # at most 6 cohorts of 3 (float sum)
    assert (r.mean_dlts <= r.mean_patients).all()


def test_correct_dose_selected_most_often_and_reproducible() -> None:
    tox = [0.05, 0.12, 0.30, 0.50, 0.65]
    a = simulate_boin(tox, 0.3, n_sims=3000, seed=7)
    b = simulate_boin(tox, 0.3, n_sims=3000, seed=7)
    assert a.to_dict() == b.to_dict()
    assert int(np.argmax(a.select_prob)) == 2
    assert a.select_prob[2] > 0.4


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"tox": [0.1, 1.2]}, "tox must lie in"),
        ({"target": 1.0}, "target must lie strictly"),
        ({"start_dose": 2}, "start_dose must be below"),
    ],
)
def test_invalid_arguments(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"tox": [0.1, 0.2], "target": 0.3, "n_sims": 10, "seed": 1}
    args.update(kw)
    with pytest.raises(DesignError, match=match):
        simulate_boin(**args)  # type: ignore[arg-type]
