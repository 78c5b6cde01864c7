"""subject summaries: best response and baseline details per run

Revision ID: 1002
Revises: 1001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "1002"
down_revision: str | None = "1001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "subject_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("usubjid", sa.String(length=80), nullable=False),
        sa.Column("best", sa.String(length=20), nullable=True),
        sa.Column("best_date", sa.String(length=10), nullable=True),
        sa.Column("best_explain", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["response_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "usubjid"),
    )


def downgrade() -> None:
    op.drop_table("subject_summaries")
