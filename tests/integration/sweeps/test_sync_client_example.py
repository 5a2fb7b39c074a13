"""examples/sync_client.py against a real gRPC server on port 0 and the Xero emulator over
HTTP: a job with a token that outlives it, a 401 reported by hash and survived, a 429 waited
out, and a merchant's queue paused by the watch the moment the binding leaves CONNECTED."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import pytest

from adapters.grpc.callers import parse_callers
from adapters.grpc.server import build_server, stop
from examples.sync_client import (
    BindingFollower,
    MerchantQueues,
    SyncClient,
    XeroRefused,
    main,
)
from tests.integration.sweeps.stack import Stack
from xero_emulator.seed import AVERY, UK

CALLER = "example-sync-caller-token-0123456789"


@pytest.fixture
def target(stack: Stack) -> Iterator[str]:
    server, port = build_server(
        stack.service, callers=parse_callers(f"sync-example={CALLER}:*"), health_check=lambda: True
    )
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop(server, grace=1)


@pytest.fixture
def client(target: str) -> Iterator[SyncClient]:
    with grpc.insecure_channel(target) as channel, httpx.Client(timeout=30) as http:
        yield SyncClient(channel, CALLER, http)


class TestJobs:
    def test_the_example_lists_the_accounts_with_a_token_that_outlives_the_job(
        self, stack: Stack, target: str, client: SyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        binding_id = stack.connect()
        token = client.token(binding_id)
        lives = token.expires_at.ToDatetime(tzinfo=UTC) - datetime.now(UTC)
        assert lives >= timedelta(minutes=9)

        assert main([binding_id, "--target", target, "--caller-token", CALLER]) == 0

        out = capsys.readouterr().out
        assert out.split()[1] == "accounts;" and int(out.split()[0]) > 0
        assert token.access_token not in out

    def test_a_401_is_reported_by_hash_and_the_call_succeeds_with_the_new_token(
        self, stack: Stack, client: SyncClient
    ) -> None:
        binding_id = stack.connect()
        token = client.token(binding_id)
        fingerprint = hashlib.sha256(token.access_token.encode()).hexdigest()
        stack.control("reject_access_token", {"access_token_sha256": fingerprint})

        response = client.xero(binding_id, "GET", "Accounts", token=token)

        assert response.status_code == 200
        assert stack.refreshes() == {"success": 1}
        assert client.token(binding_id).access_token != token.access_token

    def test_a_429_is_waited_out_for_its_retry_after(
        self, stack: Stack, client: SyncClient
    ) -> None:
        binding_id = stack.connect()
        stack.control("limits", {"per_org_minute": 1})
        stack.advance(minutes=1)  # a new minute window: one call left in it
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            stack.advance(seconds=seconds)

        first = client.xero(binding_id, "GET", "Accounts", sleep=sleep)
        second = client.xero(binding_id, "GET", "Accounts", sleep=sleep)

        assert (first.status_code, second.status_code) == (200, 200)
        assert len(waits) == 1 and 0 < waits[0] <= 60


class TestWatch:
    def test_the_queue_pauses_the_moment_the_binding_leaves_connected(
        self, stack: Stack, client: SyncClient
    ) -> None:
        binding_id = stack.connect()
        queues = MerchantQueues()
        follower = BindingFollower(client, queues)
        thread = threading.Thread(target=follower.run, daemon=True)
        thread.start()
        try:
            assert follower.listed.wait(timeout=30)
            assert not queues.paused(binding_id)

            stack.control("disconnect", {"tenant_id": UK.tenant_id, "user_id": AVERY.user_id})
            with pytest.raises(XeroRefused):
                client.xero(binding_id, "GET", "Accounts")

            with queues.changed:
                assert queues.changed.wait_for(lambda: queues.paused(binding_id), timeout=30)
        finally:
            follower.stop()
            thread.join(timeout=10)
        assert not thread.is_alive()
