"""Workbench fixtures: a small simulated study on disk, an app on a temporary SQLite database,
and helpers that log in and post forms with the session's CSRF token."""

from __future__ import annotations

import re
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


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    """The workbench on a fresh database, with an admin account."""
    return make_app(sqlite_settings(tmp_path))


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
