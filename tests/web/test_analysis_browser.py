"""In Debian's headless chromium: a reviewer signs an override, an admin sees it in the audit trail
(and the chain intact), runs the trial analysis from the study page, watches its progress and
finds the overridden category in the re-run analysis (decisions 1001, 1002)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi import FastAPI

from tests.web.conftest import ADMIN, ADMIN_PW, make_app, sqlite_settings
from tests.web.served import serving
from tests.web.workflow import PASSWORDS, Workflow, queued_call, set_up

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium not installed (make sysdeps)"
)
REASON = "central review: iFLC repeated"



@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, study_files: dict[str, Path]
) -> Iterator[tuple[str, FastAPI, Workflow]]:
    """The app with a computed study, served by uvicorn on 127.0.0.1 in a thread."""
    app = make_app(sqlite_settings(tmp_path_factory.mktemp("browser-analysis")))
    wf = set_up(app, study_files)
    with serving(app) as base:
        yield base, app, wf


def _log_in(page: object, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("input[name=username]", user)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button:has-text('Log in')")  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/studies")  # type: ignore[attr-defined]


def test_override_audit_trail_and_rerun_analysis(served: tuple[str, FastAPI, Workflow]) -> None:
    base, app, wf = served
    call = queued_call(app, wf.run_id)
    new = "CR" if call.avalc != "CR" else "PR"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            # the reviewer overrides the call with a reason and signs it
            rev = browser.new_context().new_page()
            _log_in(rev, base, "rev", PASSWORDS["rev"])
            rev.goto(f"{base}/studies/{wf.study_id}/queue")
            row = rev.locator(f"#call-{call.id}")
            row.locator("input[value=override]").check()
            row.locator("select[name=category]").select_option(new)
            row.locator("input[name=reason]").fill(REASON)
            row.locator("input[name=password]").fill(PASSWORDS["rev"])
            row.locator("button:has-text('Record')").click()
            rev.locator(f"#call-{call.id} .decided").wait_for(timeout=10_000)
            assert f"override: {new} (signed): {REASON}" in rev.locator(
                f"#call-{call.id} .decided"
            ).inner_text()

            # the admin sees it in the audit trail, the chain intact
            admin = browser.new_context().new_page()
            _log_in(admin, base, ADMIN, ADMIN_PW)
            admin.goto(f"{base}/admin/audit")
            assert admin.locator("#chain-ok").count() == 1
            admin.goto(f"{base}/studies/{wf.study_id}/audit")
            trail = admin.locator("#audit").inner_text()
            assert REASON in trail and "override" in trail

            # runs the trial analysis from the study page and watches it finish
            admin.goto(f"{base}/studies/{wf.study_id}")
            admin.locator("form.analysis-start button").first.click()
            admin.wait_for_url(f"{base}/studies/{wf.study_id}/analyses/*")
            assert "research software" in admin.locator("#disclaimer").inner_text().lower()
            admin.locator("#job-state:has-text('done')").wait_for(timeout=180_000)
            used = admin.locator("#adjudicated").inner_text()
            assert call.usubjid in used and new in used and REASON in used

            # the overridden category is in the re-run analysis's ADRS, with its source
            link = admin.locator("#job-files a:has-text('adam/adrs.csv')")
            with admin.expect_download() as info:
                link.click()
            adrs = pl.read_csv(io.BytesIO(Path(info.value.path()).read_bytes()),
                               infer_schema=False)  # fmt: skip
            hit = adrs.filter(
                (pl.col("USUBJID") == call.usubjid) & (pl.col("ADT") == call.adt)
                & (pl.col("PARAMCD") == call.paramcd)
            ).row(0, named=True)  # fmt: skip
            assert (hit["AVALC"], hit["SRCTYPE"], hit["COMPAVALC"]) == (
                new, "ADJUDICATED", call.avalc,
            )  # fmt: skip
            # the report opens in the browser; the study page lists the analysis
            admin.locator("#job-files a:has-text('report.html')").click()
            admin.wait_for_url("**/files/report.html")
            assert "research software" in admin.content().lower()
            admin.goto(f"{base}/studies/{wf.study_id}")
            admin.locator("#analyses td.status-done").first.wait_for(timeout=10_000)
        finally:
            browser.close()
