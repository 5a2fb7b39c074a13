"""Xero's 2026 platform: bytes received from Xero per month, environment, organisation and
endpoint; and a binding's last connect attempt that Xero never sent back.

Revision ID: 0006_xero_platform
Revises: 0005_pairing_hardening
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_xero_platform"
down_revision = "0005_pairing_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "xero_egress",
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("received_bytes", sa.BigInteger(), nullable=False),
        sa.Column("calls", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month", "environment", "tenant_id", "endpoint", name="pk_xero_egress"
        ),
    )
    with op.batch_alter_table("bindings") as batch:
        batch.add_column(sa.Column("connect_problem", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("connect_problem")
    op.drop_table("xero_egress")
