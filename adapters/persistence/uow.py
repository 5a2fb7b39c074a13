"""The SQL unit of work: one pooled connection and one transaction per `with` block."""

from __future__ import annotations

from types import TracebackType

from opentelemetry.trace import NoOpTracer, Tracer

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring
from adapters.persistence.live_keyring import LiveKeyring
from adapters.persistence.repositories.accounts import SqlAccountRepository
from adapters.persistence.repositories.bindings import SqlBindingRepository
from adapters.persistence.repositories.connect import (
    SqlConnectAttemptRepository,
    SqlPairingCodeRepository,
)
from adapters.persistence.repositories.egress import SqlEgressLog
from adapters.persistence.repositories.events import SqlEventLog
from adapters.persistence.repositories.grants import SqlTokenStore
from adapters.persistence.repositories.leases import SqlLeaseRepository
from adapters.persistence.repositories.references import SqlReferenceCacheStore
from adapters.persistence.repositories.sessions import SqlSessionRepository
from adapters.persistence.repositories.throttles import SqlThrottleStore
from adapters.persistence.repositories.webhooks import SqlWebhookRepository
from adapters.persistence.transaction import Tx
from domain.ports import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    """Rolls back on exit unless `commit()` was called; not shared between threads."""

    accounts: SqlAccountRepository
    bindings: SqlBindingRepository
    grants: SqlTokenStore
    references: SqlReferenceCacheStore
    attempts: SqlConnectAttemptRepository
    pairing_codes: SqlPairingCodeRepository
    events: SqlEventLog
    leases: SqlLeaseRepository
    sessions: SqlSessionRepository
    throttles: SqlThrottleStore
    egress: SqlEgressLog
    webhooks: SqlWebhookRepository

    def __init__(self, database: Database, sealer: Sealer, tracer: Tracer) -> None:
        self._database = database
        self._sealer = sealer
        self._tracer = tracer
        self._tx: Tx | None = None

    def __enter__(self) -> SqlUnitOfWork:
        if self._tx is not None:
            raise RuntimeError("a unit of work is entered once; ask the factory for another")
        tx = self._tx = Tx.on(self._database)
        self.accounts = SqlAccountRepository(tx)
        self.bindings = SqlBindingRepository(tx)
        self.grants = SqlTokenStore(tx, self._sealer, self._tracer)
        self.references = SqlReferenceCacheStore(tx)
        self.attempts = SqlConnectAttemptRepository(tx, self._sealer)
        self.pairing_codes = SqlPairingCodeRepository(tx)
        self.events = SqlEventLog(tx)
        self.leases = SqlLeaseRepository(tx)
        self.sessions = SqlSessionRepository(tx)
        self.throttles = SqlThrottleStore(tx)
        self.egress = SqlEgressLog(tx)
        self.webhooks = SqlWebhookRepository(tx)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing returns the connection to the pool, which rolls back whatever is uncommitted;
        # a failure there must not hide the error that is already on its way out.
        self._open().close(quiet=exc_type is not None)

    def commit(self) -> None:
        tx = self._open()
        self.events.before_commit()
        tx.commit()

    def rollback(self) -> None:
        self.events.discard()
        self._open().rollback()

    def _open(self) -> Tx:
        if self._tx is None:
            raise RuntimeError("use the unit of work in a `with` block")
        return self._tx


class SqlUnitOfWorkFactory:
    """The domain's `UnitOfWorkFactory`: every call a fresh unit of work; safe from any thread."""

    def __init__(
        self, database: Database, keyring: Keyring | LiveKeyring, tracer: Tracer | None = None
    ) -> None:
        """`tracer` gets a span per wait for a grant's row lock."""
        self._database = database
        self._sealer = Sealer(keyring)
        self._tracer = tracer or NoOpTracer()

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._database, self._sealer, self._tracer)
