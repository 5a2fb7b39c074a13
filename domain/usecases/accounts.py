"""Merchant accounts: created, moved to another plan, given a new password, found by email."""

from __future__ import annotations

from dataclasses import replace

from domain.account import Account
from domain.errors import ValidationFailed
from domain.ports import IdGenerator, PlanCatalogue, UnitOfWorkFactory
from domain.usecases.access import account_and_plan


class Accounts:
    def __init__(self, uow: UnitOfWorkFactory, ids: IdGenerator, plans: PlanCatalogue) -> None:
        self._uow, self._ids, self._plans = uow, ids, plans

    def create(self, email: str, plan: str, password_hash: str) -> Account:
        if self._plans.get(plan) is None:
            raise ValidationFailed(f"unknown plan {plan!r}")
        account = Account(self._ids.new_id(), email, plan, password_hash)
        with self._uow() as uow:
            if uow.accounts.get_by_email(account.email) is not None:
                raise ValidationFailed(f"an account for {account.email} already exists")
            uow.accounts.add(account)
            uow.commit()
        return account

    def set_plan(self, account_id: str, plan: str) -> Account:
        if self._plans.get(plan) is None:
            raise ValidationFailed(f"unknown plan {plan!r}")
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
            account = replace(account, plan=plan)
            uow.accounts.update(account)
            uow.commit()
        return account

    def set_password(self, account_id: str, password_hash: str) -> None:
        """A new password signs the account out of every browser."""
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
            account.password_hash = password_hash
            uow.accounts.update(account)
            uow.sessions.delete_for_account(account_id)
            uow.commit()

    def by_email(self, email: str) -> Account | None:
        with self._uow() as uow:
            return uow.accounts.get_by_email(email.strip().lower())
