"""Load and authorise: the account with its plan, a binding this account owns, the binding a
connector secret belongs to. Every use case that acts for someone starts here."""

from __future__ import annotations

from domain.account import Account, Plan
from domain.binding import Binding
from domain.digests import digest, matches
from domain.errors import ConnectorSecretInvalid, NotFound
from domain.ports import PlanCatalogue, UnitOfWork


def account_and_plan(
    uow: UnitOfWork, plans: PlanCatalogue, account_id: str
) -> tuple[Account, Plan]:
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound("no such account")
    plan = plans.get(account.plan)
    if plan is None:
        raise NotFound(f"the account's plan {account.plan!r} is not configured")
    return account, plan


def owned_binding(uow: UnitOfWork, account_id: str, binding_id: str) -> Binding:
    """The binding if this account owns it; otherwise NotFound, never a hint that it exists."""
    binding = uow.bindings.get(binding_id)
    if binding is None or binding.account_id != account_id:
        raise NotFound("no such binding")
    return binding


def binding_for_secret(uow: UnitOfWork, secret: str) -> Binding:
    """The live binding whose connector secret this is (digest lookup, constant-time check)."""
    binding = uow.bindings.find_by_secret_hash(digest(secret))
    if binding is None or not binding.is_live or not matches(secret, binding.connector_secret_hash):
        raise ConnectorSecretInvalid("unknown or revoked connector secret")
    return binding
