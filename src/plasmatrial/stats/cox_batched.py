"""Many two-arm Cox fits at once, for trial simulation (one binary covariate per trial).

For a single 0/1 covariate every Efron/Breslow term reduces to ``log(A e^b + B)`` with
``A``/``B`` the (Efron-shrunk) numbers at risk in the two arms, which do not depend on ``b``. They are
computed once for all trials with sorting and cumulative sums along the patient axis; the Newton
iterations (``coxph`` convergence rule and step halving) then run on ``(n_trials, n)`` arrays with no
Python loop per trial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from plasmatrial._results import ResultMixin
from plasmatrial.stats._checks import check_choice, check_event_matrix, check_survival_batch

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, repr=False)
class BatchedCoxResult(ResultMixin):
    """One row per trial: the log hazard ratio of arm 1 vs arm 0 and its tests.

    Trials whose information is zero (no events, or all events in one arm with nobody left at risk
    in the other) get NaN estimates and ``converged = False``.
    """

    coef: FloatArray
    se: FloatArray
    z: FloatArray
    p_value: FloatArray
    loglik_null: FloatArray
    loglik: FloatArray
    score_test: FloatArray
    lr_test: FloatArray
    n_iter: IntArray
    converged: BoolArray
    ties: Literal["efron", "breslow"]

    def to_dict(self) -> dict[str, list[float] | list[int] | list[bool]]:
        """Per-trial columns as plain lists."""
        return {
            "coef": self.coef.tolist(),
            "se": self.se.tolist(),
            "z": self.z.tolist(),
            "p_value": self.p_value.tolist(),
            "loglik_null": self.loglik_null.tolist(),
            "loglik": self.loglik.tolist(),
            "score_test": self.score_test.tolist(),
            "lr_test": self.lr_test.tolist(),
            "n_iter": self.n_iter.tolist(),
            "converged": self.converged.tolist(),
        }


def _coefficients(
    time: FloatArray, event: BoolArray, arm: FloatArray, ties: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-death ``A`` (arm-1 weight at risk), ``B`` (arm-0) and number of arm-1 deaths."""
    order = np.lexsort((~event, time), axis=1)
    t = np.take_along_axis(time, order, axis=1)
    d = np.take_along_axis(event, order, axis=1).astype(np.float64)
    x = np.take_along_axis(arm, order, axis=1)
    nt, n = t.shape
    idx = np.broadcast_to(np.arange(n), (nt, n))
    newgrp = np.ones((nt, n), dtype=bool)
    newgrp[:, 1:] = t[:, 1:] != t[:, :-1]
    gs = np.maximum.accumulate(np.where(newgrp, idx, 0), axis=1)
    lastflag = np.ones((nt, n), dtype=bool)
    lastflag[:, :-1] = newgrp[:, 1:]
    ge = np.minimum.accumulate(np.where(lastflag, idx, n - 1)[:, ::-1], axis=1)[:, ::-1]
    rc1 = np.cumsum(x[:, ::-1], axis=1)[:, ::-1]
    rc0 = (n - idx) - rc1
    n1 = np.take_along_axis(rc1, gs, axis=1)
    n0 = np.take_along_axis(rc0, gs, axis=1)
    cd = np.zeros((nt, n + 1))
    cd[:, 1:] = np.cumsum(d, axis=1)
    cd1 = np.zeros((nt, n + 1))
    cd1[:, 1:] = np.cumsum(d * x, axis=1)
    before = np.take_along_axis(cd, gs, axis=1)
    m = np.take_along_axis(cd, ge + 1, axis=1) - before
    d1 = np.take_along_axis(cd1, ge + 1, axis=1) - np.take_along_axis(cd1, gs, axis=1)
    if ties == "efron":
        frac = np.where(d > 0, (cd[:, 1:] - 1.0 - before) / np.maximum(m, 1.0), 0.0)
    else:
        frac = np.zeros((nt, n))
    A = np.where(d > 0, n1 - frac * d1, 0.0)
    B = np.where(d > 0, n0 - frac * (m - d1), 1.0)
    return A, B, (d * x).sum(axis=1)


def _evaluate(
    beta: FloatArray, A: FloatArray, B: FloatArray, dx: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    eb = np.exp(beta)[:, None]
    den = A * eb + B
    pi = A * eb / den
    loglik = beta * dx - np.log(den).sum(axis=1)
    return loglik, dx - pi.sum(axis=1), (pi * (1.0 - pi)).sum(axis=1)


def cox_ph_batched_two_arm(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    arm: npt.ArrayLike,
    *,
    ties: Literal["efron", "breslow"] = "efron",
    eps: float = 1e-9,
    iter_max: int = 20,
) -> BatchedCoxResult:
    """Fit ``coxph(Surv(time, event) ~ arm)`` separately for every row of 2-D arrays.

    Parameters
    ----------
    time : array_like, shape (n_trials, n)
        Observed times, one trial per row.
    event : array_like, shape (n_trials, n)
        Event indicators (1/True = event).
    arm : array_like, shape (n_trials, n) or (n,)
        0/1 treatment indicator (a 1-D array is shared by all trials).
    ties : {"efron", "breslow"}
        Tie handling.
    eps, iter_max : float, int
        ``coxph.control`` convergence settings.

    Returns
    -------
    BatchedCoxResult
        Per-trial coefficient, standard error, Wald z and p-value, log-likelihoods, score and
        likelihood-ratio statistics.

    Raises
    ------
    StatsError
        Shapes that disagree, negative or non-finite times, non-0/1 event or arm values (the
        checks of :func:`~plasmatrial.stats._checks.check_survival_batch`).

    Notes
    -----
    Per trial this equals ``coxph(Surv(time, event) ~ arm, ties = ties)``:

    1. Sort each row by time (events first within a tie).
    2. Per death, ``A`` and ``B`` are the arm-1 and arm-0 numbers at risk minus the Efron fraction
       ``k/m`` of the tied deaths in that arm (Breslow: no shrinkage).
    3. Newton-Raphson from 0 with the ``coxfit6.c`` convergence test and step halving, vectorised
       across trials; variance = 1 / information.

    References
    ----------
    .. [1] Therneau TM, Grambsch PM. Modeling Survival Data. Springer 2000, ch. 3.

    Examples
    --------
    >>> r = cox_ph_batched_two_arm([[1, 2, 3, 4, 5, 6]], [[1, 1, 0, 1, 1, 0]], [0, 1, 0, 1, 0, 1])
    >>> round(float(r.coef[0]), 4)
    -0.2739
    """
    tm, ev = check_survival_batch(time, event)
    arm_in = np.asarray(arm)
    ar = check_event_matrix(
        np.broadcast_to(arm_in, tm.shape) if arm_in.ndim == 1 else arm_in, "arm", tm.shape
    ).astype(np.float64)
    check_choice(ties, "ties", ("efron", "breslow"))
    A, B, dx = _coefficients(tm, ev, np.ascontiguousarray(ar), ties)
    nt = tm.shape[0]
    beta = np.zeros(nt)
    loglik, u, imat = _evaluate(beta, A, B, dx)
    ll0 = loglik.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        step = u / imat
        sctest = u * step
    newbeta = beta + step
    halving = np.zeros(nt, dtype=bool)
    done = ~np.isfinite(newbeta)
    converged = np.zeros(nt, dtype=bool)
    n_iter = np.zeros(nt, dtype=np.int64)
    fin_b = np.full(nt, np.nan)
    fin_ll = np.full(nt, np.nan)
    fin_i = np.full(nt, np.nan)
    for it in range(1, iter_max + 1):
        act = ~done
        if not act.any():
            break
        nb = np.where(act, newbeta, 0.0)
        newlk, u, imat = _evaluate(nb, A, B, dx)
        with np.errstate(divide="ignore", invalid="ignore"):
            conv = act & (np.abs(1.0 - loglik / newlk) <= eps) & ~halving
        stop = conv | (act & (it == iter_max))
        fin_b[stop], fin_ll[stop], fin_i[stop] = nb[stop], newlk[stop], imat[stop]
        converged |= conv
        n_iter[stop] = it
        done |= stop
        go = act & ~stop
        worse = go & (newlk < loglik)
        better = go & ~worse
        halving = np.where(go, worse, halving)
        newbeta = np.where(worse, (newbeta + beta) / 2.0, newbeta)
        loglik = np.where(better, newlk, loglik)
        beta = np.where(better, newbeta, beta)
        with np.errstate(divide="ignore", invalid="ignore"):
            newbeta = np.where(better, newbeta + u / imat, newbeta)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = 1.0 / np.sqrt(fin_i)
        z = fin_b / se
    return BatchedCoxResult(
        coef=fin_b,
        se=se,
        z=z,
        p_value=2.0 * stats.norm.sf(np.abs(z)),
        loglik_null=ll0,
        loglik=fin_ll,
        score_test=sctest,
        lr_test=2.0 * (fin_ll - ll0),
        n_iter=n_iter,
        converged=converged,
        ties=ties,
    )
