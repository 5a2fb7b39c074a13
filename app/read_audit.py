"""The credential read audit's flush (DESIGN §13) for `serve`: every LEDGER_READ_AUDIT_FLUSH_S
seconds (10) on a thread of its own, and once more at shutdown, after the gRPC server has
stopped handing out tokens. Each flush also feeds the per-caller metric."""

from __future__ import annotations

import logging
import threading

from app.bootstrap import Container

log = logging.getLogger(__name__)


class ReadAuditFlusher:
    def __init__(self, built: Container) -> None:
        self._reads = built.service.reads
        self._metrics = built.metrics
        self._interval_s = built.settings.read_audit_flush_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="read-audit", daemon=True)

    def start(self) -> ReadAuditFlusher:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the timer, then write what is left."""
        self._stopping.set()
        self._thread.join(timeout_s)
        self.flush()

    def flush(self) -> None:
        try:
            written = self._reads.flush()
        except Exception:
            log.warning("the credential read audit could not be written; the next flush retries")
            return
        self._metrics.record_reads(written)

    def _loop(self) -> None:
        while not self._stopping.wait(self._interval_s):
            self.flush()
