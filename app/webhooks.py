"""Webhook delivery on a thread of its own in `serve` and `worker` (LEDGER_SWEEP=1).

Every LEDGER_WEBHOOK_POLL_S the thread runs one delivery pass (domain.usecases.webhooks) and
counts its outcomes in the metrics; a pass that fails (say, the database away) is logged and
the next one runs as planned. Delivery has its own thread, not the sweeps' tick, so an event
reaches subscribers within about a poll interval rather than a sweep tick, and a slow
receiver never delays token refreshes. `stop()` lets the attempt at hand finish.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass

from adapters.observability.metrics import Metrics
from adapters.request_ids import bound, new_id
from app.webhook_settings import WebhookSettings
from domain.ports import Clock, UnitOfWorkFactory, WebhookSender
from domain.usecases.webhooks import DeliverWebhooks, WebhookAdmin

log = logging.getLogger(__name__)
ROUTINE = frozenset({"delivered", "taken"})


@dataclass
class Webhooks:
    deliver: DeliverWebhooks
    admin: WebhookAdmin
    poll_s: float

    @property
    def configured(self) -> bool:
        return bool(self.admin.subscribers)


def build_webhooks(
    settings: WebhookSettings, uow: UnitOfWorkFactory, clock: Clock, sender: WebhookSender
) -> Webhooks:
    holder = f"{socket.gethostname()}:{os.getpid()}"
    jitter = random.SystemRandom().random
    deliver = DeliverWebhooks(
        uow, sender, clock, settings.subscribers, settings.policy, holder, jitter
    )
    admin = WebhookAdmin(uow, clock, settings.subscribers)
    return Webhooks(deliver, admin, settings.poll_s)


class WebhookWorker:
    def __init__(self, webhooks: Webhooks, metrics: Metrics) -> None:
        self._deliver = webhooks.deliver
        self._poll_s = webhooks.poll_s
        self._metrics = metrics
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)

    def start(self) -> WebhookWorker:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopping.set()
        self._deliver.halted = True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("webhook delivery did not stop within %.0f s", timeout_s)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            with bound(f"webhooks-{new_id()[:12]}"):
                self._pass()
            self._stopping.wait(max(0.0, self._poll_s - (time.monotonic() - started)))

    def _pass(self) -> None:
        try:
            outcomes = self._deliver()
        except Exception:
            log.exception("a webhook delivery pass failed; the next one runs as planned")
            return
        self._metrics.record_webhooks(outcomes)
        if outcomes:
            routine = all(outcome in ROUTINE for _, outcome in outcomes)
            done = {f"{s}:{o}": n for (s, o), n in sorted(outcomes.items())}
            log.log(logging.DEBUG if routine else logging.INFO, "webhooks: %s", done)


def start_webhooks(webhooks: Webhooks, metrics: Metrics) -> WebhookWorker | None:
    """The worker when subscribers are configured. Without any, nothing: the cursors stored
    for others stay (a replica that has them delivers them, and they hold compaction back
    until `ledger-connect webhooks forget NAME`)."""
    if not webhooks.configured:
        return None
    return WebhookWorker(webhooks, metrics).start()
