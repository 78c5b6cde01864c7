"""One end-to-end workflow through the pages, shared by the SQLite and PostgreSQL tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from plasmatrial.web.models import DataVersion, ResponseCall, ResponseRun, Study
from tests.web.conftest import ADMIN, ADMIN_PW, csrf, login

PASSWORDS = {
    "dm": "data-manager-pw",
    "rev": "reviewer-password",
    "rev2": "reviewer2-password",
    "view": "viewer-password",
}
ROLES = {"dm": "data_manager", "rev": "reviewer", "rev2": "reviewer", "view": "viewer"}


@dataclass
class Workflow:
    """Clients logged in as each role, the study and its first response run."""

    clients: dict[str, TestClient]
    study_id: int
    version_id: int
    run_id: int


def upload(client: TestClient, study_id: int, files: dict[str, Path]) -> object:
    """Upload the given domain files (field name -> path) to a study."""
    token = csrf(client, f"/studies/{study_id}")
    parts = {k: (p.name, p.read_bytes(), "text/csv") for k, p in files.items()}
    return client.post(
        f"/studies/{study_id}/uploads", data={"csrf": token}, files=parts, follow_redirects=False
    )


def form(
    client: TestClient, url: str, data: dict[str, str], headers: dict[str, str] | None = None
) -> Any:
    """POST a form with the session's CSRF token (taken from the study list)."""
    token = csrf(client, "/studies")
    return client.post(url, data={**data, "csrf": token}, headers=headers, follow_redirects=False)


def set_up(app: FastAPI, files: dict[str, Path]) -> Workflow:
    """Admin creates users and a study; the data manager uploads and computes responses."""
    admin = login(TestClient(app), ADMIN, ADMIN_PW)
    for name, pw in PASSWORDS.items():
        assert form(admin, "/admin/users", {"username": name, "password": pw}).status_code == 303
    r = form(admin, "/studies", {"name": "Pom-dex demo", "trial_file": "al_pomdex_phase2.yaml"})
    assert r.status_code == 303, r.text
    study_id = int(re.search(r"/studies/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    for name, role in ROLES.items():
        r = form(admin, f"/studies/{study_id}/members", {"username": name, "role": role})
        assert r.status_code == 303, r.text
    clients = {"admin": admin}
    for name, pw in PASSWORDS.items():
        clients[name] = login(TestClient(app), name, pw)
    r = upload(clients["dm"], study_id, files)
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    factory = app.state.factory
    with factory() as s:
        version = s.scalar(select(DataVersion).where(DataVersion.study_id == study_id))
        assert version is not None
        version_id = version.id
    r = form(clients["dm"], f"/studies/{study_id}/versions/{version_id}/compute", {})
    assert r.status_code == 303, r.text
    with factory() as s:
        run = s.scalar(select(ResponseRun).where(ResponseRun.version_id == version_id))
        assert run is not None
        assert s.get(Study, study_id) is not None
        run_id = run.id
    return Workflow(clients, study_id, version_id, run_id)


def queued_call(app: FastAPI, run_id: int, index: int = 0) -> ResponseCall:
    """The ``index``-th queued call of a run (tests sharing a run decide on different calls)."""
    with app.state.factory() as s:
        calls = s.scalars(
            select(ResponseCall)
            .where(ResponseCall.run_id == run_id, ResponseCall.queue_reason.is_not(None))
            .order_by(ResponseCall.id)
        ).all()
        assert len(calls) > index, f"only {len(calls)} queued calls"
        return calls[index]


def done_job(app: FastAPI, study_id: int, version_id: int) -> int:
    """A finished analysis job with one output file (for route walks; no worker runs)."""
    import json as _json

    from plasmatrial.web import jobs
    from plasmatrial.web.db import transaction
    from plasmatrial.web.models import User

    with transaction(app.state.factory) as s:
        study, version = s.get(Study, study_id), s.get(DataVersion, version_id)
        actor = s.scalar(select(User).where(User.is_admin.is_(True)))
        assert study is not None and version is not None and actor is not None
        job = jobs.create_job(s, actor, study, version, "analysis")
        s.flush()
        folder = jobs.job_folder(app.state.settings.data_dir, job)
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("<p>report</p>", encoding="utf-8")
        job.status, job.folder = "done", str(folder)
        job.files = _json.dumps([{"name": "report.html", "bytes": 13, "sha256": "0" * 64}])
        return int(job.id)
