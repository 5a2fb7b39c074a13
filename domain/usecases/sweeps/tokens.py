"""Token retries and keep-alives.

Grants due for a retry (the 30 s .. 5 min backoff of `OAuthGrant.record_failure`, so well
inside Xero's 30-minute grace, and every 5 minutes for ever once flagged exhausted) or unused
for `keepalive_after` are claimed with `FOR UPDATE SKIP LOCKED`, then refreshed one by one
through `TokenService.refresh`, which re-reads the grant under its row lock and skips it
unless it is still due: two sweepers that claimed one grant in turn refresh it once.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from datetime import datetime

from domain.errors import DomainError, LockTimeout, StorageUnavailable
from domain.grant import OAuthGrant
from domain.usecases.sweeps.common import SweepContext
from domain.usecases.tokens import Refresh, Rotation, TokenService

log = logging.getLogger(__name__)


class TokenSweep:
    def __init__(self, context: SweepContext, tokens: TokenService) -> None:
        self._s = context
        self._tokens = tokens

    def __call__(self) -> Counter[str]:
        now = self._s.now()
        stale_before = now - self._s.tunables.keepalive_after
        with self._s.uow() as uow:
            backlog = uow.grants.backlog(now, stale_before)
            take = self._s.quota(backlog, now, self._s.schedule.token_spread)
            due = uow.grants.claim_due(now, stale_before, take) if take else []
            claimed = [(grant.binding_id, grant.version) for grant in due]
        # The claim ends here, before the refreshes: a sweeper that claimed an overlapping
        # batch meanwhile then mostly works on other grants and skips the ones done.
        random.shuffle(claimed)
        return Counter(self._refresh(*item) for item in self._s.until_halted(claimed))

    def due(self, grant: OAuthGrant, now: datetime) -> bool:
        """As `claim_due` decides: a scheduled retry at its time, else a keep-alive."""
        if grant.next_retry_at is not None:
            return grant.next_retry_at <= now
        return grant.refresh_issued_at <= now - self._s.tunables.keepalive_after

    def _refresh(self, binding_id: str, version: int) -> str:
        def still_due(grant: OAuthGrant, now: datetime) -> bool:
            return grant.version == version and self.due(grant, now)

        try:
            refresh = self._tokens.refresh(binding_id, still_due)
        except LockTimeout:
            return "busy"
        except StorageUnavailable:
            raise
        except DomainError:
            return "skipped"
        if refresh.rotation is Rotation.FAILED:
            _log_failure(binding_id, refresh)
        return OUTCOMES[refresh.rotation]


OUTCOMES = {
    Rotation.ROTATED: "refreshed",
    Rotation.NOT_DUE: "skipped",
    Rotation.REFUSED: "needs_reconnect",
    Rotation.FAILED: "failed",
}


def _log_failure(binding_id: str, refresh: Refresh) -> None:
    log.warning(
        "binding %s: token refresh failed%s: %s; next retry %s",
        binding_id,
        " (refresh exhausted)" if refresh.exhausted else "",
        refresh.error,
        refresh.retry_at.isoformat() if refresh.retry_at else "not scheduled",
    )
