"""Time to next treatment (criteria.md 6.1, Q17): next line, and which deaths count."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from plasmatrial.endpoints.tte import derive_param_ttnt
from plasmatrial.errors import PlasmatrialError

D0 = dt.date(2024, 1, 1)


def _adsl(with_cause: bool = True) -> pl.DataFrame:
    frame = pl.DataFrame(
        {
            "USUBJID": ["next", "pd-death", "other-death", "alive", "next-then-death"],
            "STARTDT": [D0] * 5,
            "NACTDT": [D0 + dt.timedelta(days=99), None, None, None, D0 + dt.timedelta(days=50)],
            "DTHDT": [None, D0 + dt.timedelta(days=199), D0 + dt.timedelta(days=149), None,
                      D0 + dt.timedelta(days=80)],
            "LSTALVDT": [D0 + dt.timedelta(days=300), D0 + dt.timedelta(days=199),
                         D0 + dt.timedelta(days=149), D0 + dt.timedelta(days=249),
                         D0 + dt.timedelta(days=80)],
            "DTHCAUS": [None, "Progressive disease", "INFECTION", None, "PD"],
        }
    )  # fmt: skip
    return frame if with_cause else frame.drop("DTHCAUS")


def _by_subject(out: pl.DataFrame) -> dict[str, tuple[float, int]]:
    return {r["USUBJID"]: (r["AVAL"], r["CNSR"]) for r in out.iter_rows(named=True)}


def test_default_counts_only_the_next_line() -> None:
    got = _by_subject(derive_param_ttnt(_adsl()))
    assert got == {
        "next": (100.0, 0),
        "pd-death": (200.0, 1),  # censored at the death date (last known alive)
        "other-death": (150.0, 1),
        "alive": (250.0, 1),
        "next-then-death": (51.0, 0),  # the earlier event wins
    }


def test_any_death_counts() -> None:
    got = _by_subject(derive_param_ttnt(_adsl(), death="any"))
    assert got["pd-death"] == (200.0, 0)
    assert got["other-death"] == (150.0, 0)
    assert got["next-then-death"] == (51.0, 0)
    assert got["alive"] == (250.0, 1)


def test_only_deaths_due_to_progression_count() -> None:
    out = derive_param_ttnt(_adsl(), death="due_to_pd")
    got = _by_subject(out)
    assert got["pd-death"] == (200.0, 0)
    assert got["other-death"] == (150.0, 1)
    desc = dict(zip(out["USUBJID"], out["EVNTDESC"], strict=True))
    assert desc["pd-death"] == "DEATH DUE TO PD" and desc["next"] == "NEXT TREATMENT"
    # censored at LSTALVDT, named as OS names it (one text for the last-alive censoring)
    assert desc["other-death"] == desc["alive"] == "LAST KNOWN ALIVE"


def test_due_to_pd_needs_the_cause_and_rules_are_checked() -> None:
    with pytest.raises(PlasmatrialError, match="death cause"):
        derive_param_ttnt(_adsl(with_cause=False), death="due_to_pd")
    with pytest.raises(PlasmatrialError, match="death must be"):
        derive_param_ttnt(_adsl(), death="sometimes")  # type: ignore[arg-type]
