"""The patient page on the demo study (every simulated domain uploaded): exposure periods and dose
changes, adverse events by grade, progression, markers on their own axes and the baseline stage
and organ involvement, each checked against the version's own files (decision 1005)."""

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
from sqlalchemy import select

from plasmatrial.web.demo import load_demo
from plasmatrial.web.models import DataVersion
from tests.web.conftest import ADMIN, ADMIN_PW, login, make_app, sqlite_settings

N = 6


@dataclass
class Demo:
    app: FastAPI
    client: TestClient
    study_id: int
    folder: Path
    pages: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    app = make_app(sqlite_settings(tmp_path_factory.mktemp("patient")))
    study_id = load_demo(app.state.factory, app.state.settings.data_dir, ADMIN, n_subjects=N)
    assert study_id is not None
    with app.state.factory() as s:
        version = s.scalar(select(DataVersion).where(DataVersion.study_id == study_id))
        assert version is not None
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    subjects = pl.read_csv(Path(version.folder) / "dm.csv")["USUBJID"].to_list()
    pages = {}
    for subject in subjects:
        r = client.get(f"/studies/{study_id}/patients/{subject}")
        assert r.status_code == 200, subject
        pages[subject] = r.text
    yield Demo(app, client, study_id, Path(version.folder), pages)
    app.state.engine.dispose()


def _table(html: str, heading_id: str) -> str:
    match = re.search(rf'<h2 id="{heading_id}">.*?(<table>.*?</table>|<p>.*?</p>)', html, re.S)
    assert match, heading_id
    return match.group(1)


def test_adverse_events_table_lists_every_record_with_its_grade(demo: Demo) -> None:
    ae = pl.read_csv(demo.folder / "ae.csv", infer_schema_length=0)
    for subject, html in demo.pages.items():
        mine = ae.filter(pl.col("USUBJID") == subject)
        table = _table(html, "adverse-events")
        assert table.count("<tr class=\"grade-") == mine.height, subject
        for row in mine.iter_rows(named=True):
            assert f'<td>{row["AEDECOD"]}</td><td>{int(row["AETOXGR"])}</td>' in table
        svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)  # type: ignore[union-attr]
        assert svg.count('class="ae') == mine.filter(pl.col("AETOXGR").is_not_null()).height
        assert svg.count('class="ae serious"') == mine.filter(pl.col("AESER") == "Y").height


def test_exposure_periods_cover_every_record_and_show_reductions(demo: Demo) -> None:
    ex = pl.read_csv(demo.folder / "ex.csv", infer_schema_length=0)
    reductions = 0
    for subject, html in demo.pages.items():
        mine = ex.filter(pl.col("USUBJID") == subject)
        table = _table(html, "exposure")
        counts = [int(n) for n in re.findall(r"</td>\n<td>(\d+)</td><td>", table)]
        assert sum(counts) == mine.height, subject  # every EX record in exactly one period
        for drug in mine["EXTRT"].unique():
            assert f"<td>{drug}</td>" in table
        doses = mine.sort("EXTRT", "EXSTDTC").with_columns(
            pl.col("EXDOSE").cast(pl.Float64).diff().over("EXTRT").alias("step"))
        n_down = doses.filter(pl.col("step") < 0).height
        assert table.count(">reduced") == n_down, subject
        assert html.count('class="dose-change"') == n_down + doses.filter(
            pl.col("step") > 0).height
        reductions += n_down
    assert reductions > 0  # the demo has dose reductions to show


def test_progression_is_marked_where_a_visit_is_called_progression(demo: Demo) -> None:
    seen = 0
    for html in demo.pages.values():
        svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)  # type: ignore[union-attr]
        calls = re.findall(r'class="call">([^<]+)</text>', svg)
        assert svg.count('class="progression-line"') == calls.count("PROG")
        seen += calls.count("PROG")
        if "PROG" in calls:
            assert 'class="flag">progression</span>' in html
    assert seen > 0


def test_markers_have_their_own_panels_and_the_baseline_is_named(demo: Demo) -> None:
    html = next(iter(demo.pages.values()))
    panels = re.findall(r'<g class="panel" data-panel="([^"]+)">', html)
    assert panels == ["Free light chains, mg/L (log)", "NT-proBNP, ng/L (log)",
                      "Proteinuria, g/24 h", "eGFR, mL/min/1.73 m²"]
    assert re.search(r'data-panel="NT-proBNP[^"]*">(?:(?!</g>).)*data-marker="NTPROBNP"', html,
                     re.S)
    assert '<abbr title="MAYO2012">Mayo 2012</abbr>' in html
    assert "<h3>Organ involvement</h3>" in html
    dm = pl.read_csv(demo.folder / "dm.csv", infer_schema_length=0)
    for subject, page in demo.pages.items():
        heart = dm.filter(pl.col("USUBJID") == subject)["HEARTFL"][0]
        word = "involved" if heart == "Y" else "not involved"
        assert f'<abbr title="HEARTFL">Heart</abbr></dt><dd>{word}</dd>' in page
    assert "<desc id=\"timeline-desc\">" in html and "adverse events" in html


def test_versions_without_exposure_or_adverse_events_say_so(demo: Demo) -> None:
    from plasmatrial.web.events import patient_events

    with demo.app.state.factory() as s:
        version = s.scalar(select(DataVersion).where(DataVersion.study_id == demo.study_id))
        assert version is not None
        files = json.loads(version.files)
    subject = next(iter(demo.pages))
    found = patient_events(version.folder, json.dumps({"DM": files["DM"]}), "", subject)
    assert found.doses == () and found.events == () and not found.has_ex and not found.has_ae


def test_a_myeloma_patient_has_m_protein_panels(tmp_path: Path) -> None:
    from plasmatrial import api
    from plasmatrial.synth import simulate_trial_data
    from tests.web.conftest import ROOT
    from tests.web.workflow import form, upload

    trial = api.read_trial(ROOT / "examples" / "trials" / "mm_pom_lodex_vs_hidex.yaml")
    data = simulate_trial_data(trial, seed=5)  # 455 subjects (about 7 s); the first 3 are used
    keep = data.dm["USUBJID"].head(3).implode()
    files = {}
    for name in ("dm", "lb", "ex", "rs", "ae"):
        files[name] = tmp_path / f"{name}.csv"
        getattr(data, name).filter(pl.col("USUBJID").is_in(keep)).write_csv(files[name])
    (tmp_path / "web").mkdir()
    app = make_app(sqlite_settings(tmp_path / "web"))
    client = login(TestClient(app), ADMIN, ADMIN_PW)
    r = form(client, "/studies", {"name": "mm", "trial_file": "mm_pom_lodex_vs_hidex.yaml"})
    sid = int(re.search(r"/studies/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    assert upload(client, sid, files).status_code == 303  # type: ignore[attr-defined]
    with app.state.factory() as s:
        version = s.scalar(select(DataVersion).where(DataVersion.study_id == sid))
        assert version is not None
    assert form(client, f"/studies/{sid}/versions/{version.id}/compute", {}).status_code == 303
    html = client.get(f"/studies/{sid}/patients/{data.dm['USUBJID'][0]}").text
    assert re.findall(r'<g class="panel" data-panel="([^"]+)">', html) == [
        "Serum M-protein, g/dL", "Urine M-protein, mg/24 h", "Free light chains, mg/L (log)"]
    assert "OVRLRESP per visit" in html and 'class="dose"' in html
    app.state.engine.dispose()


def test_exposure_reads_from_xpt_as_from_csv_and_a_bad_file_is_reported(
    demo: Demo, tmp_path: Path
) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    from plasmatrial.web.events import patient_events
    from plasmatrial.web.models import Study

    with demo.app.state.factory() as s:
        version = s.scalar(select(DataVersion).where(DataVersion.study_id == demo.study_id))
        study = s.get(Study, demo.study_id)
        assert version is not None and study is not None
        files, yaml = json.loads(version.files), study.trial_yaml
    ex = pl.read_csv(demo.folder / "ex.csv", infer_schema_length=0)
    (tmp_path / "dm.csv").write_bytes((demo.folder / "dm.csv").read_bytes())
    pyreadstat.write_xport(ex.to_pandas(), str(tmp_path / "ex.xpt"), table_name="EX")
    ex.drop("EXDOSE").write_csv(tmp_path / "bad_ex.csv")
    subject = next(iter(demo.pages))
    xpt = {"DM": {**files["DM"], "stored": "dm.csv"}, "EX": {**files["EX"], "stored": "ex.xpt"}}
    from_csv = patient_events(version.folder, version.files, yaml, subject)
    from_xpt = patient_events(str(tmp_path), json.dumps(xpt), yaml, subject)
    assert from_xpt.doses == from_csv.doses and from_xpt.doses and from_xpt.problem is None
    bad = {"DM": xpt["DM"], "EX": {**files["EX"], "stored": "bad_ex.csv"}}
    broken = patient_events(str(tmp_path), json.dumps(bad), yaml, subject)
    assert broken.doses == () and broken.problem and "exposure could not be read" in broken.problem
