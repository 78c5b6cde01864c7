"""Every ``docs/decisions/...`` or ``docs/criteria/...`` path cited in the sources, the example
trial files, the README and the docs names something in the repository (issue 13).

A path may be a file or folder, a glob (``docs/criteria/IMWG_*.md``) matching at least one file,
or a decision number (``docs/decisions/0731``) matching exactly one record.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CITED = re.compile(r"docs/(?:decisions|criteria)/[A-Za-z0-9_.*/-]*")
SCANNED = (ROOT / "README.md", ROOT / "src", ROOT / "examples", ROOT / "docs")


def _texts() -> list[Path]:
    files: list[Path] = []
    for place in SCANNED:
        files += [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
    return [p for p in files if p.suffix in {".py", ".md", ".yaml", ".yml", ".txt", ".html"}]


def _resolves(cited: str) -> bool:
    cited = cited.rstrip(".")
    if (ROOT / cited).exists():
        return True
    if "*" in cited:
        return any(ROOT.glob(cited))
    number = re.fullmatch(r"docs/decisions/(\d{4})", cited)
    return number is not None and len(list(ROOT.glob(f"{cited}-*.md"))) == 1


def cited_paths() -> list[tuple[str, str]]:
    """``(file:line, cited path)`` for every citation in the scanned files."""
    found = []
    for path in _texts():
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for i, line in enumerate(lines, 1):
            found += [(f"{path.relative_to(ROOT)}:{i}", m) for m in CITED.findall(line)]
    return found


def test_citations_are_found() -> None:
    cited = {c for _, c in cited_paths()}
    assert "docs/decisions/0735-best-response-and-time-to-response.md" in cited  # README


@pytest.mark.parametrize(
    ("cited", "ok"),
    [
        pytest.param("docs/decisions/0735-best-response-and-time-to-response.md", True, id="file"),
        pytest.param("docs/criteria/IMWG_*.md", True, id="glob"),
        pytest.param("docs/decisions/0731", True, id="number"),
        pytest.param("docs/decisions/0300-binomial-ci.md", False, id="missing-file"),
        pytest.param("docs/decisions/9999", False, id="missing-number"),
    ],
)
def test_resolves(cited: str, ok: bool) -> None:
    assert _resolves(cited) is ok


def test_every_cited_docs_path_exists() -> None:
    missing = [f"{where}: {cited}" for where, cited in cited_paths() if not _resolves(cited)]
    assert missing == []
