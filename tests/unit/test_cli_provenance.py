"""Report provenance helpers: the git revision (with "+modified") and the packaged example trials."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from plasmatrial.cli.trial import git_revision

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_clean_modified_and_not_a_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    pkg = repo / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "code.py").write_text("x = 1\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    head = _git(repo, "rev-parse", "--short=12", "HEAD")
    assert git_revision(pkg) == head
    (repo / "elsewhere.txt").write_text("outside the package\n")  # untracked, outside: ignored
    assert git_revision(pkg) == head
    (pkg / "code.py").write_text("x = 2\n")
    assert git_revision(pkg) == f"{head}+modified"
    plain = tmp_path / "plain"
    plain.mkdir()
    assert git_revision(plain) is None


def test_example_trial_resolves_and_unknown_is_an_error() -> None:
    from plasmatrial.cli.trial import DEMO_TRIAL, example_trial
    from plasmatrial.errors import PlasmatrialError

    assert example_trial(DEMO_TRIAL).is_file()
    with pytest.raises(PlasmatrialError, match="not found"):
        example_trial("no_such_trial.yaml")
