"""The append-only activity log of a binding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.values import EventKind


@dataclass(frozen=True, slots=True)
class BindingEvent:
    binding_id: str
    kind: EventKind
    reason: str
    at: datetime
    id: int | None = None
