"""Harrell's concordance for a Cox fit, as ``survival::concordancefit(..., reverse = TRUE)``.

Private module. Every comparable pair is an event ``i`` and a subject ``j`` at risk at its time;
the pair is concordant when ``lp_i > lp_j`` (higher risk fails first), discordant when
``lp_i < lp_j`` and tied on x when equal. Besides the weighted totals, the infinitesimal-jackknife
standard error needs, for every subject, the weight of its pairs in both roles: as the event
("role a") and as the member of a risk set ("role b").

Both roles come out of one two-dimensional dominance count. Each subject contributes a *point*
(its exit, weight ``w``; with delayed entry also an entry point of weight ``-w``) and each event a
*query* (weight ``w``), placed on two integer axes:

* ``A``, a time key: strata in reverse order, then time descending, with the tie rules of
  ``concordancefit`` folded in (at an event time the censored exits and the entries come before
  the event's query, the event points after it, so tied deaths are not comparable);
* ``B``, the rank of the linear predictor within stratum.

A point ``p`` is at risk for query ``q`` with a lower predictor exactly when ``A_p < A_q`` and
``B_p < B_q`` (strata never mix because they are ordered oppositely on the two axes). So role a
(for each query, the weight of such points) and role b (for each point, the weight of queries
above and to the right) are the two margins of one dominance relation. They are computed together
by a most-significant-bit-first stable partition (a radix sort that counts as it sorts) over the
shorter of the two axes: ``O(m log K)`` vectorised numpy work for ``m`` points and queries and
``K`` distinct keys, with no Python loop over subjects, times or strata. Integer case weights
(the usual case) are carried as ``int64``: the counts are then exact and the cumulative sums run
at integer speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: int64 (integer case weights: exact) or float64 weights and weighted counts
NumArray: TypeAlias = npt.NDArray[Any]

#: Bits reserved for the element index in the packed partition state (int64).
_IDX_BITS = 32


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


def _level_tables(
    k: IntArray, wp: NumArray, wq: NumArray, nb: int
) -> tuple[list[IntArray], NumArray, NumArray]:
    """Per-level partition offsets and the position-free parts of both dominance margins.

    At level ``b`` the state is ordered by (``k >> (b + 1)``, sequence). For a key value
    ``u = k >> b`` the returned ``offs[b][u]`` turns "rank among same-bit elements, counted from
    the start of the array" into the element's position in the next order. ``fix_f[k]`` and
    ``fix_b[k]`` remove, summed over levels, what the global cumulative sums count from earlier
    prefix groups.
    """
    size = 1 << nb
    cnt = np.bincount(k, minlength=size).astype(np.int64)
    hp = np.bincount(k, wp, minlength=size).astype(wp.dtype)
    hq = np.bincount(k, wq, minlength=size).astype(wq.dtype)
    vals = np.arange(size, dtype=np.int64)
    fix_f = np.zeros(size, dtype=wp.dtype)
    fix_b = np.zeros(size, dtype=wp.dtype)
    offs: list[IntArray] = []
    for b in range(nb):
        u = np.arange(cnt.shape[0], dtype=np.int64)
        half = u >> 1
        start = np.cumsum(cnt) - cnt
        c0 = np.cumsum(cnt[0::2]) - cnt[0::2]
        c1 = np.cumsum(cnt[1::2]) - cnt[1::2]
        offs.append(start - np.where(u & 1, c1[half], c0[half]))
        # forward: point weight with bit 0 in earlier prefix groups (exclusive)
        pe = hp[0::2]
        tf = np.cumsum(pe) - pe
        # backward: query weight with bit 1 up to and including the element's prefix group
        tb = np.cumsum(hq[1::2])
        pv = vals >> (b + 1)
        bv = (vals >> b) & 1
        fix_f -= bv * tf[pv]
        fix_b += (1 - bv) * tb[pv]
        cnt = cnt[0::2] + cnt[1::2]
        hp = hp[0::2] + hp[1::2]
        hq = hq[0::2] + hq[1::2]
    return offs, fix_f, fix_b


def dominance(k: IntArray, w: NumArray, is_query: BoolArray, nkey: int) -> NumArray:
    """Both margins of the dominance relation "point before query in sequence, smaller key".

    ``k`` (integer keys in ``[0, nkey)``), ``w`` and ``is_query`` are given in sequence order.
    Returns, in the same order, for a query the summed weight of points earlier in the sequence
    with a strictly smaller key, and for a point the summed weight of queries later in the
    sequence with a strictly larger key.
    """
    m = k.shape[0]
    if m >= 1 << _IDX_BITS:
        raise ValueError("concordance: more than 2**32 points and queries")
    nb = max(1, int(nkey - 1).bit_length())
    q = is_query.astype(np.int64)
    zero = np.zeros((), dtype=w.dtype)
    wq = np.where(is_query, w, zero)
    offs, fix_f, fix_b = _level_tables(k, w - wq, wq, nb)
    shift = _IDX_BITS + 1
    state = (k << shift) | (q << _IDX_BITS) | np.arange(m, dtype=np.int64)
    wc = w.copy()
    acc = np.zeros(m, dtype=w.dtype)
    pos = np.arange(m, dtype=np.int64)
    u = np.empty(m, dtype=np.int64)
    bit = np.empty(m, dtype=np.int64)
    qq = np.empty(m, dtype=np.int64)
    fm = np.empty(m, dtype=np.int64)
    bm = np.empty(m, dtype=np.int64)
    t = np.empty(m, dtype=w.dtype)
    cf = np.empty(m, dtype=w.dtype)
    cb = np.empty(m, dtype=w.dtype)
    newpos = np.empty(m, dtype=np.int64)
    for b in range(nb - 1, -1, -1):
        np.right_shift(state, shift + b, out=u)
        np.bitwise_and(u, 1, out=bit)
        np.right_shift(state, _IDX_BITS, out=qq)
        np.bitwise_and(qq, 1, out=qq)
        np.bitwise_and(bit, qq, out=bm)  # queries with bit 1: read forward, feed backward
        np.bitwise_or(bit, qq, out=fm)
        np.subtract(1, fm, out=fm)  # points with bit 0: feed forward, read backward
        np.multiply(wc, fm, out=t)
        np.cumsum(t, out=cf)
        np.multiply(wc, bm, out=t)
        np.cumsum(t, out=cb)
        np.multiply(cf, bm, out=t)
        acc += t
        np.multiply(cb, fm, out=t)
        acc -= t
        if b == 0:
            break
        # stable partition by this bit within each prefix group
        np.subtract(1, bit, out=fm)
        np.cumsum(fm, out=bm)
        bm -= fm  # bit-0 elements before each element
        np.subtract(pos, bm, out=qq)
        qq -= bm
        qq *= bit
        qq += bm  # rank among same-bit elements
        np.take(offs[b], u, out=newpos)
        newpos += qq
        nxt = np.empty_like(state)
        nxt[newpos] = state
        state = nxt
        nwc = np.empty_like(wc)
        nwc[newpos] = wc
        wc = nwc
        nacc = np.empty_like(acc)
        nacc[newpos] = acc
        acc = nacc
    out = np.empty(m, dtype=w.dtype)
    out[state & ((1 << _IDX_BITS) - 1)] = acc
    out += np.where(is_query, fix_f[k], fix_b[k])
    return out


@dataclass(frozen=True, slots=True)
class _Elements:
    """Points (exits, entries) and queries (events) with their two keys, in build order."""

    a: IntArray  # time key
    b: IntArray  # predictor-rank key
    s: IntArray  # stratum
    w: NumArray  # weight (entries negative)
    is_query: BoolArray
    n_a: int
    n_b: int


def _time_keys(
    time: FloatArray, entry: FloatArray | None, strata: IntArray | None
) -> tuple[IntArray, IntArray, int]:
    """Group index of each exit and entry time: strata reversed, then time descending."""
    n = time.shape[0]
    tv = time if entry is None else np.concatenate([time, entry])
    uniq, inv = np.unique(tv, return_inverse=True)
    inv = inv.reshape(-1).astype(np.int64)
    nt = uniq.shape[0]
    if strata is None:
        g = nt - 1 - inv
        ng = nt
    else:
        sv = strata if entry is None else np.concatenate([strata, strata])
        code = (int(strata.max()) - sv) * nt + (nt - 1 - inv)
        uc, g = np.unique(code, return_inverse=True)
        g = g.reshape(-1).astype(np.int64)
        ng = uc.shape[0]
    return g[:n], g[n:], ng


def _rank_keys(lp: FloatArray, strata: IntArray | None) -> tuple[IntArray, int]:
    """Dense rank of the linear predictor, strata in increasing order."""
    uniq, rank = np.unique(lp, return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    if strata is None:
        return rank, uniq.shape[0]
    uc, b = np.unique(strata * uniq.shape[0] + rank, return_inverse=True)
    return b.reshape(-1).astype(np.int64), uc.shape[0]


def _elements(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    entry: FloatArray | None,
    strata: IntArray | None,
    w: NumArray,
) -> tuple[_Elements, IntArray]:
    """Queries (events), exit points and entry points; returns them and their subjects."""
    n = time.shape[0]
    ev = np.flatnonzero(event)
    g_exit, g_entry, ng = _time_keys(time, entry, strata)
    rank, n_b = _rank_keys(lp, strata)
    s = np.zeros(n, dtype=np.int64) if strata is None else strata
    # event query 2g+1; censored exit 2g and entry 2g come before it, event exits 2g+2 after it
    a_parts = [2 * g_exit[ev] + 1, 2 * g_exit + np.where(event, 2, 0)]
    rows = [ev, np.arange(n, dtype=np.int64)]
    w_parts = [w[ev], w]
    if entry is not None:
        a_parts.append(2 * g_entry)
        rows.append(np.arange(n, dtype=np.int64))
        w_parts.append(-w)
    obs = np.concatenate(rows)
    isq = np.zeros(obs.shape[0], dtype=bool)
    isq[: ev.shape[0]] = True
    el = _Elements(
        a=np.concatenate(a_parts),
        b=rank[obs],
        s=s[obs],
        w=np.concatenate(w_parts),
        is_query=isq,
        n_a=2 * ng + 1,
        n_b=n_b,
    )
    return el, obs


def _dominance_both(el: _Elements) -> NumArray:
    """Dominance margins, sorting along the axis with more keys and radix-counting the other."""
    if int(el.n_a - 1).bit_length() <= int(el.n_b - 1).bit_length():
        seq = 2 * el.b + (~el.is_query)  # equal predictor: queries first (ties are not counted)
        key, nkey = el.a, el.n_a
    else:
        seq, key, nkey = el.a, el.b, el.n_b  # a query never shares a time key with a point
    order = np.argsort(seq)
    out = np.empty(order.shape[0], dtype=el.w.dtype)
    out[order] = dominance(key[order], el.w[order], el.is_query[order], nkey)
    return out


def _tied_x(el: _Elements, tied: BoolArray) -> NumArray:
    """Weight of points with an equal predictor before each query / queries after each point."""
    out = np.zeros(el.a.shape[0], dtype=el.w.dtype)
    sub = np.flatnonzero(tied)
    if sub.shape[0] == 0:
        return out
    sub = sub[np.lexsort((el.a[sub], el.b[sub]))]
    bk = el.b[sub]
    isq = el.is_query[sub]
    ws = el.w[sub]
    zero = np.zeros((), dtype=ws.dtype)
    wp = np.where(isq, zero, ws)
    wq = ws - wp
    start = np.r_[True, bk[1:] != bk[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(sub.shape[0]), 0))
    last = np.r_[np.flatnonzero(start)[1:], sub.shape[0]] - 1
    cp = np.cumsum(wp)
    cq = np.cumsum(wq)
    before_p = cp - wp - (cp - wp)[first]
    after_q = cq[last[np.cumsum(start) - 1]] - cq
    out[sub] = np.where(isq, before_p, after_q)
    return out


def _margins(el: _Elements, nstrata: int) -> tuple[NumArray, NumArray]:
    """Same-stratum point weight before each query and query weight after each point (on A)."""
    zero = np.zeros((), dtype=el.w.dtype)
    wq = np.where(el.is_query, el.w, zero)
    wp = el.w - wq
    dt = el.w.dtype
    hp = np.bincount(el.a, wp, minlength=el.n_a).astype(dt)
    hq = np.bincount(el.a, wq, minlength=el.n_a).astype(dt)
    ps = np.bincount(el.s, wp, minlength=nstrata).astype(dt)
    qs = np.bincount(el.s, wq, minlength=nstrata).astype(dt)
    p_above = np.cumsum(ps[::-1])[::-1] - ps  # strata with a larger index come first on A
    q_from = np.cumsum(qs[::-1])[::-1]
    before = (np.cumsum(hp) - hp)[el.a] - p_above[el.s]
    after = q_from[el.s] - np.cumsum(hq)[el.a]
    return before, after


def _tied_y(el: _Elements, tied: BoolArray) -> tuple[float, float]:
    """Weighted pairs of events at the same time (tied.y) and also with equal lp (tied.xy)."""
    qa = el.a[el.is_query]
    wq = el.w[el.is_query].astype(np.float64)
    if qa.shape[0] == 0:
        return 0.0, 0.0

    def pairs(g: IntArray, wg: FloatArray) -> float:
        s1 = np.bincount(g, wg)
        s2 = np.bincount(g, wg * wg)
        return float(((s1 * s1 - s2) / 2.0).sum())

    alltime = pairs(qa, wq)
    sel = tied[el.is_query]
    both = 0.0
    if sel.any():
        code = qa[sel] * el.n_b + el.b[el.is_query][sel]
        _, g = np.unique(code, return_inverse=True)
        both = pairs(g.reshape(-1), wq[sel])
    return alltime - both, both


def _as_exact(weights: FloatArray) -> NumArray:
    """Integer case weights as int64 (exact, faster cumulative sums); others unchanged."""
    if np.all(weights == np.round(weights)) and float(np.abs(weights).sum()) < 2.0**52:
        return weights.astype(np.int64)
    return weights


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
    w = _as_exact(weights)
    el, obs = _elements(time, event, lp, entry, strata, w)
    nstrata = 1 if strata is None else int(strata.max()) + 1
    dom = _dominance_both(el)
    n_obs_b = np.bincount(el.b[~el.is_query & (el.w > 0)], minlength=el.n_b)
    tied = n_obs_b[el.b] > 1  # the predictor value is shared by several subjects
    eqx = _tied_x(el, tied)
    before, after = _margins(el, nstrata)
    isq = el.is_query
    # role a (as the event): lower / higher / equal predictor among those at risk
    a_lo = np.where(isq, dom, 0).astype(np.float64)
    a_eq = np.where(isq, eqx, 0).astype(np.float64)
    a_hi = np.where(isq, before - dom - eqx, 0).astype(np.float64)
    # role b (at risk): events with higher / lower / equal predictor; entry points subtract
    sgn = np.where(isq, 0.0, np.where(el.w > 0, 1.0, -1.0))
    b_hi = sgn * dom
    b_eq = sgn * eqx
    b_lo = sgn * (after - dom - eqx)
    c = np.stack(
        [
            np.bincount(obs, a_lo + b_hi, minlength=n),
            np.bincount(obs, a_hi + b_lo, minlength=n),
            np.bincount(obs, a_eq + b_eq, minlength=n),
        ]
    )
    wq = el.w[isq].astype(np.float64)
    tot = np.array([wq @ a_lo[isq], wq @ a_hi[isq], wq @ a_eq[isq]])
    tied_y, tied_xy = _tied_y(el, tied)
    npair = tot[0] + tot[1] + tot[2]
    somer = (tot[0] - tot[1]) / npair
    dfb = weights * ((c[0] - c[1]) / npair - (somer / npair) * c.sum(axis=0))
    if cluster is not None:
        dfb = np.bincount(cluster, dfb)
    var = float(dfb @ dfb) / 4.0
    return Concordance(
        concordant=float(tot[0]),
        discordant=float(tot[1]),
        tied_x=float(tot[2]),
        tied_y=tied_y,
        tied_xy=tied_xy,
        concordance=float((somer + 1.0) / 2.0),
        std=float(np.sqrt(var)),
    )
