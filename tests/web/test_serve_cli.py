"""``plasmatrial serve``: database file, migrations, first admin (uvicorn itself not started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from plasmatrial.cli.app import app
from plasmatrial.web.models import User


def test_serve_creates_database_and_first_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: served.append((web, kw)))
    monkeypatch.delenv("PLASMATRIAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PLASMATRIAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("PLASMATRIAL_ADMIN_PASSWORD", "first-admin-pw")
    db = tmp_path / "web" / "app.db"
    args = ["serve", "--db", str(db), "--init-admin", "boss", "--port", "8123", "--no-demo"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "admin boss created" in res.output and served[0][1]["port"] == 8123  # type: ignore[index]
    assert (tmp_path / "web" / "data" / "secret_key").stat().st_mode & 0o077 == 0
    with Session(create_engine(f"sqlite:///{db}")) as s:
        boss = s.scalar(select(User).where(User.username == "boss"))
        assert boss is not None and boss.is_admin
    again = CliRunner().invoke(app, args)  # a second start keeps the account and the schema
    assert again.exit_code == 0 and "admin boss exists" in again.output


def test_serve_refuses_a_short_admin_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: None)
    monkeypatch.delenv("PLASMATRIAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("PLASMATRIAL_ADMIN_PASSWORD", "short")
    args = ["serve", "--db", str(tmp_path / "a.db"), "--init-admin", "x", "--no-demo"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code != 0
    assert "at least 10 characters" in str(res.exception) + res.output


def test_first_start_without_options_creates_an_admin_with_a_private_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    from plasmatrial.web.security import verify_password

    monkeypatch.setattr(uvicorn, "run", lambda web, **kw: None)
    for env in ("PLASMATRIAL_DATABASE_URL", "PLASMATRIAL_ADMIN_USER", "PLASMATRIAL_ADMIN_PASSWORD"):
        monkeypatch.delenv(env, raising=False)
    db = tmp_path / "app.db"
    res = CliRunner().invoke(app, ["serve", "--db", str(db), "--no-demo"])
    assert res.exit_code == 0, res.output
    secret = tmp_path / "data" / "first-admin-password"
    assert str(secret) in res.output.replace("\n", "")
    assert secret.stat().st_mode & 0o077 == 0
    password = secret.read_text().strip()
    assert password not in res.output
    with Session(create_engine(f"sqlite:///{db}")) as s:
        admin = s.scalar(select(User).where(User.username == "admin"))
        assert admin is not None and admin.is_admin
        assert verify_password(admin.password_hash, password)
    again = CliRunner().invoke(app, ["serve", "--db", str(db), "--no-demo"])
    assert again.exit_code == 0 and "first start" not in again.output


def test_demo_study_is_loaded_once(app) -> None:
    from fastapi.testclient import TestClient

    from plasmatrial.web.demo import DEMO_NAME, load_demo
    from tests.web.conftest import ADMIN, ADMIN_PW, login

    data_dir = app.state.settings.data_dir
    study_id = load_demo(app.state.factory, data_dir, ADMIN, n_subjects=3)
    assert study_id is not None
    assert load_demo(app.state.factory, data_dir, ADMIN, n_subjects=3) is None
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    page = client.get(f"/studies/{study_id}").text
    assert DEMO_NAME in page and "demo_lb.csv" in page and "CR_2012_RATIO" in page
    assert "demo_ex.csv" in page and "demo_ae.csv" in page  # the patient page draws them
    assert page.count('<li><a href="/studies/') == 3  # one link per patient
