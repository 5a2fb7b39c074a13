"""Tracing end to end: a sync service's `traceparent` over gRPC becomes the parent of a refresh's
spans (server call, lock wait, Xero refresh, the HTTP request to the token endpoint), the
trace goes on to Xero in the request's `traceparent`, and no span carries a secret. OTLP export
is checked against a real OTLP/gRPC receiver on port 0."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.http import HttpConfig, create_app
from adapters.observability.tracing import Tracing
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import tracing_from, xero_configs
from app.settings import Settings
from tests.fakes.world import World
from tests.integration.sweeps.stack import Stack, grpc_channel, ledger_env, running_stack
from xero_emulator import RunningEmulator

CALLER = "tracing-tests-caller-" + "5" * 24
TRACE_ID = secrets.token_hex(16)
CALLER_SPAN = secrets.token_hex(8)
METHOD = "/ledger.xero.v1.XeroConnectService/GetFreshToken"


class Recorder(httpx.BaseTransport):
    """What the Xero adapter put on the wire: each request's path and `traceparent`."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[tuple[str, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.url.path, request.headers.get("traceparent")))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def wire() -> Recorder:
    return Recorder()


@pytest.fixture
def traced(
    emulator: RunningEmulator, tmp_path: Path, exporter: InMemorySpanExporter, wire: Recorder
) -> Iterator[Stack]:
    """The service with tracing on, sampling only what callers ask to be sampled."""
    tracing = Tracing.recording(SimpleSpanProcessor(exporter), ratio=0.0)
    url = f"sqlite:///{tmp_path / 'var' / 'ledger.db'}"
    env = ledger_env(url, emulator.base_url, "", tmp_path / "var")
    xero = HttpXeroProvider(
        xero_configs(Settings.from_env(env)), transport=tracing.http_transport(wire)
    )
    try:
        with running_stack(emulator, url, tmp_path / "var", tracing=tracing, xero=xero) as stack:
            yield stack
    finally:
        xero.close()


def get_token(channel: grpc.Channel, binding_id: str, *extra: tuple[str, str]) -> Any:
    stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
    metadata = (("authorization", f"Bearer {CALLER}"), *extra)
    return stub.GetFreshToken(pb.GetFreshTokenRequest(binding_id=binding_id), metadata=metadata)


def by_name(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


class TestRefreshSpanTree:
    def test_a_callers_trace_runs_through_the_refresh_into_xero(
        self, traced: Stack, exporter: InMemorySpanExporter, wire: Recorder
    ) -> None:
        binding_id = traced.connect()
        traced.advance(minutes=31)
        exporter.clear()
        wire.sent.clear()
        traceparent = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
        with grpc_channel(traced, CALLER) as channel:
            answer = get_token(channel, binding_id, ("traceparent", traceparent))
        spans = exporter.get_finished_spans()

        server = by_name(spans, METHOD)
        lock = by_name(spans, "ledger.grant.lock_wait")
        refresh = by_name(spans, "xero.refresh")
        under_refresh = [s for s in spans if parent_of(s) == refresh.context.span_id]

        assert {s.context.trace_id for s in spans} == {int(TRACE_ID, 16)}
        assert server.kind is SpanKind.SERVER and parent_of(server) == int(CALLER_SPAN, 16)
        assert parent_of(lock) == server.context.span_id
        assert parent_of(refresh) == server.context.span_id
        assert lock.end_time is not None and refresh.start_time is not None
        assert lock.end_time <= refresh.start_time  # the lock is held before Xero is asked
        assert lock.attributes is not None and lock.attributes["ledger.binding_id"] == binding_id
        assert [s.kind for s in under_refresh] == [SpanKind.CLIENT]
        post = under_refresh[0]
        assert post.attributes is not None and post.attributes["http.method"] == "POST"

        token_calls = [header for path, header in wire.sent if path.endswith("/connect/token")]
        assert len(token_calls) == 1 and token_calls[0] is not None
        assert token_calls[0].split("-")[1] == TRACE_ID
        assert token_calls[0].split("-")[2] == format(post.context.span_id, "016x")

        grant = traced.grant(binding_id)
        secrets_met = {answer.access_token, grant.refresh_token, CALLER}
        for span in spans:
            for value in (span.attributes or {}).values():
                assert not any(s in str(value) for s in secrets_met), (span.name, value)
            for event in span.events:
                for value in (event.attributes or {}).values():
                    assert not any(s in str(value) for s in secrets_met), (span.name, value)

    def test_a_caller_that_did_not_sample_leaves_no_spans(
        self, traced: Stack, exporter: InMemorySpanExporter
    ) -> None:
        binding_id = traced.connect()
        exporter.clear()
        with grpc_channel(traced, CALLER) as channel:
            get_token(channel, binding_id, ("traceparent", f"00-{TRACE_ID}-{CALLER_SPAN}-00"))
            get_token(channel, binding_id)
        assert exporter.get_finished_spans() == ()


class Receiver(otlp_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.arrived = threading.Event()

    def Export(self, request: otlp.ExportTraceServiceRequest, context: Any) -> Any:
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                self.names += [span.name for span in scope.spans]
        self.arrived.set()
        return otlp.ExportTraceServiceResponse()


class TestOtlpExport:
    def test_off_without_an_endpoint(self) -> None:
        tracing = tracing_from(Settings.from_env({}))
        assert tracing.grpc_aio_interceptors() == []

    def test_spans_reach_an_otlp_receiver(self) -> None:
        receiver = Receiver()
        server = grpc.server(ThreadPoolExecutor(2))
        otlp_grpc.add_TraceServiceServicer_to_server(receiver, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            env = {
                "LEDGER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                "LEDGER_TRACE_SAMPLE_RATIO": "1",
            }
            tracing = tracing_from(Settings.from_env(env))
            assert tracing.grpc_aio_interceptors() != []
            with tracing.tracer.start_as_current_span("ledger.test"):
                pass
            tracing.close()
            assert receiver.arrived.wait(10)
            assert receiver.names == ["ledger.test"]
        finally:
            server.stop(0)


def test_dashboard_requests_get_a_server_span(exporter: InMemorySpanExporter) -> None:
    tracing = Tracing.recording(SimpleSpanProcessor(exporter), ratio=1.0)
    config = HttpConfig(secret_key="x" * 48, cookie_secure=False, public_url="http://t")
    app = create_app(World().service, config)
    tracing.instrument_flask(app)
    app.test_client().get("/login", headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"})
    [span] = exporter.get_finished_spans()
    assert span.kind is SpanKind.SERVER and span.context.trace_id == int(TRACE_ID, 16)
