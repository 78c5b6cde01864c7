"""Phase I dose escalation: exact 3+3 operating characteristics and BOIN (Liu & Yuan 2015)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats

from plasmatrial._results import ResultMixin
from plasmatrial.design._validate import check_int, check_open_unit, check_unit
from plasmatrial.errors import DesignError

__all__ = [
    "BoinBoundaries",
    "ThreePlusThreeResult",
    "boin_boundaries",
    "three_plus_three",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
COHORT = 3


@dataclass(frozen=True, slots=True, repr=False)
class ThreePlusThreeResult(ResultMixin):
    """Exact operating characteristics of the 3+3 design.

    ``prob_mtd[k]`` is the probability that dose ``k`` is declared the MTD; ``prob_below_lowest``
    that every dose (from the lowest tested) is too toxic. They sum to 1.
    """

    tox: FloatArray
    doses: tuple[str, ...]
    start: int
    prob_mtd: FloatArray
    prob_below_lowest: float
    expected_patients: FloatArray
    expected_dlts: FloatArray

    @property
    def expected_total_patients(self) -> float:
        """Expected number of patients in the trial."""
        return float(self.expected_patients.sum())

    @property
    def expected_total_dlts(self) -> float:
        """Expected number of patients with a DLT."""
        return float(self.expected_dlts.sum())

    @property
    def dlt_rate(self) -> float:
        """Expected DLTs divided by expected patients (ratio of expectations)."""
        return self.expected_total_dlts / self.expected_total_patients

    def to_frame(self) -> pl.DataFrame:
        """One row per dose plus a first row for "below the lowest dose"."""
        return pl.DataFrame(
            {
                "dose": ["below lowest", *self.doses],
                "tox": [None, *self.tox.tolist()],
                "prob_mtd": [self.prob_below_lowest, *self.prob_mtd.tolist()],
                "expected_patients": [None, *self.expected_patients.tolist()],
                "expected_dlts": [None, *self.expected_dlts.tolist()],
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return all numbers as a plain dictionary (for JSON)."""
        return {
            "doses": list(self.doses),
            "tox": self.tox.tolist(),
            "start": self.start,
            "prob_mtd": self.prob_mtd.tolist(),
            "prob_below_lowest": self.prob_below_lowest,
            "expected_patients": self.expected_patients.tolist(),
            "expected_dlts": self.expected_dlts.tolist(),
            "expected_total_patients": self.expected_total_patients,
            "expected_total_dlts": self.expected_total_dlts,
            "dlt_rate": self.dlt_rate,
        }


class _Enumerator:
    """Depth-first enumeration of every 3+3 trial path with its binomial probability."""

    def __init__(self, tox: FloatArray) -> None:
        self.tox = tox
        k = tox.size
        x = np.arange(COHORT + 1)[None, :]
        comb = np.array([math.comb(COHORT, int(i)) for i in range(COHORT + 1)], dtype=np.float64)
        self.pmf = comb * tox[:, None] ** x * (1.0 - tox[:, None]) ** (COHORT - x)
        self.sel = np.zeros(k + 1)
        self.n = np.zeros(k)
        self.t = np.zeros(k)

    def finish(self, mtd: int, n: list[int], t: list[int], prob: float) -> None:
        self.sel[mtd + 1] += prob
        self.n += prob * np.asarray(n, dtype=np.float64)
        self.t += prob * np.asarray(t, dtype=np.float64)

    def escalate(self, d: int, n: list[int], t: list[int], prob: float) -> None:
        """Treat a cohort at dose ``d`` (first visit) and follow the 3+3 rules."""
        last = self.tox.size - 1
        for x in range(COHORT + 1):
            n1, t1 = _add(n, d, COHORT), _add(t, d, x)
            px = prob * self.pmf[d, x]
            if x == 0:
                self._pass(d, last, n1, t1, px)
            elif x == 1:
                for y in range(COHORT + 1):
                    n2, t2 = _add(n1, d, COHORT), _add(t1, d, y)
                    py = px * self.pmf[d, y]
                    if y == 0:
                        self._pass(d, last, n2, t2, py)
                    else:
                        self.deescalate(d - 1, n2, t2, py)
            else:
                self.deescalate(d - 1, n1, t1, px)

    def _pass(self, d: int, last: int, n: list[int], t: list[int], prob: float) -> None:
        if d == last:
            self.finish(d, n, t, prob)
        else:
            self.escalate(d + 1, n, t, prob)

    def deescalate(self, j: int, n: list[int], t: list[int], prob: float) -> None:
        """Dose ``j`` becomes the MTD only once 6 patients there have at most 1 DLT."""
        if j < 0:
            self.finish(-1, n, t, prob)
            return
        if n[j] >= 2 * COHORT:
            self.finish(j, n, t, prob)
            return
        for y in range(COHORT + 1):
            n2, t2 = _add(n, j, COHORT), _add(t, j, y)
            py = prob * self.pmf[j, y]
            if t2[j] >= 2:
                self.deescalate(j - 1, n2, t2, py)
            else:
                self.deescalate(j, n2, t2, py)


def _add(arr: list[int], i: int, count: int) -> list[int]:
    out = list(arr)
    out[i] += count
    return out


def three_plus_three(
    tox: Sequence[float] | FloatArray,
    *,
    start: int = 0,
    doses: Sequence[str] | None = None,
) -> ThreePlusThreeResult:
    """Exact operating characteristics of the traditional 3+3 design.

    Parameters
    ----------
    tox : sequence of float
        True DLT probability at each dose, lowest first.
    start : int, default 0
        Index of the starting dose.
    doses : sequence of str, optional
        Dose labels (default ``"1"``, ``"2"``, ...).

    Returns
    -------
    ThreePlusThreeResult
        Probability of declaring each dose the MTD (and of "below the lowest dose"), expected
        patients and DLTs per dose and in total, and the expected DLT rate.

    Raises
    ------
    DesignError
        If a probability is outside [0, 1], ``start`` is out of range or labels do not match.

    Notes
    -----
    Variant used (decision record 0601): the MTD is the highest dose at which 6 patients were
    treated with at most 1 DLT, below the lowest dose with 2 or more DLTs.

    1. Treat 3 patients at the current dose. 0/3 DLT: escalate. 1/3: treat 3 more; 1/6:
       escalate. 2 or more DLTs (of 3 or of 6): stop escalating and go one dose down.
    2. Escalating from the highest dose is impossible: that dose is declared the MTD
       (after 0/3 or 1/6).
    3. Going down to dose ``j``: if 6 patients were already treated there, ``j`` is the MTD;
       otherwise treat cohorts of 3 at ``j`` until 6 patients; if ``j`` reaches 2 DLTs, go down
       again. Below the first dose, no dose is declared ("below lowest").
    4. Every outcome path is enumerated with its exact binomial probability (at most
       ``4^(2K)`` paths, no simulation); expectations are probability-weighted sums.

    References
    ----------
    .. [1] Storer BE. Design and analysis of phase I clinical trials. Biometrics
       1989;45:925-937.
    .. [2] Lin Y, Shih WJ. Statistical properties of the traditional algorithm-based designs
       for phase I cancer clinical trials. Biostatistics 2001;2:203-215.

    Examples
    --------
    >>> res = three_plus_three([0.0, 0.0, 0.0])
    >>> res.prob_mtd.tolist(), res.expected_total_patients
    ([0.0, 0.0, 1.0], 9.0)
    """
    arr = np.asarray(tox, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise DesignError(f"tox must be a non-empty list of probabilities, got {tox!r}")
    for v in arr:
        check_unit("tox", float(v))
    start = check_int("start", start, minimum=0)
    if start >= arr.size:
        raise DesignError(f"start must index one of the {arr.size} doses, got {start}")
    labels = tuple(str(i + 1) for i in range(arr.size)) if doses is None else tuple(doses)
    if len(labels) != arr.size:
        raise DesignError(f"doses has {len(labels)} labels but tox has {arr.size} values")
    en = _Enumerator(arr)
    zeros = [0] * arr.size
    en.escalate(start, zeros, zeros, 1.0)
    return ThreePlusThreeResult(
        tox=arr,
        doses=labels,
        start=start,
        prob_mtd=en.sel[1:].copy(),
        prob_below_lowest=float(en.sel[0]),
        expected_patients=en.n.copy(),
        expected_dlts=en.t.copy(),
    )


@dataclass(frozen=True, slots=True, repr=False)
class BoinBoundaries(ResultMixin):
    """BOIN escalation/de-escalation boundaries and the decision table by patients treated.

    Row ``i`` of the table is for ``n_treated[i]`` patients at the current dose: escalate when
    DLTs <= ``escalate_max``, de-escalate when DLTs >= ``deescalate_min``, eliminate the dose
    (and higher) when DLTs >= ``eliminate_min`` (-1 = never).
    """

    target: float
    phi1: float
    phi2: float
    lambda_e: float
    lambda_d: float
    n_treated: IntArray
    escalate_max: IntArray
    deescalate_min: IntArray
    eliminate_min: IntArray

    def to_frame(self) -> pl.DataFrame:
        """The decision table, one row per number treated."""
        return pl.DataFrame(
            {
                "n_treated": self.n_treated,
                "escalate_if_dlt_le": self.escalate_max,
                "deescalate_if_dlt_ge": self.deescalate_min,
                "eliminate_if_dlt_ge": self.eliminate_min,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Return boundaries and table as a plain dictionary (for JSON)."""
        return {
            "target": self.target,
            "phi1": self.phi1,
            "phi2": self.phi2,
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "table": self.to_frame().to_dicts(),
        }


def boin_boundaries(
    target: float,
    *,
    phi1: float | None = None,
    phi2: float | None = None,
    max_n: int = 30,
    cutoff_eliminate: float = 0.95,
) -> BoinBoundaries:
    """BOIN boundaries (Liu & Yuan 2015) and the decision table for 1..``max_n`` patients.

    Parameters
    ----------
    target : float
        Target DLT probability.
    phi1, phi2 : float, optional
        Highest sub-therapeutic and lowest overly toxic DLT probabilities
        (default ``0.6 * target`` and ``1.4 * target``).
    max_n : int, default 30
        Largest number treated in the decision table.
    cutoff_eliminate : float, default 0.95
        Eliminate when ``P(p > target | data) > cutoff_eliminate`` (beta(1, 1) prior, n >= 3).

    Returns
    -------
    BoinBoundaries
        ``lambda_e``, ``lambda_d`` and the decision table.

    Raises
    ------
    DesignError
        Unless ``0 < phi1 < target < phi2 < 1``.

    Notes
    -----
    ``lambda_e = log((1 - phi1)/(1 - target)) / log(target (1 - phi1) / (phi1 (1 - target)))``,
    ``lambda_d = log((1 - target)/(1 - phi2)) / log(phi2 (1 - target) / (target (1 - phi2)))``.
    Table as R ``BOIN::get.boundary``: escalate if ``y <= floor(n lambda_e)``, de-escalate if
    ``y >= floor(n lambda_d) + 1``, eliminate at the smallest ``y`` with
    ``1 - pbeta(target, y + 1, n - y + 1) > cutoff_eliminate`` for ``n >= 3``.

    References
    ----------
    .. [1] Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
       J R Stat Soc C 2015;64:507-523.

    Examples
    --------
    >>> b = boin_boundaries(0.3)
    >>> round(b.lambda_e, 4), round(b.lambda_d, 4)
    (0.2365, 0.3585)
    """
    target = check_open_unit("target", target)
    phi1 = 0.6 * target if phi1 is None else check_open_unit("phi1", phi1)
    phi2 = 1.4 * target if phi2 is None else check_open_unit("phi2", phi2)
    if not (phi1 < target < phi2 < 1.0):
        raise DesignError(f"need 0 < phi1 < target < phi2 < 1, got {phi1!r}, {target!r}, {phi2!r}")
    max_n = check_int("max_n", max_n, minimum=1)
    cutoff_eliminate = check_open_unit("cutoff_eliminate", cutoff_eliminate)
    lam_e = math.log((1 - phi1) / (1 - target)) / math.log(
        target * (1 - phi1) / (phi1 * (1 - target))
    )
    lam_d = math.log((1 - target) / (1 - phi2)) / math.log(
        phi2 * (1 - target) / (target * (1 - phi2))
    )
    n = np.arange(1, max_n + 1)
    elim = np.full(max_n, -1, dtype=np.int64)
    for i, m in enumerate(n):
        if m < 3:
            continue
        y = np.arange(m + 1)
        post = stats.beta.sf(target, y + 1, m - y + 1)
        hit = np.flatnonzero(post > cutoff_eliminate)
        if hit.size:
            elim[i] = int(hit[0])
    return BoinBoundaries(
        target=target,
        phi1=phi1,
        phi2=phi2,
        lambda_e=lam_e,
        lambda_d=lam_d,
        n_treated=n.astype(np.int64),
        escalate_max=np.floor(n * lam_e).astype(np.int64),
        deescalate_min=(np.floor(n * lam_d) + 1).astype(np.int64),
        eliminate_min=elim,
    )
