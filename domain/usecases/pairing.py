"""Bindings are born with a one-time pairing code that the Magento module redeems once."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.binding import Binding
from domain.connect import PairingCode
from domain.digests import CodeDigest, digest, pairing_code
from domain.errors import (
    DomainError,
    InstallAlreadyPaired,
    PairingCodeInvalid,
    PlanLimitExceeded,
)
from domain.events import BindingEvent
from domain.limits import websites_full
from domain.magento import MagentoProfile
from domain.ports import (
    Clock,
    IdGenerator,
    PlanCatalogue,
    SecretGenerator,
    UnitOfWork,
    UnitOfWorkFactory,
)
from domain.usecases.access import account_and_plan, binding_for_secret, owned_binding
from domain.usecases.locking import lock_binding
from domain.values import EventKind


@dataclass(frozen=True, slots=True)
class NewBinding:
    binding_id: str
    pairing_code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Pairing:
    binding_id: str
    connector_secret: str = field(repr=False)


class CreateBinding:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        secrets: SecretGenerator,
        plans: PlanCatalogue,
        codes: CodeDigest,
    ) -> None:
        self._uow, self._clock, self._ids, self._secrets = uow, clock, ids, secrets
        self._plans, self._codes = plans, codes

    def __call__(self, account_id: str) -> NewBinding:
        now = self._clock.now()
        code = pairing_code(self._secrets.token(16))
        with self._uow() as uow:
            _, plan = account_and_plan(uow, self._plans, account_id)
            refusal = websites_full(_websites_used(uow, account_id, ""), plan.max_websites)
            if refusal is not None:
                raise PlanLimitExceeded(refusal)
            binding = Binding(id=self._ids.new_id(), account_id=account_id, created_at=now)
            uow.bindings.add(binding)
            uow.pairing_codes.add(PairingCode(self._codes(code), binding.id, account_id, now))
            uow.events.add(BindingEvent(binding.id, EventKind.CREATED, "binding created", now))
            uow.commit()
        return NewBinding(binding.id, code)


class NewPairingCode:
    """A fresh code for a binding still waiting for its Magento install; older ones die."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, secrets: SecretGenerator, codes: CodeDigest
    ) -> None:
        self._uow, self._clock, self._secrets, self._codes = uow, clock, secrets, codes

    def __call__(self, account_id: str, binding_id: str) -> str:
        now = self._clock.now()
        code = pairing_code(self._secrets.token(16))
        with self._uow() as uow:
            binding = owned_binding(uow, account_id, binding_id)
            if binding.magento is not None or not binding.is_live:
                raise PairingCodeInvalid("this binding is already paired")
            uow.pairing_codes.revoke_for_binding(binding.id, now)
            uow.pairing_codes.add(PairingCode(self._codes(code), binding.id, account_id, now))
            uow.commit()
        return code


class RedeemPairing:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        secrets: SecretGenerator,
        plans: PlanCatalogue,
        codes: CodeDigest,
        lock_timeout_s: float,
    ) -> None:
        self._uow, self._clock, self._secrets = uow, clock, secrets
        self._plans, self._codes, self._timeout = plans, codes, lock_timeout_s

    def __call__(self, code: str, profile: MagentoProfile) -> Pairing:
        now = self._clock.now()
        secret = self._secrets.token(32)
        with self._uow() as uow:
            pairing = uow.pairing_codes.get(self._codes(code))
            if pairing is None or not pairing.usable(now):
                raise PairingCodeInvalid("the pairing code is unknown, used or expired")
            # The account's lock serialises plan-limit checks; the consume is a compare-and-set,
            # so of two redemptions of one code exactly one pairs.
            uow.accounts.lock(pairing.account_id, self._timeout)
            binding = uow.bindings.get(pairing.binding_id)
            if binding is None or not binding.is_live:
                raise PairingCodeInvalid("the pairing code is unknown, used or expired")
            refusal = self._refusal(uow, binding, profile)
            if refusal is not None:
                # Counted and committed before the refusal is told, so a valid code answers
                # only MAX_REFUSALS questions about other installs.
                uow.pairing_codes.refused(pairing.code_hash)
                if isinstance(refusal, PlanLimitExceeded):
                    uow.events.add(binding.refuse_pairing(refusal.message, now))
                    uow.bindings.update(binding)
                uow.commit()
                raise refusal
            if not uow.pairing_codes.consume(pairing.code_hash, now):
                raise PairingCodeInvalid("the pairing code is unknown, used or expired")
            uow.events.add(binding.pair(profile, digest(secret), now))
            uow.bindings.update(binding)
            uow.commit()
        return Pairing(binding.id, secret)

    def _refusal(
        self, uow: UnitOfWork, binding: Binding, profile: MagentoProfile
    ) -> DomainError | None:
        """Why this install may not pair with this binding, or None."""
        if uow.bindings.live_for_install(profile.base_url) is not None:
            return InstallAlreadyPaired(
                f"{profile.base_url} is already paired with a live binding; "
                "unpair it before pairing again"
            )
        websites = len(profile.websites)
        return website_limit_problem(uow, self._plans, binding.account_id, binding.id, websites)


def check_website_limit(
    uow: UnitOfWork, plans: PlanCatalogue, account_id: str, binding_id: str, websites: int
) -> None:
    problem = website_limit_problem(uow, plans, account_id, binding_id, websites)
    if problem is not None:
        raise problem


def website_limit_problem(
    uow: UnitOfWork, plans: PlanCatalogue, account_id: str, binding_id: str, websites: int
) -> PlanLimitExceeded | None:
    _, plan = account_and_plan(uow, plans, account_id)
    used = _websites_used(uow, account_id, binding_id)
    if used + websites <= plan.max_websites:
        return None
    return PlanLimitExceeded(
        f"the {plan.name} plan allows {plan.max_websites} Magento websites; "
        f"{used} are in use and this install has {websites}"
    )


def _websites_used(uow: UnitOfWork, account_id: str, except_binding: str) -> int:
    return sum(
        len(b.magento.websites)
        for b in uow.bindings.for_account(account_id)
        if b.is_live and b.magento is not None and b.id != except_binding
    )


class UpdateProfile:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, plans: PlanCatalogue, lock_timeout_s: float
    ) -> None:
        self._uow, self._clock, self._plans, self._timeout = uow, clock, plans, lock_timeout_s

    def __call__(self, secret: str, profile: MagentoProfile) -> str:
        now = self._clock.now()
        with self._uow() as uow:
            found = binding_for_secret(uow, secret)
            uow.accounts.lock(found.account_id, self._timeout)
            binding = lock_binding(uow, found.id, self._timeout) or found
            if binding.magento and profile.base_url != binding.magento.base_url:
                raise InstallAlreadyPaired("the Magento base URL cannot change for a binding")
            websites = len(profile.websites)
            check_website_limit(uow, self._plans, binding.account_id, binding.id, websites)
            link = binding.xero
            cache = uow.references.get(link.tenant_id, link.environment) if link else None
            uow.events.add(binding.update_profile(profile, now, cache))
            uow.bindings.update(binding)
            uow.commit()
        return binding.id
