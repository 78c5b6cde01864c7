"""Regenerate the README screenshots of the demo report (needs Debian chromium).

Usage: ``.venv/bin/python scripts/report_screenshots.py [DEMO_OUT]`` (default ``demo-output``,
written by ``make demo``). Writes ``docs/img/report-top.png`` (header, provenance, patient flow)
and ``docs/img/report-published.png`` (published vs computed) from one full-page render.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT = 1280, 20000


def main() -> None:
    report = (Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "demo-output") / "report.html"
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "full.png"
        subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", report.resolve().as_uri()],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        im = Image.open(png).convert("RGB")
    grey = np.asarray(im.convert("L"))
    inked = np.flatnonzero(grey.min(axis=1) < 250)
    bottom = int(inked.max()) + 20
    im.crop((100, 0, WIDTH - 100, 1400)).save(out / "report-top.png", optimize=True)
    im.crop((100, max(0, bottom - 700), WIDTH - 100, bottom)).save(
        out / "report-published.png", optimize=True
    )
    print(f"wrote {out / 'report-top.png'} and {out / 'report-published.png'}")


if __name__ == "__main__":
    main()
