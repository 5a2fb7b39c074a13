"""Accounts by id and by (lower-cased) email."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.persistence.mappers.records import account_from, account_row
from adapters.persistence.tables import accounts
from adapters.persistence.transaction import Tx
from domain.account import Account
from domain.errors import NotFound, ValidationFailed
from domain.ports import AccountRepository


class SqlAccountRepository(AccountRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, account_id: str) -> Account | None:
        row = self._tx.row(select(accounts).where(accounts.c.id == account_id))
        return account_from(row) if row else None

    def get_by_email(self, email: str) -> Account | None:
        row = self._tx.row(select(accounts).where(accounts.c.email == email.strip().lower()))
        return account_from(row) if row else None

    def add(self, account: Account) -> None:
        try:
            self._tx.run(insert(accounts).values(account_row(account)))
        except IntegrityError:
            raise ValidationFailed(f"an account for {account.email} already exists") from None

    def update(self, account: Account) -> None:
        values = account_row(account)
        result = self._tx.run(update(accounts).where(accounts.c.id == account.id).values(values))
        if result.rowcount == 0:
            raise NotFound("no such account")

    def lock(self, account_id: str, timeout_s: float) -> Account | None:
        statement = select(accounts).where(accounts.c.id == account_id).with_for_update()
        rows = self._tx.locked_rows(statement, timeout_s)
        return account_from(rows[0]) if rows else None
