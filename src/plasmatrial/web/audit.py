"""The audit trail: one row per change, in the same transaction as the change (decision 1000)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from plasmatrial.web.models import AuditEvent, User


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


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
    """Add an audit row to ``session`` (committed, or rolled back, with the change itself)."""
    event = AuditEvent(
        user_id=None if user is None else user.id,
        username=username if user is None else user.username,
        study_id=study_id,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        old=_text(old),
        new=_text(new),
        reason=reason,
    )
    session.add(event)
    return event
