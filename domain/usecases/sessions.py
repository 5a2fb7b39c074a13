"""Opening, resuming and ending browser sessions (domain.sessions)."""

from __future__ import annotations

from domain.digests import digest
from domain.ports import Clock, SecretGenerator, UnitOfWorkFactory
from domain.sessions import BrowserSession, SessionLifetimes


class Sessions:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secrets: SecretGenerator,
        lifetimes: SessionLifetimes,
    ) -> None:
        self._uow, self._clock, self._secrets = uow, clock, secrets
        self.lifetimes = lifetimes

    def open(self, account_id: str) -> str:
        """A new session for a sign-in; the returned token goes into the cookie only."""
        now = self._clock.now()
        token = self._secrets.token(32)
        with self._uow() as uow:
            uow.sessions.add(BrowserSession(digest(token), account_id, now, now))
            uow.commit()
        return token

    def resume(self, token: str) -> str | None:
        """The account a live session belongs to (its use noted), or None; an ended or
        expired session is deleted."""
        now = self._clock.now()
        key = digest(token)
        with self._uow() as uow:
            found = uow.sessions.get(key)
            if found is None:
                return None
            if not found.alive(now, self.lifetimes):
                uow.sessions.delete(key)
                uow.commit()
                return None
            if found.needs_touch(now):
                uow.sessions.touch(key, now)
                uow.commit()
        return found.account_id

    def end(self, token: str) -> None:
        with self._uow() as uow:
            uow.sessions.delete(digest(token))
            uow.commit()

    def end_all(self, account_id: str) -> int:
        """Sign the account out everywhere; how many sessions ended."""
        with self._uow() as uow:
            ended = uow.sessions.delete_for_account(account_id)
            uow.commit()
        return ended
