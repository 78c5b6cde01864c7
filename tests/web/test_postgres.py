"""The migrations and one workflow on a real PostgreSQL server, started by the ``pg_server``
fixture (conftest: initdb, then pg_ctl on a Unix socket only, in a temporary folder; stopped at
the end of the session). ``test_workflow.py`` runs all its tests on it too."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from plasmatrial.web.models import Base, Decision
from plasmatrial.web.settings import Settings
from tests.web.conftest import make_app, new_pg_database
from tests.web.workflow import PASSWORDS, form, queued_call, set_up


def test_migrations_and_review_workflow_on_postgresql(
    pg_server: str, study_files: dict[str, Path], tmp_path: Path
) -> None:
    url = new_pg_database(pg_server, "review_workflow")
    app = make_app(Settings(database_url=url, data_dir=tmp_path / "data", secret_key="k"))
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
