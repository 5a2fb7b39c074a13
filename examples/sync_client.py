"""A sync service's side of ledger-connect in one file: the call pattern of docs/sync-services.md.

    python examples/sync_client.py --target 127.0.0.1:50051 BINDING_ID

takes a token for one job (`min_valid_for`), lists the organisation's accounts at Xero with
it, and prints how many there are (never the token). The caller token is --caller-token,
else $LEDGER_GRPC_TOKEN, else var/grpc-demo-token (what `make run` writes in demo mode).

What to copy into a sync service: `SyncClient.xero` (a 401 is reported with the token's
SHA-256 and the call retried once with the token the service answers; a 429 waits for
Retry-After; a write carries an Idempotency-Key and summarizeErrors=false) and
`BindingFollower` (list, then watch from the list's revision; a merchant's queue pauses the
moment its binding leaves CONNECTED and resumes when it comes back).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc

CONNECTED = pb.BINDING_STATUS_CONNECTED
# Ask for a token that outlives the job (or the page of work), not one per Xero call.
JOB_LENGTH = timedelta(minutes=10)
# Xero's Retry-After is in seconds and may reach the end of a day window: wait at most this
# in-line, and give the job back to the queue beyond it.
MAX_INLINE_WAIT_S = 60.0
WRITES = frozenset({"POST", "PUT"})
REFUSED = frozenset({401, 403})


class XeroRefused(Exception):
    """The binding cannot be used until the merchant acts (reconnect): pause its queue."""


class SyncClient:
    def __init__(self, channel: grpc.Channel, caller_token: str, http: httpx.Client) -> None:
        self.stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        self.auth = (("authorization", f"Bearer {caller_token}"),)
        self._http = http

    def token(
        self, binding_id: str, min_valid_for: timedelta = JOB_LENGTH
    ) -> pb.GetFreshTokenResponse:
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        request.min_valid_for.FromTimedelta(min_valid_for)
        answer: pb.GetFreshTokenResponse = self.stub.GetFreshToken(
            request, metadata=self.auth, timeout=10
        )
        return answer

    def xero(
        self,
        binding_id: str,
        method: str,
        path: str,
        *,
        token: pb.GetFreshTokenResponse | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> httpx.Response:
        """One Xero call, following the rules: at most one retry after a 401 or 403 (with
        the token the service hands out after the report) and waits for 429s."""
        token = token or self.token(binding_id)
        # One key for every attempt of this write: Xero applies it at most once.
        key = idempotency_key or str(uuid.uuid4())
        reported = False
        while True:
            response = self._send(token, method, path, body, key)
            if response.status_code in REFUSED and not reported:
                reported = True
                token = self._after_refusal(binding_id, token, response.status_code)
                continue
            if response.status_code == 429:
                wait = float(response.headers.get("Retry-After", "1"))
                if wait > MAX_INLINE_WAIT_S:
                    return response  # requeue the job for later
                sleep(wait)
                continue
            return response

    def _after_refusal(
        self, binding_id: str, token: pb.GetFreshTokenResponse, http_status: int
    ) -> pb.GetFreshTokenResponse:
        """Report the refused token by its SHA-256 (never the token): every worker that
        reports the same one shares one refresh; then ask for the token again."""
        fingerprint = hashlib.sha256(token.access_token.encode()).hexdigest()
        request = pb.ReportXeroAuthFailureRequest(
            binding_id=binding_id, http_status=http_status, token_sha256=fingerprint
        )
        answer = self.stub.ReportXeroAuthFailure(request, metadata=self.auth, timeout=30)
        if answer.binding_status != CONNECTED:
            raise XeroRefused(pb.BindingStatus.Name(answer.binding_status))
        return self.token(binding_id)

    def _send(
        self,
        token: pb.GetFreshTokenResponse,
        method: str,
        path: str,
        body: Any,
        key: str,
    ) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token.access_token}",
            "xero-tenant-id": token.tenant_id,
            "Accept": "application/json",
        }
        params = {}
        if method in WRITES:
            headers["Idempotency-Key"] = key
            # Otherwise one bad element fails the batch with 400 while the good ones are
            # created without their ids coming back.
            params["summarizeErrors"] = "false"
        url = f"{token.api_base_url}/{path.lstrip('/')}"
        return self._http.request(method, url, headers=headers, params=params, json=body)


class MerchantQueues:
    """Which bindings may run jobs now: a binding whose status is not CONNECTED is paused."""

    def __init__(self) -> None:
        self._paused: set[str] = set()
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)

    def apply(self, binding_id: str, status: int) -> None:
        with self.changed:
            if status == CONNECTED:
                self._paused.discard(binding_id)
            else:
                self._paused.add(binding_id)
            self.changed.notify_all()

    def paused(self, binding_id: str) -> bool:
        with self._lock:
            return binding_id in self._paused


class BindingFollower:
    """List every binding, then watch from the list's revision, on and on: after a dropped
    stream from the last revision seen, after REVISION_COMPACTED from a new list."""

    def __init__(self, client: SyncClient, queues: MerchantQueues) -> None:
        self._client = client
        self._queues = queues
        self._stopping = threading.Event()
        self._call: Any = None
        self.revision = 0
        self.listed = threading.Event()  # every binding's status is known: jobs may start

    def run(self) -> None:
        self.revision = self._list()
        self.listed.set()
        while not self._stopping.is_set():
            try:
                self._watch()
            except grpc.RpcError as error:
                if self._stopping.is_set():
                    return
                if _reason(error) == "REVISION_COMPACTED":
                    self.revision = self._list()
                elif error.code() is grpc.StatusCode.UNAVAILABLE:
                    time.sleep(1.0)  # another replica answers the next call
                else:
                    raise

    def stop(self) -> None:
        self._stopping.set()
        if self._call is not None:
            self._call.cancel()

    def _list(self) -> int:
        revision, page_token = 0, ""
        while True:
            request = pb.ListBindingsRequest(page_size=500, page_token=page_token)
            page = self._client.stub.ListBindings(request, metadata=self._client.auth, timeout=30)
            revision = revision or page.revision  # the first page's revision covers them all
            for binding in page.bindings:
                self._queues.apply(binding.binding_id, binding.status)
            if not page.next_page_token:
                return revision
            page_token = page.next_page_token

    def _watch(self) -> None:
        request = pb.WatchBindingsRequest(after_revision=self.revision)
        self._call = self._client.stub.WatchBindings(request, metadata=self._client.auth)
        if self._stopping.is_set():
            self._call.cancel()
        for item in self._call:
            if item.HasField("event"):
                self._queues.apply(item.event.binding_id, item.event.status)
                self.revision = item.event.revision
            else:
                self.revision = item.bookmark.revision


def _reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return ""


def _caller_token(given: str | None) -> str:
    if given:
        return given
    if os.environ.get("LEDGER_GRPC_TOKEN"):
        return os.environ["LEDGER_GRPC_TOKEN"]
    return Path("var/grpc-demo-token").read_text().strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binding_id")
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--caller-token")
    args = parser.parse_args(argv)
    with grpc.insecure_channel(args.target) as channel, httpx.Client(timeout=30) as http:
        client = SyncClient(channel, _caller_token(args.caller_token), http)
        token = client.token(args.binding_id)
        response = client.xero(args.binding_id, "GET", "Accounts", token=token)
        response.raise_for_status()
        accounts = response.json()["Accounts"]
        print(f"{len(accounts)} accounts; the token lasts until {token.expires_at.ToJsonString()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
