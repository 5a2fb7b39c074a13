"""Server-side browser sessions: logout, password change and logout-all end them.

Revision ID: 0003_sessions
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sessions"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "browser_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("last_seen_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_browser_sessions"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_browser_sessions_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    for column in ("account_id", "created_at", "last_seen_at"):
        op.create_index(f"ix_browser_sessions_{column}", "browser_sessions", [column])


def downgrade() -> None:
    op.drop_table("browser_sessions")
