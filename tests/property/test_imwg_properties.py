"""Hypothesis properties of IMWG adjudication and confirmation."""

from __future__ import annotations

import datetime as dt
import warnings

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.criteria import adjudicate
from plasmatrial.criteria.core.confirmation import IMWG_CONFIRMATION, confirm_response
from plasmatrial.criteria.mm.response import respond_mm
from tests.unit.criteria.helpers import frame

CATS = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
RANK = IMWG_CONFIRMATION.ranks()
RESPONSES = set(IMWG_CONFIRMATION.responses)


@settings(max_examples=60)
@given(st.lists(st.sampled_from(CATS), min_size=1, max_size=12))
def test_confirmed_response_never_better_than_either_assessment(cats: list[str]) -> None:
    d0 = dt.date(2024, 1, 1)
    v = pl.DataFrame(
        {
            "USUBJID": ["S"] * len(cats),
            "ADT": [d0 + dt.timedelta(days=28 * i) for i in range(len(cats))],
            "AVALC": cats,
        }
    )
    out = confirm_response(v, warn=False)
    evaluable = [c for c in cats if c != "NE"]
    nxt: list[str | None] = []
    j = 0
    for c in cats:
        if c != "NE":
            j += 1
        nxt.append(evaluable[j] if c != "NE" and j < len(evaluable) else None)
    for c, n, lvl in zip(cats, nxt, out["CONFLVL"].to_list(), strict=True):
        if c in RESPONSES:
            assert RANK[lvl] <= RANK[c]
            if n is not None and n != "PD":
                assert RANK[lvl] <= RANK[n]


VAL = st.floats(min_value=0.0, max_value=6.0, allow_nan=False).map(lambda x: round(x, 2))
URI = st.floats(min_value=0.0, max_value=3000.0, allow_nan=False).map(lambda x: round(x, 0))


SUBJ = st.lists(st.tuples(VAL, URI), min_size=2, max_size=5)


@settings(max_examples=3)
@given(st.lists(SUBJ, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_adjudication_invariant_to_row_order(
    subjects: list[list[tuple[float, float]]], rnd: object
) -> None:
    both = pl.concat(
        [
            frame(*({"SPEPMP": s + 1.0, "UPEPMP": u} for s, u in rows), subject=f"S{i}")
            for i, rows in enumerate(subjects)
        ]
    )
    perm = list(range(both.height))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r1 = respond_mm(both).visits.sort(["USUBJID", "ADT"])
        r2 = respond_mm(both[perm]).visits.sort(["USUBJID", "ADT"])
    assert r1.equals(r2)


CASE = st.tuples(
    st.floats(min_value=1.0, max_value=8.0).map(lambda x: round(x, 2)),
    st.floats(min_value=200.0, max_value=3000.0).map(lambda x: round(x, 0)),
    VAL,
    URI,
    st.floats(min_value=0.0, max_value=1.0),
)


@settings(max_examples=4)
@given(st.lists(CASE, min_size=1, max_size=40))
def test_lowering_m_protein_never_worsens_category(
    cases: list[tuple[float, float, float, float, float]],
) -> None:
    frames = []
    for i, (s0, u0, s1, u1, factor) in enumerate(cases):
        lower = {"SPEPMP": round(s1 * factor, 4), "UPEPMP": round(u1 * factor, 4)}
        bl = {"SPEPMP": s0, "UPEPMP": u0}
        frames.append(frame(bl, {"SPEPMP": s1, "UPEPMP": u1}, subject=f"HI{i:03d}"))
        frames.append(frame(bl, lower, subject=f"LO{i:03d}"))
    out = adjudicate(pl.concat(frames), "IMWG_2016", parameters=["MMCAT", "MMPD"])
    cat = dict(out.filter(pl.col("PARAMCD") == "MMCAT").select("USUBJID", "AVALC").iter_rows())
    pd = dict(out.filter(pl.col("PARAMCD") == "MMPD").select("USUBJID", "AVALC").iter_rows())
    order = {c: i for i, c in enumerate(("sCR", "CR", "VGPR", "PR", "MR", "SD", "NE"))}
    for i in range(len(cases)):
        hi, lo = f"HI{i:03d}", f"LO{i:03d}"
        if "PD" in (pd[hi], pd[lo]):
            continue
        assert order[cat[lo]] <= order[cat[hi]], cases[i]


@settings(max_examples=5)
@given(st.lists(SUBJ, min_size=1, max_size=6))
def test_overall_parameter_alone_equals_its_rows_among_all(
    subjects: list[list[tuple[float, float]]],
) -> None:
    """OVRLRESP asked for alone (its tables explained only where it reads them) is row for row
    what it is when every parameter is adjudicated."""
    both = pl.concat(
        [
            frame(*({"SPEPMP": s + 1.0, "UPEPMP": u} for s, u in rows), subject=f"S{i}")
            for i, rows in enumerate(subjects)
        ]
    )
    alone = adjudicate(both, "IMWG_2016", parameters=["OVRLRESP"])
    every = adjudicate(both, "IMWG_2016").filter(pl.col("PARAMCD") == "OVRLRESP")
    assert alone.height == every.height > 0
    assert alone.equals(every)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from(CATS),
            st.integers(1, 60),
            st.booleans(),
        ),
        min_size=1,
        max_size=14,
    ),
    st.one_of(st.none(), st.integers(1, 400)),
)
def test_option_loop_equals_vectorised_confirmation_at_defaults(
    rows: list[tuple[int, str, int, bool]], nact_day: int | None
) -> None:
    """The per-row loop that serves non-default confirmation options gives exactly the
    vectorised result when the options are criteria.md 4.4's (several subjects, imaging PD
    flags, new therapy)."""
    from plasmatrial.criteria.core import confirmation as conf

    d0 = dt.date(2024, 1, 1)
    day: dict[int, int] = {}
    subj, dates, cats, flags = [], [], [], []
    for s, cat, gap, imaging in sorted(rows, key=lambda r: r[0]):
        day[s] = day.get(s, 0) + gap
        subj.append(f"S{s}")
        dates.append(d0 + dt.timedelta(days=day[s]))
        cats.append(cat)
        flags.append("PD_IMAGING" if imaging else None)
    v = pl.DataFrame({"USUBJID": subj, "ADT": dates, "AVALC": cats, "FLAGS": flags})
    nt = None
    if nact_day is not None:
        nt = pl.DataFrame({"USUBJID": ["S0"], "NACTDT": [d0 + dt.timedelta(days=nact_day)]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = confirm_response(v, new_therapy=nt)
        loop = conf._confirm_levels_loop  # the path non-default options take
        forced = conf.ConfirmationOptions(min_days=0)
        object.__setattr__(forced, "max_sd_between", 0)
        original = conf.ConfirmationOptions.is_default
        try:
            conf.ConfirmationOptions.is_default = property(lambda self: False)  # type: ignore[method-assign,assignment]
            slow = confirm_response(v, new_therapy=nt, options=forced)
        finally:
            conf.ConfirmationOptions.is_default = original  # type: ignore[method-assign]
    assert loop is conf._confirm_levels_loop
    cols = ["CONFLVL", "CONFFL", "CONFRESP", "CONFDT", "NXTADT", "ANL01FL"]
    assert fast.select(cols).equals(slow.select(cols))
