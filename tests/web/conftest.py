"""Workbench fixtures: a small simulated study on disk, an app on a fresh database (SQLite, and
again on PostgreSQL: one throwaway server per session, one database per app), and helpers that
log in and post forms with the session's CSRF token."""

from __future__ import annotations

import dataclasses
import glob
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed")

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plasmatrial.web import security
from plasmatrial.web.app import create_app
from plasmatrial.web.db import session_factory
from plasmatrial.web.services import ensure_admin
from plasmatrial.web.settings import Settings

# Cheap argon2id parameters for the tests (the server keeps argon2-cffi's defaults): hashing and
# verifying stay real, only the memory and time cost shrink.
security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PW = "admin", "admin-password-1"
N_SUBJECTS = 4


def _bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session: its socket folder (psycopg 3)."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="plasmatrial-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres account
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True)  # noqa: E731
    run(str(bindir / "initdb"), "-D", str(data), "-U", "plasmatrial", "--auth=trust",
        "-E", "UTF8", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
        f"-k {sock} -c listen_addresses='' -F", "start")
    try:
        yield str(sock)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


_pg_names = itertools.count()


def new_pg_database(sock: str, name: str) -> str:
    """Create database ``name`` on the test server; its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(f"host={sock} user=plasmatrial dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://plasmatrial@/{name}?host={sock}"


@pytest.fixture(scope="session")
def study_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """DM, LB, EX, RS of the first subjects of a simulated AL-POMDEX-P2 trial (CSV)."""
    import plasmatrial as pt
    from plasmatrial.synth import simulate_trial_data

    trial = pt.read_trial(ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml")
    data = simulate_trial_data(trial, seed=7)
    keep = data.dm.get_column("USUBJID").head(N_SUBJECTS).implode()
    out = tmp_path_factory.mktemp("study")
    files = {}
    for name in ("dm", "lb", "ex", "rs"):
        frame: pl.DataFrame = getattr(data, name)
        path = out / f"{name}.csv"
        frame.filter(pl.col("USUBJID").is_in(keep)).write_csv(path)
        files[name] = path
    return files


def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file in ``tmp_path``."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        data_dir=tmp_path / "data",
        secret_key="test-secret-key",
    )


def make_app(settings: Settings) -> FastAPI:
    """The app with the first admin created."""
    app = create_app(settings)
    ensure_admin(session_factory(app.state.engine), ADMIN, ADMIN_PW)
    return app


BACKENDS = ["sqlite", "postgresql"]


def database_url(request: pytest.FixtureRequest, folder: Path, name: str) -> str:
    """A fresh database for the backend ``request.param`` names: a SQLite file in ``folder``, or
    database ``name`` plus a session-unique number on the session's PostgreSQL server."""
    if request.param == "postgresql":
        return new_pg_database(request.getfixturevalue("pg_server"), f"{name}_{next(_pg_names)}")
    return sqlite_settings(folder).database_url


def backend_settings(request: pytest.FixtureRequest, folder: Path, name: str) -> Settings:
    """:func:`sqlite_settings` on the backend ``request.param`` names (see :func:`database_url`)."""
    return dataclasses.replace(
        sqlite_settings(folder), database_url=database_url(request, folder, name)
    )


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    return database_url(request, tmp_path, "test")


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    """The workbench on a fresh database (SQLite, then PostgreSQL), with an admin account."""
    web = make_app(dataclasses.replace(sqlite_settings(tmp_path), database_url=db_url))
    yield web
    web.state.engine.dispose()  # PostgreSQL: give the server's connections back


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[FastAPI]:
    """The workbench on a fresh SQLite database only, for tests with nothing database-specific."""
    web = make_app(sqlite_settings(tmp_path))
    yield web
    web.state.engine.dispose()


CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(client: TestClient, page: str = "/login") -> str:
    """The session's CSRF token, read from a page's form."""
    match = CSRF_RE.search(client.get(page).text)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def login(client: TestClient, username: str, password: str) -> TestClient:
    """Log ``client`` in (asserting success)."""
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def post(client: TestClient, url: str, data: dict[str, str], **kw: object) -> object:
    """POST a form with the session's CSRF token."""
    token = csrf(client, "/studies")
    return client.post(url, data={**data, "csrf": token}, follow_redirects=False, **kw)  # type: ignore[arg-type]
