"""Server-side browser sessions (domain.sessions), keyed by the digest of the cookie's token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update

from adapters.persistence.tables import browser_sessions as sessions
from adapters.persistence.transaction import Tx
from domain.ports import SessionRepository
from domain.sessions import BrowserSession


class SqlSessionRepository(SessionRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, session: BrowserSession) -> None:
        self._tx.run(
            insert(sessions).values(
                token_hash=session.token_hash,
                account_id=session.account_id,
                created_at=session.created_at,
                last_seen_at=session.last_seen_at,
            )
        )

    def get(self, token_hash: str) -> BrowserSession | None:
        row = self._tx.row(select(sessions).where(sessions.c.token_hash == token_hash))
        if row is None:
            return None
        return BrowserSession(
            row["token_hash"], row["account_id"], row["created_at"], row["last_seen_at"]
        )

    def touch(self, token_hash: str, now: datetime) -> None:
        statement = update(sessions).where(sessions.c.token_hash == token_hash)
        self._tx.run(statement.values(last_seen_at=now))

    def delete(self, token_hash: str) -> None:
        self._tx.run(delete(sessions).where(sessions.c.token_hash == token_hash))

    def delete_for_account(self, account_id: str) -> int:
        return self._tx.run(delete(sessions).where(sessions.c.account_id == account_id)).rowcount

    def delete_expired(self, *, idle_before: datetime, created_before: datetime) -> int:
        expired = or_(sessions.c.last_seen_at < idle_before, sessions.c.created_at < created_before)
        return self._tx.run(delete(sessions).where(expired)).rowcount
