"""Reads for the dashboard, gRPC and the CLI: bindings, their history, accounts and usage."""

from __future__ import annotations

from dataclasses import dataclass

from domain.account import Account
from domain.binding import Binding
from domain.errors import NotFound
from domain.events import BindingEvent
from domain.limits import organisations_note, over_limits, websites_full
from domain.ports import PlanCatalogue, UnitOfWorkFactory
from domain.reference import ReferenceCache
from domain.scopes import broad_scopes
from domain.usecases.access import account_and_plan, owned_binding


@dataclass(frozen=True, slots=True)
class BindingView:
    binding: Binding
    reference: ReferenceCache | None
    granted_scopes: tuple[str, ...] = ()

    @property
    def broad_scopes(self) -> tuple[str, ...]:
        """Granted scopes Xero retires after September 2027: the merchant must reconnect."""
        return broad_scopes(self.granted_scopes)


@dataclass(frozen=True, slots=True)
class PlanUsage:
    plan: str
    organisations_used: int
    organisations_allowed: int
    websites_used: int
    websites_allowed: int

    @property
    def new_binding_refusal(self) -> str | None:
        """Why "New binding" cannot work right now, or None."""
        return websites_full(self.websites_used, self.websites_allowed)

    @property
    def over_limits(self) -> str | None:
        """What using more than the plan allows means (the plan was lowered), or None."""
        return over_limits(
            self.plan,
            (self.organisations_used, self.organisations_allowed),
            (self.websites_used, self.websites_allowed),
        )

    @property
    def organisations_note(self) -> str:
        return organisations_note(self.organisations_used, self.organisations_allowed)


class Queries:
    def __init__(self, uow: UnitOfWorkFactory, plans: PlanCatalogue) -> None:
        self._uow, self._plans = uow, plans

    def binding(self, binding_id: str) -> BindingView:
        with self._uow() as uow:
            binding = uow.bindings.get(binding_id)
            if binding is None:
                raise NotFound("no such binding")
            cache = (
                uow.references.get(binding.xero.tenant_id, binding.xero.environment)
                if binding.xero
                else None
            )
            grant = uow.grants.get(binding_id) if binding.status.has_xero else None
        return BindingView(binding, cache, grant.scopes if grant else ())

    def owned(self, account_id: str, binding_id: str) -> BindingView:
        view = self.binding(binding_id)
        if view.binding.account_id != account_id:
            raise NotFound("no such binding")
        return view

    def bindings(self, account_id: str) -> list[Binding]:
        with self._uow() as uow:
            return sorted(uow.bindings.for_account(account_id), key=lambda b: b.created_at)

    def every_binding(self) -> list[Binding]:
        """Every binding that has or had Xero, for operators."""
        with self._uow() as uow:
            ids = uow.bindings.connected_ids()
            return [b for b in (uow.bindings.get(i) for i in ids) if b is not None]

    def activity(self, account_id: str, binding_id: str, limit: int = 200) -> list[BindingEvent]:
        with self._uow() as uow:
            owned_binding(uow, account_id, binding_id)
            events = uow.events.for_binding(binding_id, limit)
        return sorted(events, key=lambda e: (e.at, e.id or 0), reverse=True)

    def account(self, account_id: str) -> Account:
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
        return account

    def usage(self, account_id: str) -> PlanUsage:
        with self._uow() as uow:
            _, plan = account_and_plan(uow, self._plans, account_id)
            live = [b for b in uow.bindings.for_account(account_id) if b.is_live]
        tenants = {b.xero.tenant_id for b in live if b.xero and b.status.has_xero}
        websites = sum(len(b.magento.websites) for b in live if b.magento)
        return PlanUsage(
            plan.name, len(tenants), plan.max_organisations, websites, plan.max_websites
        )
