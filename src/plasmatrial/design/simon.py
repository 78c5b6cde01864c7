"""Single-arm phase II designs for a binary response: Simon two-stage and exact single stage.

Conventions follow R ``clinfun``: a design ``r1/n1, r/n`` stops after stage 1 when at most ``r1`` of
the first ``n1`` patients respond, and declares the treatment ineffective when at most ``r`` of all
``n`` patients respond. The treatment is declared promising (H0 rejected) when more than ``r``
respond in total, having passed stage 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats

from plasmatrial._results import ResultMixin
from plasmatrial.design._validate import check_int, check_open_unit, check_unit
from plasmatrial.errors import DesignError

__all__ = [
    "SimonDesign",
    "SimonOperatingCharacteristics",
    "SimonResult",
    "SingleStageDesign",
    "exact_single_stage",
    "operating_characteristics",
    "simon_design",
    "simon_two_stage",
]

SimonKind = Literal["optimal", "minimax", "admissible", "user"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, repr=False)
class SimonDesign(ResultMixin):
    """One two-stage design ``r1/n1, r/n`` with its properties at ``p0`` and ``p1``.

    ``q_range`` is the interval of weights ``q`` for which the design minimises the expected loss
    ``q * n + (1 - q) * EN(p0)`` (Jung et al. 2004); ``None`` for designs not on that hull.
    """

    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    en_p0: float
    pet_p0: float
    alpha: float
    power: float
    kind: SimonKind
    q_range: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a plain dictionary (for JSON)."""
        return {
            "kind": self.kind,
            "r1": self.r1,
            "n1": self.n1,
            "r": self.r,
            "n": self.n,
            "en_p0": self.en_p0,
            "pet_p0": self.pet_p0,
            "alpha": self.alpha,
            "power": self.power,
            "q_low": None if self.q_range is None else self.q_range[0],
            "q_high": None if self.q_range is None else self.q_range[1],
        }


@dataclass(frozen=True, slots=True, repr=False)
class SimonResult(ResultMixin):
    """Optimal, minimax and admissible Simon designs for one set of requirements."""

    p0: float
    p1: float
    alpha: float
    beta: float
    nmax: int
    optimal: SimonDesign
    minimax: SimonDesign
    admissible: tuple[SimonDesign, ...]

    def to_frame(self) -> pl.DataFrame:
        """One row per design: optimal, minimax, then admissible ones ordered by ``n``."""
        rows = [self.optimal.to_dict(), self.minimax.to_dict()]
        rows += [d.to_dict() for d in self.admissible]
        return pl.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Return the inputs and every design as a plain dictionary (for JSON)."""
        return {
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "nmax": self.nmax,
            "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
            "admissible": [d.to_dict() for d in self.admissible],
        }


@dataclass(frozen=True, slots=True, repr=False)
class SimonOperatingCharacteristics(ResultMixin):
    """Operating characteristics of a two-stage design at true response rates ``p``."""

    p: FloatArray
    prob_reject: FloatArray
    pet: FloatArray
    expected_n: FloatArray

    def to_frame(self) -> pl.DataFrame:
        """One row per true response rate."""
        return pl.DataFrame(
            {
                "p": self.p,
                "prob_reject": self.prob_reject,
                "pet": self.pet,
                "expected_n": self.expected_n,
            }
        )


@dataclass(frozen=True, slots=True, repr=False)
class SingleStageDesign(ResultMixin):
    """Exact single-stage design: reject H0 when more than ``r`` of ``n`` patients respond."""

    r: int
    n: int
    p0: float
    p1: float
    alpha: float
    power: float

    def to_dict(self) -> dict[str, Any]:
        """Return the design as a plain dictionary (for JSON)."""
        return {
            "r": self.r,
            "n": self.n,
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "power": self.power,
        }


def _check_rates(
    p0: float, p1: float, alpha: float, beta: float
) -> tuple[float, float, float, float]:
    p0 = check_open_unit("p0", p0)
    p1 = check_open_unit("p1", p1)
    if p1 <= p0:
        raise DesignError(f"p1 must be greater than p0, got p0={p0!r}, p1={p1!r}")
    return p0, p1, check_open_unit("alpha", alpha), check_open_unit("beta", beta)


def _reject_prob(r1: int, n1: int, r: int, n: int, p: FloatArray) -> FloatArray:
    """P(X1 > r1 and X1 + X2 > r) for each response rate in ``p``."""
    x1 = np.arange(r1 + 1, n1 + 1)
    pmf1 = stats.binom.pmf(x1[:, None], n1, p[None, :])
    tail2 = stats.binom.sf(r - x1[:, None], n - n1, p[None, :])
    out: FloatArray = np.sum(pmf1 * tail2, axis=0)
    return out


def operating_characteristics(
    design: SimonDesign, p: float | Sequence[float] | FloatArray
) -> SimonOperatingCharacteristics:
    """Exact operating characteristics of a two-stage design at true response rates ``p``.

    Parameters
    ----------
    design : SimonDesign
        The design (from :func:`simon_two_stage` or :func:`simon_design`).
    p : float or sequence of float
        True response probabilities in [0, 1].

    Returns
    -------
    SimonOperatingCharacteristics
        ``prob_reject`` = P(declare promising), ``pet`` = P(stop after stage 1),
        ``expected_n`` = ``n1 + (1 - pet) * (n - n1)``.

    Notes
    -----
    Exact binomial sums: ``pet = P(X1 <= r1)`` and
    ``prob_reject = sum_{x1 > r1} P(X1 = x1) P(X2 > r - x1)``. Matches
    ``clinfun::oc.twostage.bdry(pu, pa, r1, n1, r, n)``.

    References
    ----------
    .. [1] Simon R. Optimal two-stage designs for phase II clinical trials.
       Control Clin Trials 1989;10:1-10.

    Examples
    --------
    >>> d = simon_design(1, 10, 5, 29, p0=0.1, p1=0.3)
    >>> round(float(operating_characteristics(d, 0.1).pet[0]), 2)
    0.74
    """
    arr = np.atleast_1d(np.asarray(p, dtype=np.float64))
    for v in arr:
        check_unit("p", float(v))
    pet = stats.binom.cdf(design.r1, design.n1, arr)
    rej = _reject_prob(design.r1, design.n1, design.r, design.n, arr)
    en = design.n1 + (1.0 - pet) * (design.n - design.n1)
    return SimonOperatingCharacteristics(p=arr, prob_reject=rej, pet=pet, expected_n=en)


def simon_design(
    r1: int,
    n1: int,
    r: int,
    n: int,
    *,
    p0: float,
    p1: float,
    kind: SimonKind = "user",
    q_range: tuple[float, float] | None = None,
) -> SimonDesign:
    """Build a :class:`SimonDesign` from its boundaries, computing EN, PET, alpha and power.

    Parameters
    ----------
    r1, n1, r, n : int
        Stop after ``n1`` patients if at most ``r1`` respond; ineffective if at most ``r`` of ``n``.
    p0, p1 : float
        Uninteresting and target response rates.
    kind : {"optimal", "minimax", "admissible", "user"}
        Label stored on the design.
    q_range : tuple of float, optional
        Admissibility weight range (Jung et al. 2004), if known.

    Returns
    -------
    SimonDesign
        The design with exact attained alpha = P(reject | p0) and power = P(reject | p1).

    Raises
    ------
    DesignError
        If the boundaries are inconsistent (e.g. ``n1 >= n`` or ``r1 > r``).

    Examples
    --------
    >>> d = simon_design(1, 15, 5, 25, p0=0.1, p1=0.3)
    >>> round(d.en_p0, 1)
    19.5
    """
    n = check_int("n", n, minimum=2)
    n1 = check_int("n1", n1, minimum=1)
    r1 = check_int("r1", r1, minimum=0)
    r = check_int("r", r, minimum=0)
    if n1 >= n:
        raise DesignError(f"n1 must be smaller than n, got n1={n1}, n={n}")
    if r1 >= n1 or r < r1 or r >= n:
        raise DesignError(f"need 0 <= r1 < n1 and r1 <= r < n, got r1={r1}, n1={n1}, r={r}, n={n}")
    oc = operating_characteristics(
        SimonDesign(r1, n1, r, n, p0, p1, 0.0, 0.0, 0.0, 0.0, kind), [p0, p1]
    )
    return SimonDesign(
        r1=r1,
        n1=n1,
        r=r,
        n=n,
        p0=p0,
        p1=p1,
        en_p0=float(oc.expected_n[0]),
        pet_p0=float(oc.pet[0]),
        alpha=float(oc.prob_reject[0]),
        power=float(oc.prob_reject[1]),
        kind=kind,
        q_range=q_range,
    )


def _best_for_n(
    n: int,
    ep1: float,
    ep2: float,
    pmf: tuple[FloatArray, FloatArray],
    sf: tuple[FloatArray, FloatArray],
    en_bound: float,
) -> tuple[float, int, int, int] | None:
    """Minimum-EN(p0) feasible design with maximum size ``n`` and EN below ``en_bound``.

    Follows clinfun's f2bdry loop order; ``n1 >= en_bound`` is skipped because EN >= n1.
    """
    best: tuple[float, int, int, int] | None = None
    rr = np.arange(n + 1)  # design r = 0..n
    n1_stop = n if not np.isfinite(en_bound) else min(n, int(np.ceil(en_bound)))
    for n1 in range(1, n1_stop):
        n2 = n - n1
        x1 = np.arange(n1 + 1)
        # G[x1, r] = P(X2 >= r + 1 - x1); indices clipped because the tail is 1 below 0, 0 above n2.
        k = np.clip(rr[None, :] + 1 - x1[:, None], 0, n2 + 1)
        rej = []
        for j in (0, 1):
            m = pmf[j][n1, : n1 + 1, None] * sf[j][n2, k]
            rej.append(np.cumsum(m[::-1], axis=0)[::-1])  # rej[j][i, r]: sum over x1 >= i
        alpha_m, power_m = rej[0][1:], rej[1][1:]  # row index = r1 = 0..n1-1
        r1s = np.arange(n1)
        band = (rr[None, :] >= r1s[:, None]) & (rr[None, :] <= r1s[:, None] + n2)
        ok = band & (alpha_m < ep1) & (1.0 - power_m < ep2)
        if not ok.any():
            continue
        pet = np.cumsum(pmf[0][n1, :n1])  # P(X1 <= r1), r1 = 0..n1-1
        en = np.where(ok.any(axis=1), n1 + (1.0 - pet) * n2, np.inf)
        # clinfun order: r1 descending, so among equal EN the largest r1 comes first.
        r1 = n1 - 1 - int(np.argmin(en[::-1]))
        if en[r1] < en_bound and (best is None or en[r1] < best[0]):
            r_best = n - int(np.argmax(ok[r1, ::-1]))  # largest feasible r
            best = (float(en[r1]), r1, n1, r_best)
    return best


def _ump_power(n: int, p0: float, p1: float, alpha: float) -> float:
    """Power of the randomised most powerful level-``alpha`` test with ``n`` patients.

    By the Neyman-Pearson lemma no two-stage design with maximum size ``n`` has more power at
    level ``alpha``, so sizes with ``_ump_power < 1 - beta`` cannot be feasible and are skipped.
    """
    x = np.arange(n + 1)
    sf0 = stats.binom.sf(x, n, p0)  # P(X > x)
    c = int(np.flatnonzero(sf0 <= alpha)[0])
    pm0 = float(stats.binom.pmf(c, n, p0))
    gamma = min(1.0, (alpha - float(sf0[c])) / pm0) if pm0 > 0 else 0.0
    return float(stats.binom.sf(c, n, p1) + gamma * stats.binom.pmf(c, n, p1))


def _tables(p: float, nmax: int) -> tuple[FloatArray, FloatArray]:
    sizes = np.arange(nmax + 1)[:, None]
    xs = np.arange(nmax + 2)[None, :]
    pmf = np.where(xs <= sizes, stats.binom.pmf(xs, sizes, p), 0.0)
    sf = np.where(xs <= sizes, stats.binom.sf(xs - 1, sizes, p), 0.0)  # P(X >= x)
    return pmf, sf


def _admissible(cands: list[tuple[int, float]]) -> list[tuple[int, float, float]]:
    """Lower convex hull of (n, EN) from the minimax to the optimal design, with q ranges."""
    hull: list[tuple[int, float]] = []
    for pt in cands:
        while len(hull) >= 2:
            (xa, ya), (xb, yb) = hull[-2], hull[-1]
            if (xb - xa) * (pt[1] - ya) - (yb - ya) * (pt[0] - xa) <= 0.0:
                hull.pop()
            else:
                break
        hull.append(pt)
    breaks = [
        (ea - eb) / ((ea - eb) + (nb - na)) for (na, ea), (nb, eb) in itertools.pairwise(hull)
    ]
    uppers = [1.0, *breaks]
    lowers = [*breaks, 0.0]
    return [(n, lo, hi) for (n, _), lo, hi in zip(hull, lowers, uppers, strict=True)]


def simon_two_stage(
    p0: float, p1: float, *, alpha: float, beta: float, nmax: int = 100
) -> SimonResult:
    """Simon optimal, minimax and admissible two-stage designs.

    Parameters
    ----------
    p0 : float
        Response rate that is not of interest (H0).
    p1 : float
        Target response rate (H1); must exceed ``p0``.
    alpha : float
        Upper bound for P(declare promising | p0).
    beta : float
        Upper bound for P(declare ineffective | p1).
    nmax : int, default 100
        Largest maximum sample size searched.

    Returns
    -------
    SimonResult
        ``optimal`` (minimum EN(p0)), ``minimax`` (minimum n, then minimum EN(p0)) and the
        ``admissible`` designs of Jung et al. (2004), each with exact attained alpha and power.

    Raises
    ------
    DesignError
        On invalid rates or if no design with ``n <= nmax`` meets the requirements.

    Notes
    -----
    Search identical to ``clinfun::ph2simon(pu, pa, ep1, ep2, nmax)``:

    1. For every ``n`` in 2..nmax, ``n1`` in 1..n-1, ``r1`` in 0..n1-1 and ``r`` in
       ``r1..r1 + n - n1``, compute the exact alpha and power.
    2. A design is feasible when ``alpha < ep1`` and ``1 - power < ep2`` (strict, as clinfun).
       Among feasible ``r`` for a given ``(n1, r1)`` the largest is kept (clinfun loops ``r``
       downwards and keeps the first).
    3. For each ``n`` keep the design with the smallest EN(p0); ties keep the first in clinfun's
       loop order (``n1`` ascending, ``r1`` descending). Two exact shortcuts skip work that cannot
       change the answer: sizes whose most powerful randomised test (Neyman-Pearson) misses the
       power, and per-``n`` designs whose EN(p0) is not below the best EN(p0) at a smaller ``n``
       (dominated, so neither optimal nor on the admissible hull).
    4. Minimax = the smallest ``n`` with a feasible design; optimal = the smallest EN(p0) over all
       ``n`` (ties: smallest ``n``).
    5. Admissible designs: the per-``n`` designs on the lower convex hull of ``(n, EN(p0))``
       between minimax and optimal; each minimises ``q n + (1 - q) EN(p0)`` for ``q`` in its
       ``q_range``. Points exactly on a hull edge (optimal for a single ``q``) are not listed.

    References
    ----------
    .. [1] Simon R. Optimal two-stage designs for phase II clinical trials.
       Control Clin Trials 1989;10:1-10.
    .. [2] Jung SH, Lee T, Kim K, George SL. Admissible two-stage designs for phase II cancer
       clinical trials. Stat Med 2004;23:561-569.

    Examples
    --------
    >>> res = simon_two_stage(0.1, 0.3, alpha=0.05, beta=0.2)
    >>> (res.optimal.r1, res.optimal.n1, res.optimal.r, res.optimal.n)
    (1, 10, 5, 29)
    >>> (res.minimax.r1, res.minimax.n1, res.minimax.r, res.minimax.n)
    (1, 15, 5, 25)
    """
    p0, p1, alpha, beta = _check_rates(p0, p1, alpha, beta)
    nmax = check_int("nmax", nmax, minimum=2)
    if nmax > 1000:
        raise DesignError(f"nmax cannot exceed 1000, got {nmax}")
    t0, t1 = _tables(p0, nmax), _tables(p1, nmax)
    per_n: dict[int, tuple[float, int, int, int]] = {}
    en_bound = np.inf  # smallest EN(p0) so far; larger EN at larger n is dominated
    for n in range(2, nmax + 1):
        if _ump_power(n, p0, p1, alpha) < 1.0 - beta - 1e-9:
            continue
        best = _best_for_n(n, alpha, beta, (t0[0], t1[0]), (t0[1], t1[1]), en_bound)
        if best is not None:
            per_n[n] = best
            en_bound = best[0]
    if not per_n:
        raise DesignError(
            f"no two-stage design with n <= nmax={nmax} meets alpha={alpha}, beta={beta}; "
            "increase nmax"
        )
    ns = sorted(per_n)
    n_mm = ns[0]
    n_opt = min(ns, key=lambda m: (per_n[m][0], m))

    def build(m: int, kind: SimonKind, q: tuple[float, float] | None = None) -> SimonDesign:
        _, r1, n1, r = per_n[m]
        return simon_design(r1, n1, r, m, p0=p0, p1=p1, kind=kind, q_range=q)

    hull = _admissible([(m, per_n[m][0]) for m in ns if n_mm <= m <= n_opt])
    q_of = {m: (lo, hi) for m, lo, hi in hull}
    admissible = tuple(build(m, "admissible", (lo, hi)) for m, lo, hi in hull)
    return SimonResult(
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        nmax=nmax,
        optimal=build(n_opt, "optimal", q_of.get(n_opt)),
        minimax=build(n_mm, "minimax", q_of.get(n_mm)),
        admissible=admissible,
    )


def exact_single_stage(
    p0: float, p1: float, alpha: float, beta: float, *, nmax: int = 1000
) -> SingleStageDesign:
    """Smallest single-stage exact binomial design: reject H0 when more than ``r`` of ``n`` respond.

    Parameters
    ----------
    p0, p1 : float
        Uninteresting and target response rates (``p1 > p0``).
    alpha : float
        Upper bound for P(X > r | p0).
    beta : float
        Upper bound for P(X <= r | p1).
    nmax : int, default 1000
        Largest ``n`` searched.

    Returns
    -------
    SingleStageDesign
        The smallest ``n`` and, for it, the smallest ``r`` meeting both bounds.

    Raises
    ------
    DesignError
        On invalid rates or when no ``n <= nmax`` works.

    Notes
    -----
    Matches the first row of ``clinfun::ph2single(pu, pa, ep1, ep2)``: both bounds are
    inclusive (``<=``), ``n`` increases from 1 and ``r`` from 0.

    References
    ----------
    .. [1] A'Hern RP. Sample size tables for exact single-stage phase II designs.
       Stat Med 2001;20:859-866.

    Examples
    --------
    >>> d = exact_single_stage(0.1, 0.3, 0.05, 0.2)
    >>> (d.r, d.n)
    (5, 25)
    """
    p0, p1, alpha, beta = _check_rates(p0, p1, alpha, beta)
    nmax = check_int("nmax", nmax, minimum=1)
    for n in range(1, nmax + 1):
        r = np.arange(n)
        ok = (stats.binom.sf(r, n, p0) <= alpha) & (stats.binom.cdf(r, n, p1) <= beta)
        if ok.any():
            rc = int(np.flatnonzero(ok)[0])
            return SingleStageDesign(
                r=rc,
                n=n,
                p0=p0,
                p1=p1,
                alpha=float(stats.binom.sf(rc, n, p0)),
                power=float(stats.binom.sf(rc, n, p1)),
            )
    raise DesignError(f"no single-stage design with n <= nmax={nmax}; increase nmax")
