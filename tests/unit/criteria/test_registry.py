"""The registry is the one place that knows the concrete rule sets (decision 0270): built-ins,
catalogues, third-party entry points and :func:`register_rule_set`; one rule-row protocol and one
citation type across every rule family."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import get_args

import pytest

from plasmatrial.criteria.al.response import CrVariant, build_al_rule_set
from plasmatrial.criteria.core import registry
from plasmatrial.criteria.core.registry import (
    BUILTIN_CATALOGUES,
    BUILTIN_RULE_SETS,
    ENTRY_POINT_GROUP,
    get_catalogue,
    get_criteria,
    get_rule_set,
    list_criteria,
    list_rule_sets,
    register_rule_set,
)
from plasmatrial.criteria.core.rules import RuleCatalogue, RuleRow, RuleSet
from plasmatrial.criteria.core.sources import Citation, CitedAt
from plasmatrial.errors import RuleError

CRITERIA = Path(__file__).parents[3] / "src" / "plasmatrial" / "criteria"


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A registry without additions, restored afterwards."""
    monkeypatch.setattr(registry, "_ADDED", {})
    monkeypatch.setattr(registry, "_entry_points_read", False)
    yield


def _example(**options: object) -> RuleSet:
    base = build_al_rule_set(**options)  # type: ignore[arg-type]
    return replace(base, name="AL_2024_EXAMPLE", version="0.1.0", builder=_example)


def test_builtin_names_cover_every_cr_variant_and_are_unique() -> None:
    names = [b.name for b in BUILTIN_RULE_SETS] + [b.name for b in BUILTIN_CATALOGUES]
    assert len(names) == len(set(names))
    assert set(get_args(CrVariant)) <= {b.name for b in BUILTIN_RULE_SETS}
    assert [rs.name for rs in list_rule_sets()] == sorted(b.name for b in BUILTIN_RULE_SETS)


@pytest.mark.parametrize("builtin", BUILTIN_RULE_SETS, ids=lambda b: b.name)
def test_each_builtin_builds_the_set_of_its_name(builtin: registry.Builtin) -> None:
    assert get_rule_set(builtin.name).name == builtin.name


@pytest.mark.parametrize("builtin", BUILTIN_CATALOGUES, ids=lambda b: b.name)
def test_each_catalogue_builds_under_its_name(builtin: registry.Builtin) -> None:
    cat = get_catalogue(builtin.name)
    assert cat.name == builtin.name and cat.rule_ids()
    assert len(cat.rule_ids()) == len(set(cat.rule_ids()))


def test_every_row_of_every_family_is_a_rule_row_with_one_citation_type() -> None:
    families = {type(r).__name__ for item in list_criteria() for r in _rows(item)}
    assert {"Rule", "GradeRule", "StageRule", "MrdRule", "EligibilityCriterion"} <= families
    for item in list_criteria():
        for r in _rows(item):
            assert isinstance(r, RuleRow), (item.name, r)
            assert isinstance(r.citation, CitedAt) and isinstance(r.citation.citation, Citation)
            assert r.id and r.text and r.predicate_text and r.category


def test_citations_name_primary_sources_and_in_repo_rulings() -> None:
    """No row cites the specification outside the repository; rulings cite decision files."""
    root = Path(__file__).parents[3]
    for item in list_criteria():
        for r in _rows(item):
            cited = str(r.citation)
            assert "criteria.md" not in cited, (item.name, r.id, cited)
            for path in re.findall(r"docs/decisions/[\w.-]+\.md", cited):
                assert (root / path).is_file(), (r.id, path)


def _rows(item: RuleSet | RuleCatalogue) -> list[RuleRow]:
    return (
        [r for g in item.groups() for r in g.rows] if isinstance(item, RuleSet) else [*item.rules()]
    )


def test_each_source_is_one_constant_in_core_sources() -> None:
    defined: dict[str, list[str]] = {}
    for path in CRITERIA.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"^([A-Z][A-Z0-9_]+): Final = Citation\(", text, re.M):
            defined.setdefault(name, []).append(path.relative_to(CRITERIA).as_posix())
        assert not re.search(r"^class Citation\b", text, re.M) or path.name == "sources.py"
    assert {p for ps in defined.values() for p in ps} == {"core/sources.py"}
    assert all(len(ps) == 1 for ps in defined.values())


def test_no_module_registers_at_import() -> None:
    for path in CRITERIA.rglob("*.py"):
        if path.name == "registry.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^register_rule_set\(|^\s*_?REGISTRY\[", text, re.M), path


def test_register_adds_a_rule_set_and_refuses_taken_names(clean_registry: None) -> None:
    register_rule_set("AL_2024_EXAMPLE", _example)
    assert "AL_2024_EXAMPLE" in [rs.name for rs in list_rule_sets()]
    rs = get_rule_set("AL_2024_EXAMPLE", cr_variant="CR_ISA")
    assert rs.name == "AL_2024_EXAMPLE" and dict(rs.options)["cr_variant"] == "CR_ISA"
    assert get_criteria("AL_2024_EXAMPLE").name == "AL_2024_EXAMPLE"
    with pytest.raises(RuleError, match="already registered"):
        register_rule_set("AL_2024_EXAMPLE", _example)
    register_rule_set("AL_2024_EXAMPLE", _example, replace=True)
    with pytest.raises(RuleError, match="built in"):
        register_rule_set("IMWG_2016", _example)
    with pytest.raises(RuleError, match="built in"):
        register_rule_set("ISS_2005", _example)


def test_entry_points_are_discovered(clean_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    eps = metadata.EntryPoints(
        [
            metadata.EntryPoint("AL_2024_EXAMPLE", f"{__name__}:_example", ENTRY_POINT_GROUP),
            metadata.EntryPoint("BROKEN_SET", "no_such_module_xyz:build", ENTRY_POINT_GROUP),
        ]
    )
    seen: list[str] = []

    def fake(*, group: str) -> metadata.EntryPoints:
        seen.append(group)
        return eps

    monkeypatch.setattr(registry.metadata, "entry_points", fake)
    assert get_rule_set("AL_2024_EXAMPLE").version == "0.1.0"
    assert seen == [ENTRY_POINT_GROUP]
    with pytest.raises(RuleError, match=r"BROKEN_SET.*could not be built.*ModuleNotFoundError"):
        get_rule_set("BROKEN_SET")


def test_an_entry_point_may_not_shadow_a_builtin(
    clean_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    eps = metadata.EntryPoints(
        [metadata.EntryPoint("IMWG_2016", f"{__name__}:_example", ENTRY_POINT_GROUP)]
    )
    monkeypatch.setattr(registry.metadata, "entry_points", lambda *, group: eps)
    with pytest.raises(RuleError, match="exists already"):
        list_rule_sets()


def test_unknown_names_list_every_valid_name() -> None:
    with pytest.raises(RuleError, match=r"unknown rule set 'NOPE'.*IMWG_2016.*ISS_2005"):
        get_criteria("NOPE")
    with pytest.raises(RuleError, match="a rule table"):
        get_rule_set("ISS_2005")
    with pytest.raises(RuleError, match="unknown rule table"):
        get_catalogue("NOPE")


def test_a_builtin_name_never_scans_entry_points(
    clean_registry: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*, group: str) -> metadata.EntryPoints:
        raise AssertionError("entry points scanned")

    monkeypatch.setattr(registry.metadata, "entry_points", fail)
    assert get_rule_set("IMWG_2016").name == "IMWG_2016"
    assert get_criteria("CR_ISA").name == "CR_ISA"
    with pytest.raises(AssertionError, match="scanned"):
        list_rule_sets()
