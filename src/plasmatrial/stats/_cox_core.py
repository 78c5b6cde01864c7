"""Vectorised partial-likelihood engine for the Cox model (Breslow and Efron ties).

Private module behind :func:`plasmatrial.stats.cox.cox_ph`. The data are sorted once by
(stratum, time, deaths first); every quantity the Newton iterations need is then a sum over
tie groups (``np.add.reduceat``) followed by a reverse cumulative sum within stratum, so the hot path
has no Python loop over subjects or event times (only over covariate pairs and strata).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from plasmatrial.errors import StatsError
from plasmatrial.stats._cox_sort import WorkPool, packed_argsort

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Ties: TypeAlias = Literal["efron", "breslow", "exact"]


@dataclass(frozen=True, slots=True)
class CoxData:
    """Sorted data and index structures reused by every likelihood evaluation."""

    order: IntArray  # sorted position -> original row
    XT: FloatArray  # (p, n) centred covariates, sorted
    means: FloatArray  # (p,) weighted covariate means used for centring
    w: FloatArray  # (n,) case weights, sorted (a read-only broadcast 1.0 when unit_w)
    event: BoolArray  # (n,) sorted event indicator
    gkey: IntArray  # (n,) 2 x tie group (stratum, time) + is-death of each sorted row
    starts: IntArray  # (G,) first sorted row of each tie group
    seg: tuple[tuple[int, int], ...]  # tie-group ranges [a, b) of each stratum
    gtime: FloatArray  # (G,) time of each tie group
    # deaths: those of a tie group are its first rows (see ``dcut``)
    n_events: int
    dstarts: IntArray  # (E,) first death (in death order) of each event group
    ndead: FloatArray  # (E,) deaths per event group
    eg2g: IntArray  # (E,) tie group of each event group
    dcut: IntArray  # reduceat cuts: [first death row, first row after the deaths] per event group
    dw: FloatArray  # (E,) summed case weights of the deaths
    xw: FloatArray  # (p,) sum of w x over the deaths
    # delayed entry: rows whose entry time is at/after some tie-group time of their stratum
    ent_rows: IntArray  # sorted rows
    ent_g: IntArray  # last tie group with gtime <= entry
    lower: IntArray  # (n,) first tie group (index) at which the row is at risk
    lower_zero: bool  # no strata, no delayed entry: every row is at risk from the first group
    unit_w: bool  # all case weights are 1
    wd_sum: float  # summed weight of the deaths
    # work arrays reused by every likelihood evaluation (see _scratch) and full-length arrays
    # handed back for reuse within the fit (ADR 0361); not part of the data
    scratch: dict[str, FloatArray] = field(default_factory=dict, compare=False, repr=False)
    pool: WorkPool = field(default_factory=WorkPool, compare=False, repr=False)

    @property
    def gid(self) -> IntArray:
        """(n,) tie group of each sorted row (a new array)."""
        return self.gkey >> 1

    @property
    def didx(self) -> IntArray:
        """(D,) sorted rows with an event (a new array; contiguous within a tie group)."""
        return np.flatnonzero(self.event).astype(np.int64, copy=False)

    def death_sums(self, x: FloatArray) -> FloatArray:
        """Per event group, the sum of ``x`` (sorted rows, last axis) over its deaths.

        The deaths of a group are contiguous, so this is one ``reduceat``: the same sums, in
        the same order, as over the gathered death rows.
        """
        out: FloatArray = np.add.reduceat(x, self.dcut, axis=-1)[..., 0::2]
        return out


def death_index(data: CoxData) -> tuple[IntArray, FloatArray]:
    """(D,) event group of each death and its Efron fraction k/m within the group."""
    nd = data.n_events
    e_of_death = np.repeat(np.arange(data.dstarts.shape[0]), data.ndead.astype(np.int64))
    frac = np.arange(nd, dtype=np.float64)
    frac -= data.dstarts[e_of_death]
    frac /= data.ndead[e_of_death]
    return e_of_death, frac


def _scratch(data: CoxData, name: str, size: int) -> FloatArray:
    """A reusable float64 work array of ``size`` elements held by ``data`` (ADR 0360).

    Each Newton step needs the same few full-length arrays; allocating them afresh costs page
    faults that, on the reference VM, took more CPU time than the arithmetic at 1e7 rows. A
    buffer's contents are valid until the next call that asks for the same name.
    """
    buf = data.scratch.get(name)
    if buf is None or buf.shape[0] != size:
        buf = data.pool.take(size, np.float64)
        data.scratch[name] = buf
    return buf


def release_scratch(data: CoxData) -> None:
    """Hand the Newton work arrays to ``data.pool`` (for the concordance to reuse)."""
    data.pool.give(*data.scratch.values())
    data.scratch.clear()


def prepare(
    time: FloatArray,
    event: BoolArray,
    X: FloatArray,
    *,
    entry: FloatArray | None,
    strata: IntArray | None,
    weights: FloatArray,
    unit_weights: bool | None = None,
) -> CoxData:
    """Sort once and build the tie-group index structures.

    ``unit_weights`` says that every weight is 1 (checked when None); the weights are then
    not gathered into sorted order.
    """
    n = X.shape[0]
    pool = WorkPool()
    unit_w = bool(np.all(weights == 1.0)) if unit_weights is None else unit_weights
    # by time, deaths first within tied times, then row index: one sort of packed integer keys
    # (ADR 0360); strata go outermost by a stable sort of the (few) stratum codes
    order, t = packed_argsort(time, ~event, 1, pool=pool)
    ss: IntArray | None = None
    if strata is not None:
        so = strata[order]
        so = so.astype(np.uint16) if int(so.max()) < 1 << 16 else so  # uint16: radix sort
        order = order[np.argsort(so, kind="stable")]
        np.take(time, order, out=t, mode="clip")
        ss = strata[order]
    d = event[order]
    w: FloatArray = np.broadcast_to(np.float64(1.0), (n,)) if unit_w else weights[order]
    means = np.einsum("i,ij->j", weights, X) / weights.sum()
    # one gather per covariate column (a strided source read at random): no (n, p) transpose
    XT = np.empty((X.shape[1], n))
    for j in range(X.shape[1]):
        np.take(X[:, j], order, out=XT[j], mode="clip")
    XT -= means[:, None]

    flag = np.empty(n, dtype=bool)
    flag[0] = True
    np.not_equal(t[1:], t[:-1], out=flag[1:])
    if ss is not None:
        flag[1:] |= ss[1:] != ss[:-1]
    starts = np.flatnonzero(flag).astype(np.int64)
    gtime = t[starts]
    pool.give(t)
    # tie group of each row (cumulative count of group starts), then 2 x group + is-death
    gkey = pool.take(n, np.int64)  # the memory of t
    np.cumsum(flag, dtype=np.int64, out=gkey)
    del flag
    gkey -= 1
    gkey <<= 1
    gkey += d
    gstrat = np.zeros(starts.shape[0], dtype=np.int64) if ss is None else ss[starts]
    sflag = np.r_[True, gstrat[1:] != gstrat[:-1]]
    sb = np.r_[np.flatnonzero(sflag), gtime.shape[0]].astype(np.int64)
    seg = tuple((int(a), int(b)) for a, b in itertools.pairwise(sb))
    # deaths per tie group: they are its first rows (deaths sort first within a time)
    nd_g = np.add.reduceat(d, starts, dtype=np.int64)
    eg2g = np.flatnonzero(nd_g).astype(np.int64)
    if eg2g.shape[0] == 0:
        raise StatsError("event: no events, the Cox model cannot be fitted")
    nd_e = nd_g[eg2g]
    n_events = int(nd_e.sum())
    dstarts = np.cumsum(nd_e) - nd_e
    ndead = nd_e.astype(np.float64)
    dcut = np.empty(2 * eg2g.shape[0], dtype=np.int64)
    dcut[0::2] = starts[eg2g]
    dcut[1::2] = dcut[0::2] + nd_e
    if dcut[-1] == n:
        dcut = dcut[:-1]  # the last group's deaths end the array

    if strata is None and entry is None:
        lower = np.zeros(1, dtype=np.int64)  # never read (lower_zero)
        ent_rows = np.empty(0, dtype=np.int64)
        ent_g = np.empty(0, dtype=np.int64)
    else:
        gid = gkey >> 1
        seg_of_group = np.cumsum(sflag) - 1
        gstart_of_row = sb[:-1][seg_of_group[gid]]
        if entry is None:
            ent_rows = np.empty(0, dtype=np.int64)
            ent_g = np.empty(0, dtype=np.int64)
            lower = gstart_of_row
        else:
            ent = entry[order]
            k = np.empty(n, dtype=np.int64)
            for a, b in seg:
                rows = slice(int(starts[a]), int(starts[b]) if b < starts.shape[0] else n)
                k[rows] = a + np.searchsorted(gtime[a:b], ent[rows], side="right") - 1
            lower = k + 1
            has = k >= gstart_of_row
            ent_rows = np.flatnonzero(has).astype(np.int64)
            ent_g = k[has]
    if unit_w:
        dw = ndead.copy()
        xw = np.array([float(np.add.reduceat(XT[j], dcut)[0::2].sum()) for j in range(XT.shape[0])])
    else:
        dw = np.add.reduceat(w, dcut)[0::2]
        buf = pool.take(n, np.float64)
        xw = np.empty(XT.shape[0])
        for j in range(XT.shape[0]):
            np.multiply(XT[j], w, out=buf)
            xw[j] = float(np.add.reduceat(buf, dcut)[0::2].sum())
        pool.give(buf)
    return CoxData(
        order=order,
        XT=XT,
        means=means,
        w=w,
        event=d,
        gkey=gkey,
        starts=starts,
        seg=seg,
        gtime=gtime,
        n_events=n_events,
        dstarts=dstarts,
        ndead=ndead,
        eg2g=eg2g,
        dcut=dcut,
        dw=dw,
        xw=xw,
        ent_rows=ent_rows,
        ent_g=ent_g,
        lower=lower,
        lower_zero=strata is None and entry is None,
        unit_w=unit_w,
        wd_sum=float(dw.sum()),
        pool=pool,
    )


def _rev_cumsum(x: FloatArray, seg: tuple[tuple[int, int], ...]) -> FloatArray:
    """Reverse cumulative sum along the last axis, restarted at each stratum segment."""
    out = np.empty_like(x)
    for a, b in seg:
        out[..., a:b] = np.cumsum(x[..., a:b][..., ::-1], axis=-1)[..., ::-1]
    return out


@dataclass(frozen=True, slots=True)
class RiskSums:
    """Risk-set sums at each event group plus the per-death Efron terms."""

    eta_shift: float
    risk: FloatArray  # (n,) exp(eta - shift), sorted (a work array of the data)
    r: FloatArray  # (n,) w * risk
    R0: FloatArray  # (E,)
    R1: FloatArray  # (p, E)
    D0: FloatArray  # (E,)
    D1: FloatArray  # (p, E)


#: Rows per chunk of the covariate passes of :func:`risk_sums` (chunks end at tie-group
#: boundaries, so a chunk can be longer when one tie group is).
_ROW_CHUNK = 1 << 16


def _row_chunks(data: CoxData) -> list[tuple[int, int, int, int, int, int]]:
    """Chunks of whole tie groups: (first group, end group, first row, end row, first event
    group, end event group), about :data:`_ROW_CHUNK` rows each."""
    starts = data.starts
    G = starts.shape[0]
    n = data.XT.shape[1]
    gcut = np.unique(np.r_[np.searchsorted(starts, np.arange(0, n, _ROW_CHUNK)), G]).tolist()
    ecut = np.searchsorted(data.eg2g, gcut).tolist()
    out = []
    for k in range(len(gcut) - 1):
        ga, gb = gcut[k], gcut[k + 1]
        ra = int(starts[ga])
        rb = int(starts[gb]) if gb < G else n
        out.append((ga, gb, ra, rb, ecut[k], ecut[k + 1]))
    return out


def risk_sums(data: CoxData, beta: FloatArray) -> RiskSums:
    """Sums of w·r and w·r·x over every risk set and every death set.

    ``risk`` and ``r`` of the result live in ``data``'s work arrays: valid until the next call.
    The products ``x_j beta_j`` and ``r x_j`` are formed chunk by chunk of whole tie groups in
    one small buffer (ADR 0361): each group's sums are those of one pass over all rows.
    """
    p, n = data.XT.shape
    chunks = _row_chunks(data)
    eta = _scratch(data, "risk", n)
    buf = _scratch(data, "prod", max(rb - ra for _, _, ra, rb, _, _ in chunks))
    np.multiply(data.XT[0], beta[0], out=eta)  # no BLAS call: its threads would only spin
    for j in range(1, p):
        for _, _, ra, rb, _, _ in chunks:
            t = buf[: rb - ra]
            np.multiply(data.XT[j, ra:rb], beta[j], out=t)
            eta[ra:rb] += t
    shift = float(eta.max())
    eta -= shift
    risk = np.exp(eta, out=eta)
    r = risk if data.unit_w else np.multiply(risk, data.w, out=_scratch(data, "r", n))
    A = np.empty((1 + p, data.starts.shape[0]))
    Dm = np.empty((1 + p, data.dstarts.shape[0]))
    A[0] = np.add.reduceat(r, data.starts)
    Dm[0] = data.death_sums(r)
    nc = data.dcut.shape[0]
    for ga, gb, ra, rb, ea, eb in chunks:
        loc = data.starts[ga:gb] - ra
        dloc = data.dcut[2 * ea : min(2 * eb, nc)] - ra
        if dloc.shape[0] and dloc[-1] == rb - ra:
            dloc = dloc[:-1]  # the chunk's last deaths end the chunk
        t = buf[: rb - ra]
        for j in range(p):
            np.multiply(r[ra:rb], data.XT[j, ra:rb], out=t)
            A[1 + j, ga:gb] = np.add.reduceat(t, loc)
            if eb > ea:
                Dm[1 + j, ea:eb] = np.add.reduceat(t, dloc)[0::2]
    if data.ent_rows.shape[0]:
        re = r[data.ent_rows]
        G = data.starts.shape[0]
        A[0] -= np.bincount(data.ent_g, re, minlength=G)
        for j in range(p):
            A[1 + j] -= np.bincount(data.ent_g, re * data.XT[j, data.ent_rows], minlength=G)
    R = _rev_cumsum(A, data.seg)[:, data.eg2g]
    return RiskSums(
        eta_shift=shift,
        risk=risk,
        r=r,
        R0=R[0],
        R1=R[1 : 1 + p],
        D0=Dm[0],
        D1=Dm[1 : 1 + p],
    )


#: Rows per block of :func:`_weighted_gram` (its products stay in the CPU caches).
_GRAM_BLOCK = 1 << 15


def _weighted_gram(
    XT: FloatArray,
    tab: FloatArray,
    key: IntArray,
    sub: tuple[FloatArray, IntArray] | None,
    r: FloatArray,
) -> FloatArray:
    """``sum_i v_i x_i x_i'`` for the columns ``x_i`` of ``XT``, ``v = (tab[key] - c[low]) r``
    with ``(c, low) = sub`` (nothing subtracted when None).

    Sums over rows use ``einsum`` (numpy's own loops), not BLAS: for these skinny products
    OpenBLAS starts threads that then spin, doubling the CPU time of the whole fit on a
    two-core machine for no gain in wall time. Rows go in blocks, so neither the row weights
    ``v`` nor the products ``v x_j`` are full-length arrays (ADRs 0360, 0361).
    """
    p, n = XT.shape
    out = np.zeros((p, p))
    m = min(n, _GRAM_BLOCK)
    buf = np.empty((p, m))
    vb = np.empty(m)
    for a in range(0, n, _GRAM_BLOCK):
        b = min(n, a + _GRAM_BLOCK)
        v = vb[: b - a]
        np.take(tab, key[a:b], out=v, mode="clip")  # valid indices: no buffered copy of out
        if sub is not None:
            v -= sub[0][sub[1][a:b]]
        v *= r[a:b]
        Xb = XT[:, a:b]
        Z = buf[:, : b - a]
        np.multiply(Xb, v, out=Z)
        for j in range(p):
            for k in range(j, p):
                out[j, k] += np.einsum("i,i->", Z[j], Xb[k])
    for j in range(p):
        for k in range(j + 1, p):
            out[k, j] = out[j, k]
    return out


@dataclass(frozen=True, slots=True)
class DeathTerms:
    """Per-death Efron (or per-group Breslow) denominators, means and hazard weights."""

    e: IntArray  # event group of each term
    frac: FloatArray  # Efron fraction of each term (0 for Breslow)
    S0: FloatArray  # denominators
    xbar: FloatArray  # (p, T) weighted covariate means of the (adjusted) risk set
    hz: FloatArray  # hazard increment of each term


def death_terms(data: CoxData, rs: RiskSums, ties: Ties) -> DeathTerms:
    """The sub-steps of the partial likelihood: one per death (Efron) or per tie group."""
    if ties == "breslow":
        e = np.arange(rs.R0.shape[0])
        frac = np.zeros(rs.R0.shape[0])
        S0 = rs.R0
        S1 = rs.R1
        hz = data.dw / S0
    else:
        e, frac = death_index(data)
        S0 = rs.R0[e] - frac * rs.D0[e]
        S1 = rs.R1[:, e] - frac * rs.D1[:, e]
        hz = (data.dw / data.ndead)[e] / S0
    if not np.all(S0 > 0):
        raise StatsError("cox_ph: risk-set sum underflowed to zero; rescale the covariates")
    return DeathTerms(e=e, frac=frac, S0=S0, xbar=S1 / S0, hz=hz)


#: Deaths per chunk of :func:`_efron_sums` (chunks end at event-group boundaries).
_DEATH_CHUNK = 1 << 16


def _efron_sums(
    data: CoxData, R0: FloatArray, D0: FloatArray
) -> tuple[float, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per event group, the sums over its Efron sub-steps ``k`` (``S0_k = R0 - f_k D0``).

    Returns ``sum mw log S0`` over all deaths and, per group, ``sum mw/S0``, ``sum mw f/S0``,
    ``sum mw/S0^2``, ``sum mw f/S0^2``, ``sum mw f^2/S0^2``. The per-death terms are computed in
    chunks of whole event groups (the same operations on the same values, so each group's sums
    are those of one pass over all deaths) that stay in the CPU caches instead of a dozen
    death-length arrays per evaluation (ADR 0360).
    """
    E = R0.shape[0]
    ds = data.dstarts
    nd = data.n_events
    nd_e = data.ndead.astype(np.int64)
    mw_e = data.dw / data.ndead  # Efron weight of each death: its group's death weight / deaths
    out = [np.empty(E) for _ in range(5)]
    cuts = np.unique(np.r_[np.searchsorted(ds, np.arange(0, nd, _DEATH_CHUNK)), E])
    logsum = 0.0
    for ga, gb in itertools.pairwise(cuts.tolist()):
        a = int(ds[ga])
        b = int(ds[gb]) if gb < E else nd
        # event group (within the chunk) and Efron fraction k/m of each death
        e = np.repeat(np.arange(gb - ga), nd_e[ga:gb])
        f = np.arange(a, b, dtype=np.float64)
        f -= ds[ga:gb][e]
        f /= data.ndead[ga:gb][e]
        mw = mw_e[ga:gb][e]
        S0 = R0[ga:gb][e] - f * D0[ga:gb][e]
        if not S0.min() > 0:
            raise StatsError("cox_ph: risk-set sum underflowed to zero; rescale the covariates")
        loc = ds[ga:gb] - a
        inv = mw / S0
        logsum += float(np.einsum("i,i->", mw, np.log(S0)))
        out[0][ga:gb] = np.add.reduceat(inv, loc)
        out[1][ga:gb] = np.add.reduceat(inv * f, loc)
        inv /= S0
        out[2][ga:gb] = np.add.reduceat(inv, loc)
        inv *= f
        out[3][ga:gb] = np.add.reduceat(inv, loc)
        inv *= f
        out[4][ga:gb] = np.add.reduceat(inv, loc)
    return logsum, out[0], out[1], out[2], out[3], out[4]


def loglik_score_info(
    data: CoxData, beta: FloatArray, ties: Ties, *, second: bool = True
) -> tuple[float, FloatArray, FloatArray]:
    """Log partial likelihood, score vector and information matrix at ``beta``.

    Only scalar work is done per death: with ``S1_k = R1 - f_k D1`` every vector and matrix sum
    over the Efron sub-steps of a tie group is a combination of group-level sums weighted by
    ``sum_k mw/S0_k``, ``sum_k mw f_k/S0_k`` and so on.
    """
    rs = risk_sums(data, beta)
    p = data.XT.shape[0]
    E = rs.R0.shape[0]
    # sum_d w_d eta_d = beta . sum_d w_d x_d - shift sum_d w_d  (no pass over the deaths)
    loglik = float(beta @ data.xw) - rs.eta_shift * data.wd_sum
    if ties == "breslow":
        S0 = rs.R0
        if not S0.min() > 0:
            raise StatsError("cox_ph: risk-set sum underflowed to zero; rescale the covariates")
        c1 = data.dw / S0
        c2 = np.zeros(E)
        loglik -= float(np.einsum("i,i->", data.dw, np.log(S0)))
    else:
        logsum, c1, c2, ca, cb, cc = _efron_sums(data, rs.R0, rs.D0)
        loglik -= logsum
    score = data.xw - (rs.R1 @ c1 - rs.D1 @ c2)
    if not second:
        return loglik, score, np.empty((p, p))
    if ties == "breslow":
        ca = c1 / S0
        part2 = (rs.R1 * ca) @ rs.R1.T
    else:
        cross = (rs.R1 * cb) @ rs.D1.T
        part2 = (rs.R1 * ca) @ rs.R1.T - cross - cross.T + (rs.D1 * cc) @ rs.D1.T
    # sum_k (c1_k R2_k - c2_k D2_k): row i is in the risk sets of the event groups
    # lower_i..gid_i, so it enters with the sum of c1 over those groups, and a death also with
    # -c2 of its own group: one weighted Gram matrix, no per-group x x' sums
    G = data.starts.shape[0]
    cg = np.zeros(G + 1)
    cg[data.eg2g + 1] = c1
    np.cumsum(cg, out=cg)
    # per (tie group, is-death) row weight: one gather from a small table, rows in order
    tab = np.repeat(cg[1:], 2)
    if ties != "breslow":
        tab[2 * data.eg2g + 1] -= c2
    sub = None if data.lower_zero else (cg, data.lower)
    info = _weighted_gram(data.XT, tab, data.gkey, sub, rs.r) - part2
    return loglik, score, info


def score_residuals(data: CoxData, beta: FloatArray, ties: Ties) -> FloatArray:
    """Unweighted score residuals, one row per observation in the original row order.

    Matches ``residuals(fit, type = "score")`` of ``survival::coxph`` (coxscore2 / agscore3) for
    Breslow and Efron ties, including delayed entry.
    """
    rs = risk_sums(data, beta)
    dt = death_terms(data, rs, ties)
    p, n = data.XT.shape
    G = data.starts.shape[0]
    E = rs.R0.shape[0]
    # per event group: hazard sums for the full risk set (1) and the Efron-shrunk deaths (2)
    H1 = np.bincount(dt.e, dt.hz, minlength=E)
    H2 = np.bincount(dt.e, (1.0 - dt.frac) * dt.hz, minlength=E)
    XH1 = np.stack([np.bincount(dt.e, dt.hz * dt.xbar[j], minlength=E) for j in range(p)])
    XH2 = np.stack(
        [np.bincount(dt.e, (1.0 - dt.frac) * dt.hz * dt.xbar[j], minlength=E) for j in range(p)]
    )
    if ties == "breslow":
        M3 = dt.xbar
    else:
        M3 = np.stack([np.bincount(dt.e, dt.xbar[j], minlength=E) for j in range(p)]) / data.ndead
    g2e = np.full(G, -1, dtype=np.int64)
    g2e[data.eg2g] = np.arange(E)
    # cumulative hazard over tie groups (zero where no death) for earlier risk sets
    Hg = np.zeros((1 + p, G + 1))
    Hg[0, 1:][data.eg2g] = H1
    Hg[1:, 1:][:, data.eg2g] = XH1
    C = np.cumsum(Hg, axis=1)
    gi = data.gid
    dH = C[0, gi] - C[0, data.lower]
    dXH = C[1:, gi] - C[1:, data.lower]
    risk = rs.risk
    X = data.XT
    res = -risk * (X * dH - dXH)
    # own tie group
    e_row = g2e[gi]
    cens = (e_row >= 0) & ~data.event
    ec = e_row[cens]
    res[:, cens] -= risk[cens] * (X[:, cens] * H1[ec] - XH1[:, ec])
    di = data.didx
    ed = death_index(data)[0]
    res[:, di] += X[:, di] - M3[:, ed] - risk[di] * (X[:, di] * H2[ed] - XH2[:, ed])
    out = np.empty((n, p))
    out[data.order] = res.T
    return out
