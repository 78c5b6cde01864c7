"""Issue 11 ("rule sets that carry their disease"), decision 0260: outside the rule-set and
trial-file definitions nothing branches on the disease name or the trial id; the pipeline, the
report and the CLI read what the resolved rule set carries (``RuleSet.response``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "plasmatrial"

#: Where the disease may be named: the rule-set definitions and the one registry of DEFAULT rule
#: sets (criteria/core/registry.py DEFAULT_RULE_SETS), and the trial-file schema. synth/ is covered like
#: every other package: its generators read the trial's generator profile, never the disease; the
#: one map from a disease to its DEFAULT profile (synth/profiles.py DEFAULT_PROFILES, decision
#: 0621) is a lookup that none of the patterns below matches, so it needs no exemption.
ALLOWED = {
    "criteria/al/response.py",
    "criteria/al/staging.py",
    "criteria/mm/imwg.py",
    "criteria/core/registry.py",
    "design/protocol.py",
    "web/forms.py",  # the calculator form per disease: a definition, no logic (decision 1000)
}
TRIAL_ID = "trial-id branch"

PATTERNS = {
    "disease comparison": re.compile(r"\bdisease\s*(==|!=)|(==|!=)\s*\S*\.?disease\b"),
    "disease membership": re.compile(r"\bdisease(\.\w+\(\))?\s+(not\s+)?in\s*[\(\[\{]"),
    "disease literal compared": re.compile(r"(==|!=)\s*[\"'](AL|MM|al|mm)[\"']"),
    "disease literal chosen": re.compile(r"[\"'](AL|MM|al|mm)[\"']\s+if\b"),
    "map keyed by the trial's disease": re.compile(r"\[\s*\w*\.?disease(\.\w+\(\))?\s*\]"),
    TRIAL_ID: re.compile(
        r"\b(trial\.id|trial_id|studyid)\s*(==|!=|in\b)"
        r"|[\"'](AL-POMDEX-P2|AL-LENDEX|AL-DARAPOM|MM-003|IFM2009-02)[\"']"
    ),
}


def _forbidden(rel: str, text: str) -> list[str]:
    """Hits in the source file ``rel`` (relative to the package) that are not allowed there."""
    if rel in ALLOWED:
        return []
    return _hits(text)


def _hits(text: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        out += [f"{n}: {name}: {line.strip()}" for name, p in PATTERNS.items() if p.search(code)]
    return out


@pytest.mark.parametrize(
    "line",
    [
        'if trial.disease == "AL":',
        "if disease != 'mm':",
        'caption = "Hematologic" if res.trial.disease == "AL" else "IMWG"',
        'label = "AL" if hem else "MM"',
        "param = RESPONSE_PARAM[trial.disease]",
        "scale = RESPONSE_SCALE[disease.upper()]",
        'if trial.id == "AL-LENDEX":',
        'if key == "MM":',
        "if trial.disease in ('AL',):",
        'plan.start = dt.date(2005, 3, 7) if name == "AL-LENDEX" else None',
        "if plan.studyid == 'MM-003':",
    ],
)
def test_patterns_catch_disease_branches(line: str) -> None:
    assert _hits(line), line


@pytest.mark.parametrize(
    "line",
    [
        "name = c.hematologic or c.response or default_rule_set(trial.disease)",
        'f"Disease {res.trial.disease}"',
        "param = criteria.response.parameter",
        "# a comment saying disease == AL is fine",
    ],
)
def test_patterns_leave_reads_of_the_rule_set_alone(line: str) -> None:
    assert not _hits(line), line


def test_synth_names_neither_the_disease_nor_a_trial() -> None:
    assert _forbidden("synth/trials.py", 'mm = plan.disease == "MM"')
    assert _forbidden("synth/trials.py", 'hgb0 = rng.normal(11.8 if disease == "AL" else 10.3)')
    assert _forbidden("synth/trials.py", 'if trial.id == "AL-LENDEX":')
    assert _forbidden("synth/cohort.py", 'counts = KNOBS["IFM2009-02"]')
    assert not _forbidden("synth/profiles.py", "name = DEFAULT_PROFILES.get(trial.disease)")


def test_no_disease_or_trial_id_branch_outside_definitions() -> None:
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        hits = _forbidden(rel, path.read_text(encoding="utf-8"))
        if hits:
            found[rel] = hits
    assert not found, found
