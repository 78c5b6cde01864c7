"""The workbench application: :func:`create_app` (decision 1000).

Server-rendered Jinja2 pages with HTMX (vendored in ``static/``) for partial updates; sessions in a
signed cookie; a CSRF token on every form; migrations run when the app is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plasmatrial import DISCLAIMER, __version__
from plasmatrial.criteria import get_rule_set
from plasmatrial.criteria.core.registry import DEFAULT_RULE_SETS
from plasmatrial.web.db import make_engine, session_factory, upgrade
from plasmatrial.web.models import User
from plasmatrial.web.security import LoginThrottle, new_csrf_token, same_token
from plasmatrial.web.settings import Settings

HERE: Final = Path(__file__).resolve().parent
SESSION_MAX_AGE: Final = 8 * 3600
#: Headers on every response; pages load scripts only from this site (HTMX is vendored).
SECURITY_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)
#: FastAPI's own documentation pages load Swagger UI / ReDoc from a CDN: no CSP there.
NO_CSP_PATHS: Final = ("/docs", "/redoc")


class LoginRequiredError(Exception):
    """No logged-in user: the page redirects to the login form."""


class ForbiddenError(Exception):
    """The user's role does not allow this."""


def default_criteria_note() -> str:
    """The default response rule sets and their versions (pages outside a study state these)."""
    parts = []
    for disease, name in DEFAULT_RULE_SETS.items():
        parts.append(f"{disease}: {name} v{get_rule_set(name).version}")
    return "; ".join(parts)


def factory_of(request: Request) -> sessionmaker[Session]:
    """The app's session factory."""
    factory: sessionmaker[Session] = request.app.state.factory
    return factory


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = new_csrf_token()
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, given: str | None) -> None:
    """Refuse a form whose token (field ``csrf`` or header ``X-CSRF-Token``) is not the session's."""
    token = given or request.headers.get("x-csrf-token")
    if not same_token(request.session.get("csrf"), token):
        raise ForbiddenError("the form expired or did not come from this site (CSRF); reload the page")


def current_user(request: Request, session: Session) -> User:
    """The logged-in, active user, else :class:`LoginRequiredError`."""
    uid = request.session.get("uid")
    user = None if uid is None else session.get(User, int(uid))
    if user is None or not user.is_active:
        raise LoginRequiredError
    return user


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with the common context: user, CSRF token, disclaimer and criteria versions."""
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "csrf": csrf_token(request),
        "disclaimer": DISCLAIMER,
        "version": __version__,
        "criteria_note": request.app.state.criteria_note,
        "user": None,
    }
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` (and :data:`CSP` outside ``/docs``) to every HTTP response.

    A plain ASGI middleware: unlike ``@app.middleware("http")`` it runs no extra task and stream
    per request (decision 1009).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = not str(scope["path"]).startswith(NO_CSP_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if csp:
                    headers["Content-Security-Policy"] = CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings) -> FastAPI:
    """The workbench on ``settings``' database (migrated to the latest schema first)."""
    from plasmatrial.web import jsonapi, pages, pages_admin, pages_analysis
    from plasmatrial.web.jobs import JobRunner

    engine = make_engine(settings.database_url)
    upgrade(engine)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = FastAPI(
        title="plasmatrial response review workbench",
        version=__version__,
        description=DISCLAIMER,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.factory = session_factory(engine)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.auto_reload = False  # no stat() per template and include (decision 1009)
    app.state.templates = templates
    app.state.criteria_note = default_criteria_note()
    app.state.throttle = LoginThrottle(app.state.factory)  # shared by processes (decision 1012)
    app.state.jobs = JobRunner(settings.database_url, settings.data_dir, app.state.factory)
    app.state.jobs.recover()  # jobs a stopped server left running fail; queued ones start
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="plasmatrial_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.add_middleware(SecurityHeadersMiddleware)

    @app.exception_handler(LoginRequiredError)
    async def _login(request: Request, exc: LoginRequiredError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "log in first"}, status_code=401)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return render(request, "error.html", {"message": str(exc)}, status_code=403)

    app.include_router(pages.router)
    app.include_router(pages_admin.router)
    app.include_router(jsonapi.router)
    app.include_router(pages_analysis.router)
    return app
