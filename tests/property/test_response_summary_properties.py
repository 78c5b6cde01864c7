"""Hypothesis properties of the one best-response / time-to-response derivation
(:func:`plasmatrial.criteria.core.summary.summarise_response`), checked against a plain-Python
reading of sap.md sections 2-3 written independently of the polars implementation."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from plasmatrial.criteria.core.scale import AL_SCALE
from plasmatrial.criteria.core.summary import summarise_response

D0 = dt.date(2024, 1, 1)
AL_CATS = ("CR", "VGPR", "PR", "LDPR", "NR", "PROG", "NE")
RESPONDER = ("CR", "VGPR", "PR", "LDPR")


def _reference(
    cats: list[str], days: list[int], nact: int | None, death: int | None
) -> tuple[str, int | None, str, int]:
    """(BOR, first-response day, TTR event, TTR day) by the SAP's words, one subject."""
    order = list(AL_SCALE.ranking)
    window: list[tuple[int, str]] = []
    for d, c in zip(days, cats, strict=True):
        if nact is not None and d >= nact:
            break  # assessments on or after new therapy do not count
        window.append((d, c))
        if c == "PROG":
            break  # up to and including the first progression
    graded = [(d, c) for d, c in window if c in order]
    if graded:
        bor = min(graded, key=lambda x: (order.index(x[1]), x[0]))[1]
    elif any(c == "PROG" for _, c in window):
        bor = "PROG"
    else:
        bor = "NE"
    first = next((d for d, c in window if c in RESPONDER), None) if bor in RESPONDER else None
    prog = next((d for d, c in window if c == "PROG"), None)
    last = max((d for d, c in window if c != "NE"), default=None)
    if first is not None:
        return bor, first, "FIRST RESPONSE", first
    if prog is not None:
        return bor, None, "PROGRESSION BEFORE RESPONSE", prog
    if death is not None and (nact is None or death < nact):
        return bor, None, "DEATH BEFORE RESPONSE", death
    if nact is not None:
        return bor, None, "NEW ANTICANCER THERAPY BEFORE RESPONSE", last if last is not None else 0
    if last is not None:
        return bor, None, "LAST ADEQUATE ASSESSMENT", last
    return bor, None, "NO ADEQUATE ASSESSMENT", 0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(AL_CATS), min_size=0, max_size=10),
    st.one_of(st.none(), st.integers(1, 320)),
    st.one_of(st.none(), st.integers(1, 400)),
)
def test_summary_matches_the_sap_reading(
    cats: list[str], nact: int | None, death: int | None
) -> None:
    days = [28 * (i + 1) for i in range(len(cats))]
    if death is not None and days and death <= days[-1]:
        death = days[-1] + 1  # no assessment after death
    visits = pl.DataFrame(
        {
            "USUBJID": ["S"] * len(cats),
            "ADT": [D0 + dt.timedelta(days=d) for d in days],
            "AVALC": cats,
        },
        schema={"USUBJID": pl.Utf8, "ADT": pl.Date, "AVALC": pl.Utf8},
    )
    subjects = pl.DataFrame(
        {
            "USUBJID": ["S"],
            "STARTDT": [D0],
            "NACTDT": [None if nact is None else D0 + dt.timedelta(days=nact)],
            "DTHDT": [None if death is None else D0 + dt.timedelta(days=death)],
        },
        schema={"USUBJID": pl.Utf8, "STARTDT": pl.Date, "NACTDT": pl.Date, "DTHDT": pl.Date},
    )
    out = summarise_response(visits, subjects, scale=AL_SCALE, responder=RESPONDER)
    row = out.subjects.row(0, named=True)
    bor, first, event, day = _reference(cats, days, nact, death)
    assert row["BESTRSP"] == bor
    assert row["TTREVNT"] == event
    assert row["TTR"] == day + 1
    assert (row["FRSPDT"] is None) == (first is None)
    assert (row["RSPFL"] == "Y") == (row["TTRCNSR"] == 0)
    if nact is not None and row["BESTRSDT"] is not None:
        assert row["BESTRSDT"] < D0 + dt.timedelta(days=nact)
