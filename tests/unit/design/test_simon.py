"""Simon two-stage and exact single-stage designs against Simon (1989) and brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from plasmatrial.design.simon import (
    exact_single_stage,
    operating_characteristics,
    simon_design,
    simon_two_stage,
)
from plasmatrial.errors import DesignError

# Simon R. Control Clin Trials 1989;10:1-10, Tables 1-2 (rows as published):
# (p0, p1, alpha, beta, optimal (r1, n1, r, n, EN, PET), minimax (r1, n1, r, n, EN, PET))
SIMON_1989 = [
    (0.05, 0.25, 0.05, 0.2, (0, 9, 2, 17, 12.0, 0.63), (0, 12, 2, 16, 13.8, 0.54)),
    (0.05, 0.20, 0.05, 0.2, (0, 10, 3, 29, 17.6, 0.60), (0, 13, 3, 27, 19.8, 0.51)),
    (0.10, 0.30, 0.05, 0.2, (1, 10, 5, 29, 15.0, 0.74), (1, 15, 5, 25, 19.5, 0.55)),
    (0.10, 0.30, 0.05, 0.1, (2, 18, 6, 35, 22.5, 0.73), (2, 22, 6, 33, 26.2, 0.62)),
    (0.10, 0.30, 0.10, 0.1, (1, 12, 5, 35, 19.8, 0.66), (1, 16, 4, 25, 20.4, 0.51)),
    (0.20, 0.40, 0.05, 0.2, (3, 13, 12, 43, 20.6, 0.75), (4, 18, 10, 33, 22.3, 0.72)),
    (0.20, 0.40, 0.05, 0.1, (4, 19, 15, 54, 30.4, 0.67), (5, 24, 13, 45, 31.2, 0.66)),
    (0.30, 0.50, 0.05, 0.2, (5, 15, 18, 46, 23.6, 0.72), (6, 19, 16, 39, 25.7, 0.67)),
    (0.30, 0.50, 0.05, 0.1, (8, 24, 24, 63, 34.7, 0.73), (7, 24, 21, 53, 36.6, 0.56)),
]


def exact_reject(r1: int, n1: int, r: int, n: int, p: float) -> float:
    """Brute force over all (x1, x2) outcomes: P(x1 > r1 and x1 + x2 > r)."""
    x1 = np.arange(n1 + 1)[:, None]
    x2 = np.arange(n - n1 + 1)[None, :]
    joint = binom.pmf(x1, n1, p) * binom.pmf(x2, n - n1, p)
    return float(joint[(x1 > r1) & (x1 + x2 > r)].sum())


@pytest.mark.parametrize(("p0", "p1", "alpha", "beta", "opt", "mm"), SIMON_1989)
def test_matches_simon_1989(p0, p1, alpha, beta, opt, mm) -> None:
    res = simon_two_stage(p0, p1, alpha=alpha, beta=beta)
    for design, pub in ((res.optimal, opt), (res.minimax, mm)):
        assert (design.r1, design.n1, design.r, design.n) == pub[:4]
        assert round(design.en_p0, 1) == pub[4]
        assert round(design.pet_p0, 2) == pub[5]
        # independent exact check of the published design's error rates
        a = exact_reject(*pub[:4], p0)
        pw = exact_reject(*pub[:4], p1)
        assert a < alpha
        assert 1 - pw < beta
        assert design.alpha == pytest.approx(a, rel=1e-12)
        assert design.power == pytest.approx(pw, rel=1e-12)


def brute_force(p0: float, p1: float, alpha: float, beta: float, nmax: int):
    feasible = []
    for n in range(2, nmax + 1):
        for n1 in range(1, n):
            for r1 in range(n1):
                for r in range(r1, r1 + n - n1 + 1):
                    a = exact_reject(r1, n1, r, n, p0)
                    if a >= alpha:
                        continue
                    if 1 - exact_reject(r1, n1, r, n, p1) < beta:
                        pet = binom.cdf(r1, n1, p0)
                        feasible.append((n, n1 + (1 - pet) * (n - n1)))
    return feasible


def test_brute_force_small_case() -> None:
    feasible = brute_force(0.05, 0.35, 0.1, 0.2, 11)
    res = simon_two_stage(0.05, 0.35, alpha=0.1, beta=0.2, nmax=11)
    n_mm = min(n for n, _ in feasible)
    assert res.minimax.n == n_mm
    assert res.minimax.en_p0 == pytest.approx(min(e for n, e in feasible if n == n_mm))
    assert res.optimal.en_p0 == pytest.approx(min(e for _, e in feasible))


def test_admissible_designs_minimise_loss_within_their_q_range() -> None:
    res = simon_two_stage(0.1, 0.3, alpha=0.05, beta=0.2)
    adm = res.admissible
    assert adm[0].n == res.minimax.n
    assert adm[-1].n == res.optimal.n
    assert adm[0].q_range[1] == 1.0
    assert adm[-1].q_range[0] == 0.0
    for a, b in itertools.pairwise(adm):
        assert a.q_range[0] == pytest.approx(b.q_range[1])
    # at the midpoint of each range, the design beats every other admissible one
    for d in adm:
        q = sum(d.q_range) / 2
        losses = [q * o.n + (1 - q) * o.en_p0 for o in adm]
        assert q * d.n + (1 - q) * d.en_p0 == pytest.approx(min(losses))


def test_operating_characteristics_at_p0_and_p1() -> None:
    d = simon_design(1, 10, 5, 29, p0=0.1, p1=0.3)
    oc = operating_characteristics(d, [0.1, 0.3, 0.0, 1.0])
    np.testing.assert_allclose(oc.prob_reject[:2], [d.alpha, d.power], rtol=1e-12)
    assert oc.prob_reject[2] == 0.0
    assert oc.prob_reject[3] == pytest.approx(1.0)
    assert oc.pet[0] == pytest.approx(binom.cdf(1, 10, 0.1))
    assert oc.expected_n[0] == pytest.approx(10 + (1 - binom.cdf(1, 10, 0.1)) * 19)
    assert oc.to_frame().height == 4


def test_strict_alpha_boundary() -> None:
    """clinfun requires attained alpha < ep1 strictly: equality misses, the next float meets."""
    d = simon_design(1, 15, 5, 25, p0=0.1, p1=0.3)
    meets = simon_two_stage(0.1, 0.3, alpha=math.nextafter(d.alpha, 1), beta=0.2)
    assert (meets.minimax.n, meets.minimax.n1) == (25, 15)
    misses = simon_two_stage(0.1, 0.3, alpha=d.alpha, beta=0.2)
    assert (misses.minimax.r1, misses.minimax.n1, misses.minimax.n) != (1, 15, 25)


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "beta", "expected"),
    [
        # clinfun::ph2single convention, checked against the binomial directly below
        pytest.param(0.1, 0.3, 0.05, 0.2, (5, 25), id="p0.1-p1.3"),
        pytest.param(0.2, 0.4, 0.05, 0.2, (11, 35), id="p0.2-p1.4"),
    ],
)
def test_exact_single_stage(p0, p1, alpha, beta, expected) -> None:
    d = exact_single_stage(p0, p1, alpha, beta)
    assert (d.r, d.n) == expected
    assert binom.sf(d.r, d.n, p0) <= alpha
    assert binom.cdf(d.r, d.n, p1) <= beta
    # n - 1 has no critical value meeting both bounds
    r = np.arange(d.n - 1)
    assert not np.any((binom.sf(r, d.n - 1, p0) <= alpha) & (binom.cdf(r, d.n - 1, p1) <= beta))


def test_single_stage_inclusive_boundary() -> None:
    a = binom.sf(5, 25, 0.1)
    assert exact_single_stage(0.1, 0.3, a, 0.2).n == 25  # just meets (<=)
    assert exact_single_stage(0.1, 0.3, math.nextafter(a, 0), 0.2).n > 25  # just misses


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"p0": 0.3, "p1": 0.3, "alpha": 0.05, "beta": 0.2}, id="p1-equals-p0"),
        pytest.param({"p0": 0.3, "p1": 0.5, "alpha": 1.0, "beta": 0.2}, id="alpha-1"),
        pytest.param({"p0": 0.3, "p1": 0.5, "alpha": 0.05, "beta": 0.0}, id="beta-0"),
        pytest.param({"p0": 0.0, "p1": 0.5, "alpha": 0.05, "beta": 0.2}, id="p0-0"),
    ],
)
def test_invalid_parameters(kwargs) -> None:
    with pytest.raises(DesignError):
        simon_two_stage(kwargs["p0"], kwargs["p1"], alpha=kwargs["alpha"], beta=kwargs["beta"])


def test_no_design_within_nmax() -> None:
    with pytest.raises(DesignError, match="nmax"):
        simon_two_stage(0.1, 0.3, alpha=0.05, beta=0.2, nmax=20)


@settings(max_examples=8)
@given(
    p0=st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.4, 0.5]),
    delta=st.sampled_from([0.2, 0.25, 0.3]),
    alpha=st.sampled_from([0.05, 0.1]),
    beta=st.sampled_from([0.1, 0.2]),
)
def test_property_error_rates_respected(p0, delta, alpha, beta) -> None:
    res = simon_two_stage(p0, p0 + delta, alpha=alpha, beta=beta)
    for d in (res.optimal, res.minimax, *res.admissible):
        assert d.alpha < alpha
        assert d.power > 1 - beta
        assert exact_reject(d.r1, d.n1, d.r, d.n, p0) == pytest.approx(d.alpha, rel=1e-10)
    assert res.minimax.n <= res.optimal.n
    assert res.optimal.en_p0 <= res.minimax.en_p0
