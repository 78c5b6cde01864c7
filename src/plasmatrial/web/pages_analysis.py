"""Trial analyses on a data version, run by a worker process (decision 1001): start, progress,
results and downloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Final

import polars as pl
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from plasmatrial.web import audit
from plasmatrial.web.analysis import ADJUDICATED_FILE
from plasmatrial.web.app import ForbiddenError, check_csrf, factory_of, render
from plasmatrial.web.db import transaction
from plasmatrial.web.jobs import UNFINISHED, JobRunner, create_job
from plasmatrial.web.models import AnalysisJob, DataVersion, User
from plasmatrial.web.pages import DOWNLOADERS, _study_access

router = APIRouter()

#: Who starts a trial analysis: statisticians, data managers and admins.
ANALYSTS: Final = frozenset({"admin", "data_manager", "statistician"})
MEDIA: Final[dict[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
}


def runner_of(request: Request) -> JobRunner:
    """The app's job runner."""
    runner: JobRunner = request.app.state.jobs
    return runner


def _job(session: Session, study_id: int, job_id: int) -> AnalysisJob:
    job = session.get(AnalysisJob, job_id)
    if job is None or job.study_id != study_id:
        raise ForbiddenError("no such analysis in this study")
    return job


def _files(job: AnalysisJob) -> list[dict[str, Any]]:
    """The outputs of a done job (none otherwise: a half-written result is never listed)."""
    if job.status != "done" or not job.files:
        return []
    files: list[dict[str, Any]] = json.loads(job.files)
    return files


def _adjudicated(job: AnalysisJob) -> list[dict[str, Any]]:
    if job.status != "done" or job.folder is None:
        return []
    path = Path(job.folder) / ADJUDICATED_FILE
    if not path.is_file():
        return []
    return pl.read_csv(path, infer_schema=False).to_dicts()


def _job_context(request: Request, session: Session, study_id: int, job_id: int) -> dict[str, Any]:
    user, study, role = _study_access(request, session, study_id)
    job = _job(session, study_id, job_id)
    if runner_of(request).reap(job):
        session.refresh(job)
    version = session.get(DataVersion, job.version_id)
    return {
        "user": user, "study": study, "role": role, "job": job, "version": version,
        "files": _files(job), "adjudicated": _adjudicated(job),
        "can_download": role in DOWNLOADERS, "polling": job.status in UNFINISHED,
        "starter": session.get(User, job.created_by),
    }  # fmt: skip


@router.post("/studies/{study_id}/versions/{version_id}/analyses")
def start_analysis(
    request: Request,
    study_id: int,
    version_id: int,
    pdf: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Queue a trial analysis of a data version with the reviewers' decisions (statisticians,
    data managers, admins); the worker starts at once when a slot is free."""
    check_csrf(request, csrf)
    job = _queue_analysis(request, study_id, version_id, pdf=bool(pdf))
    return RedirectResponse(f"/studies/{study_id}/analyses/{job.job_id}", status_code=303)


def _queue_analysis(request: Request, study_id: int, version_id: int, *, pdf: bool) -> JobOut:
    """Create a queued analysis job of a version of the study (analysts only), then let the
    runner start it when a slot is free; the page and the JSON API both start one here."""
    with transaction(factory_of(request)) as session:
        user, study, _ = _study_access(request, session, study_id, ANALYSTS)
        version = session.get(DataVersion, version_id)
        if version is None or version.study_id != study_id:
            raise ForbiddenError("no such data version in this study")
        out = _job_out(create_job(session, user, study, version, "analysis", pdf=pdf))
    runner_of(request).dispatch()
    return out


@router.get("/studies/{study_id}/analyses", response_class=HTMLResponse)
def analyses(request: Request, study_id: int) -> Response:
    """The study's analyses and response jobs, newest first (a fragment for HTMX)."""
    with factory_of(request)() as session:
        user, study, role = _study_access(request, session, study_id)
        jobs = list(
            session.scalars(
                select(AnalysisJob)
                .where(AnalysisJob.study_id == study_id)
                .order_by(AnalysisJob.id.desc())
                .limit(200)
            )
        )
        versions = {
            v.id: v.number
            for v in session.scalars(select(DataVersion).where(DataVersion.study_id == study_id))
        }
        names = {r[0]: r[1] for r in session.execute(select(User.id, User.username))}
    context = {
        "user": user, "study": study, "role": role, "jobs": jobs, "versions": versions,
        "names": names, "can_download": role in DOWNLOADERS,
    }  # fmt: skip
    template = "_analysis_list.html" if request.headers.get("hx-request") else "analyses.html"
    return render(request, template, context)


@router.get("/studies/{study_id}/analyses/{job_id}", response_class=HTMLResponse)
def analysis_page(request: Request, study_id: int, job_id: int) -> Response:
    """One analysis: its progress while it runs, then its report, datasets and the adjudicated
    calls it used."""
    with factory_of(request)() as session:
        context = _job_context(request, session, study_id, job_id)
    return render(request, "analysis_job.html", context)


@router.get("/studies/{study_id}/analyses/{job_id}/status", response_class=HTMLResponse)
def analysis_status(request: Request, study_id: int, job_id: int) -> Response:
    """The job's status fragment (HTMX polls it every second while the job runs)."""
    with factory_of(request)() as session:
        context = _job_context(request, session, study_id, job_id)
    return render(request, "_analysis_status.html", context)


@router.get("/studies/{study_id}/analyses/{job_id}/files/{name:path}")
def analysis_file(request: Request, study_id: int, job_id: int, name: str) -> Response:
    """A done job's output (roles that download; audited). Only names the job recorded are
    served, from its own folder."""
    factory = factory_of(request)
    with transaction(factory) as session:
        user, study, _ = _study_access(request, session, study_id, DOWNLOADERS)
        job = _job(session, study_id, job_id)
        listed = {str(f["name"]): f for f in _files(job)}
        if name not in listed or job.folder is None:
            return render(
                request, "error.html", {"user": user, "message": f"no output {name!r}"}, 404
            )
        folder = Path(job.folder).resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            return render(
                request, "error.html", {"user": user, "message": f"no output {name!r}"}, 404
            )
        audit.record(
            session, user=user, action="download", entity="analysis_job", entity_id=job.id,
            study_id=study.id, new={"file": name, "sha256": listed[name]["sha256"]},
        )  # fmt: skip
    inline = path.suffix in (".html", ".pdf")
    return FileResponse(
        path,
        media_type=MEDIA.get(path.suffix, "application/octet-stream"),
        filename=f"study{study_id}_analysis{job_id}_{name.replace('/', '_')}",
        content_disposition_type="inline" if inline else "attachment",
    )


# -- JSON API (OpenAPI at /docs) --------------------------------------------------------------


class FileOut(BaseModel):
    """An output of a done job."""

    name: str
    bytes: int
    sha256: str
    url: str


class JobOut(BaseModel):
    """An analysis or response job: status, stage and (when done) its files."""

    job_id: int
    kind: str
    status: str
    stage: str | None
    step: int
    steps: int
    message: str | None
    version_id: int
    run_id: int | None
    n_adjudicated: int | None
    files: list[FileOut]


def _job_out(job: AnalysisJob) -> JobOut:
    base = f"/studies/{job.study_id}/analyses/{job.id}/files/"
    return JobOut(
        job_id=job.id, kind=job.kind, status=job.status, stage=job.stage, step=job.step,
        steps=job.steps, message=job.message, version_id=job.version_id, run_id=job.run_id,
        n_adjudicated=job.n_adjudicated,
        files=[FileOut(name=f["name"], bytes=f["bytes"], sha256=f["sha256"], url=base + f["name"])
               for f in _files(job)],
    )  # fmt: skip


@router.post(
    "/api/studies/{study_id}/versions/{version_id}/analyses",
    response_model=JobOut, status_code=202, tags=["api"],
)  # fmt: skip
def api_start_analysis(
    request: Request, study_id: int, version_id: int, pdf: bool = False
) -> JobOut:
    """Queue a trial analysis of a data version (statisticians, data managers, admins); poll
    ``GET /api/studies/{study_id}/analyses/{job_id}`` until ``done`` or ``failed``."""
    check_csrf(request, None)
    return _queue_analysis(request, study_id, version_id, pdf=pdf)


@router.get("/api/studies/{study_id}/analyses/{job_id}", response_model=JobOut, tags=["api"])
def api_analysis(request: Request, study_id: int, job_id: int) -> JobOut:
    """A job's status, stage and, once done, its files (any member; downloads need a role that
    downloads)."""
    with factory_of(request)() as session:
        _study_access(request, session, study_id)
        job = _job(session, study_id, job_id)
        if runner_of(request).reap(job):
            session.refresh(job)
        return _job_out(job)
