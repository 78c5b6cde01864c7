"""Bounded fuzz of trial-file parsing (decision 0747): the five seed trial files with keys deleted,
renamed, retyped or duplicated either parse or raise DesignError whose every problem names its
location; never another exception."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plasmatrial.design.protocol import Trial, parse_trial
from plasmatrial.errors import DesignError

SEEDS = sorted((Path(__file__).parents[2] / "examples" / "trials").glob("*.yaml"))
DATA = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in SEEDS}
#: ``source: path (line N): message`` or a file-level ``source: message (line N)``
PROBLEM = re.compile(r"^fuzz\.yaml: .+ \(line \d+\)(: .+)?$")
VALUES = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(data: Any, path: tuple[Any, ...], action: str, value: Any) -> None:
    parent = data
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    else:
        parent[last] = value


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(DATA)),
    pick=st.integers(min_value=0, max_value=10**6),
    action=st.sampled_from(["delete", "rename", "retype", "duplicate"]),
    value=VALUES,
)
def test_mutated_seed_parses_or_names_every_location(
    name: str, pick: int, action: str, value: Any
) -> None:
    data = copy.deepcopy(DATA[name])
    paths = _paths(data)
    path = paths[pick % len(paths)]
    if action == "duplicate":  # a top-level key again at the end: always a duplicate
        text = yaml.safe_dump(data, sort_keys=False)
        keys = [k for k in text.splitlines() if k[:1].isalpha()]
        text += keys[pick % len(keys)].split(":")[0] + ": null\n"
    else:
        _mutate(data, path, action, value)
        text = yaml.safe_dump(data, sort_keys=False)
    try:
        trial = parse_trial(text, source="fuzz.yaml")
    except DesignError as exc:
        lines = str(exc).splitlines()
        problems = lines[1:] if lines[0].endswith("problem(s) in trial definition") else lines
        assert problems, str(exc)
        for line in problems:
            assert PROBLEM.match(line), line
        assert action != "duplicate" or "duplicate key" in str(exc)
    else:
        assert action != "duplicate", "a duplicate key was accepted"
        assert isinstance(trial, Trial)
