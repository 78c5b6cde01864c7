"""In Debian's headless chromium (Playwright, no browser download): log in, open a study and a
patient page, and sign an override in the queue through HTMX."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.web.conftest import make_app, sqlite_settings
from tests.web.served import serving
from tests.web.workflow import PASSWORDS, Workflow, queued_call, set_up

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium not installed (make sysdeps)"
)



@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, study_files: dict[str, Path]
) -> Iterator[tuple[str, FastAPI, Workflow]]:
    """The app with a computed study, served by uvicorn on 127.0.0.1 in a thread."""
    app = make_app(sqlite_settings(tmp_path_factory.mktemp("browser")))
    wf = set_up(app, study_files)
    with serving(app) as base:
        yield base, app, wf


def test_login_study_patient_and_signed_override(served: tuple[str, FastAPI, Workflow]) -> None:
    base, app, wf = served
    call = queued_call(app, wf.run_id)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/studies")  # redirected to the login form
            assert page.url.endswith("/login")
            page.fill("input[name=username]", "rev")
            page.fill("input[name=password]", PASSWORDS["rev"])
            page.click("button:has-text('Log in')")
            page.wait_for_url(f"{base}/studies")
            page.click("text=Pom-dex demo")
            assert page.locator("h1").inner_text() == "Pom-dex demo"
            page.click(f"ul.subjects >> text={call.usubjid}")
            assert page.locator("h1").inner_text() == call.usubjid
            assert page.locator("svg.timeline").count() == 1
            assert "research software" in page.locator("#disclaimer").inner_text().lower()
            assert "CR_2012_RATIO v" in page.locator("#criteria-versions").inner_text()
            # the queue: override one call; HTMX swaps the row in place
            page.goto(f"{base}/studies/{wf.study_id}/queue")
            page.evaluate("window.__samePage = true")  # lost if the browser navigates
            row = page.locator(f"#call-{call.id}")
            row.locator("input[value=override]").check()
            row.locator("select[name=category]").select_option("PR")
            row.locator("input[name=reason]").fill("repeat iFLC at the central lab")
            row.locator("input[name=password]").fill(PASSWORDS["rev"])
            row.locator("button:has-text('Record')").click()
            page.locator(f"#call-{call.id} .decided").wait_for(timeout=10_000)
            decided = page.locator(f"#call-{call.id} .decided").inner_text()
            assert "override: PR (signed): repeat iFLC at the central lab" in decided
            assert page.evaluate("window.__samePage === true")  # swapped by HTMX, no reload
            page.goto(f"{base}/studies/{wf.study_id}/audit")
            assert "repeat iFLC at the central lab" in page.locator("#audit").inner_text()
        finally:
            browser.close()


def test_data_manager_sees_every_problem_of_a_bad_upload(
    served: tuple[str, FastAPI, Workflow],
) -> None:
    base, _app, wf = served
    root = Path(__file__).resolve().parents[2]
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "dm")
            page.fill("input[name=password]", PASSWORDS["dm"])
            page.click("button:has-text('Log in')")
            page.wait_for_url(f"{base}/studies")
            page.goto(f"{base}/studies/{wf.study_id}")
            page.set_input_files("input[name=dm]", str(root / "examples/bad/dm.csv"))
            page.set_input_files("input[name=lb]", str(root / "examples/bad/lb_bad.csv"))
            page.click("button:has-text('Upload and validate')")
            table = page.locator("#problems")
            table.wait_for(timeout=30_000)
            assert "Upload refused" in page.locator("h1").inner_text()
            rows = table.locator("tbody tr")
            assert rows.count() >= 5
            assert "lb_bad.csv" in rows.first.inner_text()
            assert "pmol/L" in table.inner_text()
        finally:
            browser.close()


def test_data_manager_uploads_new_files_and_computes(
    served: tuple[str, FastAPI, Workflow], study_files: dict[str, Path], tmp_path: Path
) -> None:
    import polars as pl

    base, _app, wf = served
    keep = pl.read_csv(study_files["dm"]).get_column("USUBJID").head(3).implode()
    for name in ("dm", "lb", "ex", "rs"):  # a smaller cut of the same study: new files
        pl.read_csv(study_files[name], infer_schema_length=0).filter(
            pl.col("USUBJID").is_in(keep)
        ).write_csv(tmp_path / f"{name}_v2.csv")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "dm")
            page.fill("input[name=password]", PASSWORDS["dm"])
            page.click("button:has-text('Log in')")
            page.wait_for_url(f"{base}/studies")
            page.goto(f"{base}/studies/{wf.study_id}")
            for name in ("dm", "lb", "ex", "rs"):
                page.set_input_files(f"input[name={name}]", str(tmp_path / f"{name}_v2.csv"))
            page.click("button:has-text('Upload and validate')")
            page.wait_for_url(f"{base}/studies/{wf.study_id}")
            newest = page.locator("table tbody tr").first
            assert newest.locator("td").first.inner_text() == "2"
            assert "dm_v2.csv" in newest.inner_text()
            newest.locator("button:has-text('Compute responses')").click()
            page.wait_for_url(f"{base}/studies/{wf.study_id}")
            assert page.locator("ul.subjects li").count() == 3
            assert "CR_2012_RATIO v" in page.locator("table tbody tr").first.inner_text()
        finally:
            browser.close()
