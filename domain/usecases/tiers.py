"""The Xero app's connection cap in use: live connections counted per environment, warnings
at 80% and at the cap, and new organisations refused on our side before Xero refuses them
on a page it never sends the merchant back from (DESIGN §14)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.binding import Binding
from domain.errors import ConnectionCapReached
from domain.ports import PlanCatalogue, UnitOfWork, UnitOfWorkFactory
from domain.tier import CAP_REFUSAL, CapLevel, ConnectionUsage, Tier
from domain.usecases.access import account_and_plan, owned_binding
from domain.values import Environment

log = logging.getLogger(__name__)


# The Xero app's tier in an environment (Tunables.tier).
TierOf = Callable[[Environment], Tier]


def usage_in(uow: UnitOfWork, tier: TierOf, environment: Environment) -> ConnectionUsage:
    live = uow.bindings.count_connected_organisations(environment)
    return ConnectionUsage(environment.value, live, tier(environment).connection_cap)


def refuse_new_organisation_at_cap(
    uow: UnitOfWork, tier: TierOf, binding: Binding, environment: Environment
) -> None:
    """A binding locked to an organisation reconnects that one, which holds its slot already;
    any other consent may add an organisation, so it is refused once the cap is reached."""
    if binding.locked_tenant(environment) is not None:
        return
    usage = usage_in(uow, tier, environment)
    if usage.at_cap:
        raise ConnectionCapReached(CAP_REFUSAL.format(cap=usage.cap))


class ConnectionTiers:
    def __init__(self, uow: UnitOfWorkFactory, plans: PlanCatalogue, tier: TierOf) -> None:
        self._uow, self._plans, self._tier = uow, plans, tier
        self._last: dict[Environment, CapLevel] = {}

    def usage(self) -> dict[Environment, ConnectionUsage]:
        with self._uow() as uow:
            return {env: usage_in(uow, self._tier, env) for env in Environment}

    def refusal_for(self, account_id: str, binding_id: str) -> str | None:
        """What the Connect page says instead of sending this binding's merchant to Xero."""
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
            binding = owned_binding(uow, account_id, binding_id)
            try:
                refuse_new_organisation_at_cap(uow, self._tier, binding, account.environment)
            except ConnectionCapReached as refused:
                return str(refused)
        return None

    def warn(self) -> dict[Environment, ConnectionUsage]:
        """Log a warning at 80% and at the cap, once per level change in this process."""
        usage = self.usage()
        for env, now in usage.items():
            if now.level is not CapLevel.OK and self._last.get(env) is not now.level:
                log.warning("Xero connection cap: %s", now.describe())
            self._last[env] = now.level
        return usage
