"""Strict trial files through the CLI (issues 11 and 13, decision 0747): every finding of the
review exits 2 with a message naming its place in the file, never a traceback and never exit 0
with a changed analysis."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

TRIAL = Path(__file__).parents[2] / "examples" / "trials" / "al_pomdex_phase2.yaml"
TEXT = TRIAL.read_text(encoding="utf-8")


def _edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


#: (id, trial text, expected message as a regex: location with its line, then the problem)
CASES = [
    pytest.param(
        _edit("landmark_by_response_months: 3", "landmark_by_respons_months: 3"),
        r"secondary\.3\.options\.landmark_by_respons_months \(line 47\): unknown key",
        id="typo-option-landmark",
    ),
    pytest.param(
        _edit(
            "{event: hematologic_progression_or_death}", "{evnt: hematologic_progression_or_death}"
        ),
        r"secondary\.2\.options\.evnt \(line 46\): unknown key",
        id="typo-option-event",
    ),
    pytest.param(
        _edit("[CR, VGPR, PR, LDPR]", "[CR, VGPR, PR, LDRP]"),
        r"primary\.0\.categories\.3 \(line 36\): 'LDRP' is not a response category of AL",
        id="unknown-category",
    ),
    pytest.param(
        _edit("endpoint: HEMRESP_PRIORIXA", "endpoint: HEMRESP_PRIORIX"),
        r"published\.6\.endpoint \(line 61\): 'HEMRESP_PRIORIX' is no endpoint of the trial",
        id="unknown-published-endpoint",
    ),
    pytest.param(
        _edit("n_planned: 28\n", "n_planned: 28\nn_planned: 280\n"),
        r"n_planned \(line 11\): duplicate key 'n_planned' \(first at line 10",
        id="duplicate-key",
    ),
    pytest.param(
        _edit("n_planned: 28", "n_planned: true"),
        r"n_planned \(line 10\): Input should be a valid integer \(got True\)",
        id="coercion-bool-to-int",
    ),
    pytest.param(
        _edit("randomised: false", "randomised: 'no'"),
        r"randomised \(line 9\): Input should be a valid boolean \(got 'no'\)",
        id="coercion-string-to-bool",
    ),
    pytest.param(
        _edit("followup_months: 48", "followup_months: .inf"),
        r"schedule\.followup_months \(line 26\): Input should be a finite number",
        id="coercion-infinity",
    ),
    pytest.param(
        TEXT + "extra: " + "[" * 5000 + "]" * 5000 + "\n",
        r"nesting deeper than 24 levels \(line \d+\)",
        id="deep-nesting",
    ),
    pytest.param(
        _edit('days: "1-28"', 'days: "1-300000000"'),
        r"arms\.0\.regimen\.0\.days \(line 17\): days 1-300000000 outside the 28-day cycle",
        id="huge-days-range",
    ),
    pytest.param(
        _edit("n_planned: 28", "n_planned: 100000000"),
        r"n_planned \(line 10\): Input should be less than or equal to 100000",
        id="huge-n-planned",
    ),
    pytest.param(
        _edit("n_planned: 28", "n_planned: 1e26"),
        r"n_planned \(line 10\): Input should be a valid integer \(got '1e26'\)",
        id="huge-n-planned-exponent",
    ),
    pytest.param(
        _edit("{organ: cardiac}", "{organ: heart}"),
        r"secondary\.4\.options\.organ \(line 48\): Input should be 'cardiac', 'renal' or 'liver'",
        id="bad-option-value",
    ),
]


#: The findings that crashed (or ran out of memory in) the generator, also through simulate-data.
CRASHES = ("deep-nesting", "huge-days-range", "huge-n-planned", "huge-n-planned-exponent")


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [pytest.param("run", *c.values, id=f"run-{c.id}") for c in CASES]
    + [
        pytest.param("simulate-data", *c.values, id=f"simulate-data-{c.id}")
        for c in CASES
        if c.id in CRASHES
    ],
)
def test_bad_trial_file_exits_2_with_its_location(
    tmp_path: Path, command: str, text: str, message: str
) -> None:
    trial = tmp_path / "trial.yaml"
    trial.write_text(text, encoding="utf-8")
    args = ["--out", str(tmp_path / "out")]
    if command == "run":
        args += ["--data", str(tmp_path)]  # never read: the trial file fails first
    res = run_cli(command, str(trial), *args)
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "Traceback" not in out
    assert re.search(re.escape(str(trial)) + ": " + message, re.sub(r"\s*\n\s*", " ", out)), out


def test_all_problems_at_once(tmp_path: Path) -> None:
    text = _edit("n_planned: 28", "n_planned: true")
    text = text.replace("[CR, VGPR, PR, LDPR]", "[CR, VGPR, PR, LDRP]")
    text = text.replace("{organ: renal}", "{organ: renal, mnths: 6}")
    trial = tmp_path / "trial.yaml"
    trial.write_text(text, encoding="utf-8")
    res = run_cli("report", str(trial), "--data", str(tmp_path), "--out", str(tmp_path / "o"))
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "n_planned (line 10)" in out
    assert "secondary.5.options.mnths (line 49): unknown key" in out
    # the categories are cross-checked once the file validates; the type errors come first
    assert "Traceback" not in out


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "data"
    res = run_cli("simulate-data", str(TRIAL), "--out", str(out))
    assert res.returncode == 0, res.stderr
    return out


def test_unknown_subgroup_variable_is_refused_at_run(tmp_path: Path, sim: Path) -> None:
    data = sim
    trial = tmp_path / "trial.yaml"
    text = _edit("[PRIORLEN, PRIORIXA]", "[PRIORLEN, PRIORIXA, PRIORLNE]")
    trial.write_text(text, encoding="utf-8")
    res = run_cli("run", str(trial), "--data", str(data), "--out", str(tmp_path / "out"))
    out = re.sub(r"\s*\n\s*", " ", res.stdout + res.stderr)
    assert res.returncode == 2, out
    assert "Traceback" not in out
    assert f"{trial}: primary.0.subgroups.2 (line 42): 'PRIORLNE'" in out
    assert "'PRIORLEN'" not in out  # a known variable is not listed


def test_unknown_criteria_option_names_its_line(tmp_path: Path, sim: Path) -> None:
    trial = tmp_path / "trial.yaml"
    text = _edit(
        "  progression: AL_PROG_2012\n",
        "  progression: AL_PROG_2012\n  options: {cr_varient: CR_ISA}\n",
    )
    trial.write_text(text, encoding="utf-8")
    res = run_cli("run", str(trial), "--data", str(sim), "--out", str(tmp_path / "out"))
    out = re.sub(r"\s*\n\s*", " ", res.stdout + res.stderr)
    assert res.returncode == 2, out
    assert "Traceback" not in out
    assert f"{trial}: criteria.options (line 32): rule set" in out
    assert "unknown option(s) cr_varient" in out
