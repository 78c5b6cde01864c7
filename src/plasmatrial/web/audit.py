"""The audit trail: one row per change, in the same transaction as the change, hash-chained
(decision 1000).

Each row's ``hash`` is the SHA-256 of the previous row's hash and the row's own fields
(:func:`chain_hash`); the head row (``audit_head``) holds the count and the last hash. Changing,
deleting or reordering a row, or dropping the newest ones, breaks the chain, which
:func:`verify_chain` reports. :func:`chain_hash` must never change: the stored hashes depend on it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plasmatrial.web.models import AuditEvent, AuditHead, User, utcnow

GENESIS: Final = "0" * 64


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _utc(when: dt.datetime) -> str:
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    """SHA-256 of the previous hash, the position and every field of ``event``."""
    fields = [
        prev_hash, seq, _utc(event.at), event.user_id, event.username, event.study_id,
        event.action, event.entity, event.entity_id, event.old, event.new, event.reason,
    ]
    return hashlib.sha256(json.dumps(fields, default=str).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    user: User | None,
    action: str,
    entity: str,
    entity_id: object = None,
    study_id: int | None = None,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Add a chained audit row to ``session`` (committed, or rolled back, with the change)."""
    seq, prev = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(n=AuditHead.n + 1)
        .returning(AuditHead.n, AuditHead.last_hash)
    ).one()
    event = AuditEvent(
        at=utcnow(),
        user_id=None if user is None else user.id,
        username=username if user is None else user.username,
        study_id=study_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old=_text(old),
        new=_text(new),
        reason=reason,
        seq=seq,
        prev_hash=prev,
    )
    event.hash = chain_hash(prev, seq, event)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))
    return event


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The audit chain's verification: rows checked and every break found."""

    n_rows: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No break."""
        return not self.problems


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every row's hash in order; report changed, missing or reordered rows."""
    head = session.get(AuditHead, 1)
    problems: list[str] = []
    prev, expected_seq, n = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        n += 1
        if event.seq != expected_seq:
            problems.append(f"row {event.id}: position {event.seq}, expected {expected_seq}")
        if event.prev_hash != prev:
            problems.append(f"row {event.id}: does not follow the previous row")
        if event.seq is None or event.hash != chain_hash(prev, event.seq, event):
            problems.append(f"row {event.id}: content changed since it was written")
        prev = event.hash or ""
        expected_seq = (event.seq or expected_seq) + 1
    if head is None:
        problems.append("the chain head is missing")
    elif head.n != n or head.last_hash != (prev if n else GENESIS):
        problems.append(f"the head counts {head.n} rows ending {head.last_hash[:12]}; found {n}")
    return ChainCheck(n, tuple(problems))
