"""Operating characteristics of the BOIN dose-escalation design by simulation (vectorised)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from scipy import stats

from plasmatrial._results import ResultMixin
from plasmatrial.design._validate import check_int, check_open_unit, check_unit
from plasmatrial.design.dose_escalation import boin_boundaries
from plasmatrial.errors import DesignError

__all__ = ["BoinSimulationResult", "isotonic_regression_batched", "simulate_boin"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Added to ``y`` and ``n + 0.1`` in the MTD-selection estimates (as R ``BOIN::select.mtd``).
PHAT_PSEUDO = 0.05
#: Tie-breaking increment added to the isotonic estimate of dose ``j`` (``j * 1e-10``, as BOIN).
TIE_BREAK = 1e-10


@dataclass(frozen=True, slots=True, repr=False)
class BoinSimulationResult(ResultMixin):
    """Selection probabilities and allocation of a simulated BOIN design.

    ``select_prob[j]`` is the probability that dose ``j`` is selected as the MTD and
    ``no_selection`` that none is (lowest dose eliminated, trial stopped); they sum to 1.
    ``mean_patients``/``mean_dlts`` are per dose; ``mcse_select`` the binomial Monte Carlo SEs.
    """

    tox: FloatArray
    target: float
    cohort_size: int
    n_cohorts: int
    n_sims: int
    lambda_e: float
    lambda_d: float
    select_prob: FloatArray
    mcse_select: FloatArray
    no_selection: float
    early_stop: float
    mean_patients: FloatArray
    mean_dlts: FloatArray
    selected: IntArray

    @property
    def expected_patients(self) -> float:
        """Expected number of patients treated."""
        return float(self.mean_patients.sum())

    def to_frame(self) -> pl.DataFrame:
        """One row per dose."""
        return pl.DataFrame(
            {
                "dose": np.arange(1, self.tox.size + 1),
                "true_tox": self.tox,
                "select_prob": self.select_prob,
                "mcse": self.mcse_select,
                "mean_patients": self.mean_patients,
                "mean_dlts": self.mean_dlts,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dictionary (for JSON), without the per-simulation selections."""
        return {
            "tox": self.tox.tolist(),
            "target": self.target,
            "cohort_size": self.cohort_size,
            "n_cohorts": self.n_cohorts,
            "n_sims": self.n_sims,
            "lambda_e": self.lambda_e,
            "lambda_d": self.lambda_d,
            "select_prob": self.select_prob.tolist(),
            "mcse_select": self.mcse_select.tolist(),
            "no_selection": self.no_selection,
            "early_stop": self.early_stop,
            "mean_patients": self.mean_patients.tolist(),
            "mean_dlts": self.mean_dlts.tolist(),
            "expected_patients": self.expected_patients,
        }


def isotonic_regression_batched(values: FloatArray, weights: FloatArray, m: IntArray) -> FloatArray:
    """Weighted non-decreasing (isotonic) regression of each row's first ``m[s]`` values.

    Parameters
    ----------
    values, weights : ndarray, shape (n_rows, J)
        Values and positive weights; entries at positions ``>= m[s]`` are ignored.
    m : ndarray of int, shape (n_rows,)
        Number of leading positions used in each row.

    Returns
    -------
    ndarray, shape (n_rows, J)
        The fitted values (NaN beyond ``m[s]``), equal to the pool-adjacent-violators solution.

    Notes
    -----
    Uses the min-max representation ``f_j = max_{i <= j} min_{k >= j} Av(i..k)`` with ``Av`` the
    weighted mean of positions ``i..k`` (Barlow et al. 1972, Theorem 1.4), computed for all rows
    at once from cumulative sums; ``O(J^2)`` per row, fine for dose grids.
    """
    s, j = values.shape
    w = np.where(np.arange(j)[None, :] < m[:, None], weights, 0.0)
    cw = np.concatenate([np.zeros((s, 1)), np.cumsum(w, axis=1)], axis=1)
    cwv = np.concatenate(
        [np.zeros((s, 1)), np.cumsum(w * np.where(w > 0, values, 0.0), axis=1)], axis=1
    )
    i_idx = np.arange(j)[:, None]
    k_idx = np.arange(j)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        av = (cwv[:, None, 1:] - cwv[:, :-1, None]) / (cw[:, None, 1:] - cw[:, :-1, None])
    valid = (i_idx <= k_idx)[None, :, :] & (k_idx[None, :, :] < m[:, None, None])
    av = np.where(valid, av, np.inf)
    # min over k >= j: reverse cumulative minimum along k
    rmin = np.minimum.accumulate(av[:, :, ::-1], axis=2)[:, :, ::-1]
    rmin = np.where((i_idx <= k_idx)[None, :, :], rmin, -np.inf)  # keep i <= j
    fit = rmin.max(axis=1)
    out: FloatArray = np.where(np.arange(j)[None, :] < m[:, None], fit, np.nan)
    return out


def simulate_boin(
    tox: Sequence[float],
    target: float,
    *,
    cohort_size: int = 3,
    n_cohorts: int = 10,
    n_sims: int,
    seed: int,
    start_dose: int = 0,
    cutoff_eliminate: float = 0.95,
) -> BoinSimulationResult:
    """Simulate the BOIN design for given true DLT probabilities, vectorised over trials.

    Parameters
    ----------
    tox : sequence of float
        True DLT probability of each dose (increasing doses).
    target : float
        Target DLT probability.
    cohort_size, n_cohorts : int
        Patients per cohort and number of cohorts (maximum sample size is their product).
    n_sims : int
        Simulated trials.
    seed : int
        Seed of the ``numpy.random.Generator(PCG64)``.
    start_dose : int, default 0
        0-based starting dose.
    cutoff_eliminate : float, default 0.95
        Dose elimination cutoff (``P(p > target | y, n) > cutoff`` with beta(1, 1) prior, n >= 3).

    Returns
    -------
    BoinSimulationResult
        Selection probabilities (summing to 1 with ``no_selection``), patients and DLTs per dose.

    Notes
    -----
    As ``BOIN::get.oc`` (Liu & Yuan 2015; Yan, Pan, Zhang, Liu & Yuan, J Stat Softw 2020):

    1. Treat a cohort at the current dose ``d``; with ``p_hat = y_d / n_d``, escalate if
       ``p_hat <= lambda_e`` (and ``d + 1`` exists and is not eliminated), de-escalate if
       ``p_hat >= lambda_d`` (and ``d > 0``), otherwise stay.
    2. Elimination: if ``n_d >= 3`` and ``P(p_d > target) > cutoff``, doses ``d`` and above are
       eliminated; if the lowest dose is eliminated the trial stops with no MTD.
    3. At the end, isotonic regression (pool-adjacent-violators) of ``(y + 0.05) / (n + 0.1)`` with
       weights ``1 / var`` over the treated, non-eliminated doses; the MTD is the dose whose
       estimate (plus ``j * 1e-10``) is closest to the target.

    All simulated trials advance one cohort at a time together (arrays of shape
    ``(n_sims, n_doses)``); there is no Python loop over trials.

    References
    ----------
    .. [1] Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
       J R Stat Soc C 2015;64:507-523.
    """
    p = np.asarray(tox, dtype=np.float64)
    if p.ndim != 1 or p.size < 1:
        raise DesignError(f"tox must be a non-empty list of probabilities, got {list(tox)}")
    for v in p:
        check_unit("tox", float(v))
    target = check_open_unit("target", target)
    cohort_size = check_int("cohort_size", cohort_size, minimum=1)
    n_cohorts = check_int("n_cohorts", n_cohorts, minimum=1)
    n_sims = check_int("n_sims", n_sims, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    start_dose = check_int("start_dose", start_dose, minimum=0)
    if start_dose >= p.size:
        raise DesignError(
            f"start_dose must be below the number of doses {p.size}, got {start_dose}"
        )
    bounds = boin_boundaries(target, cutoff_eliminate=cutoff_eliminate)
    rng = np.random.Generator(np.random.PCG64(seed))
    n_doses = p.size
    rows = np.arange(n_sims)
    n = np.zeros((n_sims, n_doses), dtype=np.int64)
    y = np.zeros((n_sims, n_doses), dtype=np.int64)
    dose = np.full(n_sims, start_dose, dtype=np.int64)
    elim = np.full(n_sims, n_doses, dtype=np.int64)  # doses >= elim are eliminated
    active = np.ones(n_sims, dtype=bool)
    for _ in range(n_cohorts):
        dlt = rng.binomial(cohort_size, p[dose])
        n[rows, dose] += np.where(active, cohort_size, 0)
        y[rows, dose] += np.where(active, dlt, 0)
        nd, yd = n[rows, dose], y[rows, dose]
        kill = active & (nd >= 3) & (stats.beta.sf(target, yd + 1, nd - yd + 1) > cutoff_eliminate)
        elim = np.where(kill, np.minimum(elim, dose), elim)
        active &= ~(kill & (dose == 0))
        rate = yd / np.maximum(nd, 1)
        up = (rate <= bounds.lambda_e) & (dose + 1 < elim)
        down = (rate >= bounds.lambda_d) & (dose > 0)
        dose = np.where(active & up, dose + 1, np.where(active & down, dose - 1, dose))
        dose = np.minimum(dose, np.maximum(elim - 1, 0))
    selected = _select_mtd(n, y, target, cutoff_eliminate, active)
    counts = np.bincount(selected + 1, minlength=n_doses + 1).astype(np.float64) / n_sims
    sel = counts[1:]
    return BoinSimulationResult(
        tox=p,
        target=target,
        cohort_size=cohort_size,
        n_cohorts=n_cohorts,
        n_sims=n_sims,
        lambda_e=bounds.lambda_e,
        lambda_d=bounds.lambda_d,
        select_prob=sel,
        mcse_select=np.sqrt(sel * (1.0 - sel) / n_sims),
        no_selection=float(counts[0]),
        early_stop=float(np.mean(~active)),
        mean_patients=n.mean(axis=0),
        mean_dlts=y.mean(axis=0),
        selected=selected,
    )


def _select_mtd(
    n: IntArray, y: IntArray, target: float, cutoff: float, completed: NDArray[np.bool_]
) -> IntArray:
    """0-based MTD per trial, -1 for none (see :func:`simulate_boin`, step 3)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        post = stats.beta.sf(target, y + 1, n - y + 1)
    bad = (n >= 3) & (post > cutoff)
    eliminated = np.maximum.accumulate(bad, axis=1)
    usable = (n > 0) & ~eliminated
    # tried doses are contiguous from the start dose upwards and eliminated ones a suffix, so the
    # usable doses are the leading block [first, first + m)
    first = np.where(usable.any(axis=1), usable.argmax(axis=1), 0)
    m = usable.sum(axis=1)
    j = n.shape[1]
    shift = (first[:, None] + np.arange(j)[None, :]) % j
    nn = np.take_along_axis(n, shift, axis=1).astype(np.float64)
    yy = np.take_along_axis(y, shift, axis=1).astype(np.float64)
    phat = (yy + PHAT_PSEUDO) / (nn + 2 * PHAT_PSEUDO)
    var = (yy + PHAT_PSEUDO) * (nn - yy + PHAT_PSEUDO) / ((nn + 0.1) ** 2 * (nn + 1.1))
    iso = isotonic_regression_batched(phat, 1.0 / var, m)
    iso = iso + np.arange(1, j + 1)[None, :] * TIE_BREAK
    dist = np.where(np.isnan(iso), np.inf, np.abs(iso - target))
    pick = dist.argmin(axis=1) + first
    out: IntArray = np.where(completed & (m > 0), pick, -1).astype(np.int64)
    return out
