"""Pages end to end through FastAPI's TestClient: studies, uploads, responses, patient, review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from plasmatrial.web.models import (
    AuditEvent,
    DataVersion,
    Decision,
    Marker,
    ResponseCall,
    ResponseRun,
    SubjectSummary,
)
from plasmatrial.web.settings import Settings
from tests.web.conftest import csrf, make_app, new_pg_database, sqlite_settings
from tests.web.workflow import (
    PASSWORDS,
    Workflow,
    done_job,
    form,
    queued_call,
    set_up,
    upload,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """One app per database for the module (its tests decide on different queued calls)."""
    settings = sqlite_settings(tmp_path_factory.mktemp("web"))
    if request.param == "postgresql":
        url = new_pg_database(request.getfixturevalue("pg_server"), "workflow")
        settings = Settings(url, settings.data_dir, settings.secret_key)
    web = make_app(settings)
    yield web
    web.state.engine.dispose()


@pytest.fixture(scope="module")
def wf(app: FastAPI, study_files: dict[str, Path]) -> Workflow:
    return set_up(app, study_files)


def test_upload_computes_and_stores_every_call(app: FastAPI, wf: Workflow, study_files) -> None:
    with app.state.factory() as s:
        version = s.get(DataVersion, wf.version_id)
        run = s.get(ResponseRun, wf.run_id)
        assert version is not None and run is not None
        files = json.loads(version.files)
        assert set(files) == {"DM", "LB", "EX", "RS"}
        # the stored files are the uploaded bytes, read-only, in a folder named by the hash
        folder = Path(version.folder)
        assert folder.name == version.sha256
        stored = folder / files["LB"]["stored"]
        assert stored.read_bytes() == study_files["lb"].read_bytes()
        assert not stored.stat().st_mode & 0o222
        assert version.n_subjects == 4
        assert run.rule_set == "CR_2012_RATIO" and run.rule_set_version
        calls = s.scalars(select(ResponseCall).where(ResponseCall.run_id == run.id)).all()
        assert len(calls) == run.n_calls > 0
        main = [c for c in calls if c.is_response]
        assert main and all(c.paramcd == run.response_param == "HEMRESP" for c in main)
        assert all(c.ruleid and c.explain and c.rulesetver for c in main if c.avalc != "NE")
        # the investigator's RS call is kept beside every computed call it covers
        assert any(c.investigator for c in main)
        assert s.scalar(select(func.count(Marker.id)).where(Marker.version_id == version.id))
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("compute") == 1 and "create" in actions and "login" in actions


def test_same_files_again_is_the_same_version(app: FastAPI, wf: Workflow, study_files) -> None:
    r = upload(wf.clients["dm"], wf.study_id, study_files)
    assert r.status_code == 303  # type: ignore[attr-defined]
    with app.state.factory() as s:
        n = s.scalar(select(func.count(DataVersion.id)))
    assert n == 1


def test_bad_files_show_every_problem_and_store_nothing(app: FastAPI, wf: Workflow) -> None:
    bad = {"dm": ROOT / "examples/bad/dm.csv", "lb": ROOT / "examples/bad/lb_bad.csv"}
    r = upload(wf.clients["dm"], wf.study_id, bad)
    assert r.status_code == 422  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert 'id="problems"' in html
    assert "lb_bad.csv" in html and "pmol/L" in html and "LBORRESU" in html
    assert html.count("<tr><td>lb_bad.csv") >= 5  # one row per problem, user's file name shown
    with app.state.factory() as s:
        assert s.scalar(select(func.count(DataVersion.id))) == 1  # nothing stored
        rejected = s.scalars(select(AuditEvent).where(AuditEvent.action == "reject_upload")).all()
    assert len(rejected) >= 1
    staging = Path(app.state.settings.data_dir) / "staging"
    assert not any(staging.iterdir())


def test_upload_refuses_other_file_types(wf: Workflow, tmp_path: Path) -> None:
    script = tmp_path / "dm.sh"
    script.write_text("echo hi\n")
    r = upload(wf.clients["dm"], wf.study_id, {"dm": script, "lb": script})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "file_type" in r.text  # type: ignore[attr-defined]


def test_pages_state_criteria_versions_and_disclaimer(
    app: FastAPI, wf: Workflow, study_files
) -> None:
    viewer = wf.clients["view"]
    subject = pl.read_csv(study_files["dm"]).get_column("USUBJID")[0]
    for url in (
        "/studies",
        f"/studies/{wf.study_id}",
        f"/studies/{wf.study_id}/queue",
        f"/studies/{wf.study_id}/patients/{subject}",
        f"/studies/{wf.study_id}/audit",
    ):
        r = viewer.get(url)
        assert r.status_code == 200, url
        assert 'id="criteria-versions"' in r.text and "research software" in r.text.lower(), url
    page = viewer.get(f"/studies/{wf.study_id}/patients/{subject}").text
    assert "CR_2012_RATIO v" in page
    assert "<svg" in page and "FLCLAM" in page and "HEMRESP" in page
    assert 'class="band"' in page and "Best response:" in page
    assert "<abbr title=\"MAYO2012\">Mayo 2012</abbr>" in page  # baseline stage (respond)
    with app.state.factory() as s:
        summaries = s.scalars(select(SubjectSummary).where(SubjectSummary.run_id == wf.run_id)).all()
    assert sorted(x.usubjid for x in summaries) == sorted(pl.read_csv(study_files["dm"])["USUBJID"])


def test_roles_are_enforced(app: FastAPI, wf: Workflow, study_files) -> None:
    viewer, rev = wf.clients["view"], wf.clients["rev"]
    assert upload(viewer, wf.study_id, study_files).status_code == 403  # type: ignore[attr-defined]
    url = f"/studies/{wf.study_id}/versions/{wf.version_id}/compute"
    assert form(viewer, url, {}).status_code == 403
    call = queued_call(app, wf.run_id, 0)  # refused: nothing changes
    decide = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    assert form(viewer, decide, {"action": "accept", "expected_seq": "0"}).status_code == 403
    assert form(wf.clients["dm"], decide, {"action": "accept", "expected_seq": "0"}).status_code == 403
    assert form(rev, "/studies", {"name": "x", "trial_file": "al_lendex.yaml"}).status_code == 403
    assert rev.get("/admin/users").status_code == 403
    # an outsider sees neither the study nor its patients
    from fastapi.testclient import TestClient

    from tests.web.conftest import login

    form(wf.clients["admin"], "/admin/users", {"username": "outsider", "password": "outsider-pw1"})
    outsider = login(TestClient(app), "outsider", "outsider-pw1")
    assert outsider.get(f"/studies/{wf.study_id}").status_code == 403
    assert outsider.get(f"/studies/{wf.study_id}/queue").status_code == 403
    assert "Pom-dex demo" not in outsider.get("/studies").text


def test_reviewer_accepts_and_overrides_with_signature(app: FastAPI, wf: Workflow) -> None:
    rev = wf.clients["rev"]
    queue = rev.get(f"/studies/{wf.study_id}/queue").text
    call = queued_call(app, wf.run_id, 0)
    assert f'id="call-{call.id}"' in queue
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    assert form(rev, url, {"action": "accept", "expected_seq": "0"}).status_code == 303
    override = {"action": "override", "category": "PR", "expected_seq": "1"}
    r = form(rev, url, {**override, "reason": "", "password": PASSWORDS["rev"]})
    assert r.status_code == 400 and "reason" in r.text
    r = form(rev, url, {**override, "reason": "iFLC assay repeated", "password": "wrong-password"})
    assert r.status_code == 400 and "signature refused" in r.text
    r = form(rev, url, {**override, "reason": "iFLC assay repeated", "password": PASSWORDS["rev"]})
    assert r.status_code == 303
    with app.state.factory() as s:
        decisions = s.scalars(select(Decision).where(Decision.call_id == call.id)).all()
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == "response_call").order_by(AuditEvent.id)
        ).all()
    assert [(d.seq, d.action, d.category, d.signed) for d in decisions] == [
        (1, "accept", call.avalc or "NE", False),
        (2, "override", "PR", True),
    ]
    assert [e.action for e in events] == ["accept", "failed_signature", "override"]
    assert events[-1].username == "rev" and events[-1].reason == "iFLC assay repeated"
    assert json.loads(events[-1].old or "{}")["category"] == (call.avalc or "NE")
    audit_page = rev.get(f"/studies/{wf.study_id}/audit").text
    assert "iFLC assay repeated" in audit_page
    patient = rev.get(f"/studies/{wf.study_id}/patients/{call.usubjid}").text
    assert "→ PR (override)" in patient


def test_two_reviewers_one_wins_the_other_sees_a_conflict(app: FastAPI, wf: Workflow) -> None:
    call = queued_call(app, wf.run_id, 1)
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    first = form(wf.clients["rev"], url, {"action": "accept", "expected_seq": "0"})
    second = form(wf.clients["rev2"], url, {"action": "accept", "expected_seq": "0"})
    assert first.status_code == 303
    assert second.status_code == 409 and "another decision" in second.text
    with app.state.factory() as s:
        assert s.scalar(select(func.count(Decision.id)).where(Decision.call_id == call.id)) == 1


def test_htmx_decision_returns_the_row(app: FastAPI, wf: Workflow) -> None:
    call = queued_call(app, wf.run_id, 2)
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    r = form(wf.clients["rev"], url, {"action": "accept", "expected_seq": "0"},
             headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith(f'<tr id="call-{call.id}"') and "accept:" in r.text


def test_user_text_is_escaped(app: FastAPI, wf: Workflow) -> None:
    call = queued_call(app, wf.run_id, 3)
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    evil = "<script>alert(1)</script>"
    r = form(wf.clients["rev"], url, {"action": "override", "category": "PR", "expected_seq": "0",
                                      "reason": evil, "password": PASSWORDS["rev"]})
    assert r.status_code == 303
    page = wf.clients["view"].get(f"/studies/{wf.study_id}/queue").text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_route_checks_role_and_membership(app: FastAPI, wf: Workflow, study_files) -> None:
    """Walk every page and form route as every role; a route missing from the table fails."""
    from fastapi.routing import APIRoute
    from fastapi.testclient import TestClient

    from tests.web.conftest import login

    form(wf.clients["admin"], "/admin/users", {"username": "walker", "password": "walker-pw-01"})
    clients = {**wf.clients, "outsider": login(TestClient(app), "walker", "walker-pw-01")}
    subject = pl.read_csv(study_files["dm"]).get_column("USUBJID")[0]
    call = queued_call(app, wf.run_id, 0)
    sid = wf.study_id
    job = done_job(app, sid, wf.version_id)
    members = {"admin", "dm", "rev", "rev2", "view"}
    everyone = members | {"outsider"}
    # route path -> (method, concrete url, roles allowed); None: public
    table: dict[tuple[str, str], tuple[str, set[str] | None]] = {
        ("GET", "/healthz"): ("/healthz", None),
        ("GET", "/"): ("/", None),
        ("GET", "/login"): ("/login", None),
        ("POST", "/login"): ("/login", None),
        ("POST", "/logout"): ("/logout", None),
        ("GET", "/studies"): ("/studies", everyone),
        ("POST", "/studies"): ("/studies", {"admin"}),
        ("GET", "/studies/{study_id}"): (f"/studies/{sid}", members),
        ("POST", "/studies/{study_id}/members"): (f"/studies/{sid}/members", {"admin"}),
        ("POST", "/studies/{study_id}/uploads"): (f"/studies/{sid}/uploads", {"admin", "dm"}),
        ("POST", "/studies/{study_id}/versions/{version_id}/compute"): (
            f"/studies/{sid}/versions/{wf.version_id}/compute", {"admin", "dm"}),
        ("GET", "/studies/{study_id}/patients/{usubjid:path}"): (
            f"/studies/{sid}/patients/{subject}", members),
        ("GET", "/studies/{study_id}/queue"): (f"/studies/{sid}/queue", members),
        ("POST", "/studies/{study_id}/calls/{call_id}/decision"): (
            f"/studies/{sid}/calls/{call.id}/decision", {"rev", "rev2"}),
        ("GET", "/studies/{study_id}/audit"): (f"/studies/{sid}/audit", members),
        ("GET", "/studies/{study_id}/adrs.csv"): (f"/studies/{sid}/adrs.csv", members - {"view"}),
        ("GET", "/admin/users"): ("/admin/users", {"admin"}),
        ("GET", "/admin/audit"): ("/admin/audit", {"admin"}),
        ("POST", "/admin/users"): ("/admin/users", {"admin"}),
        ("GET", "/account/password"): ("/account/password", everyone),
        ("POST", "/account/password"): ("/account/password", everyone),
        ("GET", "/calculator"): ("/calculator", everyone),
        ("POST", "/calculator"): ("/calculator", everyone),
        ("GET", "/api/studies/{study_id}/queue"): (f"/api/studies/{sid}/queue", members),
        ("POST", "/api/studies/{study_id}/calls/{call_id}/decision"): (
            f"/api/studies/{sid}/calls/{call.id}/decision", {"rev", "rev2"}),
        ("POST", "/api/studies/{study_id}/versions/{version_id}/compute"): (
            f"/api/studies/{sid}/versions/{wf.version_id}/compute", {"admin", "dm"}),
        ("POST", "/api/studies/{study_id}/versions"): (
            f"/api/studies/{sid}/versions", {"admin", "dm"}),
        ("POST", "/studies/{study_id}/versions/{version_id}/analyses"): (
            f"/studies/{sid}/versions/{wf.version_id}/analyses", {"admin", "dm"}),
        ("GET", "/studies/{study_id}/analyses"): (f"/studies/{sid}/analyses", members),
        ("GET", "/studies/{study_id}/analyses/{job_id}"): (f"/studies/{sid}/analyses/{job}", members),
        ("GET", "/studies/{study_id}/analyses/{job_id}/status"): (
            f"/studies/{sid}/analyses/{job}/status", members),
        ("GET", "/studies/{study_id}/analyses/{job_id}/files/{name:path}"): (
            f"/studies/{sid}/analyses/{job}/files/report.html", members - {"view"}),
        ("POST", "/api/studies/{study_id}/versions/{version_id}/analyses"): (
            f"/api/studies/{sid}/versions/{wf.version_id}/analyses", {"admin", "dm"}),
        ("GET", "/api/studies/{study_id}/analyses/{job_id}"): (
            f"/api/studies/{sid}/analyses/{job}", members),
    }
    from plasmatrial.web import jsonapi, pages, pages_admin, pages_analysis

    routes = {
        (m, r.path)
        for router in (pages.router, pages_admin.router, jsonapi.router, pages_analysis.router)
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods - {"HEAD"}
    }
    assert routes == set(table), f"routes without a role table entry: {routes ^ set(table)}"
    for (method, _), (url, allowed) in table.items():
        if allowed is None:
            continue
        for name, client in clients.items():
            if method == "GET":
                status = client.get(url, follow_redirects=False).status_code
                assert (status == 200) == (name in allowed), (url, name, status)
            elif name not in allowed and url.startswith("/api/"):
                token = csrf(client, "/studies")
                body = {"action": "accept", "expected_seq": 0}
                status = client.post(url, json=body, headers={"X-CSRF-Token": token}).status_code
                assert status == 403, (url, name, status)
            elif name not in allowed:  # forms: refused roles get 403 and change nothing
                status = form(client, url, {"action": "accept", "expected_seq": "0",
                                            "username": "x", "role": "viewer",
                                            "name": "x", "trial_file": "al_lendex.yaml",
                                            "password": "y" * 12}).status_code
                assert status == 403, (url, name, status)


def test_json_api_queue_and_decision(app: FastAPI, wf: Workflow) -> None:
    rev, viewer = wf.clients["rev"], wf.clients["view"]
    q = viewer.get(f"/api/studies/{wf.study_id}/queue").json()
    assert q["rule_set"] == "CR_2012_RATIO" and q["items"] and "PR" in q["categories"]
    item = next(i for i in q["items"] if i["call_id"] == queued_call(app, wf.run_id, 2).id)
    url = f"/api/studies/{wf.study_id}/calls/{item['call_id']}/decision"
    body = {"action": "override", "category": "VGPR", "reason": "API review",
            "password": PASSWORDS["rev"], "expected_seq": item["seq"]}
    token = csrf(rev, "/studies")
    assert rev.post(url, json=body).status_code == 403  # no CSRF header
    assert viewer.post(url, json=body, headers={"X-CSRF-Token": csrf(viewer, "/studies")}
                       ).status_code == 403
    r = rev.post(url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["effective"] == "VGPR" and out["decision"]["signed"] is True
    assert out["seq"] == item["seq"] + 1
    stale = rev.post(url, json=body, headers={"X-CSRF-Token": token})
    assert stale.status_code == 409
    assert "/api/studies/{study_id}/queue" in viewer.get("/openapi.json").json()["paths"]


def test_adrs_export_uses_adjudicated_categories_with_their_source(
    app: FastAPI, wf: Workflow
) -> None:
    import io

    call = queued_call(app, wf.run_id, 1)
    with app.state.factory() as s:
        seen = s.scalar(select(func.max(Decision.seq)).where(Decision.call_id == call.id)) or 0
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    signed = {"action": "override", "category": "VGPR", "reason": "export check",
              "password": PASSWORDS["rev2"], "expected_seq": str(seen)}
    assert form(wf.clients["rev2"], url, signed).status_code == 303
    assert wf.clients["view"].get(f"/studies/{wf.study_id}/adrs.csv").status_code == 403
    r = wf.clients["rev"].get(f"/studies/{wf.study_id}/adrs.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    adrs = pl.read_csv(io.BytesIO(r.content), infer_schema_length=0)
    row = adrs.filter((pl.col("USUBJID") == call.usubjid) & (pl.col("ADT") == call.adt)
                      & (pl.col("PARAMCD") == call.paramcd)).row(0, named=True)
    assert row["AVALC"] == "VGPR" and row["SRCTYPE"] == "ADJUDICATED" and row["ADJBY"] == "rev2"
    assert row["COMPAVALC"] == call.avalc and row["ADJREAS"] == "export check"
    with app.state.factory() as s:
        n_calls = s.get(ResponseRun, wf.run_id).n_calls  # type: ignore[union-attr]
    assert adrs.height == n_calls
    computed = adrs.filter(pl.col("SRCTYPE") == "COMPUTED")
    assert computed.height > 0 and computed["ADJBY"].null_count() == computed.height
    assert (computed["AVALC"].fill_null("") == computed["COMPAVALC"].fill_null("")).all()
