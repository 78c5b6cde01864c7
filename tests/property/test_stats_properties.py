"""Property tests for plasmatrial.stats invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from plasmatrial.stats.binomial import BINOMIAL_METHODS, binomial_ci
from plasmatrial.stats.cif import cumulative_incidence
from plasmatrial.stats.km import kaplan_meier
from plasmatrial.stats.logrank import logrank_test, logrank_test_batched
from plasmatrial.stats.rmst import rmst

#: float tolerance for identities that hold up to rounding
TOL = 1e-12


@st.composite
def survival_data(
    draw: st.DrawFn, min_size: int = 2, max_size: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_size, max_size))
    times = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))  # integer times -> ties
    events = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return np.array(times, dtype=float), np.array(events)


@given(survival_data(), st.sampled_from(["log", "log-log", "plain"]))
def test_km_in_unit_interval_and_non_increasing(
    data: tuple[np.ndarray, np.ndarray], conf_type: str
) -> None:
    t, e = data
    fit = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
    assert np.all((fit.surv >= 0) & (fit.surv <= 1))
    assert np.all(np.diff(fit.surv) <= TOL)


@given(survival_data(), st.sampled_from(["log", "log-log", "plain"]))
def test_km_ci_contains_estimate(data: tuple[np.ndarray, np.ndarray], conf_type: str) -> None:
    t, e = data
    fit = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
    ok = ~np.isnan(fit.lower)
    assert np.all(fit.lower[ok] <= fit.surv[ok] + TOL)
    assert np.all(fit.upper[ok] >= fit.surv[ok] - TOL)


@given(st.lists(st.integers(0, 30), min_size=1, max_size=60))
def test_no_censoring_km_is_one_minus_ecdf(times: list[int]) -> None:
    t = np.array(times, dtype=float)
    fit = kaplan_meier(t, np.ones_like(t, dtype=bool))
    ecdf = np.array([(t <= u).mean() for u in fit.time])
    np.testing.assert_allclose(fit.surv, 1.0 - ecdf, atol=TOL)


@given(survival_data(min_size=4), st.data(), st.sampled_from([0.0, 1.0]))
def test_logrank_symmetric_under_label_swap(
    data: tuple[np.ndarray, np.ndarray], draw: st.DataObject, rho: float
) -> None:
    t, e = data
    g = np.array(draw.draw(st.lists(st.booleans(), min_size=t.size, max_size=t.size)))
    if g.all() or not g.any() or not e.any():
        return
    batch = logrank_test_batched(np.stack([t, t]), np.stack([e, e]), np.stack([g, ~g]))
    if batch.variance[0] <= 0:  # no information (R's survdiff stops: singular system)
        assert np.isnan(batch.z).all()
        return
    a = logrank_test(t, e, g.astype(int), rho=rho)
    b = logrank_test(t, e, (~g).astype(int), rho=rho)
    np.testing.assert_allclose(a.chisq, b.chisq, rtol=1e-9, atol=TOL)
    if rho != 0.0:
        return
    batch = logrank_test_batched(np.stack([t, t]), np.stack([e, e]), np.stack([g, ~g]))
    np.testing.assert_allclose(batch.chisq, a.chisq, rtol=1e-9, atol=TOL)
    np.testing.assert_allclose(batch.z[0], -batch.z[1], rtol=1e-9, atol=TOL)


@given(
    st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from(BINOMIAL_METHODS),
    st.floats(0.5, 0.98),
    st.floats(0.005, 0.019),
)
def test_binomial_ci_contains_estimate_and_nested(
    xn: tuple[int, int], method: str, conf: float, step: float
) -> None:
    x, n = xn
    small = binomial_ci(x, n, method=method, conf_level=conf)  # type: ignore[arg-type]
    big = binomial_ci(x, n, method=method, conf_level=conf + step)  # type: ignore[arg-type]
    if method != "wilson-cc":  # R's prop.test(correct=TRUE) can exclude x/n near 0/1
        assert small.lower - TOL <= small.estimate <= small.upper + TOL
    assert big.lower <= small.lower + TOL
    assert big.upper >= small.upper - TOL
    assert 0.0 <= big.lower <= big.upper <= 1.0


@given(survival_data(), st.floats(0.5, 40.0))
def test_rmst_between_zero_and_tau(data: tuple[np.ndarray, np.ndarray], tau: float) -> None:
    t, e = data
    r = rmst(t, e, tau=tau)
    assert 0.0 <= r.rmst <= tau + TOL
    assert r.se >= 0.0


@given(survival_data(min_size=3), st.data())
def test_cif_sum_over_causes_is_one_minus_km(
    data: tuple[np.ndarray, np.ndarray], draw: st.DataObject
) -> None:
    t, e = data
    if not e.any():
        return
    cause = np.array(draw.draw(st.lists(st.sampled_from([1, 2]), min_size=t.size, max_size=t.size)))
    status = np.where(e, cause, 0)
    res = cumulative_incidence(t, status)
    km = kaplan_meier(t, e)
    grid = km.time
    total = sum(c.at(grid)[0] for c in res.curves)
    np.testing.assert_allclose(total, 1.0 - km.survival_at(grid), atol=1e-10)
