"""The README's "Python API (notebook)" session runs on the demo data (so the README stays true)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import plasmatrial as pt
from plasmatrial.cli.trial import DEMO_TRIAL, example_trial, write_trial_data
from plasmatrial.synth import simulate_trial_data

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Python API (notebook)"


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_the_section_has_code() -> None:
    code = "\n".join(_blocks())
    for call in ("pt.read_sdtm(", "pt.respond(", ".explain(", "pt.run_trial(", "pt.stats."):
        assert call in code


def test_the_readme_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trial = pt.read_trial(example_trial(DEMO_TRIAL))
    write_trial_data(simulate_trial_data(trial, seed=20240601), tmp_path / "demo-output" / "data")
    (tmp_path / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in _blocks():
        exec(compile(block, "README.md", "exec"), namespace)
    res = namespace["res"]
    assert repr(res).startswith("ResponseResult(rule_set='CR_2012_RATIO'")
    assert repr(namespace["km"]) == (
        "KaplanMeierResult(n=28, events=22, median=487.5, conf_level=0.95, conf_type='log')"
    )
