"""Login, lockout, CSRF, first admin, argon2 hashes and the audit rows they leave."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from plasmatrial.web.models import AuditEvent, User
from plasmatrial.web.security import MAX_FAILED_LOGINS
from plasmatrial.web.services import ensure_admin
from tests.web.conftest import ADMIN, ADMIN_PW, csrf, login


def test_pages_need_a_login(app: FastAPI) -> None:
    client = TestClient(app)
    for url in ("/studies", "/studies/1", "/studies/1/queue", "/admin/users"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", url


def test_admin_logs_in_and_the_password_is_argon2_hashed(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    assert "Users" in client.get("/studies").text
    with app.state.factory() as s:
        user = s.scalar(select(User).where(User.username == ADMIN))
        assert user is not None and user.is_admin
        assert user.password_hash.startswith("$argon2id$") and ADMIN_PW not in user.password_hash
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["create", "login"]
    assert ensure_admin(app.state.factory, ADMIN, "another-password") is False


def test_wrong_password_then_lockout(app: FastAPI) -> None:
    client = TestClient(app)
    for _ in range(MAX_FAILED_LOGINS):
        r = client.post("/login", data={"username": ADMIN, "password": "nope", "csrf": csrf(client)})
        assert r.status_code == 401
    # locked: even the right password is refused now
    r = client.post("/login", data={"username": ADMIN, "password": ADMIN_PW, "csrf": csrf(client)})
    assert r.status_code == 401
    with app.state.factory() as s:
        failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "failed_login")).all()
    assert len(failed) == MAX_FAILED_LOGINS + 1
    assert failed[-1].reason == "locked or inactive"


def test_forms_without_the_csrf_token_are_refused(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    r = client.post("/studies", data={"name": "x", "trial_file": "al_lendex.yaml"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/studies", data={"name": "x", "trial_file": "al_lendex.yaml", "csrf": "forged"})
    assert r.status_code == 403


def test_short_passwords_are_refused(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    token = csrf(client, "/admin/users")
    r = client.post("/admin/users", data={"username": "u", "password": "short", "csrf": token})
    assert r.status_code == 400 and "at least" in r.text


def test_security_headers_on_pages(app: FastAPI) -> None:
    r = TestClient(app).get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    cookie = r.headers.get("set-cookie", "")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()


def test_failed_logins_from_one_address_are_throttled(app: FastAPI) -> None:
    from plasmatrial.web.security import LoginThrottle

    app.state.throttle = LoginThrottle(app.state.factory, max_failures=3, window_s=60)
    client = TestClient(app)
    for i in range(3):  # different unknown accounts: no account lockout involved
        data = {"username": f"nobody{i}", "password": "x", "csrf": csrf(client)}
        assert client.post("/login", data=data).status_code == 401
    r = client.post("/login", data={"username": ADMIN, "password": ADMIN_PW, "csrf": csrf(client)})
    assert r.status_code == 429 and "too many failed logins" in r.text
    with app.state.factory() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and last.action == "failed_login" and "too many" in (last.reason or "")
    app.state.throttle = LoginThrottle(app.state.factory)  # below the default limit: logs in
    login(TestClient(app), ADMIN, ADMIN_PW)


def test_change_password_needs_the_current_one(app: FastAPI) -> None:
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    token = csrf(client, "/account/password")
    r = client.post("/account/password", data={"current": "wrong", "new": "new-password-22",
                                               "csrf": token})
    assert r.status_code == 400 and "does not match" in r.text
    r = client.post("/account/password", data={"current": ADMIN_PW, "new": "new-password-22",
                                               "csrf": token})
    assert r.status_code == 200 and 'id="done"' in r.text
    login(TestClient(app), ADMIN, "new-password-22")
    with app.state.factory() as s:
        changed = s.scalars(select(AuditEvent).where(AuditEvent.action == "change_password")).all()
    assert len(changed) == 1 and "new-password" not in (changed[0].new or "")


def test_a_name_taken_at_the_same_instant_is_a_conflict_not_a_crash(
    app: FastAPI, monkeypatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from plasmatrial.web import services

    def taken(*args: object, **kwargs: object) -> None:
        raise IntegrityError("INSERT INTO users ...", None, Exception("UNIQUE constraint failed"))

    monkeypatch.setattr(services, "create_user", taken)
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    token = csrf(client, "/admin/users")
    r = client.post("/admin/users", data={"username": "u1", "password": "long-password",
                                          "csrf": token})
    assert r.status_code == 409 and "just taken" in r.text
