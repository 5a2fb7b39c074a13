"""Binding events: the activity log of each binding, and the outbox that watchers follow.

Every binding state change, settings change and reference refresh writes one event in the
transaction of the change (DESIGN §12). The store numbers committed events with a gapless
`revision` in commit order and stamps each with the binding's account and its status as the
transaction leaves it; a reason is words for people and never holds a secret.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from domain.values import BindingStatus, EventKind


@dataclass(frozen=True, slots=True)
class BindingEvent:
    binding_id: str
    kind: EventKind
    reason: str
    at: datetime
    id: int | None = None
    revision: int | None = None
    account_id: str | None = None
    status: BindingStatus | None = None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which bindings and events a caller follows; an empty field matches everything."""

    binding_ids: frozenset[str] = field(default_factory=frozenset)
    account_id: str = ""
    statuses: frozenset[BindingStatus] = field(default_factory=frozenset)
    kinds: frozenset[EventKind] = field(default_factory=frozenset)

    @classmethod
    def of(
        cls,
        binding_ids: Collection[str] = (),
        account_id: str = "",
        statuses: Collection[BindingStatus] = (),
        kinds: Collection[EventKind] = (),
    ) -> EventFilter:
        return cls(frozenset(binding_ids), account_id, frozenset(statuses), frozenset(kinds))

    def matches(self, event: BindingEvent) -> bool:
        return (
            (not self.binding_ids or event.binding_id in self.binding_ids)
            and (not self.account_id or event.account_id == self.account_id)
            and (not self.statuses or event.status in self.statuses)
            and (not self.kinds or event.kind in self.kinds)
        )


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events after a revision, in revision order, and the revision the page reaches: the
    last event's, or the log's current revision when nothing newer was committed."""

    events: tuple[BindingEvent, ...]
    through: int
