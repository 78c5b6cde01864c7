"""The review queue and reviewers' decisions (accept, or override with a signed reason)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plasmatrial.web import audit
from plasmatrial.web.models import Decision, ResponseCall, ResponseRun, User
from plasmatrial.web.security import verify_password
from plasmatrial.web.services import ConflictError, WebError
from plasmatrial.web.subject_calls import SUBJECT_PARAM


class SignatureError(WebError):
    """The password given to sign an override does not match (audited by the caller in its own
    transaction, since the decision's is rolled back)."""


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A call that needs a human, with its latest decision (None: undecided)."""

    call: ResponseCall
    decision: Decision | None

    @property
    def seq(self) -> int:
        """The number of decisions so far (a new decision must be ``seq + 1``)."""
        return 0 if self.decision is None else self.decision.seq

    @property
    def is_subject(self) -> bool:
        """A subject-level item (best overall response), not a visit's call (decision 1007)."""
        return self.call.paramcd == SUBJECT_PARAM and not self.call.is_response

    @property
    def effective(self) -> str | None:
        """The category the analysis uses: the reviewer's when decided, else the computed one."""
        return self.call.avalc if self.decision is None else self.decision.category


def latest_decisions(session: Session, call_ids: list[int]) -> dict[int, Decision]:
    """The latest decision of each call that has one."""
    if not call_ids:
        return {}
    rows = session.scalars(
        select(Decision).where(Decision.call_id.in_(call_ids)).order_by(Decision.seq)
    )
    return {d.call_id: d for d in rows}


def queue(
    session: Session, run: ResponseRun, *, offset: int = 0, limit: int | None = None
) -> list[QueueItem]:
    """Every response call of the run that is discordant, at a threshold or not evaluable, and
    every subject whose best response is discordant or not evaluable (decision 1007); by subject
    and date, ``offset`` / ``limit``: one page of them. One query: each call with its latest
    decision (decision 1009 addendum)."""
    latest_seq = (
        select(func.max(Decision.seq))
        .where(Decision.call_id == ResponseCall.id)
        .correlate(ResponseCall)
        .scalar_subquery()
    )
    query = (
        select(ResponseCall, Decision)
        .outerjoin(
            Decision, and_(Decision.call_id == ResponseCall.id, Decision.seq == latest_seq)
        )
        .where(ResponseCall.run_id == run.id, ResponseCall.queue_reason.is_not(None))
        .order_by(ResponseCall.usubjid, ResponseCall.adt, ResponseCall.id)
    )
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [QueueItem(c, d) for c, d in session.execute(query)]


_SUBJECT_ITEM = and_(ResponseCall.paramcd == SUBJECT_PARAM, ResponseCall.is_response.is_(False))
#: Built once: the queue's size and its subject-level items of run ``:run_id``.
_QUEUE_COUNTS = select(
    func.count(ResponseCall.id), func.sum(case((_SUBJECT_ITEM, 1), else_=0))
).where(ResponseCall.run_id == bindparam("run_id"), ResponseCall.queue_reason.is_not(None))


def queue_counts(session: Session, run: ResponseRun) -> tuple[int, int]:
    """The number of items in the run's review queue and, of them, subject-level items (best
    responses; decision 1007): :func:`queue_size` both ways in one query."""
    total, subjects = session.execute(_QUEUE_COUNTS, {"run_id": run.id}).one()
    return int(total or 0), int(subjects or 0)


def queue_size(session: Session, run: ResponseRun, *, subjects_only: bool = False) -> int:
    """The number of calls in the run's review queue (``subjects_only``: the subject-level items,
    best responses, only; decision 1007)."""
    query = select(func.count(ResponseCall.id)).where(
        ResponseCall.run_id == run.id, ResponseCall.queue_reason.is_not(None)
    )
    if subjects_only:
        query = query.where(
            ResponseCall.paramcd == SUBJECT_PARAM, ResponseCall.is_response.is_(False)
        )
    return int(session.scalar(query) or 0)


def decide(
    session: Session,
    reviewer: User,
    call: ResponseCall,
    run: ResponseRun,
    *,
    study_id: int,
    action: str,
    category: str | None,
    reason: str,
    password: str | None,
    expected_seq: int,
) -> Decision:
    """Record a decision; an override needs a category, a reason and the reviewer's password.

    ``expected_seq`` is the number of decisions the reviewer saw: when another decision came in
    meanwhile, :class:`ConflictError` (nothing is overwritten).
    """
    reason = reason.strip()
    label = f"{call.usubjid} {call.adt}"  # read now: a failed flush leaves the session unusable
    current = session.scalar(
        select(func.max(Decision.seq)).where(Decision.call_id == call.id)
    ) or 0
    if current != expected_seq:
        raise ConflictError(
            f"{label}: another decision was recorded meanwhile; reload the queue"
        )
    if action == "accept":
        chosen, signed = call.avalc or "NE", False
    elif action == "override":
        categories = json.loads(run.categories)
        if category not in categories:
            raise WebError(f"choose a category among {', '.join(categories)}")
        if not reason:
            raise WebError("an override needs a reason")
        if not password or not verify_password(reviewer.password_hash, password):
            raise SignatureError("signature refused: the password does not match")
        chosen, signed = str(category), True
    else:
        raise WebError(f"action must be accept or override, got {action!r}")
    old = None
    if current:
        prev = session.scalar(
            select(Decision).where(Decision.call_id == call.id, Decision.seq == current)
        )
        old = None if prev is None else {"action": prev.action, "category": prev.category}
    decision = Decision(
        call_id=call.id, seq=current + 1, reviewer_id=reviewer.id, action=action,
        category=chosen, reason=reason or None, signed=signed,
    )
    session.add(decision)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent decision took this seq
        raise ConflictError(
            f"{label}: another decision was recorded meanwhile; reload the queue"
        ) from exc
    audit.record(
        session, user=reviewer, action=action, entity="response_call", entity_id=call.id,
        study_id=study_id, old=old or {"computed": call.avalc},
        new={"category": chosen, "signed": signed, "seq": decision.seq},
        reason=reason or None,
    )
    return decision


#: Columns of the ADRS-like export, in order.
ADRS_COLUMNS: tuple[str, ...] = (
    "USUBJID", "VISIT", "VISITNUM", "ADT", "PARAMCD", "AVALC", "SRCTYPE", "COMPAVALC", "INVAVALC",
    "RULEID", "RULESET", "RULESETVER", "EXPLAIN", "QUEUE", "ADJACT", "ADJREAS", "ADJBY", "ADJDTC",
)


def adrs_rows(session: Session, run: ResponseRun) -> list[dict[str, object]]:
    """Every call of the run with the category the analysis uses (``AVALC``: the latest
    decision's, else the computed one) and its source (``SRCTYPE`` COMPUTED / ADJUDICATED)."""
    from plasmatrial.web.models import User

    calls = list(
        session.scalars(
            select(ResponseCall)
            .where(ResponseCall.run_id == run.id)
            .order_by(ResponseCall.usubjid, ResponseCall.adt, ResponseCall.paramcd)
        )
    )
    latest = latest_decisions(
        session, [c.id for c in calls if c.is_response or c.paramcd == SUBJECT_PARAM]
    )
    names = {r.id: r.username for r in session.execute(select(User.id, User.username))}
    rows: list[dict[str, object]] = []
    for c in calls:
        d = latest.get(c.id)
        rows.append(
            {
                "USUBJID": c.usubjid, "VISIT": c.visit, "VISITNUM": c.visitnum, "ADT": c.adt,
                "PARAMCD": c.paramcd,
                "AVALC": c.avalc if d is None else d.category,
                "SRCTYPE": "COMPUTED" if d is None else "ADJUDICATED",
                "COMPAVALC": c.avalc, "INVAVALC": c.investigator, "RULEID": c.ruleid,
                "RULESET": c.ruleset, "RULESETVER": c.rulesetver, "EXPLAIN": c.explain,
                "QUEUE": c.queue_reason,
                "ADJACT": None if d is None else d.action,
                "ADJREAS": None if d is None else d.reason,
                "ADJBY": None if d is None else names.get(d.reviewer_id),
                "ADJDTC": None if d is None else d.created_at.isoformat(timespec="seconds"),
            }
        )
    return rows
