"""IMWG confirmation (criteria.md 4.4 steps 1-8, ruling R7), best confirmed response and the
end-to-end ``respond_mm`` wrapper (worked cases M1, M2 and M7)."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import polars as pl
import pytest

from plasmatrial.criteria.core.confirmation import (
    ConfirmationWindowWarning,
    best_confirmed_response,
    confirm_response,
)
from plasmatrial.criteria.mm.response import respond_mm
from tests.unit.criteria.helpers import frame

D0 = dt.date(2024, 2, 1)


def visits(
    *cats: str, gap: int = 28, flags: dict[int, str] | None = None, nact: int | None = None
) -> pl.DataFrame:
    n = len(cats)
    dates = [D0 + dt.timedelta(days=gap * i) for i in range(n)]
    data: dict[str, Any] = {
        "USUBJID": ["S1"] * n,
        "ADT": dates,
        "AVALC": list(cats),
        "FLAGS": [(flags or {}).get(i) for i in range(n)],
    }
    if nact is not None:
        data["NACTDT"] = [dates[nact]] * n
    return pl.DataFrame(data)


def conf(*cats: str, **kw: Any) -> pl.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfirmationWindowWarning)
        return confirm_response(visits(*cats, **kw))


def col(df: pl.DataFrame, name: str) -> list[Any]:
    return df[name].to_list()


@pytest.mark.rule("IMWG.RESP.PR")
def test_step2_same_level_confirms() -> None:
    out = conf("PR", "PR")
    assert col(out, "CONFLVL") == ["PR", "SD"]
    assert col(out, "CONFFL") == ["Y", "N"]
    assert col(out, "CONFRESP") == ["PR", "PR"]


def test_step2_better_next_confirms_current_level() -> None:
    assert col(conf("PR", "VGPR", "VGPR"), "CONFLVL") == ["PR", "VGPR", "SD"]


def test_step3_lower_next_confirms_at_next_level() -> None:
    out = conf("VGPR", "PR", "PR")
    assert col(out, "CONFLVL")[0] == "PR"
    assert col(out, "CONFFL")[0] == "N"


def test_step4_next_pd_or_missing_gives_sd() -> None:
    assert col(conf("PR", "PD", "PD"), "CONFLVL")[0] == "SD"
    assert col(conf("PR"), "CONFLVL") == ["SD"]


def test_step1_ne_visits_are_skipped() -> None:
    out = conf("PR", "NE", "PR")
    assert col(out, "CONFLVL") == ["PR", "NE", "SD"]
    assert col(out, "CONFFL")[1] is None


def test_step5_sd_needs_no_confirmation() -> None:
    assert col(conf("SD"), "CONFFL") == ["Y"]


def test_step6_pd_confirmed_by_second_pd_and_r7_last_pd_unconfirmed() -> None:
    out = conf("PR", "PR", "PD", "PD")
    assert col(out, "CONFLVL")[2:] == ["PD", "PD"]
    assert col(out, "CONFFL")[2:] == ["Y", "N"]  # R7: PD at the last assessment
    assert col(out, "CONFRESP")[2:] == ["PD", "PD"]


def test_step6_biochemical_pd_followed_by_non_pd_is_ne() -> None:
    out = conf("PR", "PR", "PD", "PR")
    assert col(out, "CONFLVL")[2] == "NE"
    assert col(out, "CONFRESP")[2] == "PR"


def test_step6_imaging_pd_needs_no_repeat() -> None:
    out = conf("PR", "PR", "PD", "PR", flags={2: "PD_IMAGING"})
    assert col(out, "CONFLVL")[2] == "PD"
    assert col(out, "CONFFL")[2] == "Y"


def test_step6_death_due_to_pd_confirms_last_pd() -> None:
    v = visits("PR", "PR", "PD")
    deaths = pl.DataFrame(
        {"USUBJID": ["S1"], "DTHDT": [D0 + dt.timedelta(days=70)], "DTHPDFL": ["Y"]}
    )
    out = confirm_response(v, deaths=deaths)
    assert col(out, "CONFFL")[2] == "Y"


def test_step7_carry_forward_last_confirmed_level() -> None:
    out = conf("VGPR", "VGPR", "PR", "PR", "PR")
    assert col(out, "CONFRESP") == ["VGPR"] * 5
    assert col(out, "CONFDT") == [D0] * 5


def test_new_therapy_stops_confirmation() -> None:
    out = conf("PR", "PR", "PR", nact=1)
    assert col(out, "CONFLVL") == ["SD", None, None]
    assert col(out, "ANL01FL") == ["Y", "N", "N"]


@pytest.mark.parametrize(
    ("gap", "warned"),
    [pytest.param(84, False, id="84-days-just-meets"), pytest.param(85, True, id="85-days-warns")],
)
def test_step8_warning_when_confirmation_is_late(gap: int, warned: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = confirm_response(visits("PR", "PR", gap=gap))
    assert any(issubclass(w.category, ConfirmationWindowWarning) for w in caught) is warned
    assert (col(out, "WARN")[0] is not None) is warned


def test_best_confirmed_response_before_pd() -> None:
    out = conf("PR", "PR", "VGPR", "VGPR", "PD", "PD", "CR", "CR")
    best = best_confirmed_response(out).row(0, named=True)
    assert best["AVALC"] == "VGPR"
    assert best["ADT"] == D0 + dt.timedelta(days=56)
    assert best["PDDT"] == D0 + dt.timedelta(days=112)
    assert best["PDCONFFL"] == "Y"


def test_unknown_category_is_an_error() -> None:
    from plasmatrial.errors import RuleError

    with pytest.raises(RuleError, match="AVALC"):
        confirm_response(visits("PR", "GREAT"))


# ----------------------------------------------------------------------------- end to end
SU = {"SPEPMP": 3.0, "UPEPMP": 400.0}


@pytest.mark.rule("IMWG.RESP.PR")
def test_m1_confirmed_pr() -> None:
    r = respond_mm(frame(SU, {"SPEPMP": 1.2, "UPEPMP": 30.0}, {"SPEPMP": 1.2, "UPEPMP": 30.0}))
    assert col(r.visits, "CONFRESP") == ["PR", "PR"]
    assert r.best["AVALC"].to_list() == ["PR"]


@pytest.mark.rule("IMWG.RESP.VGPR")
def test_m2_vgpr_unconfirmed_until_repeated() -> None:
    r = respond_mm(frame(SU, {"SPEPMP": 0.25, "UPEPMP": 50.0}))
    assert col(r.visits, "AVALC") == ["VGPR"]
    assert col(r.visits, "CONFFL") == ["N"]
    assert r.best["AVALC"].to_list() == ["SD"]


@pytest.mark.rule("IMWG2016.PD.P1")
def test_m7_pd_date_is_first_of_the_two() -> None:
    f = frame({"SPEPMP": 2.0}, {"SPEPMP": 1.0}, {"SPEPMP": 1.0}, {"SPEPMP": 1.5}, {"SPEPMP": 1.6})
    r = respond_mm(f)
    best = r.best.row(0, named=True)
    assert best["PDDT"] == r.visits["ADT"][2]
    assert best["PDCONFFL"] == "Y"


@pytest.mark.rule("IMWG.RELCR.Y")
def test_relapse_from_cr_needs_confirmed_cr() -> None:
    cr = {"SPEPMP": 0.0, "SIFE": "NEGATIVE", "UPEPMP": 0.0, "UIFE": "NEGATIVE", "BMPC": 2.0}
    once = respond_mm(frame({"SPEPMP": 2.0}, cr, {**cr, "SIFE": "POSITIVE"}))
    twice = respond_mm(frame({"SPEPMP": 2.0}, cr, cr, {**cr, "SIFE": "POSITIVE"}))
    assert col(once.visits, "RELCRFL")[-1] == "N"
    assert col(twice.visits, "RELCRFL")[-1] == "Y"


def test_nactdt_column_stops_confirmation_end_to_end() -> None:
    f = frame(SU, {"SPEPMP": 1.2, "UPEPMP": 30.0}, {"SPEPMP": 1.2, "UPEPMP": 30.0})
    f = f.with_columns(pl.lit(dt.date(2024, 2, 15)).alias("NACTDT"))
    r = respond_mm(f)
    assert col(r.visits, "ANL01FL") == ["Y", "N"]
    assert col(r.visits, "CONFLVL") == ["SD", None]


# --- SAP confirmation options (sap.md section 2; admiralonco derive_param_confirmed_bor) -------


def conf_opts(days: list[int], cats: list[str], **opts: Any) -> pl.DataFrame:
    from plasmatrial.criteria.core.confirmation import ConfirmationOptions

    v = pl.DataFrame(
        {
            "USUBJID": ["S1"] * len(cats),
            "ADT": [D0 + dt.timedelta(days=d) for d in days],
            "AVALC": cats,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfirmationWindowWarning)
        return confirm_response(v, options=ConfirmationOptions(**opts))


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        pytest.param(28, ["PR", "SD"], id="just-meets"),
        pytest.param(27, ["SD", "SD"], id="just-misses"),
    ],
)
def test_min_days_between_response_and_confirmation(gap: int, expected: list[str]) -> None:
    """PR on day 0 confirmed by a PR 28 days later only when the SAP minimum is <= 28 days."""
    out = conf_opts([0, gap], ["PR", "PR"], min_days=28)
    assert col(out, "CONFLVL") == expected


def test_min_days_skips_early_assessments_but_they_lower_the_level() -> None:
    # day-7 VGPR is too early to confirm; the day-35 PR confirms at PR (the lowest seen)
    out = conf_opts([0, 7, 35], ["VGPR", "VGPR", "PR"], min_days=28)
    assert col(out, "CONFLVL")[0] == "PR"
    assert col(out, "NXTADT")[0] == D0 + dt.timedelta(days=35)


@pytest.mark.parametrize(
    ("cats", "expected"),
    [
        pytest.param(["PR", "NE", "PR"], "PR", id="just-meets"),
        pytest.param(["PR", "NE", "NE", "PR"], "SD", id="just-misses"),
    ],
)
def test_max_ne_between(cats: list[str], expected: str) -> None:
    out = conf_opts([28 * i for i in range(len(cats))], cats, max_ne_between=1)
    assert col(out, "CONFLVL")[0] == expected


@pytest.mark.parametrize(
    ("cats", "expected"),
    [
        pytest.param(["PR", "SD", "PR"], "PR", id="just-meets"),
        pytest.param(["PR", "SD", "SD", "PR"], "SD", id="just-misses"),
    ],
)
def test_one_sd_allowed_between(cats: list[str], expected: str) -> None:
    out = conf_opts([28 * i for i in range(len(cats))], cats, max_sd_between=1)
    assert col(out, "CONFLVL")[0] == expected
    # the DEFAULT allows none: the SD confirms the PR only as SD (criteria.md 4.4 step 3)
    assert col(conf_opts([28 * i for i in range(len(cats))], cats), "CONFLVL")[0] == "SD"


def test_bad_confirmation_options_are_rejected() -> None:
    from plasmatrial.criteria.core.confirmation import ConfirmationOptions
    from plasmatrial.errors import RuleError

    with pytest.raises(RuleError, match="min_days"):
        ConfirmationOptions(min_days=-1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [pytest.param(42, "SD", id="just-meets"), pytest.param(41, "NE", id="just-misses")],
)
def test_sd_counts_for_bor_only_after_the_window(day: int, expected: str) -> None:
    v = pl.DataFrame({"USUBJID": ["S1"], "ADT": [D0 + dt.timedelta(days=day)], "AVALC": ["SD"]})
    subjects = pl.DataFrame({"USUBJID": ["S1", "S2"], "STARTDT": [D0, D0]})
    out = best_confirmed_response(confirm_response(v), subjects=subjects, sd_min_days=42)
    assert col(out, "AVALC") == [expected, "NE"]  # S2 has no assessment: a row with NE


def test_bor_is_pd_when_nothing_better_than_ne_precedes_it() -> None:
    best = best_confirmed_response(conf("NE", "PD", "PD")).row(0, named=True)
    assert (best["AVALC"], best["ADT"]) == ("PD", D0 + dt.timedelta(days=28))
    assert best_confirmed_response(conf("SD", "PD", "PD"))["AVALC"].to_list() == ["SD"]
