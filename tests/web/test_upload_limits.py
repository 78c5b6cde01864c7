"""Upload limits: an oversize file is refused before validation and nothing is kept."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plasmatrial.web.models import DataVersion
from tests.web.conftest import ADMIN, ADMIN_PW, csrf, login, make_app, sqlite_settings
from tests.web.workflow import form, upload


def test_oversize_file_is_refused_and_nothing_is_kept(
    tmp_path: Path, study_files: dict[str, Path], db_url: str
) -> None:
    settings = dataclasses.replace(
        sqlite_settings(tmp_path), database_url=db_url, max_upload_bytes=2000
    )
    app = make_app(settings)
    admin = login(TestClient(app), ADMIN, ADMIN_PW)
    r = form(admin, "/studies", {"name": "limits", "trial_file": "al_pomdex_phase2.yaml"})
    study_id = int(re.search(r"/studies/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    assert study_files["lb"].stat().st_size > 2000 > study_files["dm"].stat().st_size
    r = upload(admin, study_id, {"dm": study_files["dm"], "lb": study_files["lb"]})
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert "too_large" in r.text and "lb.csv" in r.text  # type: ignore[attr-defined]
    with app.state.factory() as s:
        assert s.scalar(select(func.count(DataVersion.id))) == 0
    app.state.engine.dispose()
    assert not any((settings.data_dir / "staging").iterdir())
    assert not (settings.data_dir / "studies").exists()
    assert csrf(admin, f"/studies/{study_id}")  # the study page still works
