"""``plasmatrial serve``: the response review workbench (decision 1000)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from plasmatrial.errors import PlasmatrialError

if TYPE_CHECKING:
    from fastapi import FastAPI

ADMIN_USER_ENV = "PLASMATRIAL_ADMIN_USER"
ADMIN_PASSWORD_ENV = "PLASMATRIAL_ADMIN_PASSWORD"
#: What ``serve --workers N`` hands its worker processes (database file, data folder, cookie
#: flag; never a password or the session key, which the workers read as the parent did).
WORKER_ENV = "PLASMATRIAL_SERVE_WORKER"
MAX_WORKERS = 32


def worker_app() -> FastAPI:
    """The app of one ``serve --workers N`` worker process (uvicorn's factory, decision 1009):
    the settings the parent wrote to ``PLASMATRIAL_SERVE_WORKER``; the database URL and the
    session key come from the same environment variables and files as the parent's."""
    from plasmatrial.web.app import create_app
    from plasmatrial.web.db import database_url
    from plasmatrial.web.settings import Settings, secret_key

    raw = os.environ.get(WORKER_ENV)
    if not raw:
        raise PlasmatrialError(f"{WORKER_ENV} is not set: start workers with plasmatrial serve")
    given = json.loads(raw)
    folder = Path(given["data_dir"])
    return create_app(
        Settings(
            database_url=database_url(Path(given["db"])),
            data_dir=folder,
            secret_key=secret_key(folder),
            secure_cookies=bool(given["secure_cookies"]),
        )
    )


def register(app: typer.Typer) -> None:
    """Attach ``serve`` to the root app."""

    @app.command("serve")
    def serve(
        db: Annotated[
            Path,
            typer.Option("--db", help="SQLite database file (ignored when "
                         "PLASMATRIAL_DATABASE_URL is set)"),
        ] = Path("plasmatrial-web/plasmatrial.db"),
        data_dir: Annotated[
            Path | None,
            typer.Option("--data-dir", help="Uploaded files; default: beside the database"),
        ] = None,
        host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port")] = 8000,
        init_admin: Annotated[
            str | None,
            typer.Option("--init-admin", help="Create this admin account first (password from "
                         "PLASMATRIAL_ADMIN_PASSWORD or a prompt)"),
        ] = None,
        secure_cookies: Annotated[
            bool, typer.Option("--secure-cookies", help="Session cookie over HTTPS only")
        ] = False,
        demo: Annotated[
            bool,
            typer.Option("--demo/--no-demo", help="Load the demo study (simulated AL-POMDEX-P2 "
                         "data, responses computed) unless it is there"),
        ] = True,
        workers: Annotated[
            int,
            typer.Option(
                "--workers", min=1, max=MAX_WORKERS,
                help="Server processes (SQLite in WAL mode on a local disk, or PostgreSQL); "
                     "they share the login throttle per client address through the database",
            ),
        ] = 1,
        access_log: Annotated[
            bool, typer.Option("--access-log/--no-access-log", help="Log every request")
        ] = True,
    ) -> None:
        """Serve the response review workbench (web pages on SQLite or PostgreSQL)."""
        try:
            import uvicorn

            from plasmatrial.web.app import create_app
            from plasmatrial.web.db import database_url
            from plasmatrial.web.demo import (
                DEMO_NAME,
                FIRST_ADMIN,
                any_admin,
                first_admin_password,
                load_demo,
            )
            from plasmatrial.web.services import WebError, ensure_admin
            from plasmatrial.web.settings import Settings, secret_key
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise PlasmatrialError(
                f"plasmatrial serve needs the web extra: pip install 'plasmatrial[web]' ({exc})"
            ) from exc
        db.parent.mkdir(parents=True, exist_ok=True)
        folder = data_dir or db.parent / "data"
        settings = Settings(
            database_url=database_url(db),
            data_dir=folder,
            secret_key=secret_key(folder),
            secure_cookies=secure_cookies,
        )
        web = create_app(settings)
        factory = web.state.factory
        admin = init_admin or os.environ.get(ADMIN_USER_ENV)
        try:
            if admin:
                password = os.environ.get(ADMIN_PASSWORD_ENV) or getpass.getpass(
                    f"password for {admin}: "
                )
                made = ensure_admin(factory, admin, password)
                typer.echo(f"admin {admin} " + ("created" if made else "exists"))
            else:
                first = first_admin_password(factory, folder)
                if first is not None:
                    typer.echo(
                        f"first start: admin account {FIRST_ADMIN!r} created; its password is "
                        f"in {first} (readable by you only); change it after logging in"
                    )
            if demo:
                owner = admin or any_admin(factory)
                if owner is not None and load_demo(factory, folder, owner) is not None:
                    typer.echo(f"demo study loaded ({DEMO_NAME})")
        except WebError as exc:
            raise PlasmatrialError(str(exc)) from exc
        where = settings.database_url.split("@")[-1]
        typer.echo(f"plasmatrial workbench on http://{host}:{port} (database {where})")
        if workers == 1:
            uvicorn.run(web, host=host, port=port, log_level="info", access_log=access_log)
            return
        # Several processes: each worker builds its own app (migrations already ran here).
        web.state.engine.dispose()
        os.environ[WORKER_ENV] = json.dumps(
            {"db": str(db), "data_dir": str(folder), "secure_cookies": secure_cookies}
        )
        typer.echo(f"{workers} worker processes")
        uvicorn.run(
            f"{__name__}:worker_app", factory=True, workers=workers, host=host, port=port,
            log_level="info", access_log=access_log,
        )
