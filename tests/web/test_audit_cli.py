"""``plasmatrial audit verify`` end to end: a workbench database on SQLite, used through the pages,
verified intact; then a row changed, deleted or reordered in the file with sqlite3, and the command
fails listing the break."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from plasmatrial.cli.app import app as cli
from tests.web.conftest import ADMIN, ADMIN_PW, ROOT, csrf, login, make_app, sqlite_settings


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workbench database with a few audited actions (admin, login, users, a failed login)."""
    monkeypatch.delenv("PLASMATRIAL_DATABASE_URL", raising=False)
    web = make_app(sqlite_settings(tmp_path))
    client = login(TestClient(web), ADMIN, ADMIN_PW)
    for name in ("alice", "bob"):
        token = csrf(client, "/admin/users")
        client.post(
            "/admin/users", data={"username": name, "password": "long-password", "csrf": token}
        )
    client.post("/login", data={"username": "bob", "password": "wrong", "csrf": csrf(client)})
    web.state.engine.dispose()
    return tmp_path / "web.db"


def _verify(db: Path) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["audit", "verify", "--db", str(db)])
    return res.exit_code, res.output


def _sql(db: Path, statement: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(statement)


def test_an_intact_chain_exits_zero(db: Path) -> None:
    code, out = _verify(db)
    assert code == 0, out
    assert "intact: all 5 rows verified" in out


def test_a_changed_row_fails_with_the_row_named(db: Path) -> None:
    _sql(db, "UPDATE audit_events SET username = 'mallory' WHERE seq = 3")
    code, out = _verify(db)
    row = sqlite3.connect(db).execute("SELECT id FROM audit_events WHERE seq = 3").fetchone()[0]
    assert code == 1
    assert "BROKEN" in out and f"row {row}: content changed" in out


def test_a_deleted_row_fails(db: Path) -> None:
    _sql(db, "DELETE FROM audit_events WHERE seq = 2")
    code, out = _verify(db)
    assert code == 1 and "does not follow the previous row" in out


def test_reordered_rows_fail(db: Path) -> None:
    with sqlite3.connect(db) as conn:  # swap the positions of rows 2 and 3
        conn.execute("UPDATE audit_events SET seq = -2 WHERE seq = 2")
        conn.execute("UPDATE audit_events SET seq = 2 WHERE seq = 3")
        conn.execute("UPDATE audit_events SET seq = 3 WHERE seq = -2")
    code, out = _verify(db)
    assert code == 1 and "content changed" in out


def test_a_missing_database_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PLASMATRIAL_DATABASE_URL", raising=False)
    res = CliRunner().invoke(cli, ["audit", "verify", "--db", str(tmp_path / "none.db")])
    assert res.exit_code != 0 and "no database file" in str(res.exception)
    assert not (tmp_path / "none.db").exists()  # nothing created


def test_the_database_url_comes_from_the_environment(db: Path, monkeypatch) -> None:
    monkeypatch.setenv("PLASMATRIAL_DATABASE_URL", f"sqlite:///{db}")
    res = CliRunner().invoke(cli, ["audit", "verify", "--db", "/nonexistent/ignored.db"])
    assert res.exit_code == 0, res.output


def test_the_console_script_exits_one_when_broken(db: Path) -> None:
    _sql(db, "UPDATE audit_events SET reason = 'edited' WHERE seq = 1")
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "plasmatrial.cli.app", "audit", "verify", "--db", str(db)],
        capture_output=True, text=True, env=env, check=False,
    )
    assert out.returncode == 1, out.stderr
    assert "content changed since it was written" in out.stderr
