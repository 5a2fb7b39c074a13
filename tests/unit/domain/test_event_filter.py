"""Which events a watcher's filter lets through: every field narrows, an empty one does not."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import BindingEvent, EventFilter
from domain.values import BindingStatus, EventKind

EVENT = BindingEvent(
    "b-1",
    EventKind.NEEDS_RECONNECT,
    "organisation gone",
    datetime(2026, 12, 1, tzinfo=UTC),
    revision=7,
    account_id="acct-1",
    status=BindingStatus.NEEDS_RECONNECT,
)


class TestEventFilter:
    def test_an_empty_filter_matches_everything(self) -> None:
        assert EventFilter().matches(EVENT)

    def test_each_field_narrows(self) -> None:
        assert EventFilter.of(binding_ids=["b-1", "b-2"]).matches(EVENT)
        assert not EventFilter.of(binding_ids=["b-2"]).matches(EVENT)
        assert EventFilter.of(account_id="acct-1").matches(EVENT)
        assert not EventFilter.of(account_id="acct-2").matches(EVENT)
        assert EventFilter.of(statuses=[BindingStatus.NEEDS_RECONNECT]).matches(EVENT)
        assert not EventFilter.of(statuses=[BindingStatus.CONNECTED]).matches(EVENT)
        assert EventFilter.of(kinds=[EventKind.NEEDS_RECONNECT]).matches(EVENT)
        assert not EventFilter.of(kinds=[EventKind.CONNECTED]).matches(EVENT)

    def test_fields_combine_with_and(self) -> None:
        both = EventFilter.of(account_id="acct-1", kinds=[EventKind.CONNECTED])
        assert not both.matches(EVENT)
