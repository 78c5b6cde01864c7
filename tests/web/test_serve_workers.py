"""``plasmatrial serve --workers N`` (decision 1009): uvicorn gets the worker factory by import
path, and a worker builds the same app as the parent from what the parent handed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plasmatrial.cli import serve as serve_cli
from plasmatrial.cli.app import app
from plasmatrial.errors import PlasmatrialError


def _start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> list[tuple[object, dict[str, object]]]:
    import uvicorn

    served: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: served.append((target, kw)))
    for env in ("PLASMATRIAL_DATABASE_URL", "PLASMATRIAL_SECRET_KEY", "PLASMATRIAL_ADMIN_USER"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv(serve_cli.WORKER_ENV, "")  # restored (removed) after the test
    monkeypatch.setenv("PLASMATRIAL_ADMIN_PASSWORD", "first-admin-pw")
    args = ["serve", "--db", str(tmp_path / "web" / "app.db"), "--init-admin", "boss",
            "--no-demo", "--port", "8124", *extra]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return served


def test_one_worker_serves_the_app_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served = _start(tmp_path, monkeypatch, "--no-access-log")
    target, kw = served[0]
    assert not isinstance(target, str) and "workers" not in kw
    assert kw["access_log"] is False and kw["host"] == "127.0.0.1"


def test_workers_get_the_factory_and_the_parents_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = _start(tmp_path, monkeypatch, "--workers", "3")
    target, kw = served[0]
    assert target == "plasmatrial.cli.serve:worker_app"
    assert kw["factory"] is True and kw["workers"] == 3 and kw["port"] == 8124
    handed = json.loads(serve_cli.os.environ[serve_cli.WORKER_ENV])
    assert "secret" not in json.dumps(handed).lower()  # the key stays in its 0600 file
    worker = serve_cli.worker_app()
    settings = worker.state.settings
    assert settings.database_url == f"sqlite:///{tmp_path / 'web' / 'app.db'}"
    assert settings.data_dir == tmp_path / "web" / "data"
    key_file = tmp_path / "web" / "data" / "secret_key"
    assert settings.secret_key == key_file.read_text().strip()
    from fastapi.testclient import TestClient

    assert TestClient(worker).get("/healthz").json() == {"status": "ok"}


def test_workers_out_of_range_and_a_worker_without_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "a.db"), "--workers", "0"])
    assert res.exit_code != 0 and "--workers" in res.output
    monkeypatch.delenv(serve_cli.WORKER_ENV, raising=False)
    with pytest.raises(PlasmatrialError, match="plasmatrial serve"):
        serve_cli.worker_app()
