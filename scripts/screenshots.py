"""Regenerate the README screenshots of the workbench (needs Debian chromium and Playwright).

Usage: ``PYTHONPATH=src .venv/bin/python scripts/screenshots.py [OUT_DIR]`` (default
``docs/img``). Starts ``plasmatrial serve`` on 127.0.0.1 with a fresh database in a temporary
folder (the demo study: simulated AL-POMDEX-P2, responses computed), logs in as the admin it
creates, adds a reviewer and logs in as that reviewer, then saves two 1280x800 pages:
``workbench-patient.png`` (the patient of the first queued call, from just above the marker
timeline with its response bands: the timeline and the first visits) and ``workbench-queue.png`` (the review queue with its decision forms).
The server is stopped at the end; nothing outside the temporary folder and OUT_DIR is written.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, ViewportSize

ROOT: Final = Path(__file__).resolve().parents[1]
CHROMIUM: Final = shutil.which("chromium") or "/usr/bin/chromium"
HOST: Final = "127.0.0.1"
WIDTH, HEIGHT = 1280, 800
CLI: Final = "from plasmatrial.cli.app import main; main()"
ADMIN: Final = "admin"
REVIEWER: Final = "reviewer"
#: Colours kept in the saved PNGs (the pages are flat: a palette keeps them small).
COLOURS: Final = 128


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"plasmatrial serve exited ({proc.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"plasmatrial serve did not answer within {timeout:.0f} s")


def _save(png: bytes, path: Path) -> None:
    """``png`` as a palette PNG (flat pages: small files, no visible loss)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


def shoot(base: str, admin_pw: str, out: Path) -> None:
    """Log in, add a reviewer, and save the patient page and the review queue."""
    from playwright.sync_api import sync_playwright

    from plasmatrial.web.demo import DEMO_NAME

    reviewer_pw = secrets.token_urlsafe(12)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            viewport: ViewportSize = {"width": WIDTH, "height": HEIGHT}
            page = browser.new_page(viewport=viewport)

            def log_in(user: str, password: str) -> None:
                page.goto(f"{base}/login")
                page.fill("input[name=username]", user)
                page.fill("input[name=password]", password)
                page.click("button:has-text('Log in')")
                page.wait_for_url(f"{base}/studies")

            log_in(ADMIN, admin_pw)
            page.goto(f"{base}/admin/users")
            page.fill("input[name=username]", REVIEWER)
            page.fill("input[name=password]", reviewer_pw)
            page.click("button:has-text('Create user')")
            page.goto(f"{base}/studies")
            page.click(f"text={DEMO_NAME}")
            study_url = page.url
            page.fill("form[action$='/members'] input[name=username]", REVIEWER)
            page.select_option("form[action$='/members'] select[name=role]", "reviewer")
            page.click("button:has-text('Set role')")
            page.click("button:has-text('Log out')")
            log_in(REVIEWER, reviewer_pw)

            page.goto(f"{study_url}/queue")
            first = page.locator("#queue tbody tr a").first
            patient_url = first.get_attribute("href")
            if patient_url is None:
                raise SystemExit("the demo study's queue is empty")
            _save(page.screenshot(), out / "workbench-queue.png")
            page.goto(f"{base}{patient_url}")
            figure = page.locator("svg.timeline")
            figure.wait_for()
            box = figure.bounding_box()
            top = 0.0 if box is None else max(0.0, box["y"] + page.evaluate("window.scrollY") - 16)
            clip: FloatRect = {"x": 0.0, "y": top, "width": WIDTH, "height": HEIGHT}
            # from just above the timeline: the marker curves, the response bands, the visits
            _save(page.screenshot(full_page=True, clip=clip), out / "workbench-patient.png")
        finally:
            browser.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        raise SystemExit("Debian chromium is not installed (make sysdeps)")
    admin_pw = secrets.token_urlsafe(16)
    port = _free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="plasmatrial-shots-") as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PLASMATRIAL_DATABASE_URL"}
        env.update(PLASMATRIAL_ADMIN_USER=ADMIN, PLASMATRIAL_ADMIN_PASSWORD=admin_pw)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                          env.get("PYTHONPATH")]))
        log = Path(tmp) / "server.log"
        with log.open("wb") as fh:
            proc = subprocess.Popen(
                [sys.executable, "-c", CLI, "serve", "--db", str(Path(tmp) / "web.db"),
                 "--host", HOST, "--port", str(port), "--no-access-log"],
                env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            _wait(base, proc, log)
            shoot(base, admin_pw, out)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


if __name__ == "__main__":
    main()
