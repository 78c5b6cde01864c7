"""audit hash chain: seq, prev_hash, hash on audit_events; audit_head

Revision ID: 1001
Revises: 1000
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "1001"
down_revision: str | None = "1000"
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_audit_events_seq", ["seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # rows written before the chain are chained now, in id order
    from sqlalchemy.orm import Session

    from plasmatrial.web.audit import chain_hash
    from plasmatrial.web.models import AuditEvent

    session = Session(bind=op.get_bind())
    prev, n = GENESIS, 0
    for event in session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)):
        n += 1
        event.seq, event.prev_hash = n, prev
        event.hash = prev = chain_hash(prev, n, event)
    session.flush()
    op.bulk_insert(head, [{"id": 1, "n": n, "last_hash": prev}])


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint("uq_audit_events_seq", type_="unique")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
