"""What most commands start from: settings from the environment and a bootstrapped container."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from adapters.persistence.live_keyring import LiveKeyring
from adapters.persistence.single_process import hold_single_process_lock
from app.bootstrap import Container, bootstrap
from app.logs import configure_logging
from app.memory import MemoryTrimmer, limit_arenas
from app.runtime_files import make_private
from app.settings import Settings


@contextmanager
def container(*, create_dev_keys: bool = False, migrate: bool = False) -> Iterator[Container]:
    settings = Settings.from_env()
    make_private(settings)
    built = bootstrap(settings, create_dev_keys=create_dev_keys, migrate=migrate)
    try:
        yield built
    finally:
        built.close()


@contextmanager
def service_process(command: str) -> Iterator[tuple[Settings, Container, threading.Event]]:
    """What `serve` and `worker` share: glibc's arenas capped and trimmed (app/memory.py),
    JSON logs (in demo mode to var/log/, the console keeping warnings only), SIGINT/SIGTERM
    setting the returned event, SIGHUP re-reading the keyring file, the single-process lock
    on SQLite, and a container closed on the way out."""
    limit_arenas()  # before the threads that would each take an arena of their own
    settings = Settings.from_env()
    make_private(settings)
    log_file = settings.var_dir / "log" / f"ledger-connect-{command}.log" if settings.demo else None
    configure_logging(settings.log_level, log_file)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    with hold_single_process_lock(settings.database_url):
        built = bootstrap(settings, create_dev_keys=settings.demo, migrate=settings.is_sqlite)
        if built.keyring is not None:
            signal.signal(signal.SIGHUP, lambda *_: _reread_soon(built.keyring))
        trimmer = MemoryTrimmer().start()
        try:
            yield settings, built, stopping
        finally:
            trimmer.stop()
            built.close()


def _reread_soon(keyring: LiveKeyring | None) -> None:
    """Off the signal handler: re-reading checks the database, which may take a moment."""
    if keyring is not None:
        threading.Thread(target=keyring.reload, name="keyring-reread", daemon=True).start()
