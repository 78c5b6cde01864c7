"""The workbench's tables (SQLAlchemy 2 declarative models; decision 1000).

Changed only through Alembic migrations (``plasmatrial/web/migrations``): a new column here needs a
new revision there. Data versions, response runs, decisions and audit events are append-only: the
application has no update or delete path for them.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Study roles, by what they may do (admin is a user flag, not a study role).
ROLES: Final[tuple[str, ...]] = ("data_manager", "reviewer", "statistician", "viewer")


def utcnow() -> dt.datetime:
    """Now, in UTC (every timestamp the workbench stores)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every workbench table."""


class User(Base):
    """An account: argon2 password hash, admin flag, failed-login lockout."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Study(Base):
    """A study: the trial file it was created from and the rule set its responses use."""

    __tablename__ = "studies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    trial_id: Mapped[str] = mapped_column(String(80))
    trial_file: Mapped[str] = mapped_column(String(255))
    trial_yaml: Mapped[str] = mapped_column(Text)
    disease: Mapped[str] = mapped_column(String(4))
    rule_set: Mapped[str | None] = mapped_column(String(60))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Membership(Base):
    """A user's role in one study."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("study_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))


class DataVersion(Base):
    """An accepted upload: immutable files in the data folder, named by their SHA-256."""

    __tablename__ = "data_versions"
    __table_args__ = (
        UniqueConstraint("study_id", "number"),
        UniqueConstraint("study_id", "sha256"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(String(500))
    files: Mapped[str] = mapped_column(Text)  # JSON: domain -> {name, sha256, bytes, stored}
    n_subjects: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResponseRun(Base):
    """Responses computed for one data version by one rule set (version recorded)."""

    __tablename__ = "response_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("data_versions.id"))
    rule_set: Mapped[str] = mapped_column(String(60))
    rule_set_version: Mapped[str] = mapped_column(String(40))
    disease: Mapped[str] = mapped_column(String(4))
    response_param: Mapped[str] = mapped_column(String(20))
    categories: Mapped[str] = mapped_column(Text)  # JSON list: the scale, best first, then PD/NE
    n_calls: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResponseCall(Base):
    """One computed call (subject, visit, parameter) with its rule id and explanation."""

    __tablename__ = "response_calls"
    __table_args__ = (
        Index("ix_calls_run_subject", "run_id", "usubjid"),
        Index("ix_calls_run_queue", "run_id", "queue_reason"),
        # the review queue's pages, in order (revision 1005, decision 1009)
        Index(
            "ix_calls_queue_order", "run_id", "usubjid", "adt", "id",
            sqlite_where=text("queue_reason IS NOT NULL"),
            postgresql_where=text("queue_reason IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("response_runs.id"))
    usubjid: Mapped[str] = mapped_column(String(80))
    visit: Mapped[str | None] = mapped_column(String(80))
    visitnum: Mapped[float | None] = mapped_column(Float)
    adt: Mapped[str | None] = mapped_column(String(10))
    paramcd: Mapped[str] = mapped_column(String(20))
    avalc: Mapped[str | None] = mapped_column(String(20))
    ruleid: Mapped[str | None] = mapped_column(String(80))
    ruleset: Mapped[str | None] = mapped_column(String(60))
    rulesetver: Mapped[str | None] = mapped_column(String(40))
    explain: Mapped[str | None] = mapped_column(Text)
    inputs: Mapped[str | None] = mapped_column(Text)
    at_boundary: Mapped[bool | None] = mapped_column(Boolean)
    is_response: Mapped[bool] = mapped_column(Boolean, default=False)
    investigator: Mapped[str | None] = mapped_column(String(20))
    queue_reason: Mapped[str | None] = mapped_column(String(80))


class SubjectSummary(Base):
    """A subject's best response in a run, with the baseline details respond gives (stages,
    evaluability, involved chain) and DM's organ flags, as JSON."""

    __tablename__ = "subject_summaries"
    __table_args__ = (UniqueConstraint("run_id", "usubjid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("response_runs.id"))
    usubjid: Mapped[str] = mapped_column(String(80))
    best: Mapped[str | None] = mapped_column(String(20))
    best_date: Mapped[str | None] = mapped_column(String(10))
    best_explain: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)


class Marker(Base):
    """A followed marker's value at one assessment (the patient timeline)."""

    __tablename__ = "markers"
    __table_args__ = (Index("ix_markers_version_subject", "version_id", "usubjid"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("data_versions.id"))
    usubjid: Mapped[str] = mapped_column(String(80))
    adt: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(20))
    value: Mapped[float] = mapped_column(Float)


class Decision(Base):
    """A reviewer's decision on a call; ``seq`` 1, 2, ... per call (a race loses on the unique key)."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("call_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("response_calls.id"))
    seq: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(10))  # accept | override
    category: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEvent(Base):
    """Who did what, when, old and new value, reason; written in the transaction of the change."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str | None] = mapped_column(String(80))
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # hash chain (revision 1001): position, the previous row's hash, this row's hash
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """The audit chain's head (one row): rows so far and the last row's hash. Updated first by
    every audited transaction, so concurrent writers queue on it and the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class AnalysisJob(Base):
    """Work run outside the request by a worker process (revision 1003, decision 1001): a trial
    analysis of a data version with the reviewers' decisions, or a response computation.

    ``status`` goes queued -> running -> done | failed and never back; only a done job lists
    ``files`` (JSON: name, bytes, sha256 of each output under ``folder``).
    """

    __tablename__ = "analysis_jobs"
    __table_args__ = (Index("ix_jobs_study_status", "study_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("data_versions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("response_runs.id"))
    kind: Mapped[str] = mapped_column(String(20))  # analysis | responses
    status: Mapped[str] = mapped_column(String(12), default="queued")
    stage: Mapped[str | None] = mapped_column(String(40))
    step: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    n_adjudicated: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    folder: Mapped[str | None] = mapped_column(String(500))
    files: Mapped[str | None] = mapped_column(Text)  # JSON list, set when done
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """One failed login from a client address (revision 1006, decision 1012): the login throttle
    counts an address's rows in its sliding window, so every server process sees the same count.
    Rows older than the window are pruned; nothing else reads them (the audit trail keeps logins)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_address_at", "address", "failed_at"),
        Index("ix_login_failures_at", "failed_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
