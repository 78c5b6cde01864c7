"""The hash-chained audit trail: intact after normal use; a changed, deleted or truncated row is
found; rows written before revision 1001 are chained by the upgrade. Each test runs on SQLite
and on PostgreSQL (the ``app`` and ``db_url`` fixtures); the tampering is plain SQL."""

from __future__ import annotations

from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from plasmatrial.web import audit
from plasmatrial.web.db import alembic_config, make_engine, upgrade
from plasmatrial.web.models import AuditEvent
from tests.web.conftest import ADMIN, ADMIN_PW, csrf, login


def _use(app: FastAPI) -> TestClient:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    for name in ("alice", "bob"):
        token = csrf(client, "/admin/users")
        client.post("/admin/users", data={"username": name, "password": "long-password", "csrf": token})
    client.post("/login", data={"username": "bob", "password": "wrong", "csrf": csrf(client)})
    return client


def _check(app: FastAPI) -> audit.ChainCheck:
    with app.state.factory() as s:
        return audit.verify_chain(s)


def test_chain_is_intact_after_use_and_shown_to_admins(app: FastAPI) -> None:
    client = _use(app)
    check = _check(app)
    assert check.ok and check.n_rows == 5  # admin created, login, 2 users, failed login
    r = client.get("/admin/audit")
    assert r.status_code == 200 and "All 5 audit rows verified" in r.text


def test_a_changed_row_is_found(app: FastAPI) -> None:
    client = _use(app)
    with app.state.factory.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(username="mallory"))
    check = _check(app)
    assert not check.ok and any("content changed" in p for p in check.problems)
    r = client.get("/admin/audit")
    assert r.status_code == 409 and "broken" in r.text


def test_a_deleted_row_is_found(app: FastAPI) -> None:
    _use(app)
    with app.state.factory.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 2))
    assert any("does not follow" in p for p in _check(app).problems)


def test_dropping_the_newest_rows_is_found(app: FastAPI) -> None:
    _use(app)
    with app.state.factory.begin() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq >= 4))  # the rest still chain
    problems = _check(app).problems
    assert problems and all("head counts 5 rows" in p for p in problems)


def test_upgrade_chains_rows_written_before_the_chain(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "1000")
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(text(
                "INSERT INTO audit_events (at, username, action, entity) "
                f"VALUES ('2026-12-0{i + 1} 10:00:00.000000', 'old', 'login', 'user')"
            ))
    upgrade(engine)
    with Session(engine) as s:
        check = audit.verify_chain(s)
        assert check.ok and check.n_rows == 3
        assert [e.seq for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [1, 2, 3]
    engine.dispose()
