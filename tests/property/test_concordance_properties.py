"""The fast concordance against an O(n^2) pair-by-pair reference (heavy ties, strata, weights,
delayed entry, clusters)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.stats._concordance import concordance, dominance, time_groups_from_sorted
from plasmatrial.stats._cox_core import prepare


def brute_concordance(
    time: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    *,
    entry: np.ndarray | None,
    strata: np.ndarray | None,
    weights: np.ndarray,
    cluster: np.ndarray | None,
) -> dict[str, float]:
    """Every (event i, subject j) pair, written out as ``concordancefit(reverse = TRUE)`` counts."""
    n = time.shape[0]
    s = np.zeros(n, dtype=int) if strata is None else strata
    ti, tj = time[:, None], time[None, :]
    same = s[:, None] == s[None, :]
    other = ~np.eye(n, dtype=bool)
    # j is at risk at the event time of i; a death tied with i's is not comparable (tied.y)
    risk = event[:, None] & same & other & ((tj > ti) | ((tj == ti) & ~event[None, :]))
    if entry is not None:
        risk &= entry[None, :] < ti
    ww = weights[:, None] * weights[None, :]
    li, lj = lp[:, None], lp[None, :]
    masks = [risk & (li > lj), risk & (li < lj), risk & (li == lj)]
    tot = [float((ww * m).sum()) for m in masks]
    tied_t = event[:, None] & event[None, :] & same & (ti == tj) & np.triu(other)
    tied_xy = float((ww * (tied_t & (li == lj))).sum())
    tied_y = float((ww * tied_t).sum()) - tied_xy
    # weight of each subject's partners, over both roles (event i / at-risk j)
    c = [(m * weights[None, :]).sum(axis=1) + (m * weights[:, None]).sum(axis=0) for m in masks]
    npair = sum(tot)
    if npair == 0.0:  # no comparable pair: R's 0/0
        npair = float("nan")
    somer = (tot[0] - tot[1]) / npair
    dfb = weights * ((c[0] - c[1]) / npair - somer / npair * (c[0] + c[1] + c[2]))
    if cluster is not None:
        dfb = np.bincount(cluster, dfb)
    return {
        "concordant": tot[0],
        "discordant": tot[1],
        "tied_x": tot[2],
        "tied_y": tied_y,
        "tied_xy": tied_xy,
        "concordance": (somer + 1.0) / 2.0,
        "std": float(np.sqrt(dfb @ dfb / 4.0)),
    }


def codes(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    _, inv = np.unique(rng.integers(0, k, n), return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


@st.composite
def concordance_data(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(2, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ntime = draw(st.sampled_from([1, 2, 4, 12, 1000]))  # 1000: mostly distinct times
    nlp = draw(st.sampled_from([1, 2, 3, 8, 1000]))  # 1000: mostly distinct predictors
    time = rng.integers(1, ntime + 1, n).astype(float) + draw(st.sampled_from([0.0, 0.5]))
    event = rng.random(n) < draw(st.sampled_from([0.3, 0.7, 1.0]))
    event[0] = True
    lp = (rng.integers(0, nlp, n) - nlp // 2) * 0.25
    entry = None
    if draw(st.booleans()):
        late = rng.random(n) < 0.5
        entry = np.where(late, time - rng.integers(1, 3, n) + 0.0, 0.0)
        entry = np.minimum(entry, time - 0.25)
    strata = codes(rng, n, draw(st.sampled_from([1, 2, 3]))) if draw(st.booleans()) else None
    kind = draw(st.sampled_from(["none", "int", "float"]))
    weights = {
        "none": np.ones(n),
        "int": rng.integers(1, 5, n).astype(float),
        "float": rng.uniform(0.1, 3.0, n),
    }[kind]
    cluster = codes(rng, n, 4) if draw(st.booleans()) else None
    return {
        "time": time,
        "event": event,
        "lp": lp,
        "entry": entry,
        "strata": strata,
        "weights": weights,
        "cluster": cluster,
    }


@settings(max_examples=300, deadline=None)
@given(concordance_data())
def test_concordance_matches_pairwise_reference(data: dict[str, Any]) -> None:
    exp = brute_concordance(**data)
    # the time groups from the Cox fit's own sort (as cox_ph passes them) and from scratch
    fit = prepare(
        data["time"],
        data["event"],
        data["lp"][:, None],
        entry=data["entry"],
        strata=data["strata"],
        weights=data["weights"],
    )
    lower = None if data["entry"] is None else fit.lower
    groups = time_groups_from_sorted(fit.order, fit.gkey, fit.event, lower, fit.starts.shape[0])
    for time_groups in (None, groups):
        with np.errstate(invalid="ignore", divide="ignore"):
            got = concordance(**data, time_groups=time_groups)
        for key, value in exp.items():
            np.testing.assert_allclose(
                getattr(got, key), value, rtol=1e-10, atol=1e-12, err_msg=key
            )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 60),
    st.integers(1, 40),
    st.sampled_from(["int", "float"]),
)
def test_dominance_margins_match_pairwise(seed: int, m: int, nkey: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    k = rng.integers(0, nkey, m).astype(np.int64)
    isq = rng.random(m) < 0.5
    w: np.ndarray = rng.integers(-3, 5, m) if kind == "int" else rng.normal(size=m)
    w = np.where(isq, np.abs(w) + 1, w)  # a query's weight is positive
    got = dominance(k, w, isq, nkey)
    earlier = np.tri(m, k=-1, dtype=bool)  # [e, f]: f earlier in the sequence than e
    fwd = (earlier & (k[None, :] < k[:, None])) @ w  # e as a query: smaller keys before it
    bwd = (earlier.T & isq[None, :] & (k[None, :] > k[:, None])) @ w  # later queries, larger keys
    np.testing.assert_allclose(got, bwd + np.where(isq, fwd, 0), rtol=1e-12, atol=1e-9)
    assert got.dtype == w.dtype
