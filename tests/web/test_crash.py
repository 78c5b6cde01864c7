"""A worker killed in the middle of a computation or an upload leaves no half-written data:
the response run is one transaction, and a data version's files appear by one atomic rename."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from plasmatrial.web.models import DataVersion, ResponseCall, ResponseRun, User
from plasmatrial.web.services import accept_upload, compute_responses, create_study
from tests.web.conftest import ADMIN, make_app, sqlite_settings

ROOT = Path(__file__).resolve().parents[2]

#: Run in a child process: the step named by argv[3] is killed (os._exit) at the given point.
CHILD = textwrap.dedent(
    """
    import os, shutil, sys
    from pathlib import Path
    from sqlalchemy import select
    from plasmatrial.web import audit, services
    from plasmatrial.web.app import create_app
    from plasmatrial.web.models import DataVersion, Study, User
    from plasmatrial.web.settings import Settings

    url, data, step, files = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    app = create_app(Settings(url, data, "k"))
    f = app.state.factory
    with f() as s:
        user = s.scalar(select(User))
        study = s.scalar(select(Study))
        version = s.scalar(select(DataVersion))

    def die(*args, **kwargs):
        os._exit(9)  # the calls (or the version row) are flushed, not committed

    audit.record = die
    services.audit.record = die
    if step == "compute":
        services.compute_responses(f, study, version, user)
    else:
        staging = data / "staging" / "crash"
        staging.mkdir(parents=True)
        staged = {}
        for d in ("DM", "LB", "EX"):
            shutil.copy(files / f"{d.lower()}.csv", staging / f"{d.lower()}.csv")
            staged[d] = (f"{d.lower()}.csv", staging / f"{d.lower()}.csv")
        services.accept_upload(f, data, study.id, user, staged, staging)
    """
)


def _child(url: str, data: Path, step: str, files: Path) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(data), step, str(files)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    return res.returncode


def test_killed_computation_and_upload_leave_nothing_half_written(
    tmp_path: Path, study_files: dict[str, Path], db_url: str
) -> None:
    settings = dataclasses.replace(sqlite_settings(tmp_path), database_url=db_url)
    app = make_app(settings)
    f = app.state.factory
    files = tmp_path / "files"
    files.mkdir()
    for name in ("dm", "lb", "ex"):
        shutil.copy(study_files[name], files / f"{name}.csv")
    with f.begin() as s:
        admin = s.scalar(select(User).where(User.username == ADMIN))
        study = create_study(s, admin, "crash", "al_pomdex_phase2.yaml")
    staging = settings.data_dir / "staging" / "first"
    staging.mkdir(parents=True)
    staged = {d: (f"{d.lower()}.csv", staging / f"{d.lower()}.csv") for d in ("DM", "LB")}
    for d, (_, p) in staged.items():
        shutil.copy(files / f"{d.lower()}.csv", p)
    first = accept_upload(f, settings.data_dir, study.id, admin, staged, staging)
    assert first.version is not None
    assert _child(db_url, settings.data_dir, "compute", files) == 9
    with f() as s:
        assert s.scalar(select(func.count(ResponseRun.id))) == 0
        assert s.scalar(select(func.count(ResponseCall.id))) == 0
    assert _child(db_url, settings.data_dir, "upload", files) == 9
    with f() as s:
        assert s.scalar(select(func.count(DataVersion.id))) == 1  # the killed one is not there
    # the files moved before the kill are reused when the same files are uploaded again
    staging = settings.data_dir / "staging" / "again"
    staging.mkdir(parents=True)
    again = {d: (f"{d.lower()}.csv", staging / f"{d.lower()}.csv") for d in ("DM", "LB", "EX")}
    for d, (_, p) in again.items():
        shutil.copy(files / f"{d.lower()}.csv", p)
    with f() as s:
        admin = s.scalar(select(User).where(User.username == ADMIN))
    second = accept_upload(f, settings.data_dir, study.id, admin, again, staging)
    assert second.version is not None and second.version.number == 2 and second.created
    run = compute_responses(f, study, second.version, admin)
    with f() as s:
        n = s.scalar(select(func.count(ResponseCall.id)).where(ResponseCall.run_id == run.id))
    assert n == run.n_calls > 0
    app.state.engine.dispose()
