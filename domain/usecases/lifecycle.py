"""The end of a binding's life and the checks around it: disconnect, revocation, environments."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.binding import Binding
from domain.digests import digest
from domain.errors import (
    AccessTokenRejected,
    BindingDisconnected,
    DomainError,
    InvalidTransition,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    ReauthRequired,
)
from domain.events import BindingEvent
from domain.flight import SingleFlight
from domain.grant import OAuthGrant
from domain.ports import Clock, PlanCatalogue, UnitOfWork, UnitOfWorkFactory, XeroProvider
from domain.usecases.access import account_and_plan, binding_for_secret, owned_binding
from domain.usecases.journal import record
from domain.usecases.locking import lock_binding
from domain.usecases.tokens import FreshToken, Rotation, TokenService
from domain.values import BindingStatus, Environment, EventKind

log = logging.getLogger(__name__)
GONE_REASON = "the organisation is no longer connected to this app at Xero; reconnect Xero"


@dataclass(frozen=True, slots=True)
class DisconnectOutcome:
    binding_id: str
    not_undone_at_xero: tuple[str, ...] = ()


class Disconnect:
    """Destroy our tokens; Xero's grant and connection too, where no other binding needs them."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        tokens: TokenService,
        lock_timeout_s: float,
    ) -> None:
        self._uow, self._xero, self._clock = uow, xero, clock
        self._tokens, self._timeout = tokens, lock_timeout_s

    def __call__(self, account_id: str, binding_id: str) -> DisconnectOutcome:
        with self._uow() as uow:
            owned_binding(uow, account_id, binding_id)
        return self._disconnect(binding_id, "disconnected by the merchant", unpaired=False)

    def delete_unpaired(self, account_id: str, binding_id: str) -> DisconnectOutcome:
        """A binding whose code was never redeemed: gone from the list, kept in the archive."""
        with self._uow() as uow:
            binding = owned_binding(uow, account_id, binding_id)
        if binding.status is not BindingStatus.AWAITING_PAIRING:
            raise InvalidTransition(
                "only a binding that was never paired can be deleted; disconnect this one instead"
            )
        return self._disconnect(binding_id, "deleted before it was paired", unpaired=False)

    def unpair(self, connector_secret: str) -> DisconnectOutcome:
        with self._uow() as uow:
            binding = binding_for_secret(uow, connector_secret)
        return self._disconnect(binding.id, "the Magento module stopped publishing", unpaired=True)

    def _disconnect(self, binding_id: str, reason: str, unpaired: bool) -> DisconnectOutcome:
        self._refresh_for_cleanup(binding_id)
        now = self._clock.now()
        with self._uow() as uow:
            binding = lock_binding(uow, binding_id, self._timeout)
            if binding is None:
                raise NotFound("no such binding")
            if not binding.is_live:
                raise BindingDisconnected("the binding is already disconnected")
            grant = uow.grants.get(binding_id)
            share_user, share_connection = self._sharing(uow, binding)
            uow.events.add(binding.disconnect(reason, now, unpaired=unpaired))
            uow.grants.delete(binding_id)
            uow.bindings.update(binding)
            uow.commit()
        self._tokens.forget(binding_id)
        # Our side is final before Xero is asked: the tokens used below are the last ones
        # committed, and no refresh can rotate them any more.
        leftovers = self._undo_at_xero(binding, grant, share_user, share_connection)
        if leftovers:
            self._record_leftovers(binding_id, leftovers, unpaired)
        return DisconnectOutcome(binding_id, tuple(leftovers))

    def _refresh_for_cleanup(self, binding_id: str) -> None:
        """Deleting the connection needs a working access token: get one while we still can."""
        with contextlib.suppress(DomainError, ProviderError):
            self._tokens.fresh_token(binding_id)

    def _record_leftovers(self, binding_id: str, leftovers: list[str], unpaired: bool) -> None:
        kind = EventKind.UNPAIRED if unpaired else EventKind.DISCONNECTED
        reason = f"not undone at Xero: {', '.join(leftovers)}"
        with self._uow() as uow:
            uow.events.add(BindingEvent(binding_id, kind, reason, self._clock.now()))
            uow.commit()

    def _sharing(self, uow: UnitOfWork, binding: Binding) -> tuple[bool, bool]:
        if binding.xero is None:
            return True, True
        link = binding.xero
        users = uow.bindings.live_for_xero_user(link.environment, link.xero_user_id)
        connections = uow.bindings.live_for_connection(link.connection_id)
        return _others(users, binding), _others(connections, binding)

    def _undo_at_xero(
        self, binding: Binding, grant: OAuthGrant | None, share_user: bool, share_conn: bool
    ) -> list[str]:
        if grant is None or binding.xero is None:
            return []
        leftovers: list[str] = []
        env, link = grant.environment, binding.xero
        if not share_conn:
            try:
                if grant.valid_for(self._clock.now()).total_seconds() <= 0:
                    raise AccessTokenRejected("no working access token is left")
                self._xero.delete_connection(env, grant.access_token, link.connection_id)
            except ProviderError as error:
                log.warning("disconnect %s: connection not deleted: %s", binding.id, error.code)
                leftovers.append(f"the connection to {link.tenant_name} could not be removed")
        if not share_user:
            try:
                self._xero.revoke(env, grant.refresh_token)
            except ProviderError as error:
                log.warning("disconnect %s: grant not revoked: %s", binding.id, error.code)
                leftovers.append("the Xero authorisation could not be revoked")
        return leftovers


@dataclass(frozen=True, slots=True)
class AuthFailureReport:
    """What a report of Xero refusing one access token found."""

    status: BindingStatus
    newer_token: bool = False  # the stored access token is not the refused one: fetch it


class ConnectionChecker:
    """Confirms with /connections whether Xero still lets us reach a binding's organisation."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        xero: XeroProvider,
        clock: Clock,
        tokens: TokenService,
        *,
        lock_timeout_s: float,
        check_interval: timedelta,
    ) -> None:
        self._uow, self._xero, self._clock, self._tokens = uow, xero, clock, tokens
        self._timeout, self._interval = lock_timeout_s, check_interval
        self._last_check: dict[str, datetime] = {}
        self._reports: SingleFlight[AuthFailureReport] = SingleFlight()

    def report_auth_failure(self, binding_id: str, http_status: int) -> BindingStatus:
        """A sync service got 401/403; check at most once per binding per short interval."""
        now = self._clock.now()
        last = self._last_check.get(binding_id)
        if last is not None and now - last < self._interval:
            return self._status(binding_id)
        self._last_check[binding_id] = now
        return self.check(binding_id)

    def report_token_failure(self, binding_id: str, token_sha256: str) -> AuthFailureReport:
        """Xero refused the access token with this SHA-256 (hex): refresh-if-current (DESIGN
        §5 step 7). The compare under the row lock bounds the cost across replicas (one
        refresh per stored token); one flight per token bounds it within this process (one
        connections check per refresh)."""
        key = f"{binding_id} {token_sha256}"
        return self._reports.run(key, lambda: self._refresh_if_current(binding_id, token_sha256))

    def check(self, binding_id: str) -> BindingStatus:
        return self.check_listing(binding_id)[0]

    def check_grant(self, binding_id: str) -> BindingStatus:
        """The binding's status once its own grant has proved itself: its access token fresh,
        refreshed if need be (the token endpoint, outside the API's limits); NEEDS_RECONNECT
        if Xero refuses the grant."""
        try:
            return self._tokens.fresh_token(binding_id).status
        except ReauthRequired:
            return BindingStatus.NEEDS_RECONNECT

    def check_listing(self, binding_id: str) -> tuple[BindingStatus, frozenset[str] | None]:
        """`check`, and the organisations /connections listed for the binding's Xero user when
        it was asked with the binding's own token (None when it was not)."""
        try:
            token = self._tokens.fresh_token(binding_id)
        except ReauthRequired:
            return BindingStatus.NEEDS_RECONNECT, None
        try:
            return self._confirm(binding_id, token)
        except AccessTokenRejected:
            if token.expires_at <= self._clock.now():
                raise
            return self.report_token_failure(binding_id, digest(token.access_token)).status, None

    def _refresh_if_current(self, binding_id: str, token_sha256: str) -> AuthFailureReport:
        """The order matters: Xero's refusal of the grant is final whatever token is stored;
        a stored token that moved on means someone already did this work, so Xero is not
        asked; only a refresh this report made is worth a connections check, because a
        refresh can succeed for an organisation that was removed inside Xero."""
        try:
            refresh = self._tokens.refresh_if_current(binding_id, token_sha256)
        except ReauthRequired:
            return AuthFailureReport(BindingStatus.NEEDS_RECONNECT)
        if refresh.rotation is Rotation.REFUSED:
            return AuthFailureReport(BindingStatus.NEEDS_RECONNECT)
        if refresh.rotation is Rotation.NOT_DUE:
            return AuthFailureReport(refresh.status, newer_token=True)
        if refresh.rotation is Rotation.FAILED or refresh.token is None:
            raise ProviderUnavailable(
                "Xero is not answering token refreshes; report again shortly",
                refresh.retry_after_s,
            )
        status, _ = self._confirm(binding_id, refresh.token)
        return AuthFailureReport(status, newer_token=status is not BindingStatus.NEEDS_RECONNECT)

    def _confirm(self, binding_id: str, token: FreshToken) -> tuple[BindingStatus, frozenset[str]]:
        """Whether /connections, asked with `token`, still lists the binding's organisation;
        and the organisations it listed."""
        binding = self._binding(binding_id)
        assert binding.xero is not None
        found = self._xero.list_connections(binding.xero.environment, token.access_token)
        listed = frozenset(c.tenant_id for c in found if c.is_organisation)
        if token.tenant_id in listed:
            return binding.status, listed
        return self._mark_gone(binding_id), listed

    def _mark_gone(self, binding_id: str) -> BindingStatus:
        with self._uow() as uow:
            binding = lock_binding(uow, binding_id, self._timeout)
            assert binding is not None
            record(uow, [binding.require_reconnect(GONE_REASON, self._clock.now())])
            uow.bindings.update(binding)
            uow.commit()
        self._tokens.forget(binding_id)
        return binding.status

    def _status(self, binding_id: str) -> BindingStatus:
        return self._binding(binding_id).status

    def _binding(self, binding_id: str) -> Binding:
        with self._uow() as uow:
            binding = uow.bindings.get(binding_id)
        if binding is None:
            raise NotFound("no such binding")
        return binding


class SetEnvironment:
    """Operator flips an account between production and sandbox: every lock clears."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        plans: PlanCatalogue,
        tokens: TokenService,
        lock_timeout_s: float,
    ) -> None:
        self._uow, self._clock, self._plans = uow, clock, plans
        self._tokens, self._timeout = tokens, lock_timeout_s

    def __call__(self, account_id: str, environment: Environment) -> list[str]:
        now = self._clock.now()
        with self._uow() as uow:
            account, _ = account_and_plan(uow, self._plans, account_id)
            if account.environment is environment:
                return []
            account.environment = environment
            uow.accounts.update(account)
            moved = []
            for listed in uow.bindings.for_account(account_id):
                binding = lock_binding(uow, listed.id, self._timeout)
                event = binding.flip_environment(environment, now) if binding else None
                if binding is None or event is None:
                    continue
                uow.grants.delete(binding.id)
                uow.bindings.update(binding)
                uow.events.add(event)
                moved.append(binding.id)
            uow.commit()
        for binding_id in moved:
            self._tokens.forget(binding_id)
        return moved


def _others(bindings: list[Binding], binding: Binding) -> bool:
    return any(b.id != binding.id for b in bindings)
