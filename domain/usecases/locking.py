"""One rule for every write to a binding: take its grant's row lock first, then read it.

Token refreshes hold that lock while they call Xero and then save the binding (recovered,
degraded, needs reconnect). A writer that read the binding before the lock, or without it,
could save a stale copy over theirs, or they over its: a NEEDS_RECONNECT undone, a saved
setting lost. Taking the same lock first serialises them on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from domain.binding import Binding
from domain.ports import UnitOfWork


def lock_binding(uow: UnitOfWork, binding_id: str, timeout_s: float) -> Binding | None:
    uow.grants.lock(binding_id, timeout_s)
    return uow.bindings.get(binding_id)
