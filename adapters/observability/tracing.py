"""OpenTelemetry tracing: off unless LEDGER_OTLP_ENDPOINT is set, and then cheap when unsampled.

A sync service's W3C `traceparent` (gRPC metadata) becomes the parent of our server span; the
context rides the call's contextvars through the use case (the token pool copies them) into
the spans of the grant's lock wait, of each Xero call (`InstrumentedXero`) and of each HTTP
request under it (httpx instrumentation, which also sends `traceparent` on to Xero). The
dashboard and Magento API get the Flask instrumentation.

Sampling: a caller's sampled `traceparent` is always followed; calls without one are sampled
at `ratio`, and everything else (sweeps, HTTP requests) starts a trace at the same ratio.
The stock gRPC interceptor costs about 50 us a call even when it records nothing, a sixth of
the cached fast path, so a filter in front of it decides first and lets unsampled calls pass
untouched; the sampler then records what the filter let in.

Nothing here records a header, a body or a URL's query, so no span carries a token.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import grpc
import httpx
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.instrumentation.httpx import SyncOpenTelemetryTransport
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

TRACEPARENT = "traceparent"
SERVICE_NAME = "ledger-connect"
_NO_METERS = NoOpMeterProvider()


class Tracing:
    """One process's tracing: its provider (None when off) and what instruments each port."""

    def __init__(self, provider: TracerProvider | None = None, ratio: float = 1.0) -> None:
        if not 0.0 <= ratio <= 1.0:
            raise ValueError("the trace sample ratio must be between 0 and 1")
        self._provider = provider
        self._ratio = ratio
        source = provider if provider is not None else trace.NoOpTracerProvider()
        self.tracer = source.get_tracer("ledger_connect")

    @classmethod
    def off(cls) -> Tracing:
        return cls()

    @classmethod
    def recording(cls, processor: SpanProcessor, ratio: float = 1.0) -> Tracing:
        """Spans sampled at `ratio` (a caller's sampled traceparent always) go to `processor`."""
        provider = TracerProvider(
            sampler=FilteredRootSampler(ratio),
            resource=Resource.create({"service.name": SERVICE_NAME}),
        )
        provider.add_span_processor(processor)
        return cls(provider, ratio)

    @classmethod
    def to_otlp(cls, endpoint: str, ratio: float) -> Tracing:
        """Batched export over OTLP/gRPC (`http://host:4317` plaintext, `https://` TLS)."""
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        exporter = OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
        return cls.recording(BatchSpanProcessor(exporter), ratio)

    def grpc_aio_interceptors(self) -> list[Any]:
        """For `grpc.aio.server(interceptors=...)`, first in the list; none when off."""
        if self._provider is None:
            return []
        interceptor = aio_server_interceptor(  # type: ignore[no-untyped-call]
            tracer_provider=self._provider, filter_=self._sampled_call
        )
        return [interceptor]

    def http_transport(self, inner: httpx.BaseTransport) -> httpx.BaseTransport:
        """The Xero client's transport, with a client span per request and `traceparent` sent."""
        if self._provider is None:
            return inner
        return SyncOpenTelemetryTransport(
            inner, tracer_provider=self._provider, meter_provider=_NO_METERS
        )

    def instrument_flask(self, app: Any) -> None:
        if self._provider is not None:
            FlaskInstrumentor.instrument_app(  # type: ignore[no-untyped-call]
                app, tracer_provider=self._provider, meter_provider=_NO_METERS
            )

    def close(self) -> None:
        """Export what is still buffered and stop."""
        if self._provider is not None:
            self._provider.shutdown()

    def _sampled_call(self, details: grpc.HandlerCallDetails) -> bool:
        sent = _traceparent(details.invocation_metadata or ())
        if sent is not None:
            return _sampled_flag(sent)
        return random.random() < self._ratio  # noqa: S311 - sampling, not security


class FilteredRootSampler(Sampler):
    """Follows a sampled parent; a gRPC server span without one was already sampled by the
    interceptor's filter, so it is recorded; any other root is sampled at `ratio`."""

    def __init__(self, ratio: float) -> None:
        self._roots = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent.is_valid:
            sampled = parent.trace_flags.sampled
            decision = Decision.RECORD_AND_SAMPLE if sampled else Decision.DROP
            return SamplingResult(decision, attributes, parent.trace_state)
        if kind is SpanKind.SERVER and attributes and attributes.get("rpc.system") == "grpc":
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return self._roots.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"FilteredRootSampler({self._roots.get_description()})"


def _traceparent(metadata: Sequence[tuple[str, str | bytes]]) -> str | None:
    for key, value in metadata:
        if key == TRACEPARENT and isinstance(value, str):
            return value
    return None


def _sampled_flag(traceparent: str) -> bool:
    """The W3C `sampled` bit of `version-traceid-parentid-flags`; False when malformed."""
    flags = traceparent.rpartition("-")[2]
    try:
        return len(flags) == 2 and int(flags, 16) & 1 == 1
    except ValueError:
        return False
