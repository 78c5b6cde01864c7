"""Output sets (decision 0765): kill -9 and concurrent runs of ``respond`` and ``run`` leave the
previous outputs or the complete new set, never a mix; a held lock is exit 2; CSV cells that a
spreadsheet would run as formulas are neutralised unless ``--no-csv-neutralise``."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from plasmatrial.synth import generate_al_cohort
from tests.e2e.cli import ROOT, run_cli

AL = ROOT / "examples" / "al"
TRIAL = ROOT / "examples" / "trials" / "al_pomdex_phase2.yaml"
EVIL = '=HYPERLINK("http://x")'


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", "from plasmatrial.cli.app import main; main()", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` s after ``ready()`` first holds; False if it ended first."""
    deadline = time.monotonic() + 60
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    time.sleep(delay)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    return True


def _writing(root: Path, since: int) -> Callable[[], bool]:
    """True once a file under ``root`` (other than a lock) was written after ``since`` (ns):
    the command has started writing its outputs, wherever it stages them."""

    def ready() -> bool:
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                with contextlib.suppress(OSError):
                    if not name.endswith(".lock") and path.stat().st_mtime_ns > since:
                        return True
        return False

    return ready


def _subset(src: Path, dst: Path, keep: int) -> Path:
    """Copy DM/LB/EX of ``src`` keeping the first ``keep`` subjects (a distinguishable set)."""
    dst.mkdir(parents=True, exist_ok=True)
    ids = pl.read_csv(src / "dm.csv")["USUBJID"].head(keep)
    for name in ("dm", "lb", "ex"):
        frame = pl.read_csv(src / f"{name}.csv", infer_schema_length=0)
        frame.filter(pl.col("USUBJID").is_in(ids.implode())).write_csv(dst / f"{name}.csv")
    return dst


# ---------------------------------------------------------------------------------- respond


def _respond_args(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "respond",
        *("--dm", str(data / "dm.csv"), "--lb", str(data / "lb.csv")),
        *("--ex", str(data / "ex.csv"), "-o", str(out), "--show", "0", *extra),
    ]


def _respond_set(out: Path) -> int:
    """Number of subjects of the calls + subjects pair at ``out``; fails on a mix."""
    calls = pl.read_csv(out, infer_schema_length=0)["USUBJID"].unique()
    subjects = pl.read_csv(out.with_name(f"{out.stem}.subjects.csv"), infer_schema_length=0)
    assert sorted(calls.to_list()) == sorted(subjects["USUBJID"].to_list()), "mixed pair"
    return subjects.height


@pytest.fixture(scope="module")
def al_small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _subset(AL, tmp_path_factory.mktemp("al-small"), keep=6)


@pytest.fixture(scope="module")
def al_ten(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _subset(AL, tmp_path_factory.mktemp("al-ten"), keep=10)


def test_respond_kill9_leaves_old_pair_or_new_pair(
    al_small: Path, al_ten: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calls.csv"
    assert run_cli(*_respond_args(al_ten, out)).returncode == 0
    old = _respond_set(out)
    killed = 0
    for delay in (0.0, 0.005):
        since = time.time_ns()
        proc = _start(*_respond_args(al_small, out))
        killed += _kill_when(proc, _writing(tmp_path, since), delay)  # killed while writing
        assert _respond_set(out) in {old, 6}  # never a mix (one rename publishes the pair)
    assert killed >= 1
    res = run_cli(*_respond_args(al_small, out))
    assert res.returncode == 0, res.stderr
    assert _respond_set(out) == 6
    current = os.readlink(tmp_path / ".calls.csv.current")  # the published generation
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".calls.csv."))
    # staging folders and .tmp files of killed runs gone: the lock, the link and its generation
    assert leftovers == sorted([".calls.csv.lock", ".calls.csv.current", current])


def test_respond_refuses_while_locked_and_keeps_outputs(
    al_small: Path, al_ten: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calls.csv"
    assert run_cli(*_respond_args(al_ten, out)).returncode == 0
    before = out.read_bytes()
    with open(tmp_path / ".calls.csv.lock", "ab") as lock:  # another command holds the lock
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        res = run_cli(*_respond_args(al_small, out))
    assert res.returncode == 2
    assert "another plasmatrial command is writing" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == before


def test_respond_concurrent_runs_never_mix(al_small: Path, al_ten: Path, tmp_path: Path) -> None:
    out = tmp_path / "calls.csv"
    procs = [_start(*_respond_args(d, out)) for d in (al_ten, al_small)]
    codes = [p.wait(timeout=120) for p in procs]
    assert set(codes) <= {0, 2} and 0 in codes
    for proc, code in zip(procs, codes, strict=True):
        assert code == 0 or "another plasmatrial command" in (
            proc.stderr.read() if proc.stderr else ""
        )
    assert _respond_set(out) in {6, 10}


def test_respond_neutralises_formula_cells(tmp_path: Path) -> None:
    data = _subset(AL, tmp_path / "data", keep=3)
    first = pl.read_csv(data / "dm.csv")["USUBJID"][0]
    for name in ("dm", "lb", "ex"):
        path = data / f"{name}.csv"
        path.write_text(path.read_text().replace(first, EVIL.replace('"', "")), encoding="utf-8")
    evil = EVIL.replace('"', "")
    out = tmp_path / "calls.csv"
    assert run_cli(*_respond_args(data, out)).returncode == 0
    ids = pl.read_csv(out, infer_schema_length=0)["USUBJID"].unique().to_list()
    assert "'" + evil in ids and evil not in ids
    assert "'" + evil in pl.read_csv(out.with_name("calls.subjects.csv"))["USUBJID"].to_list()
    res = run_cli(*_respond_args(data, out, "--no-csv-neutralise"))
    assert res.returncode == 0
    assert evil in pl.read_csv(out, infer_schema_length=0)["USUBJID"].to_list()


# -------------------------------------------------------------------------------------- run


@pytest.fixture(scope="module")
def trial_data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small data folders (12 and 9 subjects) whose run outputs tell each other apart."""
    big = tmp_path_factory.mktemp("trial-a")
    cohort = generate_al_cohort(n_subjects=12, seed=11)
    for name in ("dm", "lb", "ex"):
        getattr(cohort, name).write_csv(big / f"{name}.csv")
    return big, _subset(big, tmp_path_factory.mktemp("trial-b"), keep=9)


def _run_set(out: Path) -> int:
    """Subjects of the ``run`` set at ``out``; fails on a missing file or a mix."""
    adam = out / "adam"
    files = sorted(p.name for p in adam.iterdir())
    assert files and len(files) % 2 == 0
    counts = {json.loads((out / "results.json").read_text())["provenance"]["domains"]["dm"]}
    counts.add(pl.read_parquet(adam / "adsl.parquet").height)
    counts.add(json.loads((adam / "adsl.json").read_text())["records"])
    for name in files:  # every file complete
        if name.endswith(".json"):
            json.loads((adam / name).read_text())
        else:
            pl.read_parquet(adam / name)
    assert len(counts) == 1, f"mixed set: {counts}"
    return int(counts.pop())


def test_run_kill9_leaves_old_set_or_new_set(trial_data: tuple[Path, Path], tmp_path: Path) -> None:
    big, small = trial_data
    out = tmp_path / "out"
    assert run_cli("run", str(TRIAL), "--data", str(big), "--out", str(out)).returncode == 0
    assert _run_set(out) == 12
    killed = 0
    for delay in (0.0, 0.05):
        since = time.time_ns()
        proc = _start("run", str(TRIAL), "--data", str(small), "--out", str(out))
        killed += _kill_when(proc, _writing(tmp_path, since), delay)  # killed while writing
        assert _run_set(out) in {12, 9}
    assert killed >= 1
    res = run_cli("run", str(TRIAL), "--data", str(small), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert _run_set(out) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "out"]


def test_run_second_concurrent_run_exits_2(trial_data: tuple[Path, Path], tmp_path: Path) -> None:
    big, small = trial_data
    out = tmp_path / "out"
    assert run_cli("run", str(TRIAL), "--data", str(big), "--out", str(out)).returncode == 0
    first = _start("run", str(TRIAL), "--data", str(small), "--out", str(out))
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".out.staging-*")) and first.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    # The first run holds the lock until it is done.
    with open(tmp_path / ".out.lock", "ab") as lock, pytest.raises(BlockingIOError):
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    second = run_cli("run", str(TRIAL), "--data", str(big), "--out", str(out))
    assert first.wait(timeout=120) == 0
    if second.returncode != 0:  # it overlapped the first run: refused, one line
        assert second.returncode == 2
        assert "another plasmatrial command is writing" in second.stderr
    assert _run_set(out) in {9, 12}


def test_run_refuses_out_holding_inputs_or_foreign_files(
    trial_data: tuple[Path, Path], tmp_path: Path
) -> None:
    big, _ = trial_data
    res = run_cli("run", str(TRIAL), "--data", str(big), "--out", str(big.parent))
    assert res.returncode == 2
    assert "would replace the input" in res.stderr
    assert (big / "dm.csv").is_file()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    res = run_cli("run", str(TRIAL), "--data", str(big), "--out", str(tmp_path))
    assert res.returncode == 2
    assert "holds files plasmatrial did not write (notes.txt)" in res.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
