"""The schema as SQLAlchemy Core tables; Alembic migrations create it, these describe it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

from adapters.persistence.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 64
LIVE = text("status <> 'DISCONNECTED'")
REVISION = BigInteger().with_variant(Integer, "sqlite")

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("plan", String(64), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("environment", String(16), nullable=False),
)

bindings = Table(
    "bindings",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("status_reason", Text, nullable=False),
    Column("magento_base_url", String(2048)),
    # values.install_key: the URL without its scheme, so http:// and https:// are one install.
    Column("magento_install", String(2048)),
    Column("magento", JSON(none_as_null=True)),
    Column("connector_secret_hash", String(128), nullable=False, index=True),
    Column("xero_environment", String(16)),
    Column("xero_tenant_id", String(ID)),
    Column("xero_tenant_name", Text),
    Column("xero_connection_id", String(ID), index=True),
    Column("xero_user_id", String(ID)),
    Column("policy", JSON, nullable=False),
    # Why the last connect attempt came to nothing without Xero sending the merchant back.
    Column("connect_problem", Text, nullable=False, server_default=""),
    Index("ix_bindings_xero_user", "xero_environment", "xero_user_id"),
    # An organisation's bindings: the reference sweep's per-organisation read and the
    # stale-cache scan's correlated subquery, each a full scan of bindings without it.
    Index("ix_bindings_xero_tenant", "xero_tenant_id", "xero_environment"),
    # One Magento install, at most one live binding (DESIGN §3), even under racing pairings.
    Index(
        "uq_bindings_live_install",
        "magento_install",
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    ),
)

grants = Table(
    "grants",
    metadata,
    Column("binding_id", ForeignKey("bindings.id", ondelete="CASCADE"), primary_key=True),
    Column("environment", String(16), nullable=False),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("key_id", String(32), nullable=False, index=True),
    Column("access_expires_at", UtcDateTime, nullable=False),
    Column("refresh_issued_at", UtcDateTime, nullable=False, index=True),
    Column("scopes", JSON, nullable=False),
    Column("auth_event_id", String(255), nullable=False),
    Column("xero_user_id", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("failure_count", Integer, nullable=False),
    Column("failure_days", Integer, nullable=False),
    Column("last_failure_on", Date),
    Column("next_retry_at", UtcDateTime, index=True),
)

reference_caches = Table(
    "reference_caches",
    metadata,
    Column("tenant_id", String(ID), primary_key=True),
    Column("environment", String(16), primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("fetched_at", UtcDateTime, index=True),
    Column("extended_fetched_at", UtcDateTime, index=True),
    Column("revision", REVISION, nullable=False, server_default=text("0")),
    # The organisation's `is_demo`, out of the payload: demo companies do not count towards
    # the connection cap, and the count runs every sweep tick.
    Column("is_demo", Boolean, nullable=False, server_default=false()),
)

connect_attempts = Table(
    "connect_attempts",
    metadata,
    Column("id", String(ID), primary_key=True),
    Column("state", String(255), nullable=False, unique=True),
    Column("code_verifier", Text, nullable=False),
    Column("key_id", String(32), nullable=False, index=True),
    Column("binding_id", ForeignKey("bindings.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(ID), nullable=False),
    Column("session_id", String(255), nullable=False),
    Column("environment", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("used_at", UtcDateTime),
    Column("pending", Text),
)

pairing_codes = Table(
    "pairing_codes",
    metadata,
    Column("code_hash", String(128), primary_key=True),
    Column("binding_id", ForeignKey("bindings.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("used_at", UtcDateTime),
    Column("refusals", Integer, nullable=False, server_default=text("0")),
)

binding_events = Table(
    "binding_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("binding_id", ForeignKey("bindings.id", ondelete="CASCADE"), nullable=False),
    Column("revision", REVISION, nullable=False),
    Column("account_id", String(ID), nullable=False),
    Column("status", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_binding_events_binding", "binding_id", "id"),
    Index("uq_binding_events_revision", "revision", unique=True),
)

# One row (id 1): the last revision handed out, and the last one compaction removed. Writers
# take it with `UPDATE ... RETURNING` just before commit, so revisions commit in order.
event_revision = Table(
    "event_revision",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("revision", REVISION, nullable=False),
    Column("compacted_through", REVISION, nullable=False),
)

# Who read which binding's credentials: one row per day, caller and binding (DESIGN §13).
credential_reads = Table(
    "credential_reads",
    metadata,
    Column("day", Date, primary_key=True),
    Column("caller", String(64), primary_key=True),
    Column("binding_id", String(ID), primary_key=True),
    Column("count", REVISION, nullable=False),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Index("ix_credential_reads_binding_id", "binding_id", "day"),
)

# Webhook subscribers (domain.webhooks): one cursor row each, leased to the replica that
# delivers it, and the delivery log (an attempt per row, plus operators' and compaction's marks).
webhook_cursors = Table(
    "webhook_cursors",
    metadata,
    Column("subscriber", String(64), primary_key=True),
    Column("delivered_through", REVISION, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("failing_since", UtcDateTime),
    Column("next_attempt_at", UtcDateTime),
    Column("disabled_at", UtcDateTime),
    Column("disabled_reason", Text, nullable=False),
    Column("leased_by", String(128)),
    Column("lease_until", UtcDateTime),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("subscriber", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("revision", REVISION, nullable=False),
    Column("webhook_id", String(64), nullable=False),
    Column("binding_id", String(ID), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("http_status", Integer),
    Column("error", Text, nullable=False),
    Column("seconds", Float, nullable=False),
    Index("ix_webhook_deliveries_subscriber", "subscriber", "id"),
    Index("ix_webhook_deliveries_binding_id", "binding_id", "id"),
    Index("ix_webhook_deliveries_at", "at"),
)

# Who sweeps what: one row per leased item (a binding's connection check, an organisation's
# reference refresh); taken only when absent or ended, so one sweeper of many does the work.
leases = Table(
    "leases",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# Signed-in browsers (domain.sessions): the cookie's token is stored only as its SHA-256.
browser_sessions = Table(
    "browser_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("last_seen_at", UtcDateTime, nullable=False, index=True),
)

# Abuse throttles shared by every replica (domain.throttle): keys are digests, never emails.
throttles = Table(
    "throttles",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("level", Float, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("empty_at", UtcDateTime, nullable=False, index=True),
)

# Bytes received from Xero per calendar month (YYYY-MM), organisation and endpoint: Xero
# meters egress against the tier's monthly allowance.
xero_egress = Table(
    "xero_egress",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("environment", String(16), primary_key=True),
    Column("tenant_id", String(ID), primary_key=True),
    Column("endpoint", String(64), primary_key=True),
    Column("received_bytes", BigInteger, nullable=False),
    Column("calls", BigInteger, nullable=False),
)


@dataclass(frozen=True, slots=True)
class SealedTable:
    """A table holding AES-GCM sealed columns, all sealed under the row's `key_id`."""

    table: Table
    id_column: str
    columns: tuple[str, ...]


SEALED = (
    SealedTable(grants, "binding_id", ("access_token", "refresh_token")),
    SealedTable(connect_attempts, "id", ("code_verifier", "pending")),
)
