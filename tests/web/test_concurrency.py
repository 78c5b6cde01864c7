"""Two reviewers deciding the same visit at the same moment (two threads, two sessions): one
decision is recorded, the other reviewer gets a conflict, nothing is overwritten or lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from plasmatrial.web.models import AuditEvent, Decision
from plasmatrial.web.settings import Settings
from tests.web.conftest import make_app, new_pg_database, sqlite_settings
from tests.web.workflow import PASSWORDS, form, queued_call, set_up


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FastAPI]:
    settings = sqlite_settings(tmp_path)
    if request.param == "postgresql":
        url = new_pg_database(request.getfixturevalue("pg_server"), "concurrency")
        settings = Settings(url, settings.data_dir, settings.secret_key)
    web = make_app(settings)
    yield web
    web.state.engine.dispose()


def test_simultaneous_decisions_one_wins(app: FastAPI, study_files: dict[str, Path]) -> None:
    wf = set_up(app, study_files)
    call = queued_call(app, wf.run_id, 0)
    url = f"/studies/{wf.study_id}/calls/{call.id}/decision"
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}
    errors: dict[str, str] = {}

    def decide(name: str, category: str) -> None:
        client = wf.clients[name]
        data = {"action": "override", "category": category, "reason": f"by {name}",
                "password": PASSWORDS[name], "expected_seq": "0"}
        barrier.wait()
        try:
            statuses[name] = form(client, url, data).status_code
        except Exception as exc:  # a server error would end the thread: record it
            errors[name] = repr(exc)

    threads = [
        threading.Thread(target=decide, args=("rev", "PR")),
        threading.Thread(target=decide, args=("rev2", "VGPR")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(statuses.values()) == [303, 409], statuses
    winner = next(n for n, s in statuses.items() if s == 303)
    with app.state.factory() as s:
        decisions = s.scalars(select(Decision).where(Decision.call_id == call.id)).all()
        audited = s.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.entity == "response_call", AuditEvent.action == "override"
            )
        )
    assert len(decisions) == 1 and decisions[0].reason == f"by {winner}"
    assert audited == 1
