"""The review queue page is paged (decision 1009): every queued call appears on exactly one page,
in the order of the JSON API's full queue, and an out-of-range page number shows the nearest page."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plasmatrial.web import pages
from plasmatrial.web.demo import load_demo
from tests.web.conftest import ADMIN, ADMIN_PW, login

ROW = re.compile(r'<tr id="call-(\d+)">')


def test_queue_pages_hold_every_queued_call_once(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    study_id = load_demo(app.state.factory, app.state.settings.data_dir, ADMIN, n_subjects=None)
    assert study_id is not None
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    api_items = client.get(f"/api/studies/{study_id}/queue").json()["items"]
    full = [i["call_id"] for i in api_items]
    n_subjects = sum(i["level"] == "subject" for i in api_items)
    assert len(full) >= 3, "the demo study should queue a few calls"
    size = 2
    monkeypatch.setattr(pages, "QUEUE_PAGE_SIZE", size)
    n_pages = -(-len(full) // size)
    seen: list[int] = []
    for page in range(1, n_pages + 1):
        html = client.get(f"/studies/{study_id}/queue?page={page}").text
        rows = [int(x) for x in ROW.findall(html)]
        assert len(rows) == (size if page < n_pages else len(full) - size * (n_pages - 1))
        assert (
            f"{len(full) - n_subjects} visits and {n_subjects} subjects' best responses need"
            in html
        )
        assert f"page {page} of {n_pages}" in html
        assert ('rel="next"' in html) == (page < n_pages)
        assert ('rel="prev"' in html) == (page > 1)
        seen += rows
    assert seen == full  # same order as the whole queue, nothing twice, nothing left out
    last = client.get(f"/studies/{study_id}/queue?page={n_pages + 5}").text
    assert [int(x) for x in ROW.findall(last)] == full[size * (n_pages - 1):]
    first = client.get(f"/studies/{study_id}/queue?page=0").text
    assert [int(x) for x in ROW.findall(first)] == full[:size]


def test_a_short_queue_has_no_pager(app: FastAPI) -> None:
    study_id = load_demo(app.state.factory, app.state.settings.data_dir, ADMIN, n_subjects=3)
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    html = client.get(f"/studies/{study_id}/queue").text
    assert len(ROW.findall(html)) <= pages.QUEUE_PAGE_SIZE
    assert 'class="pager"' not in html
