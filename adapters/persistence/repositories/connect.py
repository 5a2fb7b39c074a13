"""Connect attempts (verifier and pending consent sealed) and one-time pairing codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, insert, select, update

from adapters.persistence.crypto import Sealer
from adapters.persistence.mappers.attempt import attempt_from, attempt_row
from adapters.persistence.mappers.records import pairing_code_from, pairing_code_row
from adapters.persistence.tables import connect_attempts as attempts
from adapters.persistence.tables import pairing_codes as codes
from adapters.persistence.transaction import Tx
from domain.connect import ConnectAttempt, PairingCode
from domain.errors import NotFound
from domain.ports import ConnectAttemptRepository, PairingCodeRepository


class SqlConnectAttemptRepository(ConnectAttemptRepository):
    def __init__(self, tx: Tx, sealer: Sealer) -> None:
        self._tx = tx
        self._sealer = sealer

    def get_by_state(self, state: str) -> ConnectAttempt | None:
        row = self._tx.row(select(attempts).where(attempts.c.state == state))
        return attempt_from(row, self._sealer) if row else None

    def get(self, attempt_id: str) -> ConnectAttempt | None:
        row = self._tx.row(select(attempts).where(attempts.c.id == attempt_id))
        return attempt_from(row, self._sealer) if row else None

    def add(self, attempt: ConnectAttempt) -> None:
        self._tx.run(insert(attempts).values(attempt_row(attempt, self._sealer)))

    def update(self, attempt: ConnectAttempt) -> None:
        values = attempt_row(attempt, self._sealer)
        result = self._tx.run(update(attempts).where(attempts.c.id == attempt.id).values(values))
        if result.rowcount == 0:
            raise NotFound("no such connect attempt")

    def consume(self, attempt_id: str, now: datetime) -> bool:
        """A compare-and-set: of callbacks racing with one state, one updates the row."""
        statement = update(attempts).where(
            attempts.c.id == attempt_id, attempts.c.used_at.is_(None)
        )
        return bool(self._tx.run(statement.values(used_at=now)).rowcount)

    def delete_created_before(self, before: datetime) -> int:
        return _delete_created_before(self._tx, attempts, before)

    def abandoned_choices(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        statement = (
            select(attempts)
            .where(attempts.c.pending.is_not(None), attempts.c.created_at < before)
            .order_by(attempts.c.created_at)
            .limit(limit)
        )
        return [attempt_from(row, self._sealer) for row in self._tx.rows(statement)]

    def never_returned(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        statement = (
            select(attempts)
            .where(
                attempts.c.used_at.is_(None),
                attempts.c.pending.is_(None),
                attempts.c.created_at < before,
            )
            .order_by(attempts.c.created_at)
            .limit(limit)
        )
        return [attempt_from(row, self._sealer) for row in self._tx.rows(statement)]


class SqlPairingCodeRepository(PairingCodeRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, code_hash: str) -> PairingCode | None:
        row = self._tx.row(select(codes).where(codes.c.code_hash == code_hash))
        return pairing_code_from(row) if row else None

    def add(self, code: PairingCode) -> None:
        self._tx.run(insert(codes).values(pairing_code_row(code)))

    def consume(self, code_hash: str, now: datetime) -> bool:
        """A compare-and-set: of two concurrent redemptions only one updates the row."""
        statement = update(codes).where(codes.c.code_hash == code_hash, codes.c.used_at.is_(None))
        return bool(self._tx.run(statement.values(used_at=now)).rowcount)

    def refused(self, code_hash: str) -> None:
        statement = update(codes).where(codes.c.code_hash == code_hash)
        self._tx.run(statement.values(refusals=codes.c.refusals + 1))

    def revoke_for_binding(self, binding_id: str, now: datetime) -> int:
        statement = update(codes).where(codes.c.binding_id == binding_id, codes.c.used_at.is_(None))
        return self._tx.run(statement.values(used_at=now)).rowcount

    def update(self, code: PairingCode) -> None:
        statement = update(codes).where(codes.c.code_hash == code.code_hash)
        result = self._tx.run(statement.values(pairing_code_row(code)))
        if result.rowcount == 0:
            raise NotFound("no such pairing code")

    def delete_created_before(self, before: datetime) -> int:
        return _delete_created_before(self._tx, codes, before)


def _delete_created_before(tx: Tx, table: Table, before: datetime) -> int:
    return tx.run(delete(table).where(table.c.created_at < before)).rowcount
