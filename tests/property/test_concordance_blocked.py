"""The blocked dominance count (decision 0356) against the whole-array count and the pairwise
reference, with blocks made small so that small data cross many of them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.stats import _concordance as conc_mod
from plasmatrial.stats._concordance import concordance, dominance, dominance_blocked
from tests.property.test_concordance_properties import brute_concordance

SMALL_BLOCK = 32  # blocks of 32 elements: the blocked path runs for m > 64 and nkey <= 8


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(65, 400),
    st.integers(1, 8),
    st.sampled_from(["unit", "int"]),
)
def test_blocked_dominance_equals_whole_array(seed: int, m: int, nkey: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    k = rng.integers(0, nkey, m).astype(np.int64)
    isq = rng.random(m) < 0.6
    w = np.ones(m, dtype=np.int64) if kind == "unit" else rng.integers(-3, 5, m)
    w = np.where(isq, np.abs(w) + 1, w) if kind == "int" else w  # a query's weight is positive
    whole = dominance(k, w, isq, nkey)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conc_mod, "_BLOCK", SMALL_BLOCK)
        blocked = dominance_blocked(k, w, isq, nkey)
    assert blocked.dtype == whole.dtype
    np.testing.assert_array_equal(blocked, whole)


@st.composite
def tied_data(draw: st.DrawFn) -> dict[str, object]:
    n = draw(st.integers(70, 160))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    ntime = draw(st.integers(1, 3))  # 2 x ntime time keys <= 8 (blocked); lp ties or not
    time = rng.integers(1, ntime + 1, n).astype(float)
    event = rng.random(n) < draw(st.sampled_from([0.4, 0.8]))
    nlp = draw(st.sampled_from([2, 5, 10_000]))
    lp = (rng.integers(0, nlp, n) - nlp // 2) * 0.5
    weights = rng.integers(1, 4, n).astype(float) if draw(st.booleans()) else np.ones(n)
    cluster = rng.integers(0, 5, n) if draw(st.booleans()) else None
    return {"time": time, "event": event, "lp": lp, "weights": weights, "cluster": cluster}


@settings(max_examples=60, deadline=None)
@given(tied_data())
def test_blocked_concordance_identical_to_current_and_pairwise(data: dict[str, object]) -> None:
    kw = {"entry": None, "strata": None, **data}
    current = concordance(**kw)  # type: ignore[arg-type]  # n < 2 blocks: whole-array count
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conc_mod, "_BLOCK", SMALL_BLOCK)
        blocked = concordance(**kw)  # type: ignore[arg-type]
    assert blocked == current  # integer weights: every count and the std bit for bit
    exp = brute_concordance(**kw)  # type: ignore[arg-type]
    for key, value in exp.items():
        np.testing.assert_allclose(getattr(blocked, key), value, rtol=1e-10, err_msg=key)
