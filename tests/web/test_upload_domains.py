"""Uploads of the optional domains (AE, DS, QS, PR, CM beside EX and RS) through the page and the
JSON API: accepted files make a version the trial reader reads as is; a bad AE is refused with
every problem shown; roles and CSRF as on the page (decision 1006)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plasmatrial import api
from plasmatrial.web.models import AuditEvent, DataVersion
from tests.web.conftest import (
    ADMIN,
    ADMIN_PW,
    BACKENDS,
    ROOT,
    backend_settings,
    csrf,
    login,
    make_app,
)
from tests.web.workflow import form, upload

ALL = ("dm", "lb", "ex", "rs", "ae", "ds", "qs", "pr", "cm")


@pytest.fixture(scope="module")
def domain_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every simulated domain of the first five AL-POMDEX-P2 subjects (CSV)."""
    from plasmatrial.synth import simulate_trial_data

    data = simulate_trial_data(
        api.read_trial(ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml"), seed=11
    )
    keep = data.dm.get_column("USUBJID").head(5).implode()
    out = tmp_path_factory.mktemp("domains")
    files = {}
    for name in ALL:
        path = out / f"study_{name}.csv"
        getattr(data, name).filter(pl.col("USUBJID").is_in(keep)).write_csv(path)
        files[name] = path
    return files


@dataclass
class Site:
    app: FastAPI
    study_id: int
    clients: dict[str, TestClient]


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    """An app with a study, a data manager and a viewer."""
    app = make_app(backend_settings(request, tmp_path_factory.mktemp("web"), "domains"))
    admin = login(TestClient(app), ADMIN, ADMIN_PW)
    r = form(admin, "/studies", {"name": "domains", "trial_file": "al_pomdex_phase2.yaml"})
    study_id = int(re.search(r"/studies/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    clients = {"admin": admin}
    for name, role in (("dm", "data_manager"), ("view", "viewer")):
        form(admin, "/admin/users", {"username": name, "password": f"{name}-password-1"})
        form(admin, f"/studies/{study_id}/members", {"username": name, "role": role})
        clients[name] = login(TestClient(app), name, f"{name}-password-1")
    yield Site(app, study_id, clients)
    app.state.engine.dispose()


def _versions(app: FastAPI) -> int:
    with app.state.factory() as s:
        return s.scalar(select(func.count(DataVersion.id))) or 0


def test_every_domain_is_stored_and_reads_as_trial_data(
    site: Site, domain_files: dict[str, Path]
) -> None:
    r = upload(site.clients["dm"], site.study_id, domain_files)
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    with site.app.state.factory() as s:
        version = s.scalars(select(DataVersion).order_by(DataVersion.id.desc())).first()
        assert version is not None
    files = json.loads(version.files)
    assert set(files) == {d.upper() for d in ALL}
    assert files["AE"]["name"] == "study_ae.csv" and files["AE"]["stored"] == "ae.csv"
    inputs = api.read_trial_data(version.folder)  # the trial analysis reads the folder as is
    assert inputs.ae is not None and inputs.ae.height == pl.read_csv(domain_files["ae"]).height
    assert {"ae", "ds", "qs", "pr", "cm", "rs", "ex"} <= set(inputs.present())


def test_a_bad_adverse_event_file_shows_every_problem(
    site: Site, domain_files: dict[str, Path], tmp_path: Path
) -> None:
    ae = pl.read_csv(domain_files["ae"], infer_schema_length=0)
    bad = ae.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("SEVERE"))
        .otherwise(pl.col("AETOXGR")).alias("AETOXGR"),
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("2012-02-30"))
        .otherwise(pl.col("AESTDTC")).alias("AESTDTC"),
    ).drop("AEDECOD")
    path = tmp_path / "my adverse events.csv"
    bad.write_csv(path)
    before = _versions(site.app)
    r = upload(site.clients["dm"], site.study_id,
               {"dm": domain_files["dm"], "lb": domain_files["lb"], "ae": path})
    assert r.status_code == 422  # type: ignore[attr-defined]
    html = r.text  # type: ignore[attr-defined]
    assert html.count("<tr><td>my adverse events.csv") == 3  # grade, date, missing column
    assert "AETOXGR" in html and "SEVERE" in html and "CTCAE grade" in html
    assert "2012-02-30" in html and "AEDECOD" in html and "missing_column" in html
    assert _versions(site.app) == before
    with site.app.state.factory() as s:
        assert s.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "reject_upload"))


def test_optional_domains_must_be_plain_tables(site: Site, domain_files, tmp_path: Path) -> None:
    xpt = tmp_path / "ae.xpt"
    xpt.write_bytes(b"HEADER RECORD")
    r = upload(site.clients["dm"], site.study_id,
               {"dm": domain_files["dm"], "lb": domain_files["lb"], "ae": xpt})
    assert r.status_code == 422 and "file_type" in r.text  # type: ignore[attr-defined]
    assert ".csv, .parquet file for AE" in r.text  # type: ignore[attr-defined]


def _api_upload(client: TestClient, study_id: int, files: dict[str, Path], *,
                token: bool = True) -> object:
    parts = {k: (p.name, p.read_bytes(), "text/csv") for k, p in files.items()}
    headers = {"X-CSRF-Token": csrf(client, "/studies")} if token else {}
    return client.post(f"/api/studies/{study_id}/versions", files=parts, headers=headers)


def test_json_api_upload(site: Site, domain_files: dict[str, Path], tmp_path: Path) -> None:
    dm = site.clients["dm"]
    some = {k: domain_files[k] for k in ("dm", "lb", "ex", "ae")}
    r = _api_upload(dm, site.study_id, some)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    out = r.json()  # type: ignore[attr-defined]
    assert out["created"] is True and set(out["files"]) == {"DM", "LB", "EX", "AE"}
    assert out["files"]["AE"]["name"] == "study_ae.csv" and out["n_subjects"] == 5
    with site.app.state.factory() as s:
        stored = s.get(DataVersion, out["version_id"])
        assert stored is not None and stored.sha256 == out["sha256"]
    again = _api_upload(dm, site.study_id, some)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert again.json()["version_id"] == out["version_id"]  # type: ignore[attr-defined]
    assert again.json()["created"] is False  # type: ignore[attr-defined]
    # refused: every problem as JSON, nothing stored
    bad = tmp_path / "ae.csv"
    pl.read_csv(domain_files["ae"], infer_schema_length=0).with_columns(
        pl.lit("6").alias("AETOXGR")).write_csv(bad)
    before = _versions(site.app)
    r = _api_upload(dm, site.study_id, {**some, "ae": bad})
    assert r.status_code == 422  # type: ignore[attr-defined]
    problems = r.json()["problems"]  # type: ignore[attr-defined]
    assert problems and all(p["file"] == "ae.csv" and p["column"] == "AETOXGR" for p in problems)
    assert _versions(site.app) == before
    missing = _api_upload(dm, site.study_id, {"dm": domain_files["dm"]})
    assert missing.status_code == 422  # type: ignore[attr-defined]
    assert missing.json()["problems"][0]["reason"] == "missing_file"  # type: ignore[attr-defined]
    # roles and CSRF as on the page
    assert _api_upload(site.clients["view"], site.study_id, some).status_code == 403  # type: ignore[attr-defined]
    assert _api_upload(dm, site.study_id, some, token=False).status_code == 403  # type: ignore[attr-defined]
    paths = site.clients["view"].get("/openapi.json").json()["paths"]
    assert "/api/studies/{study_id}/versions" in paths
