"""A reviewer's override of a subject's best response reaches the re-run trial analysis: ADSL,
ADRS's BOR row (source ADJUDICATED, the derived best kept) and ``adjudicated.csv`` (decisions
1007, 1011)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from plasmatrial.web.models import AnalysisJob, ResponseCall
from tests.web.conftest import BACKENDS, backend_settings, login, make_app
from tests.web.test_analysis import STAT_PW, start, wait_for
from tests.web.workflow import PASSWORDS, Workflow, form, set_up


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    web = make_app(backend_settings(request, tmp_path_factory.mktemp("web"), "adjudication"))
    yield web
    web.state.engine.dispose()


@pytest.fixture(scope="module")
def wf(app: FastAPI, study_files: dict[str, Path]) -> Workflow:
    flow = set_up(app, study_files)
    admin = flow.clients["admin"]
    assert form(admin, "/admin/users", {"username": "stat", "password": STAT_PW}).status_code == 303
    r = form(
        admin, f"/studies/{flow.study_id}/members", {"username": "stat", "role": "statistician"}
    )
    assert r.status_code == 303
    flow.clients["stat"] = login(TestClient(app), "stat", STAT_PW)
    return flow


def _csv(client: TestClient, url: str) -> pl.DataFrame:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return pl.read_csv(io.BytesIO(r.content), infer_schema=False)


def test_a_best_response_override_is_used_by_the_rerun_analysis(app: FastAPI, wf: Workflow) -> None:
    with app.state.factory() as s:
        call = s.scalars(
            select(ResponseCall)
            .where(ResponseCall.run_id == wf.run_id, ResponseCall.paramcd == "BOR")
            .order_by(ResponseCall.id)
        ).first()
    assert call is not None and not call.is_response
    new = "CR" if call.avalc != "CR" else "PR"
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    signed = {"action": "override", "category": new, "reason": "committee: biopsy reviewed",
              "password": PASSWORDS["rev"], "expected_seq": "0"}  # fmt: skip
    assert form(wf.clients["rev"], url, signed).status_code == 303

    stat = wf.clients["stat"]
    job_id = start(stat, wf)
    final = wait_for(stat, wf.study_id, job_id)
    assert 'id="job-state">done<' in final, final
    base = f"/studies/{wf.study_id}/analyses/{job_id}/files"

    adrs = _csv(stat, f"{base}/adam/adrs.csv")
    bor = adrs.filter((pl.col("USUBJID") == call.usubjid) & (pl.col("PARAMCD") == "BOR"))
    assert bor.height == 1
    row = bor.row(0, named=True)
    assert (row["AVALC"], row["SRCTYPE"], row["COMPAVALC"]) == (new, "ADJUDICATED", call.avalc)
    assert row["ADJBY"] == "rev" and row["ADJREAS"] == "committee: biopsy reviewed"
    others = adrs.filter((pl.col("PARAMCD") == "BOR") & (pl.col("USUBJID") != call.usubjid))
    assert others.height > 0 and set(others["SRCTYPE"].to_list()) == {"COMPUTED"}
    # no per-visit call was decided: every one keeps its computed category
    visits = adrs.filter(pl.col("SRCTYPE").is_not_null() & (pl.col("PARAMCD") != "BOR"))
    assert set(visits["SRCTYPE"].to_list()) == {"COMPUTED"}

    adsl = _csv(stat, f"{base}/adam/adsl.csv")
    assert adsl.filter(pl.col("USUBJID") == call.usubjid)["BESTRSP"].to_list() == [new]
    adjudicated = _csv(stat, f"{base}/adjudicated.csv")
    assert adjudicated.select("USUBJID", "PARAMCD", "AVALC").rows() == [(call.usubjid, "BOR", new)]
    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None and job.n_adjudicated == 1
