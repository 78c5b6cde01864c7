"""``intake.outputs`` and CSV neutralising (decision 0765): recovery after a kill at the points a
subprocess test cannot hit reliably, and the neutralising rule cell by cell."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from plasmatrial.errors import PlasmatrialError
from plasmatrial.intake import outputs
from plasmatrial.intake.io import neutralise_csv_cells, write_frame
from plasmatrial.intake.outputs import COMMIT, output_files, output_folder


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        pytest.param("=1+1", "'=1+1", id="equals"),
        pytest.param("+cmd", "'+cmd", id="plus-text"),
        pytest.param("-2+3", "'-2+3", id="minus-formula"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\tx", "'\tx", id="tab"),
        pytest.param("\rx", "'\rx", id="cr"),
        pytest.param("-1.5", "-1.5", id="negative-number"),
        pytest.param("+3", "+3", id="signed-number"),
        pytest.param("a=b", "a=b", id="not-first"),
        pytest.param("", "", id="empty"),
    ],
)
def test_neutralise_text_cells(cell: str, written: str) -> None:
    got = neutralise_csv_cells(pl.DataFrame({"x": [cell]}))
    assert got["x"].to_list() == [written]


def test_numeric_columns_and_nulls_untouched(tmp_path: Path) -> None:
    frame = pl.DataFrame({"n": [-1.5, 2.0], "s": [None, "=x"]})
    write_frame(frame, tmp_path / "a.csv")
    assert (tmp_path / "a.csv").read_text() == "n,s\n-1.5,\n2.0,'=x\n"
    write_frame(frame, tmp_path / "b.csv", neutralise_csv=False)
    assert (tmp_path / "b.csv").read_text() == "n,s\n-1.5,\n2.0,=x\n"


def test_files_killed_between_renames_are_rolled_forward(tmp_path: Path) -> None:
    calls, subjects = tmp_path / "c.csv", tmp_path / "c.subjects.csv"
    calls.write_text("new")  # the first rename happened
    subjects.write_text("old")
    staging = tmp_path / ".c.csv.staging-dead"
    staging.mkdir()
    (staging / "c.subjects.csv").write_text("new")
    (staging / COMMIT).write_text("")
    with pytest.raises(RuntimeError), output_files([calls, subjects]):
        raise RuntimeError("the next command fails after the lock")
    assert (calls.read_text(), subjects.read_text()) == ("new", "new")
    assert not staging.exists()


def test_files_staged_without_commit_are_dropped(tmp_path: Path) -> None:
    calls, subjects = tmp_path / "c.csv", tmp_path / "c.subjects.csv"
    calls.write_text("old")
    subjects.write_text("old")
    staging = tmp_path / ".c.csv.staging-dead"
    staging.mkdir()
    (staging / "c.csv").write_text("half")
    (tmp_path / ".c.csv.x1.tmp").write_text("half")
    with pytest.raises(RuntimeError), output_files([calls, subjects]):
        raise RuntimeError("fails")
    assert (calls.read_text(), subjects.read_text()) == ("old", "old")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".c.csv.lock", "c.csv", "c.subjects.csv"]


def _publish(calls: Path, subjects: Path, text: str) -> None:
    with output_files([calls, subjects]) as (c, s):
        c.write_text(text)
        s.write_text(text)


def _visible(calls: Path, subjects: Path) -> tuple[str | None, str | None]:
    def read(p: Path) -> str | None:
        return p.read_text() if p.exists() else None

    return read(calls), read(subjects)


def test_file_pair_is_one_generation_behind_stable_links(tmp_path: Path) -> None:
    calls, subjects = tmp_path / "c.csv", tmp_path / "c.subjects.csv"
    calls.write_text("old")  # regular files of an earlier version
    subjects.write_text("old")
    _publish(calls, subjects, "one")
    _publish(calls, subjects, "two")
    assert _visible(calls, subjects) == ("two", "two")
    assert os.readlink(calls) == ".c.csv.current/c.csv"
    assert os.readlink(subjects) == ".c.csv.current/c.subjects.csv"
    gens = sorted(p.name for p in tmp_path.glob(".c.csv.staging-*"))
    assert gens == [os.readlink(tmp_path / ".c.csv.current")]  # earlier generations removed


class _Killed(BaseException):
    """Stands for kill -9 at one step of the publish."""


@pytest.mark.parametrize(
    "before", [(None, None), ("old", "old"), ("old", None), ("link", "link"), ("link", "old")]
)
def test_a_kill_at_any_step_shows_the_old_pair_or_the_new_pair(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: tuple[str | None, str | None]
) -> None:
    """Every rename of the publish is interrupted in turn; a reader then sees one whole set."""
    from plasmatrial.intake import outputs

    real_relink, real_rmtree = outputs._relink, outputs.shutil.rmtree
    step = 0
    while True:
        root = tmp_path / f"k{step}"
        root.mkdir()
        calls, subjects = root / "c.csv", root / "c.subjects.csv"
        if before[0] == "link":
            _publish(calls, subjects, "old")
            if before[1] == "old":  # a user replaced one published name by a regular file
                subjects.unlink()
                subjects.write_text("old")
        else:
            for path, text in zip((calls, subjects), before, strict=True):
                if text is not None:
                    path.write_text(text)
        old = _visible(calls, subjects)
        calls_made = 0

        def relink(path: Path, dest: str, stop: int = step) -> None:
            nonlocal calls_made
            if calls_made == stop:
                raise _Killed
            calls_made += 1
            real_relink(path, dest)

        monkeypatch.setattr(outputs, "_relink", relink)
        monkeypatch.setattr(outputs.shutil, "rmtree", lambda *a, **k: None)  # kill: no clean-up
        try:
            _publish(calls, subjects, "new")
            killed = False
        except _Killed:
            killed = True
        monkeypatch.setattr(outputs, "_relink", real_relink)
        monkeypatch.setattr(outputs.shutil, "rmtree", real_rmtree)
        assert _visible(calls, subjects) in {old, ("new", "new")}, f"mix after step {step}"
        _publish(calls, subjects, "next")  # the next command cleans up and publishes
        assert _visible(calls, subjects) == ("next", "next")
        if not killed:
            break
        step += 1
    assert step >= 1  # at least the switch was interrupted (and each link made before it)


def test_folder_failure_keeps_previous_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_folder(out) as staging:
        (staging / "results.json").write_text("old")
    with pytest.raises(RuntimeError), output_folder(out) as staging:
        (staging / "results.json").write_text("half")
        raise RuntimeError("disk full")
    assert (out / "results.json").read_text() == "old"
    with output_folder(out) as staging:
        (staging / "results.json").write_text("new")
    assert (out / "results.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_folder_killed_between_fallback_renames_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    old = tmp_path / ".out.old-99999"
    old.mkdir()
    (old / "results.json").write_text("old")  # ``out`` renamed aside, the new one not yet in
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    with pytest.raises(RuntimeError), output_folder(out):
        raise RuntimeError("fails")
    assert (out / "results.json").read_text() == "old"
    with output_folder(out) as staging:  # the fallback path publishes too
        (staging / "results.json").write_text("new")
    assert (out / "results.json").read_text() == "new"
    assert not old.exists()


def test_folder_with_foreign_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("x")
    with (
        pytest.raises(PlasmatrialError, match=r"did not write \(mine.txt\)"),
        output_folder(tmp_path),
    ):
        pass
    assert (tmp_path / "mine.txt").read_text() == "x"


def test_folder_swap_is_one_exchange_on_linux(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("a")
    if not outputs._exchange(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported here")
    assert (b / "x").read_text() == "a" and not (a / "x").exists()
    assert os.listdir(a) == []


def test_folder_behind_a_symlink_is_published_where_it_points(tmp_path: Path) -> None:
    real = tmp_path / "real"
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    for text in ("old", "new"):
        with output_folder(link) as staging:
            (staging / "results.json").write_text(text)
    assert link.is_symlink()
    assert (real / "results.json").read_text() == "new"


def test_lone_write_removes_tmp_files_of_killed_writes_only(tmp_path: Path) -> None:
    stale, live = tmp_path / ".a.csv.dead.tmp", tmp_path / ".a.csv.live.tmp"
    stale.write_text("half")
    live.write_text("being written")
    os.utime(stale, (0, 0))  # last written before this process started
    write_frame(pl.DataFrame({"x": [1]}), tmp_path / "a.csv")
    assert not stale.exists() and live.exists()
