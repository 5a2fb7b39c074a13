"""The initial schema: accounts, bindings, grants, reference caches, attempts, codes, events.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)
LIVE = sa.text("status <> 'DISCONNECTED'")


def upgrade() -> None:
    _accounts_and_bindings()
    _grants_and_references()
    _connect_records()


def downgrade() -> None:
    for table in (
        "binding_events",
        "pairing_codes",
        "connect_attempts",
        "reference_caches",
        "grants",
        "bindings",
        "accounts",
    ):
        op.drop_table(table)


def _accounts_and_bindings() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("email", name="uq_accounts_email"),
    )
    op.create_table(
        "bindings",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_reason", sa.Text, nullable=False),
        sa.Column("magento_base_url", sa.String(2048)),
        sa.Column("magento", sa.JSON),
        sa.Column("connector_secret_hash", sa.String(128), nullable=False),
        sa.Column("xero_environment", sa.String(16)),
        sa.Column("xero_tenant_id", sa.String(64)),
        sa.Column("xero_tenant_name", sa.Text),
        sa.Column("xero_connection_id", sa.String(64)),
        sa.Column("xero_user_id", sa.String(64)),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_bindings"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_bindings_account_id_accounts"
        ),
    )
    op.create_index("ix_bindings_account_id", "bindings", ["account_id"])
    op.create_index("ix_bindings_status", "bindings", ["status"])
    op.create_index("ix_bindings_connector_secret_hash", "bindings", ["connector_secret_hash"])
    op.create_index("ix_bindings_xero_connection_id", "bindings", ["xero_connection_id"])
    op.create_index("ix_bindings_xero_user", "bindings", ["xero_environment", "xero_user_id"])
    op.create_index(
        "uq_bindings_live_install",
        "bindings",
        ["magento_base_url"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def _grants_and_references() -> None:
    op.create_table(
        "grants",
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("access_expires_at", UTC_TS, nullable=False),
        sa.Column("refresh_issued_at", UTC_TS, nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("auth_event_id", sa.String(255), nullable=False),
        sa.Column("xero_user_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("failure_count", sa.Integer, nullable=False),
        sa.Column("failure_days", sa.Integer, nullable=False),
        sa.Column("last_failure_on", sa.Date),
        sa.Column("next_retry_at", UTC_TS),
        sa.PrimaryKeyConstraint("binding_id", name="pk_grants"),
        sa.ForeignKeyConstraint(
            ["binding_id"],
            ["bindings.id"],
            name="fk_grants_binding_id_bindings",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_grants_key_id", "grants", ["key_id"])
    op.create_index("ix_grants_refresh_issued_at", "grants", ["refresh_issued_at"])
    op.create_index("ix_grants_next_retry_at", "grants", ["next_retry_at"])
    op.create_table(
        "reference_caches",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("fetched_at", UTC_TS),
        sa.Column("extended_fetched_at", UTC_TS),
        sa.PrimaryKeyConstraint("tenant_id", "environment", name="pk_reference_caches"),
    )
    op.create_index("ix_reference_caches_fetched_at", "reference_caches", ["fetched_at"])
    op.create_index(
        "ix_reference_caches_extended_fetched_at", "reference_caches", ["extended_fetched_at"]
    )


def _connect_records() -> None:
    op.create_table(
        "connect_attempts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("state", sa.String(255), nullable=False),
        sa.Column("code_verifier", sa.Text, nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(255), nullable=False),
        sa.Column("environment", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("used_at", UTC_TS),
        sa.Column("pending", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_connect_attempts"),
        sa.UniqueConstraint("state", name="uq_connect_attempts_state"),
        _binding_fk("connect_attempts"),
    )
    op.create_index("ix_connect_attempts_key_id", "connect_attempts", ["key_id"])
    op.create_index("ix_connect_attempts_created_at", "connect_attempts", ["created_at"])
    op.create_table(
        "pairing_codes",
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("used_at", UTC_TS),
        sa.PrimaryKeyConstraint("code_hash", name="pk_pairing_codes"),
        _binding_fk("pairing_codes"),
    )
    op.create_index("ix_pairing_codes_created_at", "pairing_codes", ["created_at"])
    op.create_table(
        "binding_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("binding_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_binding_events"),
        _binding_fk("binding_events"),
    )
    op.create_index("ix_binding_events_binding", "binding_events", ["binding_id", "id"])


def _binding_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["binding_id"], ["bindings.id"], name=f"fk_{table}_binding_id_bindings", ondelete="CASCADE"
    )
