"""The workbench's pages: login, studies, uploads, responses, patients, review queue, audit."""

from __future__ import annotations

import functools
import json
import secrets
from typing import Annotated, Any, BinaryIO, Final

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import Select, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plasmatrial.web import audit, jobs, services, uploads
from plasmatrial.web.app import (
    ForbiddenError,
    LoginRequiredError,
    check_csrf,
    current_user,
    factory_of,
    render,
    settings_of,
)
from plasmatrial.web.db import transaction
from plasmatrial.web.models import (
    ROLES,
    AuditEvent,
    DataVersion,
    Marker,
    Membership,
    ResponseCall,
    ResponseRun,
    Study,
    SubjectSummary,
    User,
)
from plasmatrial.web.review import (
    QueueItem,
    SignatureError,
    decide,
    latest_decisions,
    queue,
    queue_counts,
)
from plasmatrial.web.security import LoginThrottle
from plasmatrial.web.services import WebError
from plasmatrial.web.timeline import render_timeline

router = APIRouter()

UPLOADERS: Final = frozenset({"admin", "data_manager"})
REVIEWERS: Final = frozenset({"reviewer"})
CSRF = Annotated[str, Form()]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _access_query(with_run: bool) -> Select[Any]:
    """User, study, membership role (and the latest run) of ``:uid`` in ``:sid``; built once (the
    statement's construction cost a quarter of the query's CPU; decision 1009 addendum)."""
    columns: list[Any] = [User, Study, Membership.role]
    if with_run:
        columns.append(ResponseRun)
    query = (
        select(*columns)
        .select_from(User)
        .join(Study, Study.id == bindparam("sid"))
        .outerjoin(
            Membership, and_(Membership.user_id == User.id, Membership.study_id == Study.id)
        )
        .where(User.id == bindparam("uid"))
    )
    if with_run:
        latest = (
            select(func.max(ResponseRun.id))
            .join(DataVersion, DataVersion.id == ResponseRun.version_id)
            .where(DataVersion.study_id == Study.id)
            .scalar_subquery()
        )
        query = query.outerjoin(ResponseRun, ResponseRun.id == latest)
    return query


_ACCESS: Final = _access_query(with_run=False)
_ACCESS_RUN: Final = _access_query(with_run=True)


def _study_access(
    request: Request, session: Session, study_id: int, allowed: frozenset[str] | None = None
) -> tuple[User, Study, str]:
    """The user, the study and the user's role there ("admin" for admins); ForbiddenError unless a
    member (and, with ``allowed``, unless the role is one of them)."""
    user, study, role, _run = _access(request, session, study_id, allowed, with_run=False)
    return user, study, role


def _study_access_run(
    request: Request, session: Session, study_id: int, allowed: frozenset[str] | None = None
) -> tuple[User, Study, str, ResponseRun | None]:
    """:func:`_study_access` and the study's latest response run (:func:`_latest_run`), in one
    query (decision 1009 addendum)."""
    return _access(request, session, study_id, allowed, with_run=True)


def _access(
    request: Request,
    session: Session,
    study_id: int,
    allowed: frozenset[str] | None,
    *,
    with_run: bool,
) -> tuple[User, Study, str, ResponseRun | None]:
    """One round trip for the logged-in user, the study, the user's membership role and (with
    ``with_run``) the latest run; the same errors as :func:`current_user` and
    :func:`_study_access`."""
    uid = request.session.get("uid")
    if uid is None:
        raise LoginRequiredError
    query = _ACCESS_RUN if with_run else _ACCESS
    row = session.execute(query, {"uid": int(uid), "sid": study_id}).first()
    if row is None:  # no such study, or no such user: which one decides the error
        current_user(request, session)
        raise ForbiddenError("no such study, or you are not a member of it")
    user, study, member_role = row[0], row[1], row[2]
    run = row[3] if with_run else None
    if not user.is_active:
        raise LoginRequiredError
    role = "admin" if user.is_admin else member_role
    if role is None:
        raise ForbiddenError("no such study, or you are not a member of it")
    if allowed is not None and role not in allowed:
        raise ForbiddenError(f"your role in {study.name} ({role}) does not allow this")
    return user, study, role, run


@functools.lru_cache(maxsize=64)
def category_options(categories_json: str) -> Markup:
    """A run's categories (its ``categories`` JSON) as the ``<option>`` elements of a queue row's
    override list, escaped; built once per process and run, not once per row (decision 1009
    addendum)."""
    return Markup("").join(
        Markup("<option>{}</option>").format(k) for k in json.loads(categories_json)
    )


def _latest_run(session: Session, study_id: int) -> ResponseRun | None:
    return session.scalar(
        select(ResponseRun)
        .join(DataVersion, DataVersion.id == ResponseRun.version_id)
        .where(DataVersion.study_id == study_id)
        .order_by(ResponseRun.id.desc())
    )


def _study_note(run: ResponseRun | None, study: Study) -> str:
    if run is None:
        return f"{study.name}: responses not yet computed (rule set {study.rule_set or 'default'})"
    return f"{run.rule_set} v{run.rule_set_version} ({run.disease.upper()})"


# -- login ------------------------------------------------------------------------------------


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    """The study list."""
    return _see_other("/studies")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The login form."""
    return render(request, "login.html", {})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: CSRF = "",
) -> Response:
    """Log in (every attempt audited; five failures lock the account for 15 minutes)."""
    check_csrf(request, csrf)
    throttle: LoginThrottle = request.app.state.throttle
    address = request.client.host if request.client else "unknown"
    if not throttle.allowed(address):
        with factory_of(request).begin() as session:
            audit.record(
                session, user=None, username=username[:80], action="failed_login",
                entity="user", reason=f"too many failed logins from {address}",
            )
        return render(
            request, "login.html",
            {"error": "too many failed logins from this address; try again in a few minutes"},
            status_code=429,
        )
    with factory_of(request).begin() as session:
        user = services.authenticate(session, username, password)
        uid = None if user is None else user.id
    if uid is None:
        throttle.failure(address)
        return render(
            request, "login.html", {"error": "wrong username or password, or account locked"},
            status_code=401,
        )
    request.session.clear()
    request.session["uid"] = uid
    request.session["csrf"] = secrets.token_urlsafe(32)  # a new token after login
    return _see_other("/studies")


@router.post("/logout")
def logout(request: Request, csrf: CSRF = "") -> Response:
    """Log out."""
    check_csrf(request, csrf)
    request.session.clear()
    return _see_other("/login")


# -- studies ----------------------------------------------------------------------------------


@router.get("/studies", response_class=HTMLResponse)
def studies(request: Request) -> Response:
    """The studies the user is a member of (admins: all), and the new-study form (admins)."""
    with factory_of(request)() as session:
        user = current_user(request, session)
        query = select(Study).order_by(Study.name)
        if not user.is_admin:
            query = query.join(Membership, Membership.study_id == Study.id).where(
                Membership.user_id == user.id
            )
        rows = list(session.scalars(query))
    return render(
        request, "studies.html",
        {"user": user, "studies": rows, "trials": list(services.seed_trials())},
    )


@router.post("/studies")
def create_study(
    request: Request,
    name: Annotated[str, Form()],
    trial_file: Annotated[str, Form()],
    csrf: CSRF = "",
) -> Response:
    """Create a study from a seed trial file (admins)."""
    check_csrf(request, csrf)
    try:
        with transaction(factory_of(request)) as session:
            user = current_user(request, session)
            if not user.is_admin:
                raise ForbiddenError("only an admin creates studies")
            study = services.create_study(session, user, name, trial_file)
            sid = study.id
    except IntegrityError:  # the same name created at the same instant by someone else
        return render(
            request, "error.html", {"message": "that name was just taken; reload and retry"}, 409
        )
    except WebError as exc:
        return render(request, "error.html", {"message": str(exc)}, status_code=400)
    return _see_other(f"/studies/{sid}")


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def study_page(request: Request, study_id: int) -> Response:
    """A study: members, data versions, response runs and the upload form."""
    with factory_of(request)() as session:
        user, study, role = _study_access(request, session, study_id)
        versions = list(
            session.scalars(
                select(DataVersion)
                .where(DataVersion.study_id == study_id)
                .order_by(DataVersion.number.desc())
            )
        )
        runs = {
            v.id: list(
                session.scalars(
                    select(ResponseRun)
                    .where(ResponseRun.version_id == v.id)
                    .order_by(ResponseRun.id.desc())
                )
            )
            for v in versions
        }
        members = session.execute(
            select(User.username, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.study_id == study_id)
            .order_by(User.username)
        ).all()
        run = _latest_run(session, study_id)
        subjects = (
            []
            if run is None
            else list(
                session.scalars(
                    select(ResponseCall.usubjid)
                    .where(ResponseCall.run_id == run.id)
                    .distinct()
                    .order_by(ResponseCall.usubjid)
                )
            )
        )
    return render(
        request, "study.html",
        {
            "user": user, "study": study, "role": role, "versions": versions, "runs": runs,
            "members": members, "roles": ROLES, "run": run, "subjects": subjects,
            "files": {v.id: json.loads(v.files) for v in versions},
            "criteria_note": _study_note(run, study), "can_upload": role in UPLOADERS,
        },
    )


@router.post("/studies/{study_id}/members")
def set_member(
    request: Request,
    study_id: int,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: CSRF = "",
) -> Response:
    """Give a user a role in the study (admins)."""
    check_csrf(request, csrf)
    try:
        with transaction(factory_of(request)) as session:
            user, study, _ = _study_access(request, session, study_id, frozenset({"admin"}))
            services.add_member(session, user, study, username, role)
    except IntegrityError:  # the same name created at the same instant by someone else
        return render(
            request, "error.html", {"message": "that name was just taken; reload and retry"}, 409
        )
    except WebError as exc:
        return render(request, "error.html", {"message": str(exc)}, status_code=400)
    return _see_other(f"/studies/{study_id}")


# -- uploads and responses --------------------------------------------------------------------


UploadField = Annotated[UploadFile | None, File()]


class UploadedDomains:
    """The files of an upload, as multipart fields named by the domain in lower case (DM and LB
    required by the checks; EX, RS, AE, DS, QS, PR and CM optional): a FastAPI dependency of
    the upload page and of ``POST /api/studies/{id}/versions``."""

    def __init__(
        self,
        dm: UploadField = None,
        lb: UploadField = None,
        ex: UploadField = None,
        rs: UploadField = None,
        ae: UploadField = None,
        ds: UploadField = None,
        qs: UploadField = None,
        pr: UploadField = None,
        cm: UploadField = None,
    ) -> None:
        self.given = {"DM": dm, "LB": lb, "EX": ex, "RS": rs, "AE": ae, "DS": ds, "QS": qs,
                      "PR": pr, "CM": cm}  # fmt: skip

    def files(self) -> dict[str, tuple[str, BinaryIO]]:
        """The fields given, with a file name: domain -> (file name, stream)."""
        return {
            d: (up.filename, up.file)
            for d, up in self.given.items()
            if up is not None and up.filename
        }


@router.post("/studies/{study_id}/uploads", response_class=HTMLResponse)
def upload(
    request: Request,
    study_id: int,
    domains: Annotated[UploadedDomains, Depends()],
    csrf: CSRF = "",
) -> Response:
    """Validate uploaded DM/LB (EX, RS, AE, DS, QS, PR, CM); every problem in a table, else a new
    data version."""
    check_csrf(request, csrf)
    settings = settings_of(request)
    factory = factory_of(request)
    with factory() as session:
        user, study, _ = _study_access(request, session, study_id, UPLOADERS)
    try:
        outcome = uploads.receive_upload(
            factory, settings.data_dir, study_id, user, domains.files(),
            limit=settings.max_upload_bytes,
        )  # fmt: skip
    except services.ConflictError as exc:  # the same files accepted at the same instant
        return render(request, "error.html", {"message": str(exc)}, status_code=409)
    if outcome.version is None:
        return render(
            request, "upload_problems.html",
            {"user": user, "study": study, "problems": outcome.problems},
            status_code=422,
        )
    return _see_other(f"/studies/{study_id}")


@router.post("/studies/{study_id}/versions/{version_id}/compute")
def compute(request: Request, study_id: int, version_id: int, csrf: CSRF = "") -> Response:
    """Compute responses for a data version (data managers and admins)."""
    check_csrf(request, csrf)
    factory = factory_of(request)
    with factory() as session:
        user, study, _ = _study_access(request, session, study_id, UPLOADERS)
        version = session.get(DataVersion, version_id)
        if version is None or version.study_id != study_id:
            raise ForbiddenError("no such data version in this study")
    if version.n_subjects > jobs.INLINE_RESPONSE_SUBJECTS:  # a worker process (decision 1001)
        with transaction(factory) as session:
            job_id = jobs.create_job(session, user, study, version, "responses").id
        request.app.state.jobs.dispatch()
        return _see_other(f"/studies/{study_id}/analyses/{job_id}")
    services.compute_responses(factory, study, version, user)
    return _see_other(f"/studies/{study_id}")


# -- patient ----------------------------------------------------------------------------------


@router.get("/studies/{study_id}/patients/{usubjid:path}", response_class=HTMLResponse)
def patient(request: Request, study_id: int, usubjid: str) -> Response:
    """A patient's visits with every call and its explanation, the timeline (categories,
    progression, markers on their own axes, exposure and dose changes, adverse events by grade),
    the baseline stage and organ involvement (decision 1005)."""
    from plasmatrial.web.events import baseline_sections, patient_events
    from plasmatrial.web.timeline import PANELS

    with factory_of(request)() as session:
        user, study, role, run = _study_access_run(request, session, study_id)
        if run is None:
            raise ForbiddenError("responses have not been computed for this study yet")
        calls = list(
            session.scalars(
                select(ResponseCall)
                .where(ResponseCall.run_id == run.id, ResponseCall.usubjid == usubjid)
                .order_by(ResponseCall.adt, ResponseCall.paramcd)
            )
        )
        if not calls:
            return render(
                request, "error.html", {"message": f"no subject {usubjid} in this run"}, 404
            )
        markers = session.execute(
            select(Marker.code, Marker.adt, Marker.value).where(
                Marker.version_id == run.version_id, Marker.usubjid == usubjid
            )
        ).all()
        subject_call = next((c for c in calls if QueueItem(c, None).is_subject), None)
        decisions = latest_decisions(
            session, [c.id for c in calls if c.is_response or c is subject_call]
        )
        summary = session.scalar(
            select(SubjectSummary).where(
                SubjectSummary.run_id == run.id, SubjectSummary.usubjid == usubjid
            )
        )
        version = session.get(DataVersion, run.version_id)
        assert version is not None
    visits: dict[str, list[ResponseCall]] = {}
    for c in calls:
        if c is not subject_call:
            visits.setdefault(c.adt or "", []).append(c)
    main = [(c.adt or "", decisions[c.id].category if c.id in decisions else c.avalc or "NE")
            for c in calls if c.is_response]
    categories = json.loads(run.categories)
    found = patient_events(version.folder, version.files, study.trial_yaml, usubjid)
    svg = render_timeline(
        [(str(m[0]), str(m[1]), float(m[2])) for m in markers],
        main,
        categories=categories,
        panels=PANELS.get(run.disease),
        doses=found.doses,
        events=found.events,
        response_label=f"{run.response_param} per visit",
        title=f"{usubjid}: {run.response_param} per visit, followed markers, exposure and "
        "adverse events over time",
    )
    details = {} if summary is None else json.loads(summary.details)
    return render(
        request, "patient.html",
        {
            "user": user, "study": study, "role": role, "run": run, "usubjid": usubjid,
            "visits": visits, "decisions": decisions, "svg": svg, "summary": summary,
            "details": details, "baseline": baseline_sections(details),
            "progression": categories[-2] if len(categories) >= 3 else None,
            "doses": found.doses, "events": found.events, "has_ex": found.has_ex,
            "has_ae": found.has_ae, "criteria_note": _study_note(run, study),
            "subject_call": subject_call, "events_problem": found.problem,
            "subject_decision": None if subject_call is None else decisions.get(subject_call.id),
        },
    )


# -- review -----------------------------------------------------------------------------------


#: Queue rows per page (decision 1009: the page's cost no longer grows with the study).
QUEUE_PAGE_SIZE: Final = 50


@router.get("/studies/{study_id}/queue", response_class=HTMLResponse)
def queue_page(request: Request, study_id: int, page: int = 1) -> Response:
    """Visits and subjects that need a reviewer: discordant, at a threshold, or not evaluable
    (:data:`QUEUE_PAGE_SIZE` per page, ``?page=2`` ...)."""
    with factory_of(request)() as session:
        user, study, role, run = _study_access_run(request, session, study_id)
        total, n_subjects = (0, 0) if run is None else queue_counts(session, run)
        pages = max(1, -(-total // QUEUE_PAGE_SIZE))
        page = min(max(page, 1), pages)
        first = (page - 1) * QUEUE_PAGE_SIZE
        items = (
            [] if run is None
            else queue(session, run, offset=first, limit=QUEUE_PAGE_SIZE)
        )
    return render(
        request, "queue.html",
        {
            "user": user, "study": study, "role": role, "run": run, "items": items,
            "total": total, "n_subjects": n_subjects, "page": page, "pages": pages,
            "first": first,
            "category_options": category_options("[]" if run is None else run.categories),
            "can_review": role in REVIEWERS, "criteria_note": _study_note(run, study),
        },
    )


@router.post("/studies/{study_id}/calls/{call_id}/decision", response_class=HTMLResponse)
def decision(
    request: Request,
    study_id: int,
    call_id: int,
    action: Annotated[str, Form()],
    expected_seq: Annotated[int, Form()],
    category: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: CSRF = "",
) -> Response:
    """Accept a computed call, or override it (category, reason and password: e-signature)."""
    check_csrf(request, csrf)
    factory = factory_of(request)
    error: str | None = None
    status = 200
    try:
        with transaction(factory) as session:
            user, study, _role = _study_access(request, session, study_id, REVIEWERS)
            call = session.get(ResponseCall, call_id)
            run = None if call is None else session.get(ResponseRun, call.run_id)
            version = None if run is None else session.get(DataVersion, run.version_id)
            if call is None or run is None or version is None or version.study_id != study_id:
                raise ForbiddenError("no such call in this study")
            decide(
                session, user, call, run, study_id=study_id, action=action,
                category=category or None, reason=reason, password=password,
                expected_seq=expected_seq,
            )
    except services.ConflictError as exc:
        error, status = str(exc), 409
    except SignatureError as exc:
        error, status = str(exc), 400
        with factory.begin() as session:
            user = current_user(request, session)
            audit.record(
                session, user=user, action="failed_signature", entity="response_call",
                entity_id=call_id, study_id=study_id,
            )
    except WebError as exc:
        error, status = str(exc), 400
    if not request.headers.get("hx-request"):
        if error is not None:
            return render(request, "error.html", {"message": error}, status_code=status)
        return _see_other(f"/studies/{study_id}/queue")
    with factory() as session:
        user, study, _role = _study_access(request, session, study_id)
        call = session.get(ResponseCall, call_id)
        assert call is not None
        run = session.get(ResponseRun, call.run_id)
        assert run is not None
        item = QueueItem(call, latest_decisions(session, [call.id]).get(call.id))
    return render(
        request, "_queue_row.html",
        {"user": user, "study": study, "item": item, "error": error,
         "category_options": category_options(run.categories), "can_review": True},
        status_code=status,
    )


DOWNLOADERS: Final = frozenset({"admin", "data_manager", "reviewer", "statistician"})


@router.get("/studies/{study_id}/adrs.csv")
def adrs_csv(request: Request, study_id: int) -> Response:
    """The latest run's calls as CSV, adjudicated categories in AVALC with their source
    (spreadsheet formulas neutralised)."""
    import polars as pl

    from plasmatrial.intake.io import neutralise_csv_cells
    from plasmatrial.web.review import ADRS_COLUMNS, adrs_rows

    with factory_of(request)() as session:
        _user, study, _role = _study_access(request, session, study_id, DOWNLOADERS)
        run = _latest_run(session, study_id)
        if run is None:
            raise ForbiddenError("responses have not been computed for this study yet")
        rows = adrs_rows(session, run)
    schema = {c: pl.Float64 if c == "VISITNUM" else pl.String for c in ADRS_COLUMNS}
    frame = pl.DataFrame(rows, schema=schema)
    body = neutralise_csv_cells(frame.select(ADRS_COLUMNS)).write_csv()
    name = f"adrs_study{study.id}_run{run.id}.csv"
    return Response(
        body, media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/studies/{study_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, study_id: int) -> Response:
    """The study's audit trail, newest first."""
    with factory_of(request)() as session:
        user, study, _role = _study_access(request, session, study_id)
        events = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.study_id == study_id)
                .order_by(AuditEvent.id.desc())
                .limit(500)
            )
        )
    return render(request, "audit.html", {"user": user, "study": study, "events": events})
