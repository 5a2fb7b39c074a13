"""Xero's developer tiers (2026): how many organisations an app may connect, each
organisation's daily call limit, and the monthly data-egress allowance (xero-facts §4, §11).

Demo companies do not count towards the cap. `None` means unlimited (Enterprise) or, for
the egress allowance, not published (Starter).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from domain.errors import ValidationFailed

GB = 1024**3
WARN_AT = 0.8


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    connection_cap: int | None
    daily_limit: int
    monthly_egress_bytes: int | None
    # Our own calls per organisation per day (the reference refresh); sync services need
    # the rest of `daily_limit`. Default: 2% of it, but never too small for two refreshes.
    reference_daily_share: int = 0

    def __post_init__(self) -> None:
        if self.connection_cap is not None and self.connection_cap < 0:
            raise ValidationFailed("a connection cap cannot be negative")
        if self.daily_limit < 1:
            raise ValidationFailed("the daily call limit must be at least 1")
        if self.reference_daily_share == 0:
            share = min(self.daily_limit, max(20, self.daily_limit // 50))
            object.__setattr__(self, "reference_daily_share", share)
        if not 0 < self.reference_daily_share <= self.daily_limit:
            raise ValidationFailed("our daily share must be between 1 and the daily limit")

    def with_overrides(
        self,
        connection_cap: int | None = None,
        daily_limit: int | None = None,
        monthly_egress_bytes: int | None = None,
        reference_daily_share: int | None = None,
    ) -> Tier:
        """This tier with whichever plain numbers the operator set."""
        changes: dict[str, Any] = {
            k: v
            for k, v in (
                ("connection_cap", connection_cap),
                ("daily_limit", daily_limit),
                ("monthly_egress_bytes", monthly_egress_bytes),
                ("reference_daily_share", reference_daily_share),
            )
            if v is not None
        }
        if "daily_limit" in changes and "reference_daily_share" not in changes:
            changes["reference_daily_share"] = 0
        return replace(self, **changes)


TIERS: dict[str, Tier] = {
    t.name: t
    for t in (
        Tier("starter", 5, 1_000, None),
        Tier("core", 50, 5_000, 10 * GB),
        Tier("plus", 1_000, 5_000, 50 * GB),
        Tier("advanced", 10_000, 5_000, 250 * GB),
        Tier("enterprise", None, 5_000, None),
    )
}
UNCAPPED = TIERS["enterprise"]


def tier_named(name: str) -> Tier:
    try:
        return TIERS[name.strip().lower()]
    except KeyError:
        raise ValidationFailed(
            f"unknown Xero tier {name!r}: use one of {', '.join(TIERS)}"
        ) from None


class CapLevel(enum.StrEnum):
    OK = "ok"
    NEAR = "near"  # at or above 80% of the cap
    AT_CAP = "at_cap"


@dataclass(frozen=True, slots=True)
class ConnectionUsage:
    """Distinct organisations (demo companies aside) connected to the app in one environment."""

    environment: str
    live: int
    cap: int | None

    @property
    def level(self) -> CapLevel:
        if self.cap is None:
            return CapLevel.OK
        if self.live >= self.cap:
            return CapLevel.AT_CAP
        return CapLevel.NEAR if self.live >= WARN_AT * self.cap else CapLevel.OK

    @property
    def at_cap(self) -> bool:
        return self.level is CapLevel.AT_CAP

    def describe(self) -> str:
        cap = "no cap" if self.cap is None else f"cap {self.cap}"
        text = f"{self.live} organisations connected in {self.environment} ({cap})"
        if self.level is CapLevel.AT_CAP:
            return f"{text}: at the cap, new organisations are refused"
        if self.level is CapLevel.NEAR:
            return f"{text}: over 80% of the cap"
        return text


CAP_REFUSAL = (
    "this service has reached the number of Xero organisations its Xero app may connect "
    "({cap}), so Xero would refuse a new one; reconnecting an organisation that is already "
    "connected still works. Ask the operator to raise the app's Xero tier"
)
NEVER_CAME_BACK = (
    "Xero refused a new connection: the app has reached its connection limit "
    "(Xero did not send you back within 10 minutes; if you simply closed Xero's page, "
    "connect again)"
)
