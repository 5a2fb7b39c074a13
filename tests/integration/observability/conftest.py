"""The real service on the emulator (the sweeps' harness), and log capture as `serve` logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.request_ids import RequestIdFilter
from app.logs import JsonFormatter
from tests.integration.sweeps.conftest import emulator, stack, sweeps  # noqa: F401

# The emulator runs in this process; what it logs is Xero's business, not ours.
NOT_OURS = ("xero_emulator", "werkzeug")


class Captured(logging.Handler):
    """Every record of ours, as the JSON line `serve` would write, plus its raw parts."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(NOT_OURS):
            return
        self.records.append(record)
        self.lines.append(self.format(record))


@contextmanager
def captured_logs(level: int = logging.DEBUG) -> Iterator[Captured]:
    root = logging.getLogger()
    handler, before = Captured(), root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
