"""Work outside the request: a job table and one worker process per job (decision 1001).

A page inserts an ``analysis_jobs`` row (``queued``, audited) and asks the server's
:class:`JobRunner` to dispatch; the runner claims queued rows with a conditional ``UPDATE``
(``queued`` -> ``running``: two servers never run one job), starts a *spawned* process per job
(:func:`run_job`: its own database engine, nothing inherited from the server's threads) and a
thread that waits for it. The worker records its stage after each pipeline step, writes every
output into ``job-N.partial/``, renames that folder to ``job-N/`` and only then marks the job
``done`` in one transaction with its audit row and the files' SHA-256. Whatever ends a worker
before that commit (an exception, ``kill -9``, the server stopping) leaves the job ``failed`` and
its folders removed: the waiting thread, or at the next start :meth:`JobRunner.recover`, finds it
unfinished. A page never lists the files of a job that is not ``done``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import shutil
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plasmatrial import api
from plasmatrial.design.protocol import parse_trial
from plasmatrial.errors import IntakeError, PlasmatrialError
from plasmatrial.trial import STAGES
from plasmatrial.web import audit
from plasmatrial.web.db import make_engine, session_factory, transaction
from plasmatrial.web.models import (
    AnalysisJob,
    DataVersion,
    Decision,
    ResponseCall,
    ResponseRun,
    Study,
    User,
    utcnow,
)

logger = logging.getLogger(__name__)

KINDS: Final = ("analysis", "responses")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED: Final = (QUEUED, RUNNING)
#: Larger data versions get their responses computed by a worker process, not in the request.
INLINE_RESPONSE_SUBJECTS: Final = 100
#: Seconds a claimed job may lack its worker's pid (being recorded by the claiming server).
CLAIM_GRACE_S: Final = 60.0
#: Worker processes one server runs at once (the rest wait queued).
MAX_RUNNING: Final = 2
#: The stages a job page shows: the pipeline's (``plasmatrial.trial.STAGES``) between reading
#: the data version and writing the outputs.
ANALYSIS_STAGES: Final = ("read data", *STAGES, "write outputs")
RESPONSE_STAGES: Final = ("compute responses",)
#: Name the worker signs its own audit rows with.
WORKER: Final = "worker"


def job_folder(data_dir: Path, job: AnalysisJob) -> Path:
    """Where a job's outputs live once it is done."""
    return data_dir / "analyses" / str(job.study_id) / f"job-{job.id}"


def _partial(folder: Path) -> Path:
    return folder.with_name(folder.name + ".partial")


def create_job(
    session: Session,
    actor: User,
    study: Study,
    version: DataVersion,
    kind: str,
    *,
    pdf: bool = False,
) -> AnalysisJob:
    """A queued job (audited). An analysis records the latest response run of the version; its
    reviewers' decisions recorded until now are the ones the analysis applies."""
    if kind not in KINDS:
        raise PlasmatrialError(f"job kind must be one of {', '.join(KINDS)}, got {kind!r}")
    run = session.scalar(
        select(ResponseRun)
        .where(ResponseRun.version_id == version.id)
        .order_by(ResponseRun.id.desc())
    )
    n_adj = None
    if kind == "analysis" and run is not None:
        n_adj = session.scalar(
            select(func.count(func.distinct(Decision.call_id)))
            .join(ResponseCall, ResponseCall.id == Decision.call_id)
            .where(ResponseCall.run_id == run.id)
        )
    stages = ANALYSIS_STAGES if kind == "analysis" else RESPONSE_STAGES
    job = AnalysisJob(
        study_id=study.id, version_id=version.id,
        run_id=None if run is None or kind != "analysis" else run.id, kind=kind, status=QUEUED,
        step=0, steps=len(stages), options=json.dumps({"pdf": pdf}), n_adjudicated=n_adj,
        created_by=actor.id, created_at=utcnow(),
    )  # fmt: skip
    session.add(job)
    session.flush()
    audit.record(
        session, user=actor, action="start_" + kind, entity="analysis_job", entity_id=job.id,
        study_id=study.id,
        new={"version": version.number, "run": job.run_id, "adjudicated": n_adj, "pdf": pdf},
    )  # fmt: skip
    return job


def fail_unfinished(
    factory: sessionmaker[Session], data_dir: Path, job_id: int, message: str
) -> bool:
    """Mark a queued or running job failed (audited) and remove its folders; False when it had
    already finished (done or failed)."""
    with transaction(factory) as session:
        job = session.get(AnalysisJob, job_id)
        if job is None or job.status not in UNFINISHED:
            return False
        job.status, job.message, job.finished_at = FAILED, message[:4000], utcnow()
        audit.record(
            session, user=None, username=WORKER, action="fail_" + job.kind,
            entity="analysis_job", entity_id=job.id, study_id=job.study_id, reason=message[:500],
        )  # fmt: skip
        folder = job_folder(data_dir, job)
    for path in (folder, _partial(folder)):
        shutil.rmtree(path, ignore_errors=True)
    return True


def _age_s(when: dt.datetime | None) -> float:
    """Seconds since ``when`` (infinite when unknown); naive times are UTC (SQLite)."""
    if when is None:
        return float("inf")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return (utcnow() - when).total_seconds()


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobRunner:
    """Starts queued jobs in worker processes (at most ``max_running`` at once) and marks a
    job failed when its worker ends without finishing it."""

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        factory: sessionmaker[Session],
        *,
        max_running: int = MAX_RUNNING,
        start_method: str = "spawn",
    ) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.factory = factory
        self.max_running = max_running
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._procs: dict[int, BaseProcess] = {}

    def running(self) -> list[int]:
        """Ids of the jobs this server's workers run now."""
        with self._lock:
            return sorted(self._procs)

    def recover(self) -> int:
        """At start: fail running jobs whose worker is gone (a stopped server), then dispatch
        the queued ones; the number failed."""
        with self.factory() as session:
            stale = [
                (j.id, j.pid)
                for j in session.scalars(select(AnalysisJob).where(AnalysisJob.status == RUNNING))
                # a job another server process claimed an instant ago has no pid yet
                if j.pid is not None or _age_s(j.started_at) > CLAIM_GRACE_S
            ]
        n = 0
        for job_id, pid in stale:
            if job_id not in self._procs and not pid_alive(pid):
                n += fail_unfinished(
                    self.factory, self.data_dir, job_id,
                    "the worker process was gone (server stopped or process killed)",
                )  # fmt: skip
        self.dispatch()
        return n

    def reap(self, job: AnalysisJob) -> bool:
        """Fail a running job no live worker holds (checked when its status is read)."""
        if job.status != RUNNING or job.id in self._procs or pid_alive(job.pid):
            return False
        if job.pid is None and _age_s(job.started_at) <= CLAIM_GRACE_S:
            return False  # claimed an instant ago; the pid is being recorded
        return fail_unfinished(
            self.factory, self.data_dir, job.id, "the worker process ended without finishing"
        )

    def dispatch(self) -> list[int]:
        """Start queued jobs, oldest first, while fewer than ``max_running`` run; their ids."""
        started: list[int] = []
        with self._lock:
            while len(self._procs) < self.max_running:
                job_id = self._claim()
                if job_id is None:
                    break
                proc: BaseProcess = self._context.Process(  # type: ignore[attr-defined]
                    target=run_job, args=(self.database_url, str(self.data_dir), job_id),
                    name=f"plasmatrial-job-{job_id}", daemon=True,
                )  # fmt: skip
                proc.start()
                self._procs[job_id] = proc
                with transaction(self.factory) as session:
                    session.execute(
                        update(AnalysisJob).where(AnalysisJob.id == job_id).values(pid=proc.pid)
                    )
                threading.Thread(
                    target=self._watch, args=(job_id, proc), daemon=True,
                    name=f"plasmatrial-watch-{job_id}",
                ).start()  # fmt: skip
                started.append(job_id)
        return started

    def _claim(self) -> int | None:
        with transaction(self.factory) as session:
            for job_id in session.scalars(
                select(AnalysisJob.id).where(AnalysisJob.status == QUEUED).order_by(AnalysisJob.id)
            ):
                claimed = session.execute(
                    update(AnalysisJob)
                    .where(AnalysisJob.id == job_id, AnalysisJob.status == QUEUED)
                    .values(status=RUNNING, started_at=utcnow())
                )
                if claimed.rowcount == 1:  # type: ignore[attr-defined]
                    return int(job_id)
        return None

    def _watch(self, job_id: int, proc: BaseProcess) -> None:
        proc.join()
        with self._lock:
            self._procs.pop(job_id, None)
        try:
            fail_unfinished(
                self.factory, self.data_dir, job_id,
                f"the worker process ended (exit code {proc.exitcode}) before finishing",
            )  # fmt: skip
        except Exception as exc:  # the server may be shutting down; recover() handles it next start
            logger.warning("job %s: could not record the end of its worker: %s", job_id, exc)
            return
        try:
            self.dispatch()
        except Exception as exc:  # same: a queued job is claimed when one is started or at start-up
            logger.warning("job %s: could not start the next queued job: %s", job_id, exc)


# -- the worker process -----------------------------------------------------------------------


def _set_stage(factory: sessionmaker[Session], job_id: int, stage: str, step: int) -> None:
    with transaction(factory) as session:
        session.execute(
            update(AnalysisJob)
            .where(AnalysisJob.id == job_id, AnalysisJob.status == RUNNING)
            .values(stage=stage, step=step)
        )


def _finish(
    factory: sessionmaker[Session],
    job_id: int,
    *,
    folder: Path | None,
    files: list[dict[str, object]],
    run_id: int | None,
    detail: dict[str, object],
) -> bool:
    """Mark the job done with its files, in one transaction with its audit row."""
    with transaction(factory) as session:
        job = session.get(AnalysisJob, job_id)
        if job is None or job.status != RUNNING:
            return False
        job.status, job.finished_at, job.step = DONE, utcnow(), job.steps
        job.stage = "done"
        job.folder = None if folder is None else str(folder)
        job.files = json.dumps(files)
        if run_id is not None:
            job.run_id = run_id
        audit.record(
            session, user=None, username=WORKER, action="finish_" + job.kind,
            entity="analysis_job", entity_id=job.id, study_id=job.study_id,
            new={**detail, "files": {str(f["name"]): f["sha256"] for f in files}},
        )  # fmt: skip
        return True


def _analysis(factory: sessionmaker[Session], data_dir: Path, job_id: int) -> None:
    from plasmatrial.web.analysis import adjudications, write_analysis

    with factory() as session:
        job = session.get(AnalysisJob, job_id)
        assert job is not None
        study = session.get(Study, job.study_id)
        version = session.get(DataVersion, job.version_id)
        assert study is not None and version is not None
        adj = None if job.run_id is None else adjudications(session, job.run_id, job.created_at)
        pdf = bool(json.loads(job.options or "{}").get("pdf"))
        folder = job_folder(data_dir, job)
        trial_yaml, trial_file, vnumber, run_id = (
            study.trial_yaml, study.trial_file, version.number, job.run_id
        )
        vfolder = version.folder
    _set_stage(factory, job_id, ANALYSIS_STAGES[0], 0)
    trial = parse_trial(trial_yaml, source=trial_file)
    data = api.read_trial_data(vfolder)

    def progress(stage: str, index: int, _total: int) -> None:
        _set_stage(factory, job_id, stage, index + 1)

    res = api.run_trial(
        trial, data, progress=progress, adjudications=adj if adj is not None and adj.height else None
    )
    _set_stage(factory, job_id, ANALYSIS_STAGES[-1], len(ANALYSIS_STAGES) - 1)
    partial = _partial(folder)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    extra = {
        "Data version": f"{vnumber} ({', '.join(sorted(data.file_hashes))})",
        "Adjudicated calls": f"{0 if adj is None else adj.height} (response run {run_id})",
    }
    outputs = write_analysis(res, partial, pdf=pdf, extra=extra)
    partial.replace(folder)  # atomic: the folder is whole or absent
    _finish(
        factory, job_id, folder=folder, files=[
            {"name": o.name, "bytes": o.bytes, "sha256": o.sha256} for o in outputs
        ], run_id=None,
        detail={"version": vnumber, "run": run_id, "criteria": res.criteria.label,
                "adjudicated": 0 if adj is None else adj.height},
    )  # fmt: skip


def _responses(factory: sessionmaker[Session], job_id: int) -> None:
    from plasmatrial.web.services import compute_responses

    with factory() as session:
        job = session.get(AnalysisJob, job_id)
        assert job is not None
        study = session.get(Study, job.study_id)
        version = session.get(DataVersion, job.version_id)
        actor = session.get(User, job.created_by)
        assert study is not None and version is not None and actor is not None
    _set_stage(factory, job_id, RESPONSE_STAGES[0], 0)
    run = compute_responses(factory, study, version, actor)
    _finish(
        factory, job_id, folder=None, files=[], run_id=run.id,
        detail={"version": version.number, "run": run.id, "calls": run.n_calls},
    )  # fmt: skip


def intake_message(exc: IntakeError, limit: int = 20) -> str:
    """The error with its first ``limit`` problems (domain, row, column, value, expected)."""
    parts = [str(exc)]
    for problem in exc.problems[:limit]:
        d = problem.as_dict()
        where = " ".join(
            f"{k} {d[k]}" for k in ("file", "row", "column") if d.get(k) is not None
        )
        parts.append(
            f"{where}: {d.get('reason') or 'problem'}"
            + (f" (value {d['value']!r}" if d.get("value") is not None else " (")
            + (f", expected {d['expected']})" if d.get("expected") is not None else ")")
        )
    if len(exc.problems) > limit:
        parts.append(f"... and {len(exc.problems) - limit} more")
    return "; ".join(parts)


def run_job(database_url: str, data_dir: str, job_id: int) -> None:
    """The worker process: run one claimed job; any error marks it failed with its message."""
    engine = make_engine(database_url)
    factory = session_factory(engine)
    try:
        with factory() as session:
            kind = session.scalar(select(AnalysisJob.kind).where(AnalysisJob.id == job_id))
        if kind == "analysis":
            _analysis(factory, Path(data_dir), job_id)
        else:
            _responses(factory, job_id)
    except IntakeError as exc:  # every problem, as the upload page shows them
        fail_unfinished(factory, Path(data_dir), job_id, intake_message(exc))
    except PlasmatrialError as exc:
        fail_unfinished(factory, Path(data_dir), job_id, str(exc))
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        fail_unfinished(factory, Path(data_dir), job_id, f"{type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
