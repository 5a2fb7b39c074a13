"""The binding: one Magento install paired with the chassis, connected to one Xero organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.choices import UnavailableChoice, describe_changes, unavailable_choices
from domain.defaults import default_policy
from domain.errors import BindingDisconnected, InvalidTransition, OrganisationLocked
from domain.events import BindingEvent
from domain.magento import MagentoProfile
from domain.policy import SyncPolicy
from domain.reference import ReferenceCache
from domain.values import BindingStatus, Environment, EventKind

S = BindingStatus


@dataclass(frozen=True, slots=True)
class XeroLink:
    """The Xero side of a binding; its tenant is the lock for its environment."""

    environment: Environment
    tenant_id: str
    tenant_name: str
    connection_id: str
    xero_user_id: str


@dataclass(slots=True)
class Binding:
    id: str
    account_id: str
    created_at: datetime
    status: BindingStatus = S.AWAITING_PAIRING
    magento: MagentoProfile | None = None
    connector_secret_hash: str = field(default="", repr=False)
    xero: XeroLink | None = None
    policy: SyncPolicy = field(default_factory=SyncPolicy)
    status_reason: str = ""
    # Set when a connect attempt expired without Xero ever sending the merchant back (Xero's
    # connection-limit page does that); cleared by the next successful connect.
    connect_problem: str = ""

    @property
    def is_live(self) -> bool:
        return self.status.is_live

    def locked_tenant(self, environment: Environment) -> str | None:
        """The organisation this binding is locked to in `environment`, if any."""
        if self.xero is None or self.xero.environment is not environment:
            return None
        return self.xero.tenant_id

    def pair(self, profile: MagentoProfile, secret_hash: str, now: datetime) -> BindingEvent:
        self._require(S.AWAITING_PAIRING, action="pair")
        self.magento, self.connector_secret_hash = profile, secret_hash
        self.policy = self.policy.with_paired_scope(profile)
        return self._move(S.PAIRED, EventKind.PAIRED, f"paired with {profile.host}", now)

    def update_profile(
        self, profile: MagentoProfile, now: datetime, cache: ReferenceCache | None = None
    ) -> BindingEvent:
        self._require_live("update the Magento profile of")
        if self.magento is None:
            raise InvalidTransition("the binding has not been paired yet")
        before, self.policy = self.policy, self.policy.after_profile_change(self.magento, profile)
        self.magento = profile
        changes = describe_changes(before, self.policy, profile, cache)
        follow = f"; settings follow it: {'; '.join(changes)}" if changes else ""
        return self._event(EventKind.PROFILE_UPDATED, f"Magento profile updated{follow}", now)

    def refuse_pairing(self, reason: str, now: datetime) -> BindingEvent:
        """The plan refused a Magento install's pairing: kept on the binding, and shown."""
        self.status_reason = f"the last pairing attempt was refused: {reason}"
        return self._event(EventKind.PAIRING_REFUSED, self.status_reason, now)

    def connect(self, link: XeroLink, now: datetime) -> BindingEvent:
        self._require(S.PAIRED, S.CONNECTED, S.DEGRADED, S.NEEDS_RECONNECT, action="connect")
        locked = self.locked_tenant(link.environment)
        if locked is not None and locked != link.tenant_id:
            raise OrganisationLocked(
                f"this binding is locked to the Xero organisation "
                f"'{self.xero.tenant_name if self.xero else locked}'; "
                "connect that organisation, or create a new binding for another one"
            )
        self.xero = link
        self.connect_problem = ""
        return self._move(S.CONNECTED, EventKind.CONNECTED, f"connected to {link.tenant_name}", now)

    def connect_never_returned(self, reason: str, now: datetime) -> BindingEvent | None:
        """A consent Xero never sent back: recorded unless the binding got connected anyway
        (by another attempt) or is gone."""
        if self.status is not S.PAIRED and self.status is not S.NEEDS_RECONNECT:
            return None
        self.connect_problem = reason
        return self._event(EventKind.CONNECT_REFUSED, reason, now)

    def degrade(self, reason: str, now: datetime) -> BindingEvent | None:
        """Transient Xero trouble; returns an event only on the way in."""
        if self.status is not S.CONNECTED:
            return None
        return self._move(S.DEGRADED, EventKind.REFRESH_FAILED, reason, now)

    def recover(self, now: datetime) -> BindingEvent | None:
        if self.status is not S.DEGRADED:
            return None
        return self._move(S.CONNECTED, EventKind.RECOVERED, "Xero answers again", now)

    def require_reconnect(self, reason: str, now: datetime) -> BindingEvent | None:
        if not self.status.hands_out_tokens:
            return None
        return self._move(S.NEEDS_RECONNECT, EventKind.NEEDS_RECONNECT, reason, now)

    def flip_environment(self, environment: Environment, now: datetime) -> BindingEvent | None:
        """The account moved to another Xero environment: the lock no longer applies."""
        if not self.is_live or self.xero is None or self.xero.environment is environment:
            return None
        reason = f"account moved to the {environment} Xero environment; reconnect Xero"
        self.xero = None
        if self.status.has_xero:
            self.status, self.status_reason = S.NEEDS_RECONNECT, reason
        return self._event(EventKind.ENVIRONMENT_CHANGED, reason, now)

    def disconnect(self, reason: str, now: datetime, *, unpaired: bool = False) -> BindingEvent:
        self._require_live("disconnect")
        kind = EventKind.UNPAIRED if unpaired else EventKind.DISCONNECTED
        self.connector_secret_hash = ""
        return self._move(S.DISCONNECTED, kind, reason, now)

    def change_policy(
        self, policy: SyncPolicy, now: datetime, cache: ReferenceCache | None = None
    ) -> BindingEvent:
        self._require_live("change the settings of")
        before, self.policy = self.policy, policy
        changes = describe_changes(before, policy, self.magento, cache)
        said = f"changed by the merchant: {'; '.join(changes)}" if changes else "nothing changed"
        return self._event(EventKind.SETTINGS_CHANGED, said, now)

    def adopt_reference(
        self, before: ReferenceCache | None, cache: ReferenceCache, now: datetime
    ) -> list[BindingEvent]:
        """Reference data arrived: defaults fill only what was never set, and a saved choice
        that Xero no longer offers is kept and flagged, once, never replaced."""
        old = self.policy
        first = not (old.default_income_account or old.default_bank_account)
        self.policy = old.filled_from(default_policy(cache, self.magento))
        events = []
        changes = describe_changes(old, self.policy, self.magento, cache)
        if changes:
            who = "chosen by the defaults on first connect" if first else "defaults filled in"
            events.append(
                self._event(EventKind.SETTINGS_CHANGED, f"{who}: {'; '.join(changes)}", now)
            )
        seen = {(u.setting, u.account_id) for u in self.unavailable_choices(before)}
        events += [
            self._event(EventKind.CHOICE_UNAVAILABLE, flag.message, now)
            for flag in unavailable_choices(self.policy, self.magento, cache, before)
            if (flag.setting, flag.account_id) not in seen
        ]
        return events

    def unavailable_choices(self, cache: ReferenceCache | None) -> tuple[UnavailableChoice, ...]:
        return unavailable_choices(self.policy, self.magento, cache)

    def _require(self, *allowed: BindingStatus, action: str) -> None:
        self._require_live(action)
        if self.status not in allowed:
            raise InvalidTransition(f"cannot {action} a binding that is {self.status.value}")

    def _require_live(self, action: str) -> None:
        if not self.is_live:
            raise BindingDisconnected(f"cannot {action} a disconnected binding")

    def _move(
        self, status: BindingStatus, kind: EventKind, reason: str, now: datetime
    ) -> BindingEvent:
        self.status, self.status_reason = status, reason
        return self._event(kind, reason, now)

    def _event(self, kind: EventKind, reason: str, now: datetime) -> BindingEvent:
        return BindingEvent(binding_id=self.id, kind=kind, reason=reason, at=now)
