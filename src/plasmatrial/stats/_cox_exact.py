"""Exact partial likelihood for tied event times (``coxph(ties = "exact")``), private module.

For a tie set of ``d`` deaths among ``m`` subjects at risk, the denominator is the elementary
symmetric polynomial ``B(d, m) = sum over d-subsets of prod r_i``, computed with the recursion
``B(k, j) = B(k, j-1) + r_j B(k-1, j-1)`` of Gail, Lubin and Rubinstein (1981) — the algorithm of
R's ``coxexact.c``. Each level ``k`` is one cumulative sum over the risk set, so the work per tie
set is ``O(d m p^2)``; tie sets above :data:`MAX_WORK` raise :class:`StatsError`.
"""

from __future__ import annotations

import numpy as np

from plasmatrial.errors import StatsError
from plasmatrial.stats._cox_core import CoxData, FloatArray

#: Largest d * m (deaths x risk-set size) accepted for one tie set.
MAX_WORK = 20_000_000


def _shift(a: FloatArray, first: float) -> FloatArray:
    """``a`` moved one place down the risk set (index j holds a[j-1]); ``first`` at j = 0."""
    out = np.empty_like(a)
    out[0] = first
    out[1:] = a[:-1]
    return out


def _tie_set(r: FloatArray, x: FloatArray, d: int) -> tuple[float, FloatArray, FloatArray]:
    """log B(d, m), its gradient and Hessian in beta for one tie set (x is (m, p))."""
    m, p = x.shape
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    B = np.ones(m)
    dB = np.zeros((m, p))
    d2B = np.zeros((m, p, p))
    logscale = 0.0
    for k in range(1, d + 1):
        first = 1.0 if k == 1 else 0.0
        sB = _shift(B, first)
        sdB = _shift(dB, 0.0)
        sd2B = _shift(d2B, 0.0)
        nd2B = np.cumsum(
            rxx * sB[:, None, None]
            + rx[:, :, None] * sdB[:, None, :]
            + sdB[:, :, None] * rx[:, None, :]
            + r[:, None, None] * sd2B,
            axis=0,
        )
        ndB = np.cumsum(rx * sB[:, None] + r[:, None] * sdB, axis=0)
        nB = np.cumsum(r * sB)
        scale = nB[-1]
        if not scale > 0:
            raise StatsError("cox_ph(ties='exact'): risk-set product underflowed")
        B, dB, d2B = nB / scale, ndB / scale, nd2B / scale
        logscale += float(np.log(scale))
    g = dB[-1] / B[-1]
    hess = d2B[-1] / B[-1] - np.outer(g, g)
    return logscale + float(np.log(B[-1])), g, hess


def exact_loglik_score_info(
    data: CoxData, beta: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Exact-method log partial likelihood, score and information at ``beta``."""
    p, n = data.XT.shape
    eta = beta @ data.XT
    eta -= eta.max()
    r = np.exp(eta)
    # row range [lo, hi) of each stratum segment, for the risk sets
    starts = np.r_[data.starts, n]
    loglik = float(eta[data.didx].sum())
    score = data.XT[:, data.didx].sum(axis=1)
    info = np.zeros((p, p))
    seg_end = {}
    for a, b in data.seg:
        for g in range(a, b):
            seg_end[g] = int(starts[b])
    entry_cut = data.lower  # first tie group at which each row is at risk
    for e, g in enumerate(data.eg2g.tolist()):
        lo, hi = int(starts[g]), seg_end[g]
        rows = np.arange(lo, hi)
        if data.ent_rows.shape[0]:
            rows = rows[entry_cut[rows] <= g]
        d = int(data.ndead[e])
        if d * rows.shape[0] > MAX_WORK:
            raise StatsError(
                f"ties='exact': a tie set of {d} events among {rows.shape[0]} at risk at time "
                f"{data.gtime[g]!r} is too large for the exact method; use ties='efron'"
            )
        ll, gr, h = _tie_set(r[rows], data.XT[:, rows].T, d)
        loglik -= ll
        score -= gr
        info += h
    return loglik, score, info
