"""Appending what a transition produced to a binding's history, in the unit of work at hand."""

from __future__ import annotations

from collections.abc import Sequence

from domain.events import BindingEvent
from domain.ports import UnitOfWork


def record(uow: UnitOfWork, events: Sequence[BindingEvent | None]) -> None:
    """Append the events that a transition produced (None where nothing changed)."""
    for event in events:
        if event is not None:
            uow.events.add(event)
