"""The browser connect flow (DESIGN §4): start with state + PKCE, complete on Xero's callback."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from domain.binding import XeroLink
from domain.connect import ConnectAttempt, PendingConsent, XeroConnection
from domain.digests import pkce_challenge
from domain.errors import (
    ConnectAttemptInvalid,
    ConsentDenied,
    EnvironmentNotConfigured,
    InvalidTransition,
    NoOrganisation,
    OrganisationLocked,
    ProviderError,
)
from domain.grant import TokenSet
from domain.limits import counted
from domain.ports import (
    Clock,
    IdGenerator,
    PlanCatalogue,
    SecretGenerator,
    UnitOfWorkFactory,
    XeroProvider,
)
from domain.reference import ReferenceCache, RefKind
from domain.usecases.access import account_and_plan, owned_binding
from domain.usecases.settle import Connected, ConnectionSettler
from domain.usecases.tiers import TierOf, refuse_new_organisation_at_cap

log = logging.getLogger(__name__)
ORGANISATION_ONLY = (RefKind.ORGANISATION,)


@dataclass(frozen=True, slots=True)
class Offer:
    """One organisation of a consent as the picker shows it. `refusal`: why it cannot be
    chosen (empty: it can); `used_by`: the shops of the account's other live bindings on it
    (several bindings may share an organisation, so that alone refuses nothing)."""

    organisation: XeroConnection
    refusal: str = ""
    used_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChooseOrganisation:
    attempt_id: str
    binding_id: str
    organisations: tuple[XeroConnection, ...]
    offers: tuple[Offer, ...] = ()


class StartConnect:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        ids: IdGenerator,
        secrets: SecretGenerator,
        plans: PlanCatalogue,
        tier: TierOf,
    ) -> None:
        self._uow, self._xero, self._clock, self._ids = uow, xero, clock, ids
        self._secrets, self._plans, self._tier = secrets, plans, tier

    def __call__(self, account_id: str, binding_id: str, session_id: str) -> str:
        """Record a single-use attempt and return Xero's authorize URL for it."""
        now = self._clock.now()
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
            binding = owned_binding(uow, account_id, binding_id)
            if binding.magento is None or not binding.is_live:
                raise InvalidTransition("pair the Magento install before connecting Xero")
            if not self._xero.is_configured(account.environment):
                raise EnvironmentNotConfigured(
                    f"the {account.environment} Xero environment has no client credentials "
                    "configured; ask the operator to set them"
                )
            refuse_new_organisation_at_cap(uow, self._tier, binding, account.environment)
            attempt = ConnectAttempt(
                id=self._ids.new_id(),
                state=self._secrets.token(32),
                code_verifier=self._secrets.token(48),
                binding_id=binding.id,
                account_id=account_id,
                session_id=session_id,
                environment=account.environment,
                created_at=now,
            )
            uow.attempts.add(attempt)
            uow.commit()
        return self._xero.authorization_url(
            attempt.environment,
            state=attempt.state,
            code_challenge=pkce_challenge(attempt.code_verifier),
        )


class CompleteConnect:
    """Xero's redirect back: validate and consume the state, exchange, resolve the organisation."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        plans: PlanCatalogue,
        settler: ConnectionSettler,
    ) -> None:
        self._uow, self._xero, self._clock, self._plans = uow, xero, clock, plans
        self._settle = settler

    def __call__(
        self, session_id: str, state: str, code: str | None, error: str | None = None
    ) -> Connected | ChooseOrganisation:
        return self.finish(self.consume(session_id, state), code, error)

    def finish(
        self, attempt: ConnectAttempt, code: str | None, error: str | None = None
    ) -> Connected | ChooseOrganisation:
        """Xero's part, for an attempt already consumed: exchange the code and resolve."""
        if error or not code:
            raise ConsentDenied(
                "the Xero connection was cancelled; nothing was changed"
                if error == "access_denied"
                else "Xero did not complete the authorisation; please try again"
            )
        issued_at = self._clock.now()
        tokens = self._xero.exchange_code(
            attempt.environment, code=code, code_verifier=attempt.code_verifier
        )
        found = self._xero.list_connections(
            attempt.environment, tokens.access_token, tokens.auth_event_id or None
        )
        organisations = tuple(c for c in found if c.is_organisation)
        return self._resolve(attempt, tokens, organisations, issued_at)

    def consume(self, session_id: str, state: str) -> ConnectAttempt:
        """Takes the attempt by compare-and-set at once: a bad state is refused before any wait."""
        now = self._clock.now()
        with self._uow() as uow:
            attempt = uow.attempts.get_by_state(state) if state else None
            if attempt is None or attempt.used_at is not None or attempt.expired(now):
                raise ConnectAttemptInvalid(
                    "this Xero authorisation is unknown, expired or already used; start again"
                )
            if attempt.session_id != session_id:
                raise ConnectAttemptInvalid("this Xero authorisation belongs to another session")
            # A compare-and-set: of callbacks racing with one state, one reaches Xero.
            if not uow.attempts.consume(attempt.id, now):
                raise ConnectAttemptInvalid(
                    "this Xero authorisation is unknown, expired or already used; start again"
                )
            uow.commit()
        attempt.used_at = now
        return attempt

    def _resolve(
        self,
        attempt: ConnectAttempt,
        tokens: TokenSet,
        organisations: tuple[XeroConnection, ...],
        issued_at: datetime,
    ) -> Connected | ChooseOrganisation:
        if not organisations:
            raise NoOrganisation(
                "Xero did not grant access to any organisation; try again and pick one"
            )
        locked = self._locked_to(attempt)
        if locked is not None:
            chosen = next((c for c in organisations if c.tenant_id == locked.tenant_id), None)
            if chosen is None:
                self._settle.release(attempt.environment, tokens, organisations, keep=None)
                raise OrganisationLocked(
                    f"this binding is locked to the Xero organisation '{locked.tenant_name}'; "
                    "connect that organisation, or create a new binding for another one"
                )
            return self._settle(attempt, tokens, chosen, organisations, issued_at)
        if len(organisations) == 1:
            return self._settle(attempt, tokens, organisations[0], organisations, issued_at)
        return self._hold(attempt, tokens, organisations, issued_at)

    def _locked_to(self, attempt: ConnectAttempt) -> XeroLink | None:
        with self._uow() as uow:
            binding = owned_binding(uow, attempt.account_id, attempt.binding_id)
        return binding.xero if binding.locked_tenant(attempt.environment) else None

    def _hold(
        self,
        attempt: ConnectAttempt,
        tokens: TokenSet,
        organisations: tuple[XeroConnection, ...],
        issued_at: datetime,
    ) -> ChooseOrganisation:
        with self._uow() as uow:
            stored = uow.attempts.get(attempt.id)
            assert stored is not None
            stored.pending = PendingConsent(tokens, organisations, issued_at)
            uow.attempts.update(stored)
            uow.commit()
        offers = self._offers(attempt, tokens, organisations)
        return ChooseOrganisation(attempt.id, attempt.binding_id, organisations, offers)

    def _offers(
        self, attempt: ConnectAttempt, tokens: TokenSet, organisations: tuple[XeroConnection, ...]
    ) -> tuple[Offer, ...]:
        """What the picker may say about each organisation before the merchant chooses: the
        settler still checks every rule when one is picked."""
        with self._uow() as uow:
            _, plan = account_and_plan(uow, self._plans, attempt.account_id)
            others = [
                b
                for b in uow.bindings.for_account(attempt.account_id)
                if b.is_live and b.status.has_xero and b.xero and b.id != attempt.binding_id
            ]
            known = {
                o.tenant_id: uow.references.get(o.tenant_id, attempt.environment)
                for o in organisations
            }
        in_use = {b.xero.tenant_id for b in others if b.xero}
        full = len(in_use) >= plan.max_organisations
        offers = []
        for org in organisations:
            used_by = tuple(
                b.magento.host if b.magento else "an unpaired binding"
                for b in others
                if b.xero and b.xero.tenant_id == org.tenant_id
            )
            refusal = ""
            if not self._can_invoice(attempt, tokens, org, known.get(org.tenant_id)):
                refusal = "a Xero Partner edition, which cannot raise invoices"
            elif full and org.tenant_id not in in_use:
                allowed = counted(plan.max_organisations, "Xero organisation")
                refusal = f"your {plan.name} plan connects {allowed} and all are in use"
            offers.append(Offer(org, refusal, used_by))
        return tuple(offers)

    def _can_invoice(
        self,
        attempt: ConnectAttempt,
        tokens: TokenSet,
        org: XeroConnection,
        cache: ReferenceCache | None,
    ) -> bool:
        """From the organisation's cache, else one Organisation call; unknown counts as yes."""
        summary = cache.organisation if cache else None
        if summary is None:
            try:
                bundle = self._xero.fetch_reference(
                    attempt.environment, tokens.access_token, org.tenant_id, ORGANISATION_ONLY
                )
            except ProviderError as error:
                log.warning("edition of tenant %s unknown: %s", org.tenant_id, error.code)
                return True
            summary = bundle.organisation
        return summary is None or summary.can_invoice


class PickOrganisation:
    """The merchant chose one organisation out of several that one consent granted."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, settler: ConnectionSettler) -> None:
        self._uow, self._clock, self._settle = uow, clock, settler

    def __call__(self, session_id: str, attempt_id: str, tenant_id: str) -> Connected:
        now = self._clock.now()
        with self._uow() as uow:
            attempt = uow.attempts.get(attempt_id)
            if (
                attempt is None
                or attempt.pending is None
                or attempt.session_id != session_id
                or attempt.expired(now)
            ):
                raise ConnectAttemptInvalid("this choice has expired; connect Xero again")
            pending = attempt.pending
            attempt.pending = None
            uow.attempts.update(attempt)
            uow.commit()
        chosen = next((c for c in pending.organisations if c.tenant_id == tenant_id), None)
        if chosen is None:
            self._settle.release(attempt.environment, pending.tokens, pending.organisations, None)
            raise ConnectAttemptInvalid("that organisation was not part of this consent")
        return self._settle(
            attempt, pending.tokens, chosen, pending.organisations, pending.obtained_at
        )

    def cancel(self, session_id: str, attempt_id: str) -> str | None:
        """The merchant cancelled the picker: nothing is connected, and the connections the
        consent made are released again (unless a live binding uses them). Returns the
        binding the attempt was for (None: not this browser's); a choice already made or
        expired has nothing left to release."""
        with self._uow() as uow:
            attempt = uow.attempts.get(attempt_id)
            if attempt is None or attempt.session_id != session_id:
                return None
            pending = attempt.pending
            if pending is not None:
                attempt.pending = None
                uow.attempts.update(attempt)
                uow.commit()
        if pending is not None:
            self._settle.release(attempt.environment, pending.tokens, pending.organisations, None)
        return attempt.binding_id
