"""The migrations and one workflow on a real PostgreSQL server, started by the test in a
temporary folder (initdb, then pg_ctl on a Unix socket only) and stopped afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from plasmatrial.web.models import Base, Decision
from plasmatrial.web.settings import Settings
from tests.web.conftest import make_app
from tests.web.workflow import PASSWORDS, form, queued_call, set_up


def _bindir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL server's URL (psycopg 3, Unix socket)."""
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
        yield f"postgresql+psycopg://plasmatrial@/postgres?host={sock}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_migrations_and_review_workflow_on_postgresql(
    pg_url: str, study_files: dict[str, Path], tmp_path: Path
) -> None:
    app = make_app(Settings(database_url=pg_url, data_dir=tmp_path / "data", secret_key="k"))
    assert app.state.engine.dialect.name == "postgresql"
    with app.state.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    wf = set_up(app, study_files)
    call = queued_call(app, wf.run_id)
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    signed = {"action": "override", "category": "PR", "reason": "central lab value",
              "password": PASSWORDS["rev"], "expected_seq": "0"}
    assert form(wf.clients["rev"], url, signed).status_code == 303
    late = form(wf.clients["rev2"], url, {"action": "accept", "expected_seq": "0"})
    assert late.status_code == 409
    with app.state.factory() as s:
        assert s.scalar(select(func.count(Decision.id))) == 1
    page = wf.clients["view"].get(f"/studies/{wf.study_id}/patients/{call.usubjid}")
    assert page.status_code == 200 and "→ PR (override)" in page.text
    app.state.engine.dispose()
