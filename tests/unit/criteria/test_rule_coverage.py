"""Every rule id of every registered rule set is exercised by at least one rule-marked test."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plasmatrial.criteria import get_rule_set, list_rule_sets

HERE = Path(__file__).parent


def _marks_of(obj: Any) -> Iterator[Any]:
    for mark in getattr(obj, "pytestmark", []):
        yield mark
        if mark.name == "parametrize":
            for param in mark.args[1]:
                yield from getattr(param, "marks", ())


def marked_rule_ids() -> set[str]:
    """Rule ids named by ``@pytest.mark.rule`` on test functions and their parameters."""
    found: set[str] = set()
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(f"tests.unit.criteria.{path.stem}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            found |= {m.args[0] for m in _marks_of(fn) if m.name == "rule"}
    return found


def test_collector_sees_marks() -> None:
    ids = marked_rule_ids()
    assert "AL.HEM.VGPR" in ids
    assert "NOT.A.RULE" not in ids


@pytest.mark.parametrize("name", [rs.name for rs in list_rule_sets()])
def test_every_rule_has_a_rule_marked_test(name: str) -> None:
    missing = sorted(set(get_rule_set(name).rule_ids()) - marked_rule_ids())
    assert missing == [], f"rule set {name}: rules without a @pytest.mark.rule test: {missing}"


def test_every_rule_has_text_and_citation() -> None:
    for rs in list_rule_sets():
        for rule in rs.rules():
            assert rule.text and rule.citation.locator and rule.citation.citation.key, rule.id
            assert rule.requires, rule.id
