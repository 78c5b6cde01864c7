"""Log-rank sample size: closed forms, event probabilities and monotonicity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import norm

from plasmatrial.design.group_sequential import group_sequential_design
from plasmatrial.design.sample_size import prob_event, sample_size_logrank
from plasmatrial.errors import DesignError

BASE = {"alpha": 0.025, "power": 0.9, "accrual": 24.0, "follow_up": 12.0, "median_control": 8.0}


def test_schoenfeld_equal_allocation_closed_form() -> None:
    res = sample_size_logrank(0.7, **BASE)
    z = norm.ppf(0.975) + norm.ppf(0.9)
    assert res.events == pytest.approx(4 * z**2 / math.log(0.7) ** 2, rel=1e-12)


def test_freedman_two_to_one_closed_form() -> None:
    res = sample_size_logrank(0.7, ratio=2, method="freedman", **BASE)
    z = norm.ppf(0.975) + norm.ppf(0.9)
    assert res.events == pytest.approx(z**2 * (1 + 2 * 0.7) ** 2 / (2 * 0.3**2), rel=1e-12)


def test_two_sided_equals_one_sided_at_half_alpha() -> None:
    one = sample_size_logrank(0.7, **BASE)
    two = sample_size_logrank(0.7, sided=2, **{**BASE, "alpha": 0.05})
    assert two.events == pytest.approx(one.events, rel=1e-12)


def test_prob_event_matches_numerical_integral() -> None:
    lam, gam, a, t = 0.08, 0.004, 24.0, 36.0

    def integrand(u: float) -> float:
        h = lam + gam
        return lam / h * (1 - math.exp(-h * (t - u))) / a

    expected, _ = integrate.quad(integrand, 0, a)
    assert prob_event(lam, gam, a, t) == pytest.approx(expected, rel=1e-10)
    # during accrual only those already enrolled contribute
    expected_mid, _ = integrate.quad(
        lambda u: lam / (lam + gam) * (1 - math.exp(-(lam + gam) * (10 - u))) / a, 0, 10
    )
    assert prob_event(lam, gam, a, 10.0) == pytest.approx(expected_mid, rel=1e-10)


def test_patients_times_event_probability_give_events() -> None:
    res = sample_size_logrank(0.7, ratio=2, dropout_rate=0.05, **BASE)
    got = res.n_treatment * res.prob_event_treatment + res.n_control * res.prob_event_control
    assert got == pytest.approx(res.events, rel=1e-12)
    assert res.n_treatment == pytest.approx(2 * res.n_control, rel=1e-12)


def test_group_sequential_inflates_events() -> None:
    fixed = sample_size_logrank(0.7, **BASE)
    gs = sample_size_logrank(0.7, k_max=3, **BASE)
    d = group_sequential_design(3, alpha=0.025, beta=0.1)
    assert gs.events == pytest.approx(fixed.events * d.inflation_factor, rel=1e-12)
    assert gs.expected_events_h1 < fixed.events < gs.events
    assert list(gs.analysis_times) == sorted(gs.analysis_times)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"hr": 1.0}, "hr", id="hr-1"),
        pytest.param({"hr": -0.5}, "hr", id="hr-negative"),
        pytest.param({"alpha": 0.0}, "alpha", id="alpha-0"),
        pytest.param({"alpha": 1.0}, "alpha", id="alpha-1"),
        pytest.param({"power": 1.0}, "power", id="power-1"),
        pytest.param({"dropout_rate": 1.0}, "dropout_rate", id="dropout-1"),
        pytest.param({"lambda2": 0.1}, "exactly one", id="median-and-lambda"),
        pytest.param({"accrual": 0.0}, "accrual", id="accrual-0"),
    ],
)
def test_invalid(kwargs, match) -> None:
    args = {"hr": 0.7, **BASE, **kwargs}
    hr = args.pop("hr")
    with pytest.raises(DesignError, match=match):
        sample_size_logrank(hr, **args)


def test_dropout_just_below_one_is_accepted() -> None:
    res = sample_size_logrank(0.7, **{**BASE, "dropout_rate": 0.99})
    assert res.n_total > sample_size_logrank(0.7, **BASE).n_total


@settings(max_examples=30)
@given(st.floats(0.3, 0.95), st.floats(0.005, 0.04))
def test_property_more_events_as_hr_approaches_one(hr, step) -> None:
    closer = min(hr + step, 0.99)
    a = sample_size_logrank(hr, **BASE)
    b = sample_size_logrank(closer, **BASE)
    assert b.events > a.events
    assert b.n_total > a.n_total
