"""The patient page and the review queue read what they need in few queries (decision 1009
addendum): user, study, role and latest run in one, the queue's two counts in one, a queue page
with its latest decisions in one; the access checks and the rows they show are unchanged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from plasmatrial.web import review, services
from plasmatrial.web.demo import load_demo
from plasmatrial.web.models import ResponseCall, ResponseRun, Study, User
from plasmatrial.web.pages import category_options
from tests.web.conftest import ADMIN, ADMIN_PW, login

ROW = re.compile(r'<tr id="call-(\d+)">')


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` executes inside the block."""
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _demo(app: FastAPI) -> tuple[int, TestClient]:
    study_id = load_demo(app.state.factory, app.state.settings.data_dir, ADMIN, n_subjects=6)
    assert study_id is not None
    return study_id, login(TestClient(app), ADMIN, ADMIN_PW)


def test_queue_and_patient_pages_take_few_queries(app: FastAPI) -> None:
    study_id, client = _demo(app)
    client.get(f"/studies/{study_id}/queue")  # warm: the pool's first connection
    with counted(app.state.engine) as queue_sql:
        html = client.get(f"/studies/{study_id}/queue").text
    assert ROW.findall(html), "the demo study should queue a few calls"
    assert len(queue_sql) <= 3, queue_sql  # access + run, both counts, the page with decisions
    usubjid = re.search(r'/patients/([^"]+)"', html)
    assert usubjid is not None
    with counted(app.state.engine) as patient_sql:
        page = client.get(f"/studies/{study_id}/patients/{usubjid.group(1)}")
    assert page.status_code == 200
    assert len(patient_sql) <= 6, patient_sql


def test_queue_counts_and_page_match_the_separate_queries(app: FastAPI) -> None:
    study_id, _ = _demo(app)
    with app.state.factory() as session:
        run = session.scalar(select(ResponseRun).order_by(ResponseRun.id.desc()))
        assert run is not None
        assert review.queue_counts(session, run) == (
            review.queue_size(session, run),
            review.queue_size(session, run, subjects_only=True),
        )
        first = review.queue(session, run)[0].call
        admin = session.scalar(select(User).where(User.username == ADMIN))
        assert admin is not None
        reviewer = services.create_user(session, admin, "rev1", "a-long-password-1")
        study = session.get(Study, study_id)
        assert study is not None
        services.add_member(session, admin, study, "rev1", "reviewer")
        for seq in (0, 1):  # two decisions on the same call: the page shows the second
            review.decide(
                session, reviewer, first, run, study_id=study_id, action="accept",
                category=None, reason=f"look {seq}", password=None, expected_seq=seq,
            )
        session.commit()
    with app.state.factory() as session:
        run = session.get(ResponseRun, run.id)
        assert run is not None
        items = review.queue(session, run)
        ids = [i.call.id for i in items]
        latest = review.latest_decisions(session, ids)
        assert [i.decision.id if i.decision else None for i in items] == [
            latest[c].id if c in latest else None for c in ids
        ]
        mine = next(i for i in items if i.call.id == first.id)
        assert mine.seq == 2 and mine.decision is not None and mine.decision.reason == "look 1"
        assert [i.call.id for i in review.queue(session, run, offset=1, limit=2)] == ids[1:3]
        all_calls = session.scalars(
            select(ResponseCall.id).where(
                ResponseCall.run_id == run.id, ResponseCall.queue_reason.is_not(None)
            )
        )
        assert sorted(ids) == sorted(all_calls)


def test_access_errors_are_unchanged(app: FastAPI) -> None:
    study_id, _ = _demo(app)
    anonymous = TestClient(app)
    r = anonymous.get(f"/studies/{study_id}/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    with app.state.factory.begin() as session:
        admin = session.scalar(select(User).where(User.username == ADMIN))
        services.create_user(session, admin, "outsider", "a-long-password-2")
    outsider = login(TestClient(app), "outsider", "a-long-password-2")
    for url in (f"/studies/{study_id}/queue", f"/studies/{study_id}/patients/X",
                f"/studies/{study_id + 99}/queue"):
        assert outsider.get(url).status_code == 403, url
    with app.state.factory.begin() as session:
        user = session.scalar(select(User).where(User.username == "outsider"))
        assert user is not None
        user.is_active = False
    r = outsider.get(f"/studies/{study_id}/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_category_options_are_escaped_once_per_run() -> None:
    html = category_options('["CR", "<b>&"]')
    assert str(html) == "<option>CR</option><option>&lt;b&gt;&amp;</option>"
    assert category_options('["CR", "<b>&"]') is html
