"""Request ids: `X-Request-ID` in and out of the HTTP app, `x-request-id` per gRPC call, one id
per sweep tick, each on the log lines made while it lasts."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import grpc
import pytest
from flask import Flask

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.http import HttpConfig, create_app
from app.sweeper import Sweeper, build_sweeps
from tests.fakes.world import World
from tests.integration.observability.conftest import captured_logs
from tests.integration.sweeps.stack import Stack, grpc_channel

CALLER = "request-id-tests-caller-0123456789"
log = logging.getLogger("tests.request_ids")


@pytest.fixture
def app() -> Flask:
    config = HttpConfig(secret_key="x" * 48, cookie_secure=False, public_url="http://t")
    app = create_app(World().service, config)
    app.add_url_rule("/_log", "log", lambda: log.warning("inside the request") or "ok")
    return app


class TestHttp:
    def test_a_presented_id_is_kept_answered_and_logged(self, app: Flask) -> None:
        with captured_logs() as logs:
            response = app.test_client().get("/_log", headers={"X-Request-ID": "edge-42.a"})
        assert response.headers["X-Request-ID"] == "edge-42.a"
        assert [json.loads(line)["request_id"] for line in logs.lines] == ["edge-42.a"]

    def test_no_id_or_an_unsafe_one_gets_a_new_one(self, app: Flask) -> None:
        client = app.test_client()
        plain = client.get("/login").headers["X-Request-ID"]
        unsafe = '"}{"level": "error", "msg": "forged'
        answered = client.get("/login", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]
        assert len(plain) == len(answered) == 32 and answered != plain

    def test_outside_a_request_there_is_none(self, app: Flask) -> None:
        app.test_client().get("/_log", headers={"X-Request-ID": "gone-after"})
        with captured_logs() as logs:
            log.warning("later")
        assert "request_id" not in json.loads(logs.lines[0])


@pytest.fixture
def channel(stack: Stack) -> Iterator[grpc.Channel]:
    with grpc_channel(stack, CALLER, "GetBinding") as opened:
        yield opened


class TestGrpc:
    def call(
        self, channel: grpc.Channel, method: str, binding_id: str, request_id: str
    ) -> grpc.Call:
        stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        request = {
            "GetBinding": pb.GetBindingRequest(binding_id=binding_id),
            "GetFreshToken": pb.GetFreshTokenRequest(binding_id=binding_id),
        }[method]
        metadata = (("authorization", f"Bearer {CALLER}"), ("x-request-id", request_id))
        _, call = getattr(stub, method).with_call(request, metadata=metadata)
        return call

    def test_each_call_has_its_id_in_its_logs_and_its_answer(
        self, stack: Stack, channel: grpc.Channel
    ) -> None:
        binding_id = stack.connect()
        with captured_logs() as logs:
            call = self.call(channel, "GetBinding", binding_id, "rpc-1")
            with pytest.raises(grpc.RpcError) as refused:
                self.call(channel, "GetFreshToken", binding_id, "rpc-2")
        assert ("x-request-id", "rpc-1") in call.initial_metadata()
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
        refusal = [json.loads(line) for line in logs.lines if "may not call" in line]
        assert [entry["request_id"] for entry in refusal] == ["rpc-2"]

    def test_a_refresh_on_the_token_pool_logs_under_the_calls_id(self, stack: Stack) -> None:
        binding_id = stack.connect()
        stack.advance(minutes=31)
        with captured_logs() as logs, grpc_channel(stack, CALLER) as chan:
            self.call(chan, "GetFreshToken", binding_id, "rpc-refresh")
        token_lines = [json.loads(line) for line in logs.lines if "token endpoint answered" in line]
        assert token_lines and {e.get("request_id") for e in token_lines} == {"rpc-refresh"}


def test_each_sweep_tick_logs_under_its_own_id(stack: Stack) -> None:
    stack.connect()
    stack.advance(days=7, seconds=1)
    sweeper = Sweeper(build_sweeps(stack.built), stack.built)
    with captured_logs() as logs:
        sweeper.start()
        deadline = time.monotonic() + 20
        while not any("sweep tick" in line for line in logs.lines):
            assert time.monotonic() < deadline, logs.lines
            time.sleep(0.05)
        sweeper.stop()
    ticks = [json.loads(line) for line in logs.lines if "sweep tick" in line]
    assert ticks[0]["request_id"].startswith("sweep-")
    assert "refreshed" in ticks[0]["msg"]


def test_a_caller_without_an_id_is_not_sent_one(stack: Stack) -> None:
    binding_id = stack.connect()
    with grpc_channel(stack, CALLER) as channel:
        stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
        _, call = stub.GetBinding.with_call(
            pb.GetBindingRequest(binding_id=binding_id),
            metadata=(("authorization", f"Bearer {CALLER}"),),
        )
    assert all(key != "x-request-id" for key, _ in call.initial_metadata())
