"""The database becomes unreachable under a running replica, then comes back (DESIGN §9).

The "proxied" replica reaches PostgreSQL only through the test's TCP proxy. The proxy cuts
every connection and refuses new ones: gRPC health turns NOT_SERVING (serve polls its
database every 5 s) and calls fail fast with UNAVAILABLE, reason STORAGE_UNAVAILABLE and a
RetryInfo, naming no URL. The proxy lets connections through again: health is SERVING again
and calls succeed, from the same process (no restart).
"""

from __future__ import annotations

import time

import grpc
import pytest

from tests.faults.conftest import FaultWorld
from tests.integration.replicas.cluster import Answer

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.slow]

# serve's health poll runs every 5 s; a ping that meets a dead pool may need one more round.
HEALTH_WITHIN_S = 20.0
CALL_TIMEOUT_S = 15.0


def test_health_and_calls_follow_the_database_without_a_restart(world: FaultWorld) -> None:
    cluster, replica, proxy = world.cluster, world.proxied, world.proxy
    binding_id = cluster.connect()
    assert replica.binding(binding_id).ok  # (GetFreshToken now would fill the 3 s token cache)
    pid = replica.pid

    proxy.refuse(True)
    proxy.cut()
    down_at = time.monotonic()
    replica.wait_for_health("NOT_SERVING", HEALTH_WITHIN_S)
    print(f"\nNOT_SERVING {time.monotonic() - down_at:.2f} s after the database went away")

    for call in (replica.fresh_token, replica.binding):
        started = time.monotonic()
        answer: Answer = call(binding_id)
        print(answer.describe())
        assert answer.code is grpc.StatusCode.UNAVAILABLE, answer.describe()
        assert answer.reason == "STORAGE_UNAVAILABLE"
        assert answer.retry_delay_s is not None and answer.retry_delay_s > 0
        assert "postgresql" not in answer.message.lower() and str(proxy.port) not in answer.message
        assert time.monotonic() - started < CALL_TIMEOUT_S
    assert world.steady.health() == "SERVING", "a replica with its database is unaffected"

    proxy.refuse(False)
    up_at = time.monotonic()
    replica.wait_for_health("SERVING", HEALTH_WITHIN_S)
    print(f"SERVING {time.monotonic() - up_at:.2f} s after the database came back")
    answer = replica.fresh_token(binding_id)
    assert answer.ok, answer.describe()
    assert answer.response.access_token == cluster.grant(binding_id).access_token
    assert replica.pid == pid and replica.alive, "served again without a restart"
