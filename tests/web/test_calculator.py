"""The single-patient calculator: typed values -> the call of the public API, or the problems."""

from __future__ import annotations

import polars as pl
from fastapi import FastAPI
from fastapi.testclient import TestClient

import plasmatrial as pt
from tests.web.conftest import ADMIN, ADMIN_PW, csrf, login

AL_FORM = {
    "disease": "al", "invlc": "LAMBDA", "age": "64", "sex": "M",
    "date_baseline": "2024-01-01", "date_current": "2024-04-01",
    "FLCKAP_unit": "mg/L", "FLCLAM_unit": "mg/L",
    "FLCKAP_baseline": "12", "FLCLAM_baseline": "250",
    "FLCKAP_current": "11", "FLCLAM_current": "40",
}


def _expected_al() -> pl.DataFrame:
    """The same patient through the public API directly."""
    dm = pl.DataFrame({"STUDYID": ["S"], "USUBJID": ["P"], "RFSTDTC": ["2024-01-01"],
                       "AGE": ["64"], "SEX": ["M"], "INVLC": ["LAMBDA"], "HEARTFL": ["N"],
                       "KIDNEYFL": ["N"], "LIVERFL": ["N"]})
    lb = pl.DataFrame({
        "USUBJID": ["P"] * 4, "LBTESTCD": ["FLCKAP", "FLCLAM"] * 2,
        "LBORRES": ["12", "250", "11", "40"], "LBORRESU": ["mg/L"] * 4,
        "LBDTC": ["2024-01-01"] * 2 + ["2024-04-01"] * 2,
        "VISIT": ["BASELINE"] * 2 + ["CURRENT"] * 2, "VISITNUM": [1, 1, 2, 2],
    })
    res = pt.respond(pt.read_sdtm(dm, lb), disease="al")
    return res.visits.filter(pl.col("PARAMCD") == "HEMRESP")


def test_al_call_matches_the_public_api(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    assert client.get("/calculator").status_code == 200
    r = client.post("/calculator", data={**AL_FORM, "csrf": csrf(client, "/calculator")})
    assert r.status_code == 200, r.text
    expected = _expected_al().row(0, named=True)
    assert f"<td>HEMRESP</td><td>{expected['AVALC']}</td>" in r.text
    assert expected["RULEID"] in r.text
    assert "CR_2012_RATIO v" in r.text and "research software" in r.text.lower()


def test_a_unit_in_the_wrong_place_is_a_problem_not_a_call(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    bad = {**AL_FORM, "NTPROBNP_unit": "ng/L", "NTPROBNP_baseline": "-5"}
    r = client.post("/calculator", data={**bad, "csrf": csrf(client, "/calculator")})
    assert r.status_code == 422 and 'id="problems"' in r.text and "NTPROBNP" in r.text


def test_calculator_needs_login_and_csrf(app: FastAPI) -> None:
    anon = TestClient(app)
    assert anon.get("/calculator", follow_redirects=False).status_code == 303
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    assert client.post("/calculator", data=AL_FORM).status_code == 403


def test_imwg_call_for_a_serum_m_protein_decrease(app: FastAPI) -> None:
    """Serum M-protein 3.0 -> 1.2 g/dL (60% decrease, >= 50%) and 1.1 at the next assessment:
    IMWG partial response at both visits."""
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    mm = {"disease": "mm", "SPEPMP_unit": "g/dL", "SPEPMP_baseline": "3.0",
          "SPEPMP_current": "1.2", "SPEPMP_next": "1.1"}
    r = client.post("/calculator", data={**mm, "csrf": csrf(client, "/calculator?disease=mm")})
    assert r.status_code == 200, r.text
    assert r.text.count("<td>OVRLRESP</td><td>PR</td>") == 2
    assert "IMWG.RESP.PR" in r.text and "IMWG_2016 v" in r.text
