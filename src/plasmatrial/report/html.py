"""Self-contained HTML trial report (Jinja2), and PDF through headless Chromium.

A report is a :class:`ReportDocument` of sections, each a list of blocks (tables built from polars
frames, inline SVG figures, paragraphs). Every document carries the criteria rule-set versions,
software version, git revision, seed and input hashes, and the research-software disclaimer.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from plasmatrial import DISCLAIMER
from plasmatrial.errors import PlasmatrialError


@dataclass(frozen=True)
class Cell:
    """One table cell (already formatted)."""

    text: str
    numeric: bool = False
    css: str = ""


@dataclass(frozen=True)
class Block:
    """A table, figure or paragraph."""

    kind: Literal["table", "figure", "text"]
    caption: str = ""
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Cell, ...], ...] = ()
    svg: str = ""
    text: str = ""
    note: str = ""
    #: caption's second line: population (N), data cut-off, criteria version
    meta: str = ""
    #: spanning header row above ``columns``: ``(text, number of columns)`` pairs
    header_groups: tuple[tuple[str, int], ...] = ()
    #: too many columns for a portrait page: printed on a landscape page
    wide: bool = False


@dataclass(frozen=True)
class Section:
    """A titled section of the report."""

    title: str
    blocks: tuple[Block, ...]
    intro: str = ""

    @property
    def wide(self) -> bool:
        """A short section around a wide table (no figures): printed whole on a landscape page,
        so its heading and introduction stay with the table."""
        kinds = [b.kind for b in self.blocks]
        return any(b.wide for b in self.blocks) and "figure" not in kinds and len(kinds) <= 4

    @property
    def anchor(self) -> str:
        """HTML id derived from the title."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


@dataclass(frozen=True)
class ReportDocument:
    """The whole report."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    provenance: tuple[tuple[str, str], ...] = ()
    disclaimer: str = field(default=DISCLAIMER)
    #: printed at the top of every PDF page (trial id, data cut-off, criteria versions)
    running_header: str = ""
    #: key facts shown under the title: data cut-off, report date, criteria, populations
    header: tuple[tuple[str, str], ...] = ()


#: Paper sizes of the PDF (CSS ``@page size`` names).
PAPER_SIZES: Final[Mapping[str, str]] = {"a4": "A4", "letter": "letter"}


def format_value(value: object, digits: int = 2) -> Cell:
    """Format one value for a table cell."""
    if value is None:
        return Cell("–")
    if isinstance(value, bool):
        return Cell("Yes" if value else "No")
    if isinstance(value, int):
        return Cell(str(value), numeric=True)
    if isinstance(value, float):
        if not math.isfinite(value):
            return Cell("NE", numeric=True)
        return Cell(f"{value:.{digits}f}", numeric=True)
    return Cell(str(value))


def table_block(
    frame: pl.DataFrame,
    *,
    caption: str = "",
    note: str = "",
    digits: int = 2,
    columns: Sequence[str] | None = None,
) -> Block:
    """Build a table block from a polars frame (all columns, or ``columns`` in order)."""
    cols = list(columns) if columns is not None else frame.columns
    rows = tuple(
        tuple(format_value(row[c], digits) for c in cols) for row in frame.iter_rows(named=True)
    )
    return Block("table", caption=caption, columns=tuple(cols), rows=rows, note=note)


def figure_block(svg: str, *, caption: str = "", note: str = "") -> Block:
    """Build a figure block from an SVG string."""
    return Block("figure", caption=caption, svg=svg, note=note)


def text_block(text: str) -> Block:
    """A paragraph."""
    return Block("text", text=text)


def _nbsp_n(text: str) -> str:
    """Keep "(N = 302)" on one line in a header (no-break spaces)."""
    return re.sub(r"\(N = (\d+)\)", "(N\u00a0=\u00a0\\1)", text)


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:`` of the page margin boxes)."""
    out = []
    for ch in text:
        if ch in ('"', "\\") or ord(ch) < 32 or ch == "<":
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def render_html(doc: ReportDocument, *, paper: str = "a4") -> str:
    """Render the document to one self-contained HTML string.

    ``paper`` (``a4`` or ``letter``) is the page size the HTML asks for when printed: the PDF
    (:func:`html_to_pdf`) and a browser's print dialog use it.
    """
    if paper.lower() not in PAPER_SIZES:
        raise PlasmatrialError(f"paper must be one of {', '.join(PAPER_SIZES)}, not {paper!r}")
    env = Environment(
        loader=PackageLoader("plasmatrial.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["css_string"] = css_string
    env.filters["nbsp_n"] = _nbsp_n
    return env.get_template("report.html.j2").render(doc=doc, page_size=PAPER_SIZES[paper.lower()])


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable, if any is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html_path: Path, pdf_path: Path, *, timeout_s: float = 120.0) -> None:
    """Print an HTML file to PDF with headless Chromium (written atomically).

    Raises
    ------
    PlasmatrialError
        When no Chromium is installed or printing fails.
    """
    exe = find_chromium()
    if exe is None:
        raise PlasmatrialError(
            "PDF output needs Chromium (Debian package 'chromium'); HTML was written"
        )
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=pdf_path.parent) as tmp:
        out = Path(tmp) / "report.pdf"
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
            html_path.resolve().as_uri(),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        if res.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            raise PlasmatrialError(f"Chromium could not print the PDF: {res.stderr.strip()[-300:]}")
        out.replace(pdf_path)
