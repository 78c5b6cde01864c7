"""review queue index: the queued calls of a run in queue order (decision 1009)

A partial index over the calls with a queue reason, by run, subject, date and id: a page of the
review queue reads its 50 rows in order instead of every call of the run (SQLite's planner took
``ix_calls_run_subject`` for the ORDER BY and filtered all 3,102 calls of MM-003's run).

Revision ID: 1005
Revises: 1003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "1005"
down_revision: str | None = "1003"
branch_labels: str | None = None
depends_on: str | None = None

QUEUED = "queue_reason IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_calls_queue_order",
        "response_calls",
        ["run_id", "usubjid", "adt", "id"],
        sqlite_where=sa.text(QUEUED),
        postgresql_where=sa.text(QUEUED),
    )


def downgrade() -> None:
    op.drop_index("ix_calls_queue_order", table_name="response_calls")
