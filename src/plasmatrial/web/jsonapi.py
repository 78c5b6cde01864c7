"""The JSON API beside the pages (OpenAPI at ``/docs``): upload, compute, queue, decisions.

Same session cookie, roles and CSRF rule as the pages (POSTs carry ``X-CSRF-Token``); the same
services do the work, so a decision made here and one made on the page are indistinguishable.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from plasmatrial.web import services, uploads
from plasmatrial.web.app import ForbiddenError, check_csrf, factory_of, settings_of
from plasmatrial.web.db import transaction
from plasmatrial.web.models import DataVersion, Decision, ResponseCall, ResponseRun
from plasmatrial.web.pages import (
    REVIEWERS,
    UPLOADERS,
    UploadedDomains,
    _latest_run,
    _study_access,
)
from plasmatrial.web.review import QueueItem, SignatureError, decide, latest_decisions, queue

router = APIRouter(prefix="/api", tags=["api"])


class DecisionOut(BaseModel):
    """A reviewer's decision."""

    seq: int
    action: str
    category: str
    reason: str | None
    signed: bool
    reviewer_id: int
    created_at: str


class QueueItemOut(BaseModel):
    """A call that needs a reviewer, with its latest decision."""

    call_id: int
    level: Literal["visit", "subject"] = Field(
        description="visit: one visit's call; subject: the subject's best overall response"
    )
    usubjid: str
    adt: str | None
    visit: str | None
    paramcd: str
    computed: str | None
    ruleid: str | None
    explain: str | None
    investigator: str | None
    queue_reason: str | None
    seq: int
    effective: str | None
    decision: DecisionOut | None


class QueueOut(BaseModel):
    """The review queue of a study's latest response run."""

    study_id: int
    run_id: int | None
    rule_set: str | None
    rule_set_version: str | None
    categories: list[str]
    items: list[QueueItemOut]


class DecisionIn(BaseModel):
    """Accept the computed call, or override it (category, reason and password to sign)."""

    action: Literal["accept", "override"]
    expected_seq: int = Field(ge=0, description="decisions seen so far (409 when stale)")
    category: str | None = None
    reason: str = ""
    password: str | None = None


class RunOut(BaseModel):
    """A response run."""

    run_id: int
    version_id: int
    rule_set: str
    rule_set_version: str
    n_calls: int


class ProblemOut(BaseModel):
    """One validation problem of a refused upload (as the upload page's table shows it)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str | None
    reason: str | None


class UploadRefusedOut(BaseModel):
    """A refused upload: nothing was stored."""

    detail: str
    problems: list[ProblemOut]


class FileOut(BaseModel):
    """One stored file of a data version."""

    name: str
    sha256: str
    bytes: int


class VersionOut(BaseModel):
    """An accepted upload's data version (``created`` False: the same files were there)."""

    version_id: int
    number: int
    sha256: str
    n_subjects: int
    created: bool
    files: dict[str, FileOut]


def _decision(d: Decision | None) -> DecisionOut | None:
    if d is None:
        return None
    return DecisionOut(
        seq=d.seq, action=d.action, category=d.category, reason=d.reason, signed=d.signed,
        reviewer_id=d.reviewer_id, created_at=d.created_at.isoformat(),
    )


def _item(item: QueueItem) -> QueueItemOut:
    c = item.call
    return QueueItemOut(
        call_id=c.id, level="subject" if item.is_subject else "visit", usubjid=c.usubjid, adt=c.adt, visit=c.visit, paramcd=c.paramcd,
        computed=c.avalc, ruleid=c.ruleid, explain=c.explain, investigator=c.investigator,
        queue_reason=c.queue_reason, seq=item.seq, effective=item.effective,
        decision=_decision(item.decision),
    )


@router.get("/studies/{study_id}/queue", response_model=QueueOut)
def api_queue(request: Request, study_id: int) -> QueueOut:
    """The review queue of the study's latest run (any member)."""
    with factory_of(request)() as session:
        _study_access(request, session, study_id)
        run = _latest_run(session, study_id)
        items = [] if run is None else queue(session, run)
        return QueueOut(
            study_id=study_id,
            run_id=None if run is None else run.id,
            rule_set=None if run is None else run.rule_set,
            rule_set_version=None if run is None else run.rule_set_version,
            categories=[] if run is None else json.loads(run.categories),
            items=[_item(i) for i in items],
        )


@router.post(
    "/studies/{study_id}/calls/{call_id}/decision",
    response_model=QueueItemOut,
    responses={400: {"description": "refused"}, 409: {"description": "decided meanwhile"}},
)
def api_decide(request: Request, study_id: int, call_id: int, body: DecisionIn) -> object:
    """Record a decision (reviewers of the study)."""
    check_csrf(request, None)
    factory = factory_of(request)
    try:
        with transaction(factory) as session:
            user, _study, _role = _study_access(request, session, study_id, REVIEWERS)
            call = session.get(ResponseCall, call_id)
            run = None if call is None else session.get(ResponseRun, call.run_id)
            version = None if run is None else session.get(DataVersion, run.version_id)
            if call is None or run is None or version is None or version.study_id != study_id:
                raise ForbiddenError("no such call in this study")
            decide(
                session, user, call, run, study_id=study_id, action=body.action,
                category=body.category, reason=body.reason, password=body.password,
                expected_seq=body.expected_seq,
            )
    except services.ConflictError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    except SignatureError as exc:
        from plasmatrial.web import audit
        from plasmatrial.web.app import current_user

        with factory.begin() as session:
            audit.record(
                session, user=current_user(request, session), action="failed_signature",
                entity="response_call", entity_id=call_id, study_id=study_id,
            )
        return JSONResponse({"detail": str(exc)}, status_code=400)
    except services.WebError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)
    with factory() as session:
        call = session.get(ResponseCall, call_id)
        assert call is not None
        return _item(QueueItem(call, latest_decisions(session, [call_id]).get(call_id)))


@router.post("/studies/{study_id}/versions/{version_id}/compute", response_model=RunOut)
def api_compute(request: Request, study_id: int, version_id: int) -> RunOut:
    """Compute responses for a data version (data managers and admins)."""
    check_csrf(request, None)
    factory = factory_of(request)
    with factory() as session:
        user, study, _ = _study_access(request, session, study_id, UPLOADERS)
        version = session.get(DataVersion, version_id)
        if version is None or version.study_id != study_id:
            raise ForbiddenError("no such data version in this study")
    run = services.compute_responses(factory, study, version, user)
    return RunOut(
        run_id=run.id, version_id=version.id, rule_set=run.rule_set,
        rule_set_version=run.rule_set_version, n_calls=run.n_calls,
    )


@router.post(
    "/studies/{study_id}/versions",
    response_model=VersionOut,
    status_code=201,
    responses={
        200: {"model": VersionOut, "description": "the same files: the existing version"},
        422: {"model": UploadRefusedOut, "description": "refused: every problem listed"},
    },
)
def api_upload(
    request: Request,
    study_id: int,
    domains: Annotated[UploadedDomains, Depends()],
) -> object:
    """Upload DM and LB (EX, RS, AE, DS, QS, PR, CM optional) as multipart fields named by the
    domain in lower case; validated as on the study page (data managers and admins)."""
    check_csrf(request, None)
    settings = settings_of(request)
    factory = factory_of(request)
    with factory() as session:
        user, _study, _ = _study_access(request, session, study_id, UPLOADERS)
    try:
        outcome = uploads.receive_upload(
            factory, settings.data_dir, study_id, user, domains.files(),
            limit=settings.max_upload_bytes,
        )  # fmt: skip
    except services.ConflictError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=409)
    if outcome.version is None:
        refused = UploadRefusedOut(
            detail=f"upload refused: {len(outcome.problems)} problem(s); nothing was stored",
            problems=[
                ProblemOut(file=p.file, row=p.row, column=p.column, value=p.value,
                           expected=p.expected, reason=p.reason)
                for p in outcome.problems
            ],
        )
        return JSONResponse(refused.model_dump(), status_code=422)
    v = outcome.version
    body = VersionOut(
        version_id=v.id, number=v.number, sha256=v.sha256, n_subjects=v.n_subjects,
        created=outcome.created,
        files={
            d: FileOut(name=f["name"], sha256=f["sha256"], bytes=f["bytes"])
            for d, f in json.loads(v.files).items()
        },
    )
    return JSONResponse(body.model_dump(), status_code=201 if outcome.created else 200)
