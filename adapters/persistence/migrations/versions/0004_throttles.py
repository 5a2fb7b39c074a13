"""Login and pairing throttles shared by every replica.

Revision ID: 0004_throttles
Revises: 0003_sessions
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_throttles"
down_revision = "0003_sessions"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("empty_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_throttles"),
    )
    op.create_index("ix_throttles_empty_at", "throttles", ["empty_at"])


def downgrade() -> None:
    op.drop_table("throttles")
