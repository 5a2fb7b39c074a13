"""The emulator's clock: wall time plus an offset that tests and demos can advance."""

from __future__ import annotations

import email.utils
import re
import threading
import time
from datetime import UTC, datetime


class EmulatorClock:
    """Wall-clock seconds since the epoch, shifted by whatever has been advanced."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current emulator time in epoch seconds."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()

    def restore_offset(self, offset: float) -> None:
        """Resume at a saved offset (never behind: the clock only moves forward)."""
        with self._lock:
            self._offset = max(self._offset, offset)

    @property
    def offset(self) -> float:
        """Seconds the clock has been advanced in total."""
        with self._lock:
            return self._offset


def ms_date(ts: float, with_offset: bool = True) -> str:
    """Microsoft JSON date as Xero writes it, e.g. /Date(1552404447003+0000)/."""
    suffix = "+0000" if with_offset else ""
    return f"/Date({int(ts * 1000)}{suffix})/"


_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(value: object) -> float:
    """Epoch seconds of a /Date(ms+0000)/ value; a missing or odd one counts as long ago."""
    found = _MS_DATE.match(value) if isinstance(value, str) else None
    return int(found.group(1)) / 1000 if found else float("-inf")


def parse_http_or_iso(value: str) -> float | None:
    """Epoch seconds of an ISO 8601 date-time (as Xero's OpenAPI says) or an HTTP-date;
    a value without a zone is UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def xero_utc(ts: float) -> str:
    """Identity-API timestamp without a zone, e.g. 2019-12-07T18:46:19.5165400."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0"


def iso_utc(ts: float) -> str:
    """ISO-8601 UTC timestamp for control-API answers."""
    return datetime.fromtimestamp(ts, UTC).isoformat()
