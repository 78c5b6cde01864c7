"""Harrell's concordance for a Cox fit, as ``survival::concordancefit(..., reverse = TRUE)``.

Private module. Every comparable pair is an event ``i`` and a subject ``j`` at risk at its time;
the pair is concordant when ``lp_i > lp_j`` (higher risk fails first), discordant when
``lp_i < lp_j`` and tied on x when equal. Besides the weighted totals, the infinitesimal-jackknife
standard error needs, for every subject, the weight of its pairs in both roles: as the event
and as a member of the risk set.

Both roles come out of one two-dimensional dominance count over *elements*: one per subject (its
exit, weight ``w``; an event is also a *query*) plus, with delayed entry, one entry element of
weight ``-w`` per subject. Elements sit on two integer axes:

* ``A``, a time key: strata in reverse order, then time descending; a censored exit or an entry
  at an event time gets the even key ``2g`` just before that time's events (``2g + 1``), so it is
  at risk for them while deaths tied with each other are not compared (tied.y);
* ``B``, the rank of the linear predictor, strata in increasing order.

Element ``p`` is at risk for query ``q`` with a lower predictor exactly when ``A_p < A_q`` and
``B_p < B_q`` (strata never mix: they are ordered oppositely on the two axes). For each element
the count adds both margins: as a query, the weight of such points; as a point, the weight of
the queries it is below. A most-significant-bit-first stable partition (a radix sort that counts
as it sorts) over the axis with fewer keys gives them in ``O(m log K)`` vectorised numpy work, with
no Python loop over subjects, times or strata; the other axis is the sort order (ties on it are
put in decreasing order of the counted key, so they never count). Integer case weights (the usual
case) are carried as ``int64``: the counts are then exact and the cumulative sums run at integer
speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from plasmatrial._results import ResultMixin
from plasmatrial.stats._cox_sort import WorkPool, packed_argsort

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
#: int64 (integer case weights: exact) or float64 weights and weighted counts
NumArray: TypeAlias = npt.NDArray[Any]

#: Bits reserved for the element index in the packed partition state (int64).
_IDX_BITS = 32


@dataclass(frozen=True, slots=True, repr=False)
class Concordance(ResultMixin):
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
    """Both margins of the dominance relation "earlier in sequence and smaller key".

    ``k`` (integer keys in ``[0, nkey)``), ``w`` (point weights, may be negative) and
    ``is_query`` (the element is also a query, of weight ``w``, which must then be positive) are
    given in sequence order. Returns, in the same order, for every element the summed weight of
    queries later in the sequence with a strictly larger key, plus for a query the summed weight
    of elements earlier in the sequence with a strictly smaller key.
    """
    m = k.shape[0]
    if m >= 1 << _IDX_BITS:
        raise ValueError("concordance: more than 2**32 elements")
    nb = max(1, int(nkey - 1).bit_length())
    q = is_query.astype(np.int64)
    offs, fix_f, fix_b = _level_tables(k, w, w * q, nb)
    shift = _IDX_BITS + 1
    # packed state, carried through the partition: key | element index | is-query
    state = (k << shift) | (np.arange(m, dtype=np.int64) << 1) | q
    # unit weights (no weights, no delayed entry): the weighted sums are the counts
    unit = w.dtype == np.int64 and bool(np.all(w == 1))
    wc = w[:0] if unit else w.copy()
    acc = np.zeros(m, dtype=w.dtype)
    spare = (np.empty_like(state), np.empty_like(wc), np.empty_like(acc))
    pos = np.arange(m, dtype=np.int64)
    u, bit, nbit, bm, c0, newpos = (np.empty(m, dtype=np.int64) for _ in range(6))
    t, cb = np.empty(m, dtype=w.dtype), np.empty(m, dtype=w.dtype)
    cf = cb[:0] if unit else np.empty(m, dtype=w.dtype)
    for b in range(nb - 1, -1, -1):
        np.right_shift(state, shift + b, out=u)
        np.bitwise_and(u, 1, out=bit)
        np.subtract(1, bit, out=nbit)  # bit 0: feeds forward, reads backward
        np.bitwise_and(state, bit, out=bm)  # query with bit 1: reads forward, feeds backward
        np.cumsum(nbit, out=c0)
        if unit:
            fwd = c0
            np.cumsum(bm, out=cb)
        else:
            fwd = cf
            np.multiply(wc, nbit, out=t)
            np.cumsum(t, out=cf)
            np.multiply(wc, bm, out=t)
            np.cumsum(t, out=cb)
        np.multiply(fwd, bm, out=t)
        acc += t
        np.multiply(cb, nbit, out=t)
        acc -= t
        if b == 0:
            break
        # stable partition by this bit within each prefix group
        c0 -= nbit  # bit-0 elements before each element
        np.subtract(pos, c0, out=bm)
        bm -= c0
        bm *= bit
        bm += c0  # rank among the elements with the same bit
        np.take(offs[b], u, out=newpos, mode="clip")  # no buffered copy of out
        newpos += bm
        s2, w2, a2 = spare
        s2[newpos] = state
        if not unit:
            w2[newpos] = wc
        a2[newpos] = acc
        spare = (state, wc, acc)
        state, wc, acc = s2, w2, a2
    out = np.empty(m, dtype=w.dtype)
    out[(state >> 1) & ((1 << _IDX_BITS) - 1)] = acc
    out += fix_b[k] + q * fix_f[k]
    return out


#: Elements per block of :func:`dominance_blocked` (its arrays stay in the CPU caches).
_BLOCK = 1 << 16

#: Subjects per chunk of the final pass of :func:`concordance` (ADR 0361).
_CHUNK = 1 << 16


def dominance_blocked(
    k: IntArray, w: NumArray, is_query: BoolArray, nkey: int, pool: WorkPool | None = None
) -> NumArray:
    """:func:`dominance` block by block along the sequence, for integer weights and few keys.

    Each block of :data:`_BLOCK` elements is counted on its own (cache-resident arrays: at 1e7
    elements the whole-array passes are bound by memory bandwidth); what crosses blocks comes
    from per-block key histograms: a query adds the point weight of earlier blocks below its key,
    every element the query weight of later blocks above its key. Integer sums, so the result
    is identical to :func:`dominance`. Falls back to it for float weights, many keys (the
    histograms would outgrow the blocks) or few elements. With ``pool`` the result is taken
    from it.
    """
    m = k.shape[0]
    if w.dtype != np.int64 or nkey > _BLOCK // 4 or m <= 2 * _BLOCK:
        return dominance(k, w, is_query, nkey)
    nblk = (m + _BLOCK - 1) // _BLOCK
    unit = bool(np.all(w == 1))
    # per-block key histograms of the points and of the queries (no full-length cell index)
    hp = np.empty((nblk, nkey), dtype=np.int64)
    hq = np.empty((nblk, nkey), dtype=np.int64)
    for c in range(nblk):
        sl = slice(c * _BLOCK, min(m, (c + 1) * _BLOCK))
        kc, qc = k[sl], is_query[sl]
        if unit:
            hp[c] = np.bincount(kc, minlength=nkey)
            hq[c] = np.bincount(kc[qc], minlength=nkey)
        else:
            wc = w[sl]
            hp[c] = np.bincount(kc, wc, minlength=nkey).astype(np.int64)
            hq[c] = np.bincount(kc, wc * qc, minlength=nkey).astype(np.int64)
    before = np.cumsum(hp, axis=0) - hp  # point weight of earlier blocks, per key
    below = np.cumsum(before, axis=1) - before  # ... with a strictly smaller key
    after = hq.sum(axis=0) - np.cumsum(hq, axis=0)  # query weight of later blocks, per key
    above = after.sum(axis=1)[:, None] - np.cumsum(after, axis=1)  # ... strictly larger key
    out: NumArray = np.empty(m, dtype=np.int64) if pool is None else pool.take(m, np.int64)
    for c in range(nblk):
        sl = slice(c * _BLOCK, min(m, (c + 1) * _BLOCK))
        kc = k[sl]
        qc = is_query[sl]
        out[sl] = dominance(kc, w[sl], qc, nkey) + qc * below[c, kc] + above[c, kc]
    return out


@dataclass(frozen=True, slots=True)
class _Elements:
    """Exit elements (one per subject, events are also queries), then entry elements."""

    a: IntArray  # time key
    b: IntArray  # predictor-rank key (empty when every value is distinct and b_order is set)
    s: IntArray  # stratum
    w: NumArray  # weight (entries negative)
    q: BoolArray  # an event exit (a query)
    n_a: int
    n_b: int
    b_order: IntArray | None = None  # the elements sorted by ``b`` (ties in any order), if known


#: Time key of every exit (``2 g + is-event`` for its time group ``g``, strata reversed, then
#: time descending), time group of every entry, and the number of group indices used.
TimeGroups: TypeAlias = tuple[IntArray, IntArray, int]


def time_groups_from_sorted(
    order: IntArray,
    gkey: IntArray,
    event_sorted: BoolArray,
    lower: IntArray | None,
    ngroups: int,
    pool: WorkPool | None = None,
) -> TimeGroups:
    """Time keys from the Cox fit's sort (rows by stratum, then time; ``gkey`` is 2 x their tie
    group + is-death, ``event_sorted`` the event indicator in that order).

    ``lower`` is, per sorted row, the first tie group at which it is at risk (delayed entry): its
    entry then sorts with the last exit time at or before it, or just after the stratum's
    earliest exit time (index ``ngroups`` at most), which is what the time key needs. With
    ``pool`` the exit keys are taken from it.
    """
    n = order.shape[0]
    # 2 (ngroups - 1 - g) + d = 2 ngroups - 2 - (2 g + d) + 2 d, in sorted order, then scattered
    a_sorted = np.empty(n, dtype=np.int64) if pool is None else pool.take(n, np.int64)
    np.subtract(2 * ngroups - 2, gkey, out=a_sorted)
    a_sorted += event_sorted
    a_sorted += event_sorted
    a_exit = np.empty(n, dtype=np.int64) if pool is None else pool.take(n, np.int64)
    a_exit[order] = a_sorted
    if pool is not None:
        pool.give(a_sorted)
    if lower is None:
        return a_exit, np.empty(0, dtype=np.int64), ngroups
    g_entry = np.empty(n, dtype=np.int64)
    g_entry[order] = ngroups - lower
    return a_exit, g_entry, ngroups + 1


def _time_keys(
    time: FloatArray, event: BoolArray, entry: FloatArray | None, strata: IntArray | None
) -> TimeGroups:
    """Time key of each exit and group of each entry: strata reversed, then time descending."""
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
    return 2 * g[:n] + event, g[n:], ng


def _rank_keys(
    lp: FloatArray, strata: IntArray | None, n_a: int | None, pool: WorkPool | None = None
) -> tuple[IntArray, int, IntArray | None]:
    """Dense rank of the linear predictor, strata in increasing order; without strata also the
    sort order of ``lp`` (ties in row order), which the dominance count reuses.

    Without strata the order comes from one sort of packed integer keys (ADR 0360). ``n_a`` is
    the number of time keys, or None with delayed entry: when every value is distinct, there is
    no delayed entry and the dominance count will run along the predictor (see
    :func:`_dominance_both`), the rank (the inverse permutation) is never read and an empty
    array is returned in its place.
    """
    if strata is None:
        n = lp.shape[0]
        order, srt = packed_argsort(lp, pool=pool)
        neq = srt[1:] != srt[:-1]
        n_b = int(np.count_nonzero(neq)) + 1
        along_b = n_a is not None and (n_a - 1).bit_length() <= (n_b - 1).bit_length()
        if n_b == n and along_b:
            if pool is not None:
                pool.give(srt)
            return np.empty(0, dtype=np.int64), n_b, order
        ranks_sorted = srt.view(np.int64)  # srt is not read again: its memory holds the ranks
        ranks_sorted[0] = 0
        np.cumsum(neq, out=ranks_sorted[1:])
        rank = np.empty(n, dtype=np.int64) if pool is None else pool.take(n, np.int64)
        rank[order] = ranks_sorted
        if pool is not None:
            pool.give(srt)
        return rank, n_b, order
    uniq, rank = np.unique(lp, return_inverse=True)
    rank = rank.reshape(-1).astype(np.int64)
    uc, b = np.unique(strata * uniq.shape[0] + rank, return_inverse=True)
    return b.reshape(-1).astype(np.int64), uc.shape[0], None


def _elements(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    entry: FloatArray | None,
    strata: IntArray | None,
    w: NumArray,
    groups: TimeGroups | None,
    pool: WorkPool | None = None,
) -> _Elements:
    """Exit elements, then (with delayed entry) entry elements, of every subject."""
    a, g_entry, ng = _time_keys(time, event, entry, strata) if groups is None else groups
    rank, n_b, b_order = _rank_keys(lp, strata, 2 * ng if entry is None else None, pool)
    s = np.zeros(time.shape[0], dtype=np.int64) if strata is None else strata
    if entry is None:
        return _Elements(a=a, b=rank, s=s, w=w, q=event, n_a=2 * ng, n_b=n_b, b_order=b_order)
    return _Elements(
        a=np.concatenate([a, 2 * g_entry]),
        b=np.concatenate([rank, rank]),
        s=np.concatenate([s, s]),
        w=np.concatenate([w, -w]),
        q=np.concatenate([event, np.zeros_like(event)]),
        n_a=2 * ng,
        n_b=n_b,
    )


def _dominance_both(el: _Elements, pool: WorkPool | None = None) -> NumArray:
    """Dominance margins, sorting along the axis with more keys and radix-counting the other."""
    if int(el.n_a - 1).bit_length() <= int(el.n_b - 1).bit_length():
        seq, key, nkey = el.b, el.a, el.n_a
    else:
        seq, key, nkey = el.a, el.b, el.n_b
    # ties in the sequence come in decreasing key order: they never count
    if seq is el.b and el.b_order is not None:
        # reuse the predictor's sort: only ties in it (if any) need ordering, a stable sort of
        # an already nearly sorted key (timsort: one pass over the sorted runs)
        order = el.b_order
        if el.n_b < order.shape[0]:
            sub = seq[order] * nkey + (nkey - 1 - key[order])
            order = order[np.argsort(sub, kind="stable")]
    else:
        order = np.argsort(seq * nkey + (nkey - 1 - key))
    m = order.shape[0]
    ks = np.empty(m, dtype=np.int64) if pool is None else pool.take(m, np.int64)
    np.take(key, order, out=ks, mode="clip")  # indices are valid: no buffered copy of out
    qs = el.q[order]
    unit = el.w.dtype == np.int64 and bool(np.all(el.w == 1))
    out = np.empty(m, dtype=el.w.dtype) if pool is None else pool.take(m, el.w.dtype)
    dom = dominance_blocked(ks, el.w if unit else el.w[order], qs, nkey, pool)
    out[order] = dom
    if pool is not None:
        pool.give(ks, dom)
    return out


def _tied_x(el: _Elements, tied: BoolArray) -> NumArray:
    """Same-predictor margins: earlier-time weight for a query, later-time queries for all."""
    out = np.zeros(el.a.shape[0], dtype=el.w.dtype)
    sub = np.flatnonzero(tied)
    if sub.shape[0] == 0:
        return out
    sub = sub[np.lexsort((el.a[sub], el.b[sub]))]
    bk, ak, ws, qs = el.b[sub], el.a[sub], el.w[sub], el.q[sub]
    m = sub.shape[0]
    idx = np.arange(m)
    gstart = np.r_[True, bk[1:] != bk[:-1]]
    rstart = gstart | np.r_[True, ak[1:] != ak[:-1]]
    gend = np.r_[gstart[1:], True]
    rend = np.r_[rstart[1:], True]
    g_first = np.maximum.accumulate(np.where(gstart, idx, 0))
    r_first = np.maximum.accumulate(np.where(rstart, idx, 0))
    g_last = np.minimum.accumulate(np.where(gend, idx, m - 1)[::-1])[::-1]
    r_last = np.minimum.accumulate(np.where(rend, idx, m - 1)[::-1])[::-1]
    cp = np.cumsum(ws) - ws  # exclusive
    cq = np.cumsum(ws * qs)  # inclusive
    out[sub] = qs * (cp[r_first] - cp[g_first]) + (cq[g_last] - cq[r_last])
    return out


def _margins(el: _Elements, nstrata: int, pool: WorkPool | None = None) -> NumArray:
    """Per element: for a query, the same-stratum weight before it, plus for every element the
    query weight after it (on A)."""
    dt = el.w.dtype
    if nstrata == 1:
        # queries are exactly the odd time keys (2g + 1: events), so the query histogram is the
        # point histogram at odd keys, and both margins come from one table of the key (one
        # gather; the table adds the same two numbers the elements would)
        unit = dt == np.int64 and bool(np.all(el.w == 1))
        if unit:
            hp = np.bincount(el.a, minlength=el.n_a).astype(dt, copy=False)
        else:
            hp = np.bincount(el.a, el.w, minlength=el.n_a).astype(dt)
        hq = hp.copy()
        hq[0::2] = 0
        cq = np.cumsum(hq)
        before = np.cumsum(hp) - hp
        before[0::2] = 0
        table: NumArray = before + (cq[-1] - cq)
        m = el.a.shape[0]
        out: NumArray = np.empty(m, dtype=dt) if pool is None else pool.take(m, dt)
        np.take(table, el.a, out=out, mode="clip")
        return out
    wq = el.w * el.q
    hp = np.bincount(el.a, el.w, minlength=el.n_a).astype(dt)
    hq = np.bincount(el.a, wq, minlength=el.n_a).astype(dt)
    ps = np.bincount(el.s, el.w, minlength=nstrata).astype(dt)
    qs = np.bincount(el.s, wq, minlength=nstrata).astype(dt)
    p_above = np.cumsum(ps[::-1])[::-1] - ps  # strata with a larger index come first on A
    q_from = np.cumsum(qs[::-1])[::-1]
    before = (np.cumsum(hp) - hp)[el.a] - p_above[el.s]
    after = q_from[el.s] - np.cumsum(hq)[el.a]
    both: NumArray = el.q * before + after
    return both


def _tied_y(el: _Elements, tied: BoolArray, n: int) -> tuple[float, float]:
    """Weighted pairs of events at the same time (tied.y) and also with equal lp (tied.xy)."""

    def pairs(s1: NumArray, s2: NumArray) -> float:
        return float(((s1 * s1 - s2) / 2.0).sum())

    # events are the exits with an odd time key (2g + 1): per-key sums, no compress
    a = el.a[:n]
    if el.w.dtype == np.int64 and bool(np.all(el.w[:n] == 1)):
        s1 = np.bincount(a, minlength=el.n_a)[1::2].astype(np.float64)
        alltime = pairs(s1, s1)
    else:
        wf = el.w[:n].astype(np.float64)
        alltime = pairs(
            np.bincount(a, wf, minlength=el.n_a)[1::2],
            np.bincount(a, wf * wf, minlength=el.n_a)[1::2],
        )
    both = 0.0
    if tied.any():
        ev = el.q
        sel = tied[ev]
        if sel.any():
            code = el.a[ev][sel] * el.n_b + el.b[ev][sel]
            _, g = np.unique(code, return_inverse=True)
            g = g.reshape(-1)
            wq = el.w[ev][sel].astype(np.float64)
            both = pairs(np.bincount(g, wq), np.bincount(g, wq * wq))
    return alltime - both, both


def _as_exact(weights: FloatArray | None, n: int) -> NumArray:
    """Integer case weights as int64 (exact, faster cumulative sums); others unchanged.

    None (every weight 1) gives a read-only broadcast int64 1 (no full-length array).
    """
    if weights is None:
        return np.broadcast_to(np.int64(1), (n,))
    if np.all(weights == np.round(weights)) and float(np.abs(weights).sum()) < 2.0**52:
        return weights.astype(np.int64)
    return weights


@dataclass(frozen=True, slots=True)
class _Margins:
    """Per element: concordant weight, all comparable weight, tied-on-x weight (or None)."""

    dom: NumArray
    marg: NumArray
    tx: NumArray | None
    n: int
    entry: bool

    def chunk(self, a: int, b: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Concordant, discordant and tied-on-x weights of subjects ``a..b`` in both roles.

        The entry element removes what the subject was not at risk for. Integer counts are
        exact in float64, so the subtractions give the integer results.
        """
        c = np.empty((3, b - a))
        c[0] = self.dom[a:b]
        c[1] = self.marg[a:b]
        c[1] -= c[0]
        if self.tx is not None:
            c[2] = self.tx[a:b]
            c[1] -= c[2]
        else:
            c[2] = 0.0
        if self.entry:
            e = _Margins(self.dom, self.marg, self.tx, self.n, False).chunk(self.n + a, self.n + b)
            for k in range(3):
                c[k] -= e[k]
        return c[0], c[1], c[2]


def _pair_margins(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    *,
    entry: FloatArray | None,
    strata: IntArray | None,
    weights: FloatArray | None,
    time_groups: TimeGroups | None,
    pool: WorkPool | None,
) -> tuple[_Margins, float, float]:
    n = time.shape[0]
    el = _elements(time, event, lp, entry, strata, _as_exact(weights, n), time_groups, pool)
    dom = _dominance_both(el, pool)
    if el.n_b == n:  # every predictor value distinct (continuous covariates): nothing tied
        tied = np.zeros(el.a.shape[0], dtype=np.bool_)
    else:
        tied = np.bincount(el.b[:n], minlength=el.n_b)[el.b] > 1  # shared predictor value
    marg = _margins(el, 1 if strata is None else int(strata.max()) + 1, pool)
    tx = _tied_x(el, tied) if tied.any() else None
    tied_y, tied_xy = _tied_y(el, tied, n)
    return _Margins(dom, marg, tx, n, entry is not None), tied_y, tied_xy


def pair_counts(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    *,
    entry: FloatArray | None,
    strata: IntArray | None,
    weights: FloatArray | None,
    time_groups: TimeGroups | None = None,
) -> tuple[FloatArray, float, float]:
    """Per subject: weight of its concordant, discordant and tied-on-x partners (3, n) in both
    roles; and the tied.y, tied.xy totals."""
    m, tied_y, tied_xy = _pair_margins(
        time,
        event,
        lp,
        entry=entry,
        strata=strata,
        weights=weights,
        time_groups=time_groups,
        pool=None,
    )
    return np.stack(m.chunk(0, m.n)), tied_y, tied_xy


def concordance(
    time: FloatArray,
    event: BoolArray,
    lp: FloatArray,
    *,
    entry: FloatArray | None,
    strata: IntArray | None,
    weights: FloatArray | None,
    cluster: IntArray | None,
    time_groups: TimeGroups | None = None,
    pool: WorkPool | None = None,
) -> Concordance:
    """Concordance of ``lp`` with survival, counted within strata (higher lp = shorter survival).

    ``weights`` None means every case weight is 1. ``time_groups`` (from
    :func:`time_groups_from_sorted`) saves sorting the times again; ``pool`` lends full-length
    work arrays (ADR 0361). The totals and the jackknife terms are summed over chunks of
    subjects, so no ``(3, n)`` count array is built.
    """
    n = time.shape[0]
    m, tied_y, tied_xy = _pair_margins(
        time,
        event,
        lp,
        entry=entry,
        strata=strata,
        weights=weights,
        time_groups=time_groups,
        pool=pool,
    )
    chunks = [(a, min(n, a + _CHUNK)) for a in range(0, n, _CHUNK)]
    tot = np.zeros(3)
    for a, b in chunks:
        c = m.chunk(a, b)
        if weights is None:
            tot += [float(v.sum()) for v in c]
        else:
            tot += [float(np.einsum("i,i->", v, weights[a:b])) for v in c]
    tot /= 2.0  # each pair is counted from both ends
    npair = tot.sum()
    somer = (tot[0] - tot[1]) / npair
    ncl = 0 if cluster is None else int(cluster.max()) + 1
    dfb_cl = np.zeros(ncl)
    var = 0.0
    for a, b in chunks:
        c0, c1, c2 = m.chunk(a, b)
        dfb = c0 - c1
        dfb /= npair
        tot_i = c0 + c1
        tot_i += c2
        tot_i *= somer / npair
        dfb -= tot_i
        if weights is not None:
            dfb *= weights[a:b]
        if cluster is None:
            var += float(np.einsum("i,i->", dfb, dfb))
        else:
            dfb_cl += np.bincount(cluster[a:b], dfb, minlength=ncl)
    if cluster is not None:
        var = float(np.einsum("i,i->", dfb_cl, dfb_cl))
    var /= 4.0
    if pool is not None:
        pool.give(m.dom, m.marg)
    return Concordance(
        concordant=float(tot[0]),
        discordant=float(tot[1]),
        tied_x=float(tot[2]),
        tied_y=tied_y,
        tied_xy=tied_xy,
        concordance=float((somer + 1.0) / 2.0),
        std=float(np.sqrt(var)),
    )
