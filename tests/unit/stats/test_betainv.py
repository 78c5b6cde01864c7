"""The pure-Python beta quantile (decision 0109) against the scipy function it replaces.

``scipy.special.betaincinv`` (Boost ``ibeta_inv``) is accurate to a few units in the last place;
``beta_quantile`` aims at the correctly rounded root. Each case must give the same double as
scipy, or a double at least as close to the exact root, judged by the incomplete beta function
evaluated with 60 significant digits: ``|I(x) - q| / density(x)`` is the distance to the root.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from scipy import special

from plasmatrial.stats import _betainv
from plasmatrial.stats._betainv import beta_quantile, betainc_float


def _distance_in_ulps(x: float, q: float, a: float, b: float) -> float:
    """How far ``x`` is from the exact root of ``I_x(a, b) = q``, in units of ``ulp(x)``."""
    with localcontext() as ctx:
        ctx.prec = 60
        ad, bd = Decimal(a), Decimal(b)
        lbeta = _betainv._lgamma_dec(ad) + _betainv._lgamma_dec(bd) - _betainv._lgamma_dec(ad + bd)
        value, density = _betainv._betainc_and_density(Decimal(x), ad, bd, lbeta)
        return float(abs(value - Decimal(q)) / density) / math.ulp(x)


def _cases() -> list[tuple[float, float, float]]:
    """Clopper-Pearson and Jeffreys quantiles at the usual tails for a spread of x/n."""
    tails = (0.025, 0.005, (1 - 0.95) / 2)
    out = []
    for n in (1, 2, 3, 5, 10, 19, 28, 57, 120, 455, 2000):
        for x in sorted({0, 1, 2, n // 3, n // 2, n - 1, n}):
            if not 0 <= x <= n:
                continue
            for q in tails:
                if x > 0:
                    out += [(q, x, n - x + 1), (q, x + 0.5, n - x + 0.5)]
                if x < n:
                    out += [(1 - q, x + 1, n - x), (1 - q, x + 0.5, n - x + 0.5)]
    return out


CASES = _cases()


def test_same_as_scipy_or_closer_to_the_exact_root() -> None:
    same = 0
    for q, a, b in CASES:
        ours = beta_quantile(q, a, b)
        before = float(special.betaincinv(a, b, q))
        if ours == before:
            same += 1
            continue
        assert _distance_in_ulps(ours, q, a, b) <= _distance_in_ulps(before, q, a, b), (q, a, b)
        assert _distance_in_ulps(ours, q, a, b) <= 0.5 + 1e-6, (q, a, b)
    assert same >= len(CASES) // 3  # most agree; the rest are scipy's last-place errors


@pytest.mark.parametrize(("q", "a", "b"), [(0.025, 1, 100000), (0.3, 1, 1), (0.975, 2.5, 0.5)])
def test_closed_forms(q: float, a: float, b: float) -> None:
    with localcontext() as ctx:
        ctx.prec = 80
        if a == 1:  # I_x(1, b) = 1 - (1 - x)^b
            exact = 1 - (1 - Decimal(q)) ** (1 / Decimal(b))
        else:  # I_x(a, 1/2) has no short form: compare with the 60-digit distance instead
            assert _distance_in_ulps(beta_quantile(q, a, b), q, a, b) <= 0.5 + 1e-6
            return
        assert beta_quantile(q, a, b) == float(exact)


def test_double_incomplete_beta_agrees_with_scipy() -> None:
    for x in (1e-6, 0.01, 0.3, 0.5, 0.7, 0.99):
        for a, b in ((0.5, 0.5), (1, 3), (19, 10), (250, 206), (3.5, 1000.5)):
            assert math.isclose(betainc_float(x, a, b), special.betainc(a, b, x), rel_tol=1e-11)


def test_bad_arguments() -> None:
    for q, a, b in ((0.0, 1, 1), (1.0, 1, 1), (0.5, 0, 1), (0.5, 1, -1)):
        with pytest.raises(ValueError, match="beta_quantile"):
            beta_quantile(q, a, b)
