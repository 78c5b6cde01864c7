"""Subject-level queue items: a subject's computed best response is queued when it disagrees with
the investigator's best (RS BESTRSP, else derived from RS OVRLRESP) or is not evaluable; reviewers
accept or override it as they do a visit's call (decision 1007)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from plasmatrial.web import pages
from plasmatrial.web.models import AuditEvent, ResponseCall, SubjectSummary
from tests.web.conftest import BACKENDS, backend_settings, csrf, make_app
from tests.web.workflow import PASSWORDS, Workflow, form, set_up


@pytest.fixture(scope="module")
def files(study_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The study's files with RS rewritten: subject 1's investigator calls every visit CR (its
    derived best is CR), subject 2 gets an explicit BESTRSP row "VGPR"; subject 4 has no
    post-baseline labs (not evaluable)."""
    out = tmp_path_factory.mktemp("subject-queue")
    dm = pl.read_csv(study_files["dm"], infer_schema_length=0)
    s1, s2, _s3, s4 = dm["USUBJID"].to_list()[:4]
    rs = pl.read_csv(study_files["rs"], infer_schema_length=0)
    rs = rs.with_columns(
        pl.when(pl.col("USUBJID") == s1).then(pl.lit("CR")).otherwise(pl.col("RSSTRESC"))
        .alias("RSSTRESC")
    )
    best = rs.filter(pl.col("USUBJID") == s2).head(1).with_columns(
        pl.lit("BESTRSP").alias("RSTESTCD"), pl.lit("VGPR").alias("RSSTRESC"),
        pl.lit("VGPR").alias("RSORRES"),
    )
    pl.concat([rs, best]).write_csv(out / "rs.csv")
    lb = pl.read_csv(study_files["lb"], infer_schema_length=0)
    first = lb.filter(pl.col("USUBJID") == s4)["LBDTC"].min()
    lb.filter((pl.col("USUBJID") != s4) | (pl.col("LBDTC") == first)).write_csv(out / "lb.csv")
    for name in ("dm", "ex"):
        (out / f"{name}.csv").write_bytes(study_files[name].read_bytes())
    return {"dm": out / "dm.csv", "lb": out / "lb.csv", "ex": out / "ex.csv", "rs": out / "rs.csv"}


@pytest.fixture(scope="module", params=BACKENDS)
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    web = make_app(backend_settings(request, tmp_path_factory.mktemp("web"), "subjects"))
    yield web
    web.state.engine.dispose()


@pytest.fixture(scope="module")
def wf(app: FastAPI, files: dict[str, Path]) -> Workflow:
    return set_up(app, files)


def _subject_calls(app: FastAPI, run_id: int) -> dict[str, ResponseCall]:
    with app.state.factory() as s:
        rows = s.scalars(select(ResponseCall).where(
            ResponseCall.run_id == run_id, ResponseCall.paramcd == "BOR")).all()
    return {r.usubjid: r for r in rows}


def test_every_subject_has_a_best_response_call_queued_when_needed(
    app: FastAPI, wf: Workflow, files: dict[str, Path]
) -> None:
    subjects = pl.read_csv(files["dm"])["USUBJID"].to_list()
    calls = _subject_calls(app, wf.run_id)
    assert sorted(calls) == sorted(subjects)
    with app.state.factory() as s:
        best = {x.usubjid: x.best for x in s.scalars(
            select(SubjectSummary).where(SubjectSummary.run_id == wf.run_id))}
    s1, s2, s3, s4 = subjects[:4]
    for subject, call in calls.items():
        assert call.avalc == best[subject] and not call.is_response  # the computed best
    # subject 1: investigator CR at every visit -> best CR, computed is not CR
    assert best[s1] != "CR" and calls[s1].investigator == "CR"
    assert "discordant" in (calls[s1].queue_reason or "")
    # subject 2: RS BESTRSP wins over the per-visit calls
    assert calls[s2].investigator == "VGPR"
    assert ("discordant" in (calls[s2].queue_reason or "")) == (best[s2] != "VGPR")
    # subject 3: unchanged RS; queued only if its best really differs or is NE
    expected = calls[s3].investigator not in (None, best[s3]) or best[s3] in (None, "NE")
    assert (calls[s3].queue_reason is not None) == expected
    # subject 4: no post-baseline assessment -> best NE, queued as not evaluable
    assert best[s4] in (None, "NE") and "not_evaluable" in (calls[s4].queue_reason or "")


def test_queue_page_and_api_show_subject_items(
    app: FastAPI, wf: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "QUEUE_PAGE_SIZE", 10_000)  # the whole queue on one page
    viewer = wf.clients["view"]
    queued = [c for c in _subject_calls(app, wf.run_id).values() if c.queue_reason]
    page = viewer.get(f"/studies/{wf.study_id}/queue").text
    assert f"and {len(queued)} subjects' best responses need a reviewer" in page
    for call in queued:
        assert f'id="call-{call.id}"' in page
    items = viewer.get(f"/api/studies/{wf.study_id}/queue").json()["items"]
    levels = {i["call_id"]: i["level"] for i in items}
    assert all(levels[c.id] == "subject" for c in queued)
    assert sum(v == "subject" for v in levels.values()) == len(queued)


def test_reviewer_overrides_a_best_response_with_a_signed_reason(
    app: FastAPI, wf: Workflow, files: dict[str, Path]
) -> None:
    s1 = pl.read_csv(files["dm"])["USUBJID"][0]
    call = _subject_calls(app, wf.run_id)[s1]
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    rev = wf.clients["rev"]
    unsigned = {"action": "override", "category": "CR", "reason": "central review",
                "expected_seq": "0"}
    assert form(rev, url, unsigned).status_code == 400  # no signature
    assert form(rev, url, {**unsigned, "reason": "", "password": PASSWORDS["rev"]}
                ).status_code == 400  # no reason
    assert form(wf.clients["view"], url, {"action": "accept", "expected_seq": "0"}
                ).status_code == 403
    r = form(rev, url, {**unsigned, "password": PASSWORDS["rev"]})
    assert r.status_code == 303, r.text
    assert form(rev, url, {**unsigned, "password": PASSWORDS["rev"]}).status_code == 409  # stale
    with app.state.factory() as s:
        event = s.scalars(select(AuditEvent).where(
            AuditEvent.action == "override", AuditEvent.entity_id == str(call.id))).one()
    assert event.reason == "central review" and '"signed": true' in (event.new or "")
    page = wf.clients["view"].get(f"/studies/{wf.study_id}/patients/{s1}").text
    assert 'id="subject-review"' in page and "override → <strong>CR</strong> (signed)" in page
    assert f"Best response: CR (adjudicated; computed {call.avalc}" in page
    adrs = pl.read_csv(io.BytesIO(rev.get(f"/studies/{wf.study_id}/adrs.csv").content),
                       infer_schema_length=0)
    row = adrs.filter((pl.col("USUBJID") == s1) & (pl.col("PARAMCD") == "BOR")).row(0, named=True)
    assert row["AVALC"] == "CR" and row["SRCTYPE"] == "ADJUDICATED"
    assert row["COMPAVALC"] == call.avalc and row["INVAVALC"] == "CR" and row["ADJBY"] == "rev"


def test_reviewer_accepts_a_not_evaluable_best_response(
    app: FastAPI, wf: Workflow, files: dict[str, Path]
) -> None:
    s4 = pl.read_csv(files["dm"])["USUBJID"][3]
    call = _subject_calls(app, wf.run_id)[s4]
    token = csrf(wf.clients["rev2"], "/studies")
    r = wf.clients["rev2"].post(
        f"/api/studies/{wf.study_id}/calls/{call.id}/decision",
        json={"action": "accept", "expected_seq": 0}, headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["level"] == "subject" and out["decision"]["action"] == "accept"
    assert out["effective"] == (call.avalc or "NE")
