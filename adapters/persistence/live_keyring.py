"""The keyring in use, re-read from its file on SIGHUP and when a value names a key it lacks.

Rotation across replicas (README, "Rotating the token keys"): the moment one replica seals
with a new key, the others must be able to open it. A replica that meets a key id it does
not know re-reads the keyring file (at most once a second, so a corrupt row cannot make it
read the file per call) and opens the value with the new keyring; `kill -HUP` makes it
re-read at once. A keyring that does not parse, or that lacks a key the database still
uses, is refused with a log line and the one in use is kept: a bad edit never takes a
replica down. A keyring from LEDGER_TOKEN_KEYS has no file and is never re-read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from adapters.persistence.errors import ConfigurationError
from adapters.persistence.keyring import Keyring

log = logging.getLogger(__name__)

Reread = Callable[[], Keyring]


class LiveKeyring:
    def __init__(
        self, keyring: Keyring, reread: Reread | None = None, min_interval_s: float = 1.0
    ) -> None:
        self._current = keyring
        self._reread = reread
        self._min_interval_s = min_interval_s
        self._lock = threading.Lock()
        self._last_read = time.monotonic()

    @property
    def current(self) -> Keyring:
        return self._current

    def reload(self) -> bool:
        """Re-read now; True if the keyring in use changed."""
        with self._lock:
            return self._reload_locked()

    def knowing(self, kid: str) -> Keyring:
        """The keyring, re-read first if it lacks `kid` and was not read within the interval."""
        keyring = self._current
        if kid in keyring or self._reread is None:
            return keyring
        with self._lock:
            due = time.monotonic() - self._last_read >= self._min_interval_s
            if kid not in self._current and due:
                log.warning("a stored value names key id %s; re-reading the keyring", kid)
                self._reload_locked()
            return self._current

    def _reload_locked(self) -> bool:
        if self._reread is None:
            return False
        self._last_read = time.monotonic()
        try:
            fresh = self._reread()
        except (ConfigurationError, ValueError) as error:
            log.error("the keyring was not re-read, the one in use stays: %s", error)
            return False
        changed = fresh.key_ids != self._current.key_ids
        if changed:
            log.warning(
                "keyring re-read: primary %s, key ids %s",
                fresh.primary_id,
                ", ".join(fresh.key_ids),
            )
        self._current = fresh
        return changed
