"""Pairing hardening: one install whatever the URL's scheme; codes count refusals and are
keyed digests.

Bindings get `magento_install` (the base URL without its scheme), and the one-live-binding
index moves onto it. Two live bindings that only the scheme told apart keep the older one on
the shared key; the newer keeps its full URL as its key, so nothing is lost and nothing
conflicts (the merchant can unpair either). Unused pairing codes are deleted: they were
stored as bare SHA-256, which the keyed digest no longer matches (a code lives 15 minutes;
the merchant asks for a new one).

Revision ID: 0005_pairing_hardening
Revises: 0004_throttles
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_pairing_hardening"
down_revision = "0004_throttles"
branch_labels = None
depends_on = None

LIVE = sa.text("status <> 'DISCONNECTED'")
INDEX = "uq_bindings_live_install"


def upgrade() -> None:
    with op.batch_alter_table("bindings") as batch:
        batch.add_column(sa.Column("magento_install", sa.String(2048)))
    _fill_install_keys()
    op.drop_index(INDEX, table_name="bindings")
    _unique_live_index("magento_install")
    with op.batch_alter_table("pairing_codes") as batch:
        batch.add_column(
            sa.Column("refusals", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.execute("DELETE FROM pairing_codes WHERE used_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("pairing_codes") as batch:
        batch.drop_column("refusals")
    op.drop_index(INDEX, table_name="bindings")
    _unique_live_index("magento_base_url")
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("magento_install")


def _fill_install_keys() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, magento_base_url, status FROM bindings "
            "WHERE magento_base_url IS NOT NULL ORDER BY created_at, id"
        )
    ).all()
    live_keys: set[str] = set()
    for binding_id, url, status in rows:
        key = url.split("://", 1)[-1]
        if status != "DISCONNECTED":
            if key in live_keys:
                key = url
            live_keys.add(key)
        conn.execute(
            sa.text("UPDATE bindings SET magento_install = :key WHERE id = :id"),
            {"key": key, "id": binding_id},
        )


def _unique_live_index(column: str) -> None:
    op.create_index(
        INDEX, "bindings", [column], unique=True, sqlite_where=LIVE, postgresql_where=LIVE
    )
