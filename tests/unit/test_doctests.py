"""The docstring examples of the package run and hold (``make test`` runs them through here)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
MODULES = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts)
    for p in (SRC / "plasmatrial").rglob("*.py")
    if ">>>" in p.read_text(encoding="utf-8")
)


def test_the_public_api_modules_have_examples() -> None:
    for module in ("plasmatrial.api", "plasmatrial.stats.km", "plasmatrial.stats.cox"):
        assert module in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(module)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(mod, optionflags=flags, report=False, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {module}"
