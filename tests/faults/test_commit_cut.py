"""PostgreSQL goes away while a rotated token pair is being committed (DESIGN §5 step 4).

The token use case runs in this process (bootstrap) against a TCP proxy in front of
PostgreSQL, with the real Xero client against the emulator. Right after Xero answered the
refresh (Xero has rotated: the old refresh token now lives only in its 30-minute grace),
the proxy breaks the database connection at one of three points:

- before the write: every connection is cut while the row lock is held;
- the COMMIT is swallowed: the server never sees it, and the connections are cut;
- the COMMIT's answer is lost: the server committed, the client never hears so.

Either way the caller gets StorageUnavailable and nothing is lost: the database holds either
the old refresh token (which Xero accepts again within its grace) or the committed successor,
and the next call on the same process (its pool reconnects) succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from domain.errors import StorageUnavailable
from domain.grant import TokenSet
from domain.ports import XeroProvider
from domain.values import BindingStatus, Environment
from tests.faults.conftest import KEYS
from tests.faults.proxy import TcpProxy
from tests.integration.replicas.cluster import Cluster, via_port

pytestmark = [pytest.mark.faults, pytest.mark.postgres]


class AfterRefresh:
    """The real Xero provider, with `then()` run once right after a refresh succeeded."""

    def __init__(self, inner: XeroProvider, then: Callable[[], object]) -> None:
        self._inner = inner
        self._then: Callable[[], object] | None = then

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        tokens = self._inner.refresh(environment, refresh_token)
        then, self._then = self._then, None
        if then is not None:
            then()
        return tokens

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


CUTS: dict[str, Callable[[TcpProxy], object]] = {
    "before-the-write": lambda proxy: proxy.cut(),
    "commit-swallowed": lambda proxy: proxy.trap_commit("drop"),
    "commit-answer-lost": lambda proxy: proxy.trap_commit("lose_reply"),
}


@pytest.mark.parametrize("cut", list(CUTS))
def test_a_cut_during_the_commit_of_rotated_tokens_loses_nothing(
    cluster: Cluster, cut: str
) -> None:
    binding_id = cluster.connect()
    cluster.expire(binding_id)
    stored = cluster.grant(binding_id)
    refreshes = cluster.emulator.refreshes()
    proxy = TcpProxy()
    built = cluster.build(
        via_port(cluster.database_url, proxy.port),
        KEYS,
        wrap=lambda provider: AfterRefresh(provider, lambda: CUTS[cut](proxy)),
    )
    tokens = built.service.tokens
    try:
        with pytest.raises(StorageUnavailable):
            tokens.fresh_token(binding_id, timeout_s=20)
        assert cluster.emulator.refreshes() - refreshes == {"success": 1}, "Xero rotated"
        assert proxy.cut_total >= 1, "no connection was cut"
        if cut != "before-the-write":
            assert proxy.sprung.is_set(), "the COMMIT trap did not fire"
        after_cut = cluster.grant(binding_id)  # read straight from PostgreSQL
        if cut == "commit-answer-lost":
            assert after_cut.version == stored.version + 1
            assert cluster.emulator.standing(after_cut.refresh_token) == "head"
        else:
            assert after_cut.refresh_token == stored.refresh_token
            assert after_cut.version == stored.version
            assert cluster.emulator.standing(stored.refresh_token) == "grace"

        token = tokens.fresh_token(binding_id, timeout_s=20)

        final = cluster.grant(binding_id)
        assert token.access_token == final.access_token
        assert cluster.emulator.standing(final.refresh_token) == "head"
        assert cluster.emulator.connections(final.access_token).status_code == 200
        expected_refreshes = 1 if cut == "commit-answer-lost" else 2
        assert cluster.emulator.refreshes() - refreshes == {"success": expected_refreshes}
        assert final.version == stored.version + 1
        assert cluster.status(binding_id) is BindingStatus.CONNECTED
    finally:
        built.close()
        proxy.close()
