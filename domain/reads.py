"""Who read which binding's credentials: per caller, binding and UTC day, how many times,
and when first and last (DESIGN §13). Shown to the merchant and to operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class CredentialReads:
    day: date
    caller: str
    binding_id: str
    count: int
    first_at: datetime
    last_at: datetime

    def __post_init__(self) -> None:
        if self.count < 1 or self.first_at > self.last_at:
            raise ValueError("credential reads need a count and first_at <= last_at")

    @property
    def key(self) -> tuple[date, str, str]:
        return self.day, self.caller, self.binding_id

    def merged(self, other: CredentialReads) -> CredentialReads:
        """Both tallies of one key together: counts added, the earliest first, the latest last
        (how replicas' flushes meet in storage)."""
        if other.key != self.key:
            raise ValueError("only tallies of one day, caller and binding merge")
        return CredentialReads(
            self.day,
            self.caller,
            self.binding_id,
            self.count + other.count,
            min(self.first_at, other.first_at),
            max(self.last_at, other.last_at),
        )
