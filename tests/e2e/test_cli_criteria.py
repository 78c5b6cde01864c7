"""``plasmatrial criteria list/show``."""

from __future__ import annotations

from pathlib import Path

import pytest

from plasmatrial.cli.app import main
from plasmatrial.cli.criteria import rule_set_markdown
from plasmatrial.criteria import get_rule_set

DOCS = Path(__file__).parents[2] / "docs" / "criteria"


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["criteria", "list"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "CR_2012_RATIO" in out and "not a substitute" in out


def test_show_unknown_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["criteria", "show", "NOPE"])
    assert exc.value.code == 2
    assert "unknown rule set 'NOPE'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name",
    [
        "CR_2012_RATIO",
        "CR_2012_LEVELS_AND_RATIO",
        "CR_ISA",
        "CR_MAYO_2020",
        "AL_PROG_PALLADINI_2018",
        "AL_STAGING",
        "CARD_2005",
        "RENAL_2005",
        "IMWG_2016",
        "IMWG_2011_NADIR",
    ],
)
def test_committed_markdown_is_current(name: str) -> None:
    """docs/criteria is generated from the code that runs (regenerate with --format md)."""
    assert (DOCS / f"{name}.md").read_text(encoding="utf-8") == rule_set_markdown(
        get_rule_set(name)
    )
