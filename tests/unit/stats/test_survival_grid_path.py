"""The decimal-grid counting path (decision 0355) against the sort path it replaces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.stats import km as km_mod
from plasmatrial.stats import logrank as lr_mod
from plasmatrial.stats.km import compress_codes, grid_codes, kaplan_meier, kaplan_meier_by
from plasmatrial.stats.logrank import logrank_test

RTOL = 1e-12


def _sorted_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(km_mod, "grid_codes", lambda t, ncell=1: None)
    monkeypatch.setattr(lr_mod, "grid_codes", lambda t, ncell=1: None)


@st.composite
def survival_data(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(2, 60))
    scale = draw(st.sampled_from([1.0, 10.0, 100.0]))
    k = draw(st.integers(0, 40))
    ints = np.array(draw(st.lists(st.integers(0, k), min_size=n, max_size=n)), dtype=np.float64)
    t = ints / scale
    e = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    g = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    s = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    return t, e, g, s


def _km_arrays(fit: km_mod.KaplanMeierResult) -> list[np.ndarray]:
    return [
        fit.time, fit.n_risk, fit.n_event, fit.n_censor, fit.surv, fit.std_err,
        fit.lower, fit.upper, fit.cumhaz, fit.std_chaz,
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(data=survival_data(), conf_type=st.sampled_from(["log", "log-log", "plain", "none"]))
def test_km_grid_path_matches_sort_path(data: tuple[np.ndarray, ...], conf_type: str) -> None:
    t, e, g, _ = data
    fast = kaplan_meier_by(t, e, g, conf_type=conf_type)  # type: ignore[arg-type]
    one = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
    with pytest.MonkeyPatch.context() as mp:
        _sorted_path(mp)
        slow = kaplan_meier_by(t, e, g, conf_type=conf_type)  # type: ignore[arg-type]
        one_slow = kaplan_meier(t, e, conf_type=conf_type)  # type: ignore[arg-type]
    assert fast.groups == slow.groups
    pairs = [*zip(fast.fits, slow.fits, strict=True), (one, one_slow)]
    for a, b in pairs:
        for x, y in zip(_km_arrays(a), _km_arrays(b), strict=True):
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=0.0)
        assert a.median == b.median or (np.isnan(a.median) and np.isnan(b.median))


@settings(max_examples=60, deadline=None)
@given(data=survival_data(), rho=st.sampled_from([0.0, 1.0]), stratified=st.booleans())
def test_logrank_grid_path_matches_sort_path(
    data: tuple[np.ndarray, ...], rho: float, stratified: bool
) -> None:
    t, e, g, s = data
    if np.unique(g).size < 2:
        g = np.arange(t.shape[0]) % 2
    strata = s if stratified else None
    try:
        fast = logrank_test(t, e, g, strata=strata, rho=rho)
    except Exception as exc:  # a singular variance must fail alike on both paths
        with pytest.MonkeyPatch.context() as mp:
            _sorted_path(mp)
            with pytest.raises(type(exc)):
                logrank_test(t, e, g, strata=strata, rho=rho)
        return
    with pytest.MonkeyPatch.context() as mp:
        _sorted_path(mp)
        slow = logrank_test(t, e, g, strata=strata, rho=rho)
    for name in ("n", "observed", "expected", "variance"):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=RTOL, atol=1e-13)
    assert fast.df == slow.df
    np.testing.assert_allclose(fast.chisq, slow.chisq, rtol=1e-9, atol=1e-12)


def _values(t: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    found = grid_codes(t)
    if found is None:
        return None
    codes, span, lo, scale = found
    used, rank = compress_codes(codes, span)
    return (used + lo) / scale, rank


def test_grid_codes_exact_and_refusals() -> None:
    t = np.round(np.random.default_rng(1).exponential(300.0, 5000), 1)
    grid = _values(t)
    assert grid is not None
    values, codes = grid
    assert np.array_equal(values[codes], t)  # bit for bit
    assert bool(np.all(np.diff(values) > 0))
    assert grid_codes(t + 1e-9) is None  # off every decimal grid: the caller sorts
    assert grid_codes(np.array([0.0, 1e15])) is None  # the count table would be huge
    ints = np.array([3.0, 1.0, 3.0, 7.0])
    v, c = _values(ints) or (None, None)
    assert v is not None and c is not None
    assert np.array_equal(v[c], ints) and v.tolist() == [1.0, 3.0, 7.0]
    assert grid_codes(ints) is not None and grid_codes(ints)[2] == 0.0  # type: ignore[index]
    late = np.array([1003.2, 1000.5, 1001.0, 1003.2])  # far from 0: the grid starts at the first
    found = grid_codes(late)
    assert found is not None and found[2] == 10005.0 and found[1] == 28
    v, c = _values(late) or (None, None)
    assert v is not None and c is not None and np.array_equal(v[c], late)


def test_late_grid_gives_the_same_fit_as_the_sort_path(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    t = np.round(5000.0 + rng.exponential(40.0, 300), 1)
    e = rng.random(300) < 0.6
    g = rng.integers(0, 2, 300)
    fast = kaplan_meier_by(t, e, g, conf_type="log-log")
    _sorted_path(monkeypatch)
    slow = kaplan_meier_by(t, e, g, conf_type="log-log")
    for a, b in zip(fast.fits, slow.fits, strict=True):
        for x, y in zip(_km_arrays(a), _km_arrays(b), strict=True):
            np.testing.assert_array_equal(x, y)


def test_cumulative_hazard_is_listed_as_a_field() -> None:
    """cumhaz and std_chaz are computed on access (decision 0358) yet still part of the
    result's dict and table, with R's values (Nelson-Aalen sum d/n and sqrt(sum d/n^2))."""
    fit = kaplan_meier([1.0, 2.0, 2.0, 3.0, 4.0], [1, 1, 0, 1, 0])
    d = {k: v for k, v in fit.to_dict().items() if k in ("cumhaz", "std_chaz")}
    assert d["cumhaz"] == pytest.approx([1 / 5, 1 / 5 + 1 / 4, 1 / 5 + 1 / 4 + 1 / 2, 0.95])
    assert d["std_chaz"] == pytest.approx(
        np.sqrt(np.cumsum([1 / 25, 1 / 16, 1 / 4, 0.0])).tolist()
    )
    assert "cumhaz" in repr(fit.to_dict()) and len(d) == 2


def test_sort_path_is_really_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparisons above compare two different paths: with the grid refused, no grid
    function runs."""
    _sorted_path(monkeypatch)
    calls: list[str] = []

    def spy(*args: object) -> None:
        calls.append("compress_codes")
        raise AssertionError("the grid path ran")

    monkeypatch.setattr(km_mod, "compress_codes", spy)
    monkeypatch.setattr(lr_mod, "compress_codes", spy)
    t = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 8.0])
    e = np.array([1, 0, 1, 1, 0, 1])
    g = np.array([0, 1, 0, 1, 0, 1])
    kaplan_meier_by(t, e, g)
    kaplan_meier(t, e)
    logrank_test(t, e, g, strata=np.array([0, 0, 0, 1, 1, 1]))
    assert calls == []


def test_logrank_rho_with_an_eventless_stratum_on_both_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stratum without events adds nothing (the sort path raised for rho != 0 before 0357)."""
    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    e = np.array([1, 1, 0, 1, 0, 0, 0, 0])
    g = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    s = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    fast = logrank_test(t, e, g, strata=s, rho=1.0)
    only = logrank_test(t[:4], e[:4], g[:4], rho=1.0)
    _sorted_path(monkeypatch)
    slow = logrank_test(t, e, g, strata=s, rho=1.0)
    for r in (fast, slow):
        np.testing.assert_allclose(r.observed, only.observed, rtol=1e-15)
        np.testing.assert_allclose(r.variance, only.variance, rtol=1e-15)
        assert r.chisq == pytest.approx(only.chisq, rel=1e-13)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.sampled_from([0.0, 0.0, 0.125, 0.25, 0.5]), min_size=1, max_size=30),
    probs=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, 0.3]), min_size=1, max_size=5),
)
def test_findq_monotone_fast_path_matches_general(steps: list[float], probs: list[float]) -> None:
    y = np.minimum(np.cumsum([0.0, *steps]), 1.0)  # non-decreasing with flats, as 1 - S
    x = np.arange(y.shape[0], dtype=np.float64) * 1.5
    p = np.array(probs)
    fast = km_mod.findq(x, y, p)
    general = km_mod.findq(x, y, p, fast=False)
    np.testing.assert_array_equal(fast, general)


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(
        st.sampled_from([0.0, 0.0, 0.125, 0.25, 0.5, 0.5 - 1e-9, 1e-9, 1.0 / 3.0]),
        min_size=0,
        max_size=30,
    ),
)
def test_median_of_matches_findq(steps: list[float]) -> None:
    """The scalar median search (decision 0357) against the general findq, flats at 0.5 and
    values within the tolerance of 0.5 included."""
    y = np.minimum(np.cumsum([0.0, *steps]), 1.0)
    surv = 1.0 - y[1:]
    time = np.arange(1, y.shape[0], dtype=np.float64) * 1.5
    x = np.concatenate([[0.0], time])
    general = km_mod.findq(x, 1.0 - np.concatenate([[1.0], surv]), np.array([0.5]), fast=False)
    got = km_mod.median_of(time, surv)
    assert got == general[0] or (np.isnan(got) and np.isnan(general[0]))


@settings(max_examples=40, deadline=None)
@given(data=survival_data(), conf_type=st.sampled_from(["log", "log-log", "plain", "none"]))
def test_stacked_group_fits_equal_each_group_alone(
    data: tuple[np.ndarray, ...], conf_type: str
) -> None:
    """All groups' fits share their elementwise passes (decision 0357): each group's arrays are
    still bit for bit those of fitting that group alone."""
    t, e, g, _ = data
    by = kaplan_meier_by(t, e, g, conf_type=conf_type)  # type: ignore[arg-type]
    for label, fit in by:
        m = g == int(label)
        alone = kaplan_meier(t[m], e[m], conf_type=conf_type)  # type: ignore[arg-type]
        for x, y in zip(_km_arrays(fit), _km_arrays(alone), strict=True):
            np.testing.assert_array_equal(x, y)
