"""The explanation wording rules (decision 0206, issue 12) over every row that ``respond`` writes
for the demo trial's data (AL, about 4,200 rows) and the MM-003 trial's data (IMWG)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import polars as pl
import pytest

from tests.e2e.cli import ROOT, run_cli

TRIALS = {
    "al": "al_pomdex_phase2.yaml",
    "mm": "mm_pom_lodex_vs_hidex.yaml",
}
#: A rule id (kept on purpose: "AL.HEM.CR.CR_2012_RATIO") is removed before looking for codes.
_RULE_ID = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9_]+)+\b")
#: An internal name: upper-case identifier with an underscore (HEMEVAL values, FLW_SERUM, ...).
_CODE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")
#: A percentage change and what follows it: "decrease 44.4 % ≤ 50 %".
_CHANGE = re.compile(r"(?:increase|decrease) (\d+(?:\.(\d+))?) %(?: [<>≤≥=] (\d+(?:\.\d+)?) %)?")
_RATIO = re.compile(r"κ/λ ratio (\d+(?:\.(\d+))?)(?: [<>≤≥=] (\d+(?:\.\d+)?))?")


@pytest.fixture(scope="module", params=sorted(TRIALS))
def calls(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    disease = request.param
    tmp = tmp_path_factory.mktemp(disease)
    trial = str(ROOT / "examples" / "trials" / TRIALS[disease])
    done = run_cli("simulate-data", trial, "--out", str(tmp / "data"))
    assert done.returncode == 0, done.stderr
    d = tmp / "data"
    done = run_cli(
        "respond", "--disease", disease, "--dm", str(d / "dm.csv"), "--lb", str(d / "lb.csv"),
        "--ex", str(d / "ex.csv"), "--show", "0", "-o", str(tmp / "calls.csv"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return pl.read_csv(tmp / "calls.csv", infer_schema_length=0)


def _texts(calls: pl.DataFrame) -> list[str]:
    return [
        f"{e} {d or ''}"
        for e, d in zip(calls["EXPLAIN"].to_list(), calls["DOWNGRADE"].to_list(), strict=True)
    ]


def _bad(texts: list[str], test: object) -> list[str]:
    assert callable(test)
    return [t for t in texts if test(t)][:3]


def test_every_row_keeps_its_rule_id_and_rule_set_version(calls: pl.DataFrame) -> None:
    assert calls.height > 1000
    for col in ("RULEID", "RULESET", "RULESETVER", "EXPLAIN", "INPUTS"):
        assert calls[col].null_count() == 0, col


def test_no_internal_names(calls: pl.DataFrame) -> None:
    texts = _texts(calls)
    assert _bad(texts, lambda t: "__" in t) == []
    assert _bad(texts, lambda t: _CODE.search(_RULE_ID.sub("", t))) == []


def test_no_negative_change(calls: pl.DataFrame) -> None:
    texts = _texts(calls)
    assert _bad(texts, lambda t: re.search(r"(?:increase|decrease) [-−]", t)) == []
    assert _bad(texts, lambda t: re.search(r"\d%", t)) == []  # "34.0 %", never "34.0%"


def _off_rule(match: re.Match[str], decimals: int) -> bool:
    """A number with other than ``decimals`` decimals that is not the guarded boundary case
    (rounded to ``decimals`` it would equal the threshold it is compared with)."""
    shown, frac, threshold = match.group(1), match.group(2) or "", match.group(3)
    if len(frac) == decimals:
        return False
    return not (
        len(frac) > decimals
        and threshold is not None
        and round(float(shown), decimals) == float(threshold)
    )


def test_percentages_one_decimal_and_ratios_two(calls: pl.DataFrame) -> None:
    texts = _texts(calls)
    assert _bad(texts, lambda t: any(_off_rule(m, 1) for m in _CHANGE.finditer(t))) == []
    assert _bad(texts, lambda t: any(_off_rule(m, 2) for m in _RATIO.finditer(t))) == []
    seen = sum(1 for t in texts if _CHANGE.search(t))
    assert seen > 100  # the rule is exercised


def _significant(x: float) -> int:
    """Significant digits of a float as JSON writes it (4.1000000000000005: 17)."""
    return len(Decimal(repr(x)).normalize().as_tuple().digits)


def test_inputs_have_no_float_noise(calls: pl.DataFrame) -> None:
    noisy = []
    for text in calls["INPUTS"].to_list():
        for v in json.loads(text).values():
            if isinstance(v, float) and _significant(v) > 6:
                noisy.append((v, text))
    assert noisy[:3] == []
    assert _significant(4.1000000000000005) == 17 and _significant(2367.0) == 4


def test_no_progression_rows_say_why(calls: pl.DataFrame) -> None:
    noprog = calls.filter(pl.col("AVALC").is_in(["NOPROG", "NOPD"]))
    for text in noprog["EXPLAIN"].to_list():
        assert "no progression" in text
        assert " or " not in text.split(": ", 1)[1].split("not met: ")[0]
