"""Binding events become an outbox with gapless revisions; reference caches get a revision;
credential reads are counted per caller, binding and day.

Revision ID: 0007_event_revisions
Revises: 0006_xero_platform
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_event_revisions"
down_revision = "0006_xero_platform"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)
REVISION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("binding_events") as batch:
        batch.add_column(sa.Column("revision", REVISION))
        batch.add_column(sa.Column("account_id", sa.String(64)))
        batch.add_column(sa.Column("status", sa.String(32)))
    op.execute("UPDATE binding_events SET revision = id")
    op.execute(
        "UPDATE binding_events SET account_id = (SELECT b.account_id FROM bindings b "
        "WHERE b.id = binding_events.binding_id), status = (SELECT b.status FROM bindings b "
        "WHERE b.id = binding_events.binding_id)"
    )
    with op.batch_alter_table("binding_events") as batch:
        batch.alter_column("revision", existing_type=REVISION, nullable=False)
        batch.alter_column("account_id", existing_type=sa.String(64), nullable=False)
        batch.alter_column("status", existing_type=sa.String(32), nullable=False)
    op.create_index("uq_binding_events_revision", "binding_events", ["revision"], unique=True)
    op.create_table(
        "event_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", REVISION, nullable=False),
        sa.Column("compacted_through", REVISION, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_revision"),
    )
    op.execute(
        "INSERT INTO event_revision (id, revision, compacted_through) "
        "SELECT 1, COALESCE(MAX(revision), 0), 0 FROM binding_events"
    )
    with op.batch_alter_table("reference_caches") as batch:
        batch.add_column(
            sa.Column("revision", REVISION, nullable=False, server_default=sa.text("0"))
        )
    op.create_table(
        "credential_reads",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("caller", sa.String(64), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("count", REVISION, nullable=False),
        sa.Column("first_at", UTC_TS, nullable=False),
        sa.Column("last_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("day", "caller", "binding_id", name="pk_credential_reads"),
    )
    op.create_index("ix_credential_reads_binding_id", "credential_reads", ["binding_id", "day"])


def downgrade() -> None:
    op.drop_table("credential_reads")
    with op.batch_alter_table("reference_caches") as batch:
        batch.drop_column("revision")
    op.drop_table("event_revision")
    op.drop_index("uq_binding_events_revision", table_name="binding_events")
    with op.batch_alter_table("binding_events") as batch:
        batch.drop_column("status")
        batch.drop_column("account_id")
        batch.drop_column("revision")
