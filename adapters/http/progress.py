"""Connect attempts finished off the request while the browser watches a progress page.

Xero's callback hands the code exchange, the organisation lookup and the first accounts fetch
to a small pool and answers at once with a page that reloads itself (a meta refresh: no
script, so the strict CSP holds). Jobs live in this process for ten minutes; a progress page
that reaches another replica finds none and follows the binding's stored status instead.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

KEEP_S = 600.0


class ConnectProgress:
    def __init__(self, background: bool = True, workers: int = 4) -> None:
        """`background=False` runs each job at once, in the caller (tests)."""
        self._pool = ThreadPoolExecutor(workers, "connect") if background else None
        self._jobs: dict[str, tuple[Future[Any], float]] = {}
        self._lock = threading.Lock()

    def start(self, work: Callable[[], Any]) -> str:
        job_id = secrets.token_urlsafe(16)
        future = self._pool.submit(work) if self._pool else _done(work)
        now = time.monotonic()
        with self._lock:
            for stale in [k for k, (_, at) in self._jobs.items() if now - at > KEEP_S]:
                del self._jobs[stale]
            self._jobs[job_id] = (future, now)
        return job_id

    def get(self, job_id: str) -> Future[Any] | None:
        with self._lock:
            found = self._jobs.get(job_id)
        return found[0] if found else None

    def forget(self, job_id: str) -> None:
        with self._lock:
            self._jobs.pop(job_id, None)


def _done(work: Callable[[], Any]) -> Future[Any]:
    future: Future[Any] = Future()
    try:
        future.set_result(work())
    except BaseException as error:  # the progress page re-raises it in its own request
        future.set_exception(error)
    return future
