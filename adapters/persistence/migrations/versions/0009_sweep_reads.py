"""The sweeps' reads without scanning: bindings indexed by Xero organisation (the reference
sweep reads an organisation's bindings for each refresh, and the stale-cache scan asks
whether each cache has one), and whether an organisation is a demo company as a column of
its reference cache (the connection-cap count, every sweep tick, parsed each cache's whole
payload for it). Existing caches get the flag from their payload.

Revision ID: 0009_sweep_reads
Revises: 0008_webhooks
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_sweep_reads"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None

FLAG_FROM_PAYLOAD = {
    "sqlite": "UPDATE reference_caches "
    "SET is_demo = COALESCE(json_extract(payload, '$.organisation.is_demo'), 0)",
    "postgresql": "UPDATE reference_caches "
    "SET is_demo = COALESCE((payload -> 'organisation' ->> 'is_demo')::boolean, false)",
}


def upgrade() -> None:
    op.create_index("ix_bindings_xero_tenant", "bindings", ["xero_tenant_id", "xero_environment"])
    with op.batch_alter_table("reference_caches") as batch:
        batch.add_column(
            sa.Column("is_demo", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(FLAG_FROM_PAYLOAD[op.get_bind().dialect.name])


def downgrade() -> None:
    with op.batch_alter_table("reference_caches") as batch:
        batch.drop_column("is_demo")
    op.drop_index("ix_bindings_xero_tenant", table_name="bindings")
