"""Trial analyses in a worker process: an override is used by the re-run analysis; a killed or
vanished worker leaves the job failed with nothing listed (decision 1001)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from plasmatrial.web import jobs
from plasmatrial.web.db import transaction
from plasmatrial.web.models import AnalysisJob, AuditEvent, DataVersion, ResponseRun, Study, User
from plasmatrial.web.settings import Settings
from tests.web.conftest import login, make_app, new_pg_database, sqlite_settings
from tests.web.workflow import PASSWORDS, Workflow, form, queued_call, set_up

STAT_PW = "statistician-pw"
#: Seconds a test waits for a worker (a spawned process imports the library first).
JOB_TIMEOUT_S = 180


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    settings = sqlite_settings(tmp_path_factory.mktemp("web"))
    if request.param == "postgresql":
        url = new_pg_database(request.getfixturevalue("pg_server"), "analysis")
        settings = Settings(url, settings.data_dir, settings.secret_key)
    web = make_app(settings)
    yield web
    web.state.engine.dispose()


@pytest.fixture(scope="module")
def wf(app: FastAPI, study_files: dict[str, Path]) -> Workflow:
    flow = set_up(app, study_files)
    admin = flow.clients["admin"]
    assert form(admin, "/admin/users", {"username": "stat", "password": STAT_PW}).status_code == 303
    r = form(admin, f"/studies/{flow.study_id}/members", {"username": "stat", "role": "statistician"})
    assert r.status_code == 303
    flow.clients["stat"] = login(TestClient(app), "stat", STAT_PW)
    return flow


def wait_for(client: TestClient, study_id: int, job_id: int) -> str:
    """Poll the status fragment until the job is done or failed; its final HTML."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        page = client.get(f"/studies/{study_id}/analyses/{job_id}/status").text
        state = re.search(r'id="job-state">(\w+)<', page)
        assert state, page
        if state.group(1) in ("done", "failed"):
            return page
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {JOB_TIMEOUT_S} s")


def start(client: TestClient, wf: Workflow) -> int:
    r = form(client, f"/studies/{wf.study_id}/versions/{wf.version_id}/analyses", {})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_an_override_is_in_the_audit_trail_and_the_rerun_analysis(
    app: FastAPI, wf: Workflow
) -> None:
    rev, stat, view = wf.clients["rev"], wf.clients["stat"], wf.clients["view"]
    call = queued_call(app, wf.run_id, 0)
    new = "CR" if call.avalc != "CR" else "PR"
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    signed = {"action": "override", "category": new, "reason": "central review <b>x</b>",
              "password": PASSWORDS["rev"], "expected_seq": "0"}  # fmt: skip
    assert form(rev, url, signed).status_code == 303
    assert "central review &lt;b&gt;x&lt;/b&gt;" in rev.get(f"/studies/{wf.study_id}/audit").text

    # a reviewer or viewer does not start analyses
    for who in ("rev", "view"):
        r = form(wf.clients[who], f"/studies/{wf.study_id}/versions/{wf.version_id}/analyses", {})
        assert r.status_code == 403
    t0 = time.monotonic()
    job_id = start(stat, wf)
    assert time.monotonic() - t0 < 5  # the request only queues the job
    # the server answers while the worker runs
    t1 = time.monotonic()
    assert stat.get(f"/studies/{wf.study_id}").status_code == 200
    assert time.monotonic() - t1 < 5
    page = stat.get(f"/studies/{wf.study_id}/analyses/{job_id}").text
    assert "Research software" in page or "research software" in page.lower()
    final = wait_for(stat, wf.study_id, job_id)
    assert 'id="job-state">done<' in final, final

    # the re-run analysis uses the adjudicated category, with its source
    r = stat.get(f"/studies/{wf.study_id}/analyses/{job_id}/files/adam/adrs.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    adrs = pl.read_csv(io.BytesIO(r.content), infer_schema=False)
    row = adrs.filter(
        (pl.col("USUBJID") == call.usubjid) & (pl.col("ADT") == call.adt)
        & (pl.col("PARAMCD") == call.paramcd)
    ).row(0, named=True)  # fmt: skip
    assert (row["AVALC"], row["SRCTYPE"], row["COMPAVALC"]) == (new, "ADJUDICATED", call.avalc)
    assert row["ADJBY"] == "rev" and row["RULEID"] == call.ruleid
    others = adrs.filter(pl.col("SRCTYPE") == "COMPUTED")
    assert others.height > 0
    assert f"<td>{call.usubjid}</td>" in final and f'class="adjudicated">{new}<' in final
    report = stat.get(f"/studies/{wf.study_id}/analyses/{job_id}/files/report.html")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Adjudicated calls" in report.text

    # role checks on downloads; the study page lists the job
    assert view.get(f"/studies/{wf.study_id}/analyses/{job_id}/files/report.html").status_code == 403
    assert view.get(f"/studies/{wf.study_id}/analyses/{job_id}").status_code == 200
    listing = view.get(f"/studies/{wf.study_id}/analyses", headers={"HX-Request": "true"}).text
    assert f"/studies/{wf.study_id}/analyses/{job_id}" in listing and "done" in listing
    assert stat.get(f"/studies/{wf.study_id}/analyses/{job_id}/files/adam%2F..%2Freport.html").status_code == 404
    assert stat.get(f"/studies/{wf.study_id}/analyses/{job_id}/files/nope.csv").status_code == 404

    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None and job.n_adjudicated == 1 and job.run_id == wf.run_id
        names = {f["name"] for f in json.loads(job.files or "[]")}
        actions = [
            (e.action, e.username)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.entity == "analysis_job",
                                         AuditEvent.entity_id == str(job_id))
                .order_by(AuditEvent.id)
            )
        ]  # fmt: skip
    assert {"report.html", "results.json", "adam/adsl.csv", "adam/adrs.csv", "adam/adtte.csv",
            "adam/adrs.json", "adjudicated.csv"} <= names  # fmt: skip
    assert actions == [("start_analysis", "stat"), ("finish_analysis", "worker"),
                       ("download", "stat"), ("download", "stat")]  # fmt: skip


def _queued_job(app: FastAPI) -> int:
    with transaction(app.state.factory) as s:
        study = s.scalars(select(Study)).first()
        version = s.scalars(select(DataVersion).where(DataVersion.study_id == study.id)).first()  # type: ignore[union-attr]
        actor = s.scalar(select(User).where(User.username == "stat"))
        assert study and version and actor
        return jobs.create_job(s, actor, study, version, "analysis").id


def test_a_killed_worker_leaves_the_job_failed_and_nothing_listed(
    app: FastAPI, wf: Workflow
) -> None:
    settings = app.state.settings
    runner = jobs.JobRunner(settings.database_url, settings.data_dir, app.state.factory)
    job_id = _queued_job(app)
    assert runner.dispatch() == [job_id]
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:  # kill -9 the worker once it is inside the job
        with app.state.factory() as s:
            job = s.get(AnalysisJob, job_id)
            assert job is not None and job.status == "running", job and job.message
            if job.stage is not None and job.pid is not None:
                os.kill(job.pid, signal.SIGKILL)
                break
        assert time.monotonic() < deadline
        time.sleep(0.02)
    page = wait_for(wf.clients["stat"], wf.study_id, job_id)
    assert 'id="job-state">failed<' in page
    # the runner that joined the worker says how it ended; a status read in the instant between
    # the join and that record says it ended without finishing
    assert "exit code -9" in page or "ended without finishing" in page
    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None and job.files is None and job.status == "failed"
        folder = jobs.job_folder(settings.data_dir, job)
    assert not folder.exists() and not folder.with_name(folder.name + ".partial").exists()
    r = wf.clients["stat"].get(f"/studies/{wf.study_id}/analyses/{job_id}/files/report.html")
    assert r.status_code == 404
    assert 'id="job-files"' not in wf.clients["stat"].get(
        f"/studies/{wf.study_id}/analyses/{job_id}").text


def test_failing_an_unfinished_job_removes_its_folders(app: FastAPI, wf: Workflow) -> None:
    """A worker killed between renaming its folder and committing leaves no listed result."""
    settings = app.state.settings
    job_id = _queued_job(app)
    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None
        folder = jobs.job_folder(settings.data_dir, job)
    for path in (folder, folder.with_name(folder.name + ".partial")):
        (path / "adam").mkdir(parents=True)
        (path / "report.html").write_text("half")
    assert jobs.fail_unfinished(app.state.factory, settings.data_dir, job_id, "test")
    assert not folder.exists() and not folder.with_name(folder.name + ".partial").exists()
    assert not jobs.fail_unfinished(app.state.factory, settings.data_dir, job_id, "again")


def test_a_job_whose_worker_vanished_fails_at_the_next_start(app: FastAPI, wf: Workflow) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    job_id = _queued_job(app)
    with transaction(app.state.factory) as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None
        job.status, job.pid = "running", int(gone.stdout)
    settings = app.state.settings
    runner = jobs.JobRunner(settings.database_url, settings.data_dir, app.state.factory)
    assert runner.recover() == 1
    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None and job.status == "failed" and "gone" in (job.message or "")


def test_large_versions_get_their_responses_computed_by_a_worker(
    app: FastAPI, wf: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "INLINE_RESPONSE_SUBJECTS", 0)  # every version counts as large
    dm = wf.clients["dm"]
    with app.state.factory() as s:
        runs_before = s.scalars(select(ResponseRun.id)).all()
    r = form(dm, f"/studies/{wf.study_id}/versions/{wf.version_id}/compute", {})
    assert r.status_code == 303 and "/analyses/" in r.headers["location"]
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = wait_for(dm, wf.study_id, job_id)
    assert 'id="job-state">done<' in page and 'id="job-run"' in page
    with app.state.factory() as s:
        job = s.get(AnalysisJob, job_id)
        new_runs = s.scalars(select(ResponseRun).where(ResponseRun.id.not_in(runs_before))).all()
        assert job is not None and [x.id for x in new_runs] == [job.run_id]
        assert new_runs[0].n_calls > 0 and new_runs[0].created_by == job.created_by


def test_an_analysis_that_fails_shows_why_and_lists_nothing(
    app: FastAPI, wf: Workflow, study_files: dict[str, Path], tmp_path: Path
) -> None:
    """An RS file with RSORRES only is refused at upload (decision 1006: the upload checks RS as
    the trial analysis does). A version whose stored RS file was replaced on disk afterwards
    (outside the workbench) passes the upload check but not the trial analysis: the job fails
    with the intake's message and lists no files."""
    import stat

    from tests.web.workflow import upload

    files = dict(study_files)
    rs = pl.read_csv(study_files["rs"], infer_schema=False)
    rs = rs.rename({"RSSTRESC": "RSORRES"}) if "RSORRES" not in rs.columns else rs.drop("RSSTRESC")
    rs.write_csv(tmp_path / "rs_orres.csv")
    files["rs"] = tmp_path / "rs_orres.csv"
    refused = upload(wf.clients["dm"], wf.study_id, files)  # type: ignore[attr-defined]
    assert refused.status_code == 422 and "RSSTRESC" in refused.text
    with app.state.factory() as s:
        version = s.get(DataVersion, wf.version_id)
        assert version is not None
        stored = Path(version.folder) / json.loads(version.files)["RS"]["stored"]
    original, mode = stored.read_bytes(), stored.stat().st_mode
    os.chmod(stored, stat.S_IRUSR | stat.S_IWUSR)
    stored.write_bytes((tmp_path / "rs_orres.csv").read_bytes())
    try:
        r = form(wf.clients["stat"], f"/studies/{wf.study_id}/versions/{wf.version_id}/analyses", {})
        assert r.status_code == 303
        job_id = int(r.headers["location"].rsplit("/", 1)[1])
        page = wait_for(wf.clients["stat"], wf.study_id, job_id)
        assert 'id="job-state">failed<' in page and "RSSTRESC" in page, page
        assert 'id="job-files"' not in page
        with app.state.factory() as s:
            actions = s.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.entity == "analysis_job", AuditEvent.entity_id == str(job_id)
                ).order_by(AuditEvent.id)
            ).all()
        assert actions == ["start_analysis", "fail_analysis"]
    finally:  # the version is the module's: later tests analyse it again
        stored.write_bytes(original)
        os.chmod(stored, mode)


def test_json_api_starts_an_analysis_and_reports_its_files(app: FastAPI, wf: Workflow) -> None:
    from tests.web.conftest import csrf

    stat = wf.clients["stat"]
    url = f"/api/studies/{wf.study_id}/versions/{wf.version_id}/analyses"
    assert stat.post(url).status_code == 403  # no CSRF header
    r = stat.post(url, headers={"X-CSRF-Token": csrf(stat, "/studies")})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["files"] == [] and job["kind"] == "analysis"
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
        job = stat.get(f"/api/studies/{wf.study_id}/analyses/{job['job_id']}").json()
    assert job["status"] == "done", job["message"]
    files = {f["name"]: f for f in job["files"]}
    assert job["step"] == job["steps"] and "adam/adrs.csv" in files
    body = stat.get(files["adam/adsl.csv"]["url"]).content
    assert hashlib.sha256(body).hexdigest() == files["adam/adsl.csv"]["sha256"]
    assert "/api/studies/{study_id}/analyses/{job_id}" in stat.get("/openapi.json").json()["paths"]


def test_recover_leaves_a_job_another_server_process_just_claimed(
    app: FastAPI, wf: Workflow
) -> None:
    """serve --workers N: a worker starting up must not fail a job another one claimed an
    instant ago (its pid not yet recorded); an old claim without a pid is stale."""
    import datetime as dt

    job_id = _queued_job(app)
    with transaction(app.state.factory) as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None
        job.status, job.pid, job.started_at = "running", None, dt.datetime.now(dt.UTC)
    settings = app.state.settings
    runner = jobs.JobRunner(settings.database_url, settings.data_dir, app.state.factory)
    assert runner.recover() == 0
    with transaction(app.state.factory) as s:
        job = s.get(AnalysisJob, job_id)
        assert job is not None and job.status == "running"
        job.started_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=jobs.CLAIM_GRACE_S + 5)
    assert runner.recover() == 1
