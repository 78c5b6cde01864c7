"""Unit tests for binomial_ci: the seed-trial interval, R quirks, validation."""

from __future__ import annotations

import pytest

from plasmatrial.errors import StatsError
from plasmatrial.stats.binomial import BINOMIAL_METHODS, binomial_ci


def test_seed_trial_published_interval() -> None:
    """'19 of 28 responders = 68% (95% CI, 49-83)': which methods reproduce it when rounded?"""
    reproduces = {
        m
        for m in BINOMIAL_METHODS
        if (
            round(100 * binomial_ci(19, 28, method=m).estimate),
            round(100 * binomial_ci(19, 28, method=m).lower),
            round(100 * binomial_ci(19, 28, method=m).upper),
        )
        == (68, 49, 83)
    }
    assert reproduces == {"jeffreys", "mid-p"}


def test_wilson_cc_has_no_correction_at_half() -> None:
    # R prop.test uses YATES = min(0.5, |x - n/2|): zero at x = n/2.
    cc = binomial_ci(5, 10, method="wilson-cc")
    plain = binomial_ci(5, 10, method="wilson")
    assert (cc.lower, cc.upper) == (plain.lower, plain.upper)
    near = binomial_ci(4, 10, method="wilson-cc")  # just off the centre: corrected, wider
    assert near.upper - near.lower > binomial_ci(4, 10, method="wilson").upper - 0.0 - (
        binomial_ci(4, 10, method="wilson").lower
    )


@pytest.mark.parametrize("method", BINOMIAL_METHODS)
def test_one_sided_bounds_are_open(method: str) -> None:
    less = binomial_ci(3, 12, method=method, alternative="less")
    greater = binomial_ci(3, 12, method=method, alternative="greater")
    assert less.lower == 0.0
    assert greater.upper == 1.0
    two = binomial_ci(3, 12, method=method, conf_level=0.9)
    # one-sided 95% limit = two-sided 90% limit
    assert less.upper == pytest.approx(two.upper, rel=1e-12)
    assert greater.lower == pytest.approx(two.lower, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"x": 29, "n": 28}, "x: expected", id="x-above-n"),
        pytest.param({"x": -1, "n": 28}, "x: expected", id="x-negative"),
        pytest.param({"x": 0, "n": 0}, "n: expected", id="n-zero"),
        pytest.param({"x": 1, "n": 2, "conf_level": 1.0}, "conf_level", id="conf-one"),
        pytest.param({"x": 1, "n": 2, "method": "exact"}, "method", id="bad-method"),
        pytest.param({"x": 1, "n": 2, "alternative": "two.sided"}, "alternative", id="bad-alt"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(StatsError, match=match):
        binomial_ci(**kwargs)  # type: ignore[arg-type]


def test_boundary_x_equals_n_is_valid() -> None:
    res = binomial_ci(28, 28)  # just meets x <= n
    assert res.upper == 1.0
    assert res.lower == pytest.approx(0.025 ** (1 / 28), rel=1e-12)
