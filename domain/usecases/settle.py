"""The last step of a consent: checks, then tokens, binding and critical reference data at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from domain.binding import XeroLink
from domain.connect import ConnectAttempt, XeroConnection
from domain.errors import (
    ConnectAttemptInvalid,
    PartnerEditionRefused,
    PlanLimitExceeded,
    ProviderError,
)
from domain.grant import OAuthGrant, TokenSet
from domain.ports import Clock, PlanCatalogue, UnitOfWork, UnitOfWorkFactory, XeroProvider
from domain.reference import CRITICAL, ReferenceBundle
from domain.usecases.access import account_and_plan, owned_binding
from domain.usecases.journal import record
from domain.usecases.reference import ReferenceService
from domain.usecases.tokens import TokenService
from domain.usecases.wave import store_wave
from domain.values import Environment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Connected:
    binding_id: str
    tenant_name: str
    reference_ready: bool


class ConnectionSettler:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        plans: PlanCatalogue,
        lock_timeout_s: float,
        tokens: TokenService,
        reference: ReferenceService,
    ) -> None:
        self._uow, self._xero, self._clock = uow, xero, clock
        self._plans, self._timeout = plans, lock_timeout_s
        self._tokens, self._reference = tokens, reference

    def __call__(
        self,
        attempt: ConnectAttempt,
        tokens: TokenSet,
        chosen: XeroConnection,
        organisations: tuple[XeroConnection, ...],
        issued_at: datetime,
    ) -> Connected:
        """`issued_at`: when Xero issued the tokens (just before the code exchange), so the
        stored expiry is never later than Xero's."""
        bundle = self._critical_set(attempt.environment, tokens, chosen)
        try:
            if bundle and bundle.organisation and not bundle.organisation.can_invoice:
                raise PartnerEditionRefused(
                    f"'{chosen.tenant_name}' is a Xero Partner-edition organisation, which "
                    "cannot raise invoices; connect a business organisation instead"
                )
            self._store(attempt, tokens, chosen, bundle, issued_at)
        except Exception:
            self.release(attempt.environment, tokens, organisations, keep=None)
            raise
        self.release(attempt.environment, tokens, organisations, keep=chosen)
        # The grant was replaced: this process's cached token goes, the rest of the
        # reference data follows in the background.
        self._tokens.forget(attempt.binding_id)
        self._reference.refresh_in_background(attempt.binding_id, bundle is not None)
        return Connected(attempt.binding_id, chosen.tenant_name, bundle is not None)

    def _critical_set(
        self, environment: Environment, tokens: TokenSet, chosen: XeroConnection
    ) -> ReferenceBundle | None:
        try:
            return self._xero.fetch_reference(
                environment, tokens.access_token, chosen.tenant_id, CRITICAL
            )
        except ProviderError as error:
            log.warning("critical reference set pending for tenant %s: %s", chosen.tenant_id, error)
            return None

    def _store(
        self,
        attempt: ConnectAttempt,
        tokens: TokenSet,
        chosen: XeroConnection,
        bundle: ReferenceBundle | None,
        issued_at: datetime,
    ) -> None:
        now = self._clock.now()
        with self._uow() as uow:
            # Locks first, account then grant as everywhere: the organisation limit is checked
            # under the account's, and a rotation committing meanwhile cannot share our version.
            uow.accounts.lock(attempt.account_id, self._timeout)
            previous = uow.grants.lock(attempt.binding_id, self._timeout)
            account, plan = account_and_plan(uow, self._plans, attempt.account_id)
            if account.environment is not attempt.environment:
                raise ConnectAttemptInvalid(
                    f"the account moved to the {account.environment} Xero environment during "
                    "this authorisation; connect Xero again"
                )
            binding = owned_binding(uow, attempt.account_id, attempt.binding_id)
            check_organisation_limit(uow, plan.name, plan.max_organisations, binding.id, chosen)
            link = XeroLink(
                attempt.environment,
                chosen.tenant_id,
                chosen.tenant_name,
                chosen.id,
                tokens.xero_user_id,
            )
            events = [binding.connect(link, now)]
            grant = OAuthGrant.issue(binding.id, attempt.environment, tokens, issued_at)
            grant.version = previous.version + 1 if previous else 1
            uow.grants.save(grant)
            if bundle is not None:
                before, cache = store_wave(
                    uow, attempt.environment, chosen.tenant_id, CRITICAL, bundle, now
                )
                events += binding.adopt_reference(before, cache, now)
            uow.bindings.update(binding)
            record(uow, events)
            uow.commit()

    def release(
        self,
        environment: Environment,
        tokens: TokenSet,
        organisations: tuple[XeroConnection, ...],
        keep: XeroConnection | None,
    ) -> None:
        """Delete the connections this consent made that no live binding uses (Xero caps them)."""
        for connection in organisations:
            if keep is not None and connection.id == keep.id:
                continue
            with self._uow() as uow:
                in_use = uow.bindings.live_for_connection(connection.id)
            if in_use:
                continue
            try:
                self._xero.delete_connection(environment, tokens.access_token, connection.id)
            except ProviderError as error:
                log.warning("could not release connection %s: %s", connection.id, error.code)


def check_organisation_limit(
    uow: UnitOfWork, plan_name: str, limit: int, binding_id: str, chosen: XeroConnection
) -> None:
    binding = uow.bindings.get(binding_id)
    assert binding is not None
    tenants = {
        b.xero.tenant_id
        for b in uow.bindings.for_account(binding.account_id)
        if b.is_live and b.status.has_xero and b.xero is not None and b.id != binding_id
    }
    tenants.add(chosen.tenant_id)
    if len(tenants) > limit:
        raise PlanLimitExceeded(
            f"the {plan_name} plan allows {limit} Xero organisations and they are all in use; "
            "upgrade the plan or disconnect one first"
        )
