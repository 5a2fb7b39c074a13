"""Webhook subscribers' cursors (leased to one replica at a time) and the delivery log.

Revision ID: 0008_webhooks
Revises: 0007_event_revisions
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_webhooks"
down_revision = "0007_event_revisions"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)
REVISION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_cursors",
        sa.Column("subscriber", sa.String(64), nullable=False),
        sa.Column("delivered_through", REVISION, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTC_TS),
        sa.Column("next_attempt_at", UTC_TS),
        sa.Column("disabled_at", UTC_TS),
        sa.Column("disabled_reason", sa.Text(), nullable=False),
        sa.Column("leased_by", sa.String(128)),
        sa.Column("lease_until", UTC_TS),
        sa.PrimaryKeyConstraint("subscriber", name="pk_webhook_cursors"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", REVISION, autoincrement=True, nullable=False),
        sa.Column("subscriber", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("revision", REVISION, nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("http_status", sa.Integer()),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_subscriber", "webhook_deliveries", ["subscriber", "id"])
    op.create_index("ix_webhook_deliveries_binding_id", "webhook_deliveries", ["binding_id", "id"])
    op.create_index("ix_webhook_deliveries_at", "webhook_deliveries", ["at"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_cursors")
