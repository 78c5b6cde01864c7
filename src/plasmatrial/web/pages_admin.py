"""Account, admin and calculator pages: change password, users, audit-chain check, the
single-patient calculator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plasmatrial.web import audit, forms, services
from plasmatrial.web.app import ForbiddenError, check_csrf, current_user, factory_of, render
from plasmatrial.web.db import transaction
from plasmatrial.web.models import User
from plasmatrial.web.pages import CSRF
from plasmatrial.web.services import WebError

router = APIRouter()


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request) -> Response:
    """The change-password form."""
    with factory_of(request)() as session:
        user = current_user(request, session)
    return render(request, "password.html", {"user": user})


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    csrf: CSRF = "",
) -> Response:
    """Change one's own password (the current one is asked again)."""
    check_csrf(request, csrf)
    try:
        with factory_of(request).begin() as session:
            user = current_user(request, session)
            services.change_password(session, user, current, new)
    except WebError as exc:
        with factory_of(request)() as session:  # the failed transaction expired the user
            user = current_user(request, session)
        return render(request, "password.html", {"user": user, "error": str(exc)}, 400)
    return render(request, "password.html", {"user": user, "done": True})



# -- admin ------------------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    """Accounts (admins)."""
    with factory_of(request)() as session:
        user = current_user(request, session)
        if not user.is_admin:
            raise ForbiddenError("only an admin manages accounts")
        users = list(session.scalars(select(User).order_by(User.username)))
    return render(request, "users.html", {"user": user, "users": users})


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_verify_page(request: Request) -> Response:
    """Verify the whole audit chain (admins): every row recomputed, every break listed."""
    with factory_of(request)() as session:
        user = current_user(request, session)
        if not user.is_admin:
            raise ForbiddenError("only an admin verifies the audit trail")
        check = audit.verify_chain(session)
    return render(request, "audit_verify.html", {"user": user, "check": check},
                  status_code=200 if check.ok else 409)


@router.post("/admin/users")
def create_user(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    is_admin: Annotated[bool, Form()] = False,
    csrf: CSRF = "",
) -> Response:
    """Create an account (admins)."""
    check_csrf(request, csrf)
    try:
        with transaction(factory_of(request)) as session:
            user = current_user(request, session)
            if not user.is_admin:
                raise ForbiddenError("only an admin manages accounts")
            services.create_user(session, user, username, password, is_admin=is_admin)
    except IntegrityError:  # the same name created at the same instant by someone else
        return render(
            request, "error.html", {"message": "that name was just taken; reload and retry"}, 409
        )
    except WebError as exc:
        return render(request, "error.html", {"message": str(exc)}, status_code=400)
    return _see_other("/admin/users")


# -- calculator -------------------------------------------------------------------------------


@router.get("/calculator", response_class=HTMLResponse)
def calculator_form(request: Request, disease: str = "al") -> Response:
    """The single-patient calculator form (any logged-in user; nothing is stored)."""
    from plasmatrial.web import calculator

    with factory_of(request)() as session:
        user = current_user(request, session)
    disease = disease if disease in forms.FIELDS else "al"
    return render(
        request, "calculator.html",
        {"user": user, "disease": disease, "fields": calculator.fields(disease),
         "visits": calculator.VISITS, "ife": calculator.IFE_CHOICES, "form": {}, "result": None},
    )


@router.post("/calculator", response_class=HTMLResponse)
async def calculate(request: Request) -> Response:
    """Validate and adjudicate the typed values; the calls with their explanations."""
    from starlette.concurrency import run_in_threadpool

    from plasmatrial.web import calculator

    raw = await request.form()
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    check_csrf(request, form.get("csrf"))
    with factory_of(request)() as session:
        user = current_user(request, session)
    disease = form.get("disease", "al")
    if disease not in forms.FIELDS:
        raise ForbiddenError(f"disease must be al or mm, got {disease!r}")
    result = await run_in_threadpool(calculator.calculate, disease, form)
    note = (
        request.app.state.criteria_note
        if result.rule_set is None
        else f"{result.rule_set} v{result.version} ({disease.upper()})"
    )
    return render(
        request, "calculator.html",
        {"user": user, "disease": disease, "fields": calculator.fields(disease),
         "visits": calculator.VISITS, "ife": calculator.IFE_CHOICES, "form": form,
         "result": result, "criteria_note": note},
        status_code=422 if result.problems else 200,
    )
