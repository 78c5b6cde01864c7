"""Decisions 0360 and 0361: the packed-key sort, the chunked Efron sums, the blocked Gram sum,
the death sums over sorted rows and the work pool.

The sort must give exactly ``np.lexsort((index, low, values))`` whatever the values (ties, values
that differ only in the bits the packed key drops, signed zeros, infinities, subnormals). The
chunked sums are checked by making the chunks tiny, so that small data cross many of them, and
comparing with one chunk; the concordance with every predictor value distinct (where the rank
is not built) against the pairwise reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.stats import _cox_core as core
from plasmatrial.stats._concordance import concordance
from plasmatrial.stats._cox_sort import WorkPool, packed_argsort, sortable_int64
from plasmatrial.stats.cox import cox_ph
from tests.property.test_concordance_properties import brute_concordance

SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 5e-324, -5e-324, 1e308, -1e308]


@st.composite
def values(draw: st.DrawFn) -> np.ndarray:
    n = draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["normal", "rounded", "clustered", "special", "integer"]))
    if kind == "normal":
        return rng.normal(size=n) * 10.0 ** draw(st.integers(-300, 300))
    if kind == "rounded":  # exact ties, -0.0 among them
        return np.round(rng.normal(size=n), 1)
    if kind == "clustered":  # values differing only in low mantissa bits: the keys collide
        return 1000.0 + rng.integers(-3, 4, n) * 1e-13 + rng.normal(size=n) * 1e-12
    if kind == "special":
        return rng.choice(np.array(SPECIAL), n)
    return np.ceil(rng.exponential(size=n) * 50)


@settings(max_examples=400, deadline=None)
@given(values(), st.integers(0, 2), st.integers(0, 2**32 - 1))
def test_packed_argsort_is_lexsort(v: np.ndarray, low_bits: int, seed: int) -> None:
    n = v.shape[0]
    rng = np.random.default_rng(seed)
    low = np.asarray(rng.integers(0, 1 << low_bits, size=n), dtype=np.int64) if low_bits else None
    order, srt = packed_argsort(v, low, low_bits)
    keys = (np.arange(n),) if low is None else (np.arange(n), low)
    np.testing.assert_array_equal(order, np.lexsort((*keys, v)))
    np.testing.assert_array_equal(srt, v[order])


@settings(max_examples=200, deadline=None)
@given(values())
def test_sortable_int64_preserves_order(v: np.ndarray) -> None:
    k = sortable_int64(v)
    a, b = np.meshgrid(np.arange(v.shape[0]), np.arange(v.shape[0]))
    np.testing.assert_array_equal(k[a] < k[b], v[a] < v[b])
    np.testing.assert_array_equal(k[a] == k[b], v[a] == v[b])


@st.composite
def cox_data(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(30, 200))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = np.column_stack([rng.normal(size=n), rng.binomial(1, 0.4, n)])
    time = np.ceil(rng.exponential(size=n) * draw(st.sampled_from([3, 20, 1000])))
    kw: dict[str, object] = {
        "time": time,
        "event": rng.random(n) < 0.7,
        "X": X,
        "ties": draw(st.sampled_from(["efron", "breslow"])),
    }
    if draw(st.booleans()):
        kw["strata"] = rng.integers(0, 3, n)
    if draw(st.booleans()):
        kw["entry"] = np.floor(time * rng.random(n) * 0.6)
    if draw(st.booleans()):
        kw["weights"] = rng.integers(1, 4, n).astype(float)
    return kw


@settings(max_examples=60, deadline=None)
@given(cox_data())
def test_tiny_chunks_and_blocks_give_the_same_fit(kw: dict[str, object]) -> None:
    ref = cox_ph(**kw)  # type: ignore[arg-type]  # one chunk, one block at this size
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "_DEATH_CHUNK", 3)
        mp.setattr(core, "_GRAM_BLOCK", 7)
        mp.setattr(core, "_ROW_CHUNK", 5)
        tiny = cox_ph(**kw)  # type: ignore[arg-type]
    assert tiny.n_iter == ref.n_iter
    for name in ("coef", "naive_var", "var"):
        # blocks and chunks change the order of the Gram and Efron sums: 1e-12 of the largest
        # element (a coefficient near zero carries the rounding of the others)
        want = getattr(ref, name)
        atol = 1e-12 * float(np.max(np.abs(want)))
        np.testing.assert_allclose(getattr(tiny, name), want, rtol=1e-12, atol=atol)
    np.testing.assert_allclose(tiny.loglik, ref.loglik, rtol=1e-13)
    assert tiny.concordance is not None and ref.concordance is not None


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 150), st.sampled_from([2, 30, 10_000]))
def test_concordance_distinct_predictor(seed: int, n: int, ntime: int) -> None:
    """Every lp distinct: with few times the rank is never built; with many the count runs
    along the time axis and needs it."""
    rng = np.random.default_rng(seed)
    time = rng.integers(1, ntime + 1, n).astype(float)
    event = rng.random(n) < 0.6
    time[0], event[0] = 0.5, True  # the first exit is an event: there are comparable pairs
    kw = {
        "time": time,
        "event": event,
        "lp": rng.permutation(n) * 0.25 - 3.0,
        "entry": None,
        "strata": None,
        "weights": np.ones(n),
        "cluster": None,
    }
    got = concordance(**kw)  # type: ignore[arg-type]
    for key, value in brute_concordance(**kw).items():  # type: ignore[arg-type]
        np.testing.assert_allclose(getattr(got, key), value, rtol=1e-10, atol=1e-12, err_msg=key)


def test_work_pool_reuses_what_it_lent_and_ignores_foreign_views() -> None:
    pool = WorkPool()
    a = pool.take(300_000, np.float64)  # 2.4 MB
    a[:] = 1.0
    pool.give(a)
    b = pool.take(300_000, np.int64)  # same bytes, another dtype: the same memory
    assert np.shares_memory(a, b)
    c = pool.take(200_000, np.float64)  # nothing free: new memory
    assert not np.shares_memory(b, c)
    pool.give(b, c)
    d = pool.take((2, 100_000), np.float64)  # the smallest free buffer that fits: c's
    assert np.shares_memory(d, c) and d.shape == (2, 100_000)
    own = np.ones((3, 200_000))  # an array the pool never lent but may keep (owns its memory)
    pool.give(own[1])  # a view of it: ignored, the rest of ``own`` is still in use
    e = pool.take(200_000 * 3, np.float64)
    assert not np.shares_memory(e, own)
    pool.give(own)
    f = pool.take(500_000, np.float64)  # now it is free, and the only buffer that fits
    assert np.shares_memory(f, own)
    pool.give(np.zeros(10))  # small arrays are left to numpy
    assert not np.shares_memory(pool.take(10), f)


def test_death_sums_match_gathered_deaths() -> None:
    rng = np.random.default_rng(3)
    n = 500
    time = rng.integers(1, 40, n).astype(float)
    event = rng.random(n) < 0.6
    event[-1] = True
    time[-1] = 99.0  # the last sorted row is a death: the last cut is dropped
    X = rng.normal(size=(n, 2))
    data = core.prepare(time, event, X, entry=None, strata=None, weights=np.ones(n))
    didx = data.didx
    e_of_death, frac = core.death_index(data)
    for j in range(2):
        want = np.add.reduceat(data.XT[j, didx], data.dstarts)
        np.testing.assert_array_equal(data.death_sums(data.XT[j]), want)
    assert data.n_events == int(event.sum()) == didx.shape[0]
    np.testing.assert_array_equal(np.bincount(e_of_death), data.ndead)
    assert np.all((frac >= 0) & (frac < 1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.booleans(), st.booleans(), st.integers(1, 40))
def test_concordance_unit_weights_as_none(seed: int, entry: bool, strata: bool, nlp: int) -> None:
    """``weights=None`` (the broadcast unit weight, ADR 0361) counts as weights of ones."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 200))
    time = rng.integers(1, 30, n).astype(float) + 1.0
    kw = {
        "time": time,
        "event": rng.random(n) < 0.6,
        "lp": rng.integers(0, nlp, n) * 0.5,
        "entry": np.floor(time * rng.random(n) * 0.6) if entry else None,
        "strata": rng.integers(0, 3, n) if strata else None,
        "cluster": None,
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        ones = concordance(**kw, weights=np.ones(n))  # type: ignore[arg-type]
        none = concordance(**kw, weights=None)  # type: ignore[arg-type]
    assert ones == none or (np.isnan(ones.concordance) and np.isnan(none.concordance))
