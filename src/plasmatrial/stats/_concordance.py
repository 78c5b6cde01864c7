"""Harrell's concordance for a Cox fit, as ``survival::concordancefit(..., reverse = TRUE)``.

Private module. Pair counts are weighted dominance counts ("how much weight among the observations
still at risk has a smaller / equal / larger linear predictor"), computed for all events at once by
a vectorised binary-radix partition over the ranks of the linear predictor: ``O(n log n)`` numpy
work with no Python loop over subjects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Concordance:
    """Weighted pair counts, the concordance and its infinitesimal-jackknife standard error."""

    concordant: float
    discordant: float
    tied_x: float
    tied_y: float
    tied_xy: float
    concordance: float
    std: float


def _less_before(val: IntArray, w: FloatArray, is_query: BoolArray) -> FloatArray:
    """For each query: summed weight of earlier elements whose value is strictly smaller.

    Most-significant-bit-first radix partition: at bit ``b`` the elements are ordered by
    (``val >> (b + 1)``, sequence); within each such group a query whose bit ``b`` is 1 gains the
    weight of earlier elements whose bit is 0. A stable partition by that bit gives the next
    level's order. The arrays are carried physically in the current order (no random gathers).
    """
    m = val.shape[0]
    nbits = max(1, int(val.max(initial=0)).bit_length())
    # carried state, one row per element: value, weight, is-query, original index, accumulated
    st = np.empty((m, 5))
    st[:, 0] = val
    st[:, 1] = w
    st[:, 2] = is_query
    st[:, 3] = np.arange(m)
    st[:, 4] = 0.0
    pos = np.arange(m, dtype=np.int64)
    newgrp = np.empty(m, dtype=bool)
    newgrp[0] = True
    for b in range(nbits - 1, -1, -1):
        v = st[:, 0].astype(np.int64)
        pref = v >> (b + 1)
        np.not_equal(pref[1:], pref[:-1], out=newgrp[1:])
        gstart = np.flatnonzero(newgrp)
        gsz = np.diff(np.r_[gstart, m])
        one = ((v >> b) & 1).astype(bool)
        z = (~one).astype(np.int64)
        wz = st[:, 1] * z
        excl = np.cumsum(wz)
        excl -= wz
        excl -= np.repeat(excl[gstart], gsz)
        st[:, 4] += excl * (one & (st[:, 2] > 0))
        zex = np.cumsum(z)
        zex -= z
        gs = np.repeat(gstart, gsz)
        z_in = zex - np.repeat(zex[gstart], gsz)
        nz = np.repeat(np.add.reduceat(z, gstart), gsz)
        newpos = np.where(one, nz + pos - z_in, gs + z_in)
        nxt = np.empty_like(st)
        nxt[newpos] = st
        st = nxt
    out = np.empty(m)
    out[st[:, 3].astype(np.int64)] = st[:, 4]
    return out


def _equal_before(val: IntArray, w: FloatArray) -> FloatArray:
    """For each element: summed weight of earlier elements with the same value."""
    order = np.lexsort((np.arange(val.shape[0]), val))
    v = val[order]
    ws = w[order]
    excl = np.cumsum(ws) - ws
    newgrp = np.r_[True, v[1:] != v[:-1]]
    gidx = np.cumsum(newgrp) - 1
    run = excl - excl[np.flatnonzero(newgrp)][gidx]
    out: FloatArray = np.empty(run.shape[0])
    out[order] = run
    return out


def _counts_before(
    val: IntArray, w: FloatArray, is_query: BoolArray, nval: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(less, equal, greater) weight before each element, in sequence order."""
    less = _less_before(val, w, is_query)
    equal = _equal_before(val, w)
    before = np.cumsum(w) - w
    return less, equal, before - less - equal


def _sequence(
    keys: list[FloatArray], subs: list[int], descending: bool
) -> tuple[IntArray, IntArray]:
    """Order concatenated blocks by time (asc/desc) then block priority; return (order, block)."""
    t = np.concatenate(keys)
    blk = np.concatenate([np.full(k.shape[0], i) for i, k in enumerate(keys)])
    pri = np.asarray(subs)[blk]
    order = np.lexsort((pri, -t if descending else t))
    return order, blk


def _role_counts(
    time: FloatArray,
    event: BoolArray,
    entry: FloatArray | None,
    rank: IntArray,
    w: FloatArray,
    nval: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per observation: weight of pairs in which it is the event (a) or the at-risk member (b)."""
    n = time.shape[0]
    ev = np.flatnonzero(event)
    # (a) each event vs. the weight still at risk just after its time
    te = time[ev]
    keys = [time[~event], te, te]
    subs = [0, 1, 2]  # censored stops, then event queries, then event points (descending time)
    vals = [rank[~event], rank[ev], rank[ev]]
    wts = [w[~event], np.zeros(ev.shape[0]), w[ev]]
    if entry is not None:
        keys.append(entry)
        subs.append(0)
        vals.append(rank)
        wts.append(-w)
    order, blk = _sequence(keys, subs, descending=True)
    v = np.concatenate(vals)[order]
    ww = np.concatenate(wts)[order]
    isq = blk[order] == 1
    lo, eq, hi = _counts_before(v, ww, isq, nval)
    qpos = np.flatnonzero(isq)
    qev = ev[order[qpos] - int(n - ev.shape[0])]
    a = np.zeros((3, n))
    a[:, qev] = np.stack([lo[qpos], hi[qpos], eq[qpos]])
    # (b) each observation vs. the weight of events it was at risk for (ascending time)
    keys = [te, time[~event], time[ev]]
    subs = [1, 2, 0]  # at equal time: event queries, event points, censored queries
    vals = [rank[ev], rank[~event], rank[ev]]
    wts = [w[ev], np.zeros(n - ev.shape[0]), np.zeros(ev.shape[0])]
    rows = [ev, np.flatnonzero(~event), ev]
    qflag = [False, True, True]
    if entry is not None:
        keys.append(entry)
        subs.append(2)
        vals.append(rank)
        wts.append(np.zeros(n))
        rows.append(np.arange(n))
        qflag.append(True)
    order, blk = _sequence(keys, subs, descending=False)
    v = np.concatenate(vals)[order]
    ww = np.concatenate(wts)[order]
    isq = np.asarray(qflag)[blk[order]]
    lo, eq, hi = _counts_before(v, ww, isq, nval)
    r = np.concatenate(rows)[order]
    sgn = np.where(blk[order] == 3, -1.0, 1.0)
    b = np.zeros((3, n))
    for k, arr in enumerate((hi, lo, eq)):  # an earlier event with higher lp is concordant
        b[k] = np.bincount(r[isq], sgn[isq] * arr[isq], minlength=n)
    return a[0], a[1], a[2], b[0], b[1], b[2]


def _tied_y(
    time: FloatArray, event: BoolArray, rank: IntArray, w: FloatArray
) -> tuple[float, float]:
    """Weighted pairs of events at the same time (tied.y) and also with equal lp (tied.xy)."""
    te, re, we = time[event], rank[event], w[event]

    def pairs(keys: tuple[npt.NDArray[np.generic], ...]) -> float:
        _, inv = np.unique(np.stack(keys), axis=1, return_inverse=True)
        inv = inv.reshape(-1)
        s1 = np.bincount(inv, we)
        s2 = np.bincount(inv, we * we)
        return float(((s1 * s1 - s2) / 2.0).sum())

    if te.shape[0] == 0:
        return 0.0, 0.0
    both = pairs((te, re.astype(np.float64)))
    return pairs((te,)) - both, both


def concordance(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    *,
    entry: FloatArray | None,
    strata: IntArray | None,
    weights: FloatArray,
    cluster: IntArray | None,
) -> Concordance:
    """Concordance of ``lp`` with survival, counted within strata (higher lp = shorter survival)."""
    n = time.shape[0]
    _, rank = np.unique(lp, return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    nval = int(rank.max()) + 1
    counts = np.zeros((6, n))
    tot = np.zeros(5)
    groups = (
        [np.arange(n)]
        if strata is None
        else [np.flatnonzero(strata == s) for s in np.unique(strata)]
    )
    for idx in groups:
        ent = None if entry is None else entry[idx]
        parts = _role_counts(time[idx], event[idx], ent, rank[idx], weights[idx], nval)
        counts[:, idx] = np.stack(parts)
        wi = weights[idx]
        tot[0] += float(wi @ parts[0])
        tot[1] += float(wi @ parts[1])
        tot[2] += float(wi @ parts[2])
        ty, txy = _tied_y(time[idx], event[idx], rank[idx], wi)
        tot[3] += ty
        tot[4] += txy
    npair = tot[0] + tot[1] + tot[2]
    c = counts[0:3] + counts[3:6]  # concordant, discordant, tied.x influence of each observation
    somer = (tot[0] - tot[1]) / npair
    dfb = weights * ((c[0] - c[1]) / npair - (somer / npair) * c.sum(axis=0))
    if cluster is not None:
        dfb = np.bincount(cluster, dfb)
    var = float(dfb @ dfb) / 4.0
    return Concordance(
        concordant=float(tot[0]),
        discordant=float(tot[1]),
        tied_x=float(tot[2]),
        tied_y=float(tot[3]),
        tied_xy=float(tot[4]),
        concordance=float((somer + 1.0) / 2.0),
        std=float(np.sqrt(var)),
    )
