"""Xero's Microsoft-JSON dates: `/Date(1552404447003+0000)/`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(text: object) -> datetime | None:
    """An aware datetime, or None when the value is absent or malformed.

    The milliseconds count from the epoch in UTC; the optional offset only names the zone
    the value is shown in, so the instant is the same and we present it in that zone.
    """
    match = _MS_DATE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    millis, offset = match.groups()
    try:
        instant = datetime.fromtimestamp(int(millis) / 1000, UTC)
        return instant.astimezone(_zone(offset)) if offset else instant
    except (OverflowError, OSError, ValueError):
        return None


def _zone(offset: str) -> timezone:
    sign = -1 if offset[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
