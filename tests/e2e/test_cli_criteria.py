"""``plasmatrial criteria list/show``."""

from __future__ import annotations

from pathlib import Path

import pytest

from plasmatrial.cli.app import main
from plasmatrial.cli.criteria import docs_problems
from plasmatrial.criteria.core.registry import get_criteria, list_criteria

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


def test_committed_markdown_is_current() -> None:
    """docs/criteria is generated from the code that runs, one page per name the registry lists
    (regenerate with ``plasmatrial criteria docs docs/criteria``)."""
    assert docs_problems(DOCS) == []
    names = {item.name for item in list_criteria()}
    assert {"CR_2012_RATIO", "IMWG_2016", "ISS_2005", "R_ISS_2015", "R2_ISS_2022"} <= names
    assert {"IMWG_2016_MRD", "CTCAE_5.0", "MM003_ELIGIBILITY"} <= names


def test_docs_check_names_missing_stale_and_extra_pages(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["criteria", "docs", str(tmp_path)])
    assert exc.value.code == 0
    (tmp_path / "ISS_2005.md").unlink()
    (tmp_path / "IMWG_2016.md").write_text("old\n", encoding="utf-8")
    (tmp_path / "GONE.md").write_text("x\n", encoding="utf-8")
    assert docs_problems(tmp_path) == [
        "missing: ISS_2005.md",
        "stale: IMWG_2016.md",
        "not a registered rule set or table: GONE.md",
    ]
    with pytest.raises(SystemExit) as exc:
        main(["criteria", "docs", str(tmp_path), "--check"])
    assert exc.value.code == 1


@pytest.mark.parametrize("name", ["ISS_2005", "IMWG_2016_MRD", "CTCAE_6.0", "IFM2009_02"])
def test_show_covers_rule_tables(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["criteria", "show", name])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert name in out and "not a substitute" in out
    assert get_criteria(name).rule_ids()[0] in out


def test_list_covers_rule_tables(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["criteria", "list"])
    out = capsys.readouterr().out
    for name in ("ISS_2005", "R2_ISS_2022", "IMWG_2016_MRD", "CTCAE_5.0", "MM003_ELIGIBILITY"):
        assert name in out
