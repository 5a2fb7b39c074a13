"""The merchant's sync settings: every chosen value must still exist where it comes from."""

from __future__ import annotations

from domain.binding import Binding
from domain.errors import ValidationFailed
from domain.policy import SyncPolicy
from domain.policy_rules import policy_problems
from domain.ports import Clock, UnitOfWorkFactory
from domain.usecases.access import owned_binding
from domain.usecases.locking import lock_binding


class SaveSettings:
    """The merchant's sync policy; every chosen value must still exist in the reference cache."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, lock_timeout_s: float) -> None:
        self._uow, self._clock, self._timeout = uow, clock, lock_timeout_s

    def __call__(self, account_id: str, binding_id: str, policy: SyncPolicy) -> Binding:
        with self._uow() as uow:
            owned_binding(uow, account_id, binding_id)
            binding = lock_binding(uow, binding_id, self._timeout)
            assert binding is not None
            cache = (
                uow.references.get(binding.xero.tenant_id, binding.xero.environment)
                if binding.xero
                else None
            )
            problems = policy_problems(binding, cache, policy)
            if problems:
                raise ValidationFailed("; ".join(problems.values()))
            if policy == binding.policy:
                return binding  # nothing changed (a double submit): no write, no Activity entry
            uow.events.add(binding.change_policy(policy, self._clock.now(), cache))
            uow.bindings.update(binding)
            uow.commit()
        return binding
