"""The login throttle per client address is kept in the database (decision 1012): two app
instances on one database (two ``serve --workers`` processes) share its count; the window slides;
a success does not clear an address's failures. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plasmatrial.web.db import make_engine, session_factory, upgrade
from plasmatrial.web.models import LoginFailure
from plasmatrial.web.security import LoginThrottle
from plasmatrial.web.settings import Settings
from tests.web.conftest import (
    ADMIN,
    ADMIN_PW,
    csrf,
    login,
    make_app,
    new_pg_database,
    sqlite_settings,
)

_names = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on a fresh database of each kind."""
    base = sqlite_settings(tmp_path)
    if request.param == "sqlite":
        return base
    url = new_pg_database(request.getfixturevalue("pg_server"), f"throttle{next(_names)}")
    return Settings(url, base.data_dir, base.secret_key)


@pytest.fixture
def two_apps(settings: Settings) -> Iterator[tuple[FastAPI, FastAPI]]:
    """Two app instances, each with its own engine, on the same database: two worker processes."""
    first, second = make_app(settings), make_app(settings)
    yield first, second
    first.state.engine.dispose()
    second.state.engine.dispose()


def _fail(client: TestClient, i: int) -> int:
    data = {"username": f"nobody{i}", "password": "x", "csrf": csrf(client)}
    return client.post("/login", data=data).status_code


def _right_password(client: TestClient) -> int:
    data = {"username": ADMIN, "password": ADMIN_PW, "csrf": csrf(client)}
    r = client.post("/login", data=data, follow_redirects=False)
    assert r.status_code != 429 or "too many failed logins" in r.text
    return r.status_code


def test_the_limit_holds_across_two_apps_sharing_one_database(
    two_apps: tuple[FastAPI, FastAPI],
) -> None:
    first, second = two_apps
    assert first.state.engine is not second.state.engine
    limit = first.state.throttle.max_failures
    assert limit == second.state.throttle.max_failures == 20  # the apps' own throttles
    clients = [TestClient(first), TestClient(second)]
    for i in range(limit):  # alternate: each process sees only half of the failures itself
        assert _fail(clients[i % 2], i) == 401
    for client in clients:  # both refuse now, even the right password
        assert _right_password(client) == 429
    with first.state.factory() as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == limit


def test_a_success_does_not_clear_the_failures(two_apps: tuple[FastAPI, FastAPI]) -> None:
    first, second = two_apps
    for app in two_apps:
        app.state.throttle = LoginThrottle(app.state.factory, max_failures=3, window_s=60)
    client = TestClient(first)
    assert _fail(client, 0) == 401
    assert _fail(TestClient(second), 1) == 401
    login(TestClient(second), ADMIN, ADMIN_PW)  # a success in between
    assert _fail(client, 2) == 401  # the third failure in the window
    assert _right_password(client) == 429
    assert _right_password(TestClient(second)) == 429


def test_the_window_slides_and_old_stamps_are_pruned(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    factory = session_factory(engine)
    t0 = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
    now = [t0]
    throttle = LoginThrottle(factory, max_failures=3, window_s=60, clock=lambda: now[0])
    engine2 = make_engine(settings.database_url)  # another process
    other = LoginThrottle(session_factory(engine2), max_failures=3, window_s=60,
                          clock=lambda: now[0])
    address, long_address = "192.0.2.7", "2001:db8::" + "f" * 90

    def at(seconds: float) -> None:
        now[0] = t0 + dt.timedelta(seconds=seconds)

    for second, who in ((0, throttle), (20, other), (40, throttle)):
        at(second)
        assert who.allowed(address)
        who.failure(address)
    at(59.9)
    assert not throttle.allowed(address) and not other.allowed(address)
    assert throttle.allowed(long_address) and throttle.failures("198.51.100.1") == 0
    at(60)  # the failure at 0 s leaves the window
    assert throttle.allowed(address) and other.failures(address) == 2
    other.failure(address)
    assert not throttle.allowed(address)
    at(80)
    assert throttle.allowed(address)
    for _ in range(3):
        throttle.failure(long_address)  # longer than the column: counted under its first 64
    assert not other.allowed(long_address) and throttle.allowed(address)
    at(200)  # everything has left the window; the next failure prunes the old stamps
    assert throttle.allowed(address) and throttle.allowed(long_address)
    throttle.failure("203.0.113.9")
    with factory() as s:
        rows = list(s.scalars(select(LoginFailure)))
    assert [(r.address, r.failed_at.replace(tzinfo=dt.UTC)) for r in rows] == [
        ("203.0.113.9", t0 + dt.timedelta(seconds=200))
    ]
    engine.dispose()
    engine2.dispose()


def test_nonsense_limits_are_refused(tmp_path: Path) -> None:
    factory = session_factory(make_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    with pytest.raises(ValueError, match="max_failures"):
        LoginThrottle(factory, max_failures=0)
    with pytest.raises(ValueError, match="window_s"):
        LoginThrottle(factory, window_s=0)
