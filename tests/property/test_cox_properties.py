"""Property tests for cox_ph: invariances the partial likelihood must have."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.stats.cox import cox_ph


@st.composite
def cox_data(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(20, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n).astype(float)
    z = rng.normal(size=n)
    t = np.ceil(rng.exponential(1 / np.exp(0.5 * x + 0.3 * z)) * draw(st.sampled_from([3, 30])))
    e = rng.random(n) < 0.8
    e[0] = e[1] = True
    x[0], x[1] = 0.0, 1.0
    return t, e, np.column_stack([x, z]), seed


@given(cox_data(), st.sampled_from(["efron", "breslow"]))
def test_recoding_binary_covariate_flips_its_sign(data, ties) -> None:  # type: ignore[no-untyped-def]
    t, e, X, _ = data
    a = cox_ph(t, e, X, ties=ties, compute_concordance=False)
    Y = X.copy()
    Y[:, 0] = 1.0 - Y[:, 0]
    b = cox_ph(t, e, Y, ties=ties, compute_concordance=False)
    np.testing.assert_allclose(b.coef, a.coef * [-1, 1], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-7)


@given(cox_data())
def test_invariant_to_row_order(data) -> None:  # type: ignore[no-untyped-def]
    t, e, X, seed = data
    perm = np.random.default_rng(seed + 1).permutation(t.shape[0])
    a = cox_ph(t, e, X)
    b = cox_ph(t[perm], e[perm], X[perm])
    np.testing.assert_allclose(b.coef, a.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-12)
    assert a.concordance is not None and b.concordance is not None
    np.testing.assert_allclose(b.concordance.concordance, a.concordance.concordance, rtol=1e-12)


@given(cox_data(), st.floats(0.1, 10.0))
def test_scaling_a_covariate_by_c_divides_its_coefficient(data, c) -> None:  # type: ignore[no-untyped-def]
    t, e, X, _ = data
    a = cox_ph(t, e, X, compute_concordance=False)
    b = cox_ph(t, e, X * [1.0, c], compute_concordance=False)
    # HR per unit of c*z is HR_z^(1/c)
    np.testing.assert_allclose(b.hazard_ratio[1], a.hazard_ratio[1] ** (1 / c), rtol=1e-7)


@given(cox_data())
def test_loglik_increases_from_null_and_tests_are_non_negative(data) -> None:  # type: ignore[no-untyped-def]
    t, e, X, _ = data
    f = cox_ph(t, e, X)
    assert f.loglik >= f.loglik_null - 1e-9
    assert f.lr_test.statistic >= -1e-9
    assert f.score_test.statistic >= 0
    assert f.concordance is not None
    assert 0.0 <= f.concordance.concordance <= 1.0
