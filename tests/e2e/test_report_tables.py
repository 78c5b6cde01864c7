"""The demo (AL-POMDEX-P2) and MM-003 reports at journal standard (issue 12, sap.md section 6):
every table header and row label in words (no variable name or raw code), arms as columns in
protocol order with "(N = n)", percentages at one decimal, no "(0.0%)", NE for not estimable (never
NA or NR), no scientific notation, a caption line with the data cut-off in every table, and the
population named in every analysis table."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from plasmatrial.cli.trial import example_trial, write_trial_data
from plasmatrial.report.html import find_chromium, html_to_pdf, render_html
from plasmatrial.report.labels import VARIABLE_LABELS
from plasmatrial.report.trial_report import build_trial_report
from plasmatrial.synth import simulate_trial_data
from plasmatrial.trial import run_trial
from plasmatrial.trial.files import read_trial, read_trial_data

SEED = 20240601
#: codes that must never be a whole header or row label
RAW_VALUES = {"Y", "N", "F", "M", ">=75", "<65", "65-74", "KAPPA", "LAMBDA", "NA", "NR", "ALL"}
UNDERSCORE_CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
#: ADaM names (4 characters or more: "ITT" and "N" are words in a header)
ADAM_NAMES = {k for k in VARIABLE_LABELS if len(k) >= 4 and k.isupper()}


class _Tables(HTMLParser):
    """Data tables of the report: caption, caption line, header rows, body rows (cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self._div: str | None = None
        self._pending: dict[str, str] = {}
        self._table: dict[str, object] | None = None
        self._section: str | None = None
        self._row: list[str] | None = None
        self._cell: str | None = None
        self._head = False
        self._h2 = False
        self.section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "div" and cls in ("caption", "caption-meta"):
            self._div = cls
            self._pending[cls] = ""
        elif tag == "h2":
            self._h2 = True
            self.section = ""
        elif tag == "table" and "facts" not in cls:
            self._table = {"section": self.section, **self._pending, "head": [], "body": []}
            self._pending = {}
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            self._div = None
        elif tag == "h2":
            self._h2 = False
        elif tag == "thead":
            self._head = False
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(self._cell.replace("\u00a0", " ").strip())
            self._cell = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            key = "head" if self._head else "body"
            rows = self._table[key]
            assert isinstance(rows, list)
            rows.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._div is not None:
            self._pending[self._div] += data
        if self._h2:
            self.section += data
        if self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module", params=["al_pomdex_phase2.yaml", "mm_pom_lodex_vs_hidex.yaml"])
def report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[dict[str, object]], list[str], str]:
    trial = read_trial(example_trial(request.param))
    folder: Path = tmp_path_factory.mktemp("data")
    write_trial_data(simulate_trial_data(trial, seed=SEED), folder)
    res = run_trial(trial, read_trial_data(folder))
    html = render_html(build_trial_report(res))
    parser = _Tables()
    parser.feed(html)
    return parser.tables, [a.code for a in res.trial.arms], html


def _labels(table: dict[str, object]) -> list[str]:
    head = table["head"]
    body = table["body"]
    assert isinstance(head, list) and isinstance(body, list)
    return [c for row in head for c in row] + [row[0] for row in body if row]


def test_no_raw_code_in_any_header_or_row_label(
    report: tuple[list[dict[str, object]], list[str], str],
) -> None:
    tables, arm_codes, _ = report
    assert len(tables) >= 10
    bad = []
    for t in tables:
        for text in _labels(t):
            tokens = set(re.findall(r"[A-Za-z0-9_]+", text))
            if (
                text in RAW_VALUES
                or UNDERSCORE_CODE.search(text)
                or tokens & ADAM_NAMES
                or tokens & set(arm_codes)
                or re.search(r"\blgt\d", text)
            ):
                bad.append((t.get("caption"), text))
    assert not bad, bad[:20]


def test_arms_in_protocol_order_with_n(
    report: tuple[list[dict[str, object]], list[str], str],
) -> None:
    tables, arm_codes, _ = report
    baseline = next(t for t in tables if t.get("caption") == "Baseline characteristics")
    head = baseline["head"]
    assert isinstance(head, list)
    headers = head[-1][1:]
    assert all(re.search(r"\(N = \d+\)$", h) for h in headers), headers
    if len(arm_codes) > 1:
        assert headers[-1].startswith("Total (N = ")
    assert len(headers) == len(arm_codes) + (len(arm_codes) > 1)


def test_number_formats(report: tuple[list[dict[str, object]], list[str], str]) -> None:
    tables, _, _ = report
    for t in tables:
        body = t["body"]
        assert isinstance(body, list)
        for row in body:
            for cell in row[1:]:
                assert cell not in ("NA", "NR", "nan"), (t.get("caption"), row)
                assert not re.search(r"\d[eE][-+]?\d", cell), (t.get("caption"), row)
                assert "(0.0%)" not in cell, (t.get("caption"), row)
                for decimals in re.findall(r"\(\d+(?:\.(\d+))?%\)", cell):
                    assert len(decimals) == 1, (t.get("caption"), row)


def test_every_table_caption_names_cut_off_and_population(
    report: tuple[list[dict[str, object]], list[str], str],
) -> None:
    tables, _, html = report
    for t in tables:
        meta = str(t.get("caption-meta", ""))
        assert "Data cut-off: " in meta, t.get("caption")
        if t["section"] in ("Baseline characteristics", "Response", "Time-to-event endpoints",
                            "Safety and exposure", "Organ responses"):  # fmt: skip
            assert "Population: " in meta, t.get("caption")
    assert "Report date" in html and "research software" in html.lower()


def test_characteristic_without_data_is_a_footnote(
    report: tuple[list[dict[str, object]], list[str], str],
) -> None:
    """A stage that no patient has (all NE) is "not collected", not a 100 % NE row."""
    tables, _, html = report
    baseline = next(t for t in tables if t.get("caption") == "Baseline characteristics")
    assert "Boston University (BNP) stage" not in _labels(baseline)
    if "al_pomdex" in html or "AL-POMDEX" in html:
        assert "Not collected in these data: Boston University (BNP) stage" in html


@pytest.mark.skipif(
    find_chromium() is None or shutil.which("pdftotext") is None,
    reason="needs Debian chromium and poppler-utils (make sysdeps)",
)
@pytest.mark.parametrize(("paper", "size"), [("a4", "(A4)"), ("letter", "(letter)")])
def test_pdf_pages_numbered_with_running_header(
    report: tuple[list[dict[str, object]], list[str], str], tmp_path: Path, paper: str, size: str
) -> None:
    """Chromium prints the CSS page-margin boxes: page size, "Page n of m", the running header."""
    _, _, html = report
    if paper == "letter":
        html = html.replace("size: A4;", "size: letter;").replace(
            "size: A4 landscape", "size: letter landscape"
        )
    src = tmp_path / "report.html"
    src.write_text(html, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    html_to_pdf(src, pdf)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert size in info and pages > 3
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    for k, page in enumerate(text[:pages], start=1):
        assert f"Page {k} of {pages}" in page
        assert "data cut-off" in page and "CTCAE v5.0" in page
