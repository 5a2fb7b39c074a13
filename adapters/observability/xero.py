"""Xero calls made visible: `CountingTransport` under the Xero adapter's httpx client counts
every call by endpoint and HTTP status (and Xero's 429s); `InstrumentedXero` around the
XeroProvider port counts and times token refreshes by outcome and gives every call a span
(the HTTP requests it makes are its children). Neither sees a URL's query, a header or a
body, and span attributes are the environment, tenant and kinds, so neither can leak a token."""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry.trace import NoOpTracer, Tracer

from domain.connect import XeroConnection
from domain.errors import InvalidGrant, ProviderRejected, ProviderUnavailable, RateLimited
from domain.grant import TokenSet
from domain.ports import XeroProvider
from domain.reference import ReferenceBundle, RefKind
from domain.values import Environment

if TYPE_CHECKING:
    from adapters.observability.metrics import Metrics

_API_NAME = re.compile(r"/api\.xro/2\.0/([A-Za-z]{1,40})")


class CountingTransport(httpx.BaseTransport):
    """Counts every request the Xero adapter sends, by endpoint and status (never the URL)."""

    def __init__(self, metrics: Metrics, inner: httpx.BaseTransport | None = None) -> None:
        self._metrics = metrics
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_of(request.url.path)
        try:
            response = self._inner.handle_request(request)
        except httpx.TimeoutException:
            self._metrics.xero_calls.labels(endpoint, "timeout").inc()
            raise
        except httpx.TransportError:
            self._metrics.xero_calls.labels(endpoint, "error").inc()
            raise
        self._metrics.xero_calls.labels(endpoint, str(response.status_code)).inc()
        if response.status_code == 429:
            self._metrics.rate_limited.labels(endpoint).inc()
        return response

    def close(self) -> None:
        self._inner.close()


def endpoint_of(path: str) -> str:
    """A small, fixed set of names: ids in paths (a connection's) never become labels."""
    lowered = path.lower().rstrip("/")
    if lowered.endswith("/connect/token"):
        return "token"
    if lowered.endswith("/connect/revocation"):
        return "revocation"
    if "/connections" in lowered:
        return "connections"
    found = _API_NAME.search(path)
    return found.group(1) if found else "other"


class InstrumentedXero(XeroProvider):
    """The XeroProvider port with token refreshes counted and timed, and a span per call."""

    def __init__(self, inner: XeroProvider, metrics: Metrics, tracer: Tracer | None = None) -> None:
        self._inner = inner
        self._metrics = metrics
        self._tracer = tracer or NoOpTracer()

    def _span(self, call: str, environment: Environment, **more: str) -> Any:
        attributes = {"xero.call": call, "xero.environment": environment.value, **more}
        return self._tracer.start_as_current_span(f"xero.{call}", attributes=attributes)

    def __repr__(self) -> str:
        return f"InstrumentedXero({self._inner!r})"

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        started = time.perf_counter()
        outcome = "error"
        try:
            with self._span("refresh", environment):
                tokens = self._inner.refresh(environment, refresh_token)
            outcome = "ok"
            return tokens
        except InvalidGrant:
            outcome = "invalid_grant"
            raise
        except RateLimited:
            outcome = "rate_limited"
            raise
        except ProviderUnavailable:
            outcome = "unavailable"
            raise
        except ProviderRejected:
            outcome = "rejected"
            raise
        finally:
            self._metrics.refreshes.labels(outcome).inc()
            self._metrics.refresh_seconds.observe(time.perf_counter() - started)

    def is_configured(self, environment: Environment) -> bool:
        return self._inner.is_configured(environment)

    def authorization_url(
        self, environment: Environment, *, state: str, code_challenge: str
    ) -> str:
        return self._inner.authorization_url(
            environment, state=state, code_challenge=code_challenge
        )

    def exchange_code(self, environment: Environment, *, code: str, code_verifier: str) -> TokenSet:
        with self._span("exchange_code", environment):
            return self._inner.exchange_code(environment, code=code, code_verifier=code_verifier)

    def revoke(self, environment: Environment, refresh_token: str) -> None:
        with self._span("revoke", environment):
            self._inner.revoke(environment, refresh_token)

    def list_connections(
        self, environment: Environment, access_token: str, auth_event_id: str | None = None
    ) -> list[XeroConnection]:
        with self._span("list_connections", environment):
            return self._inner.list_connections(environment, access_token, auth_event_id)

    def delete_connection(
        self, environment: Environment, access_token: str, connection_id: str
    ) -> None:
        with self._span("delete_connection", environment):
            self._inner.delete_connection(environment, access_token, connection_id)

    def fetch_reference(
        self,
        environment: Environment,
        access_token: str,
        tenant_id: str,
        kinds: Collection[RefKind],
        since: Mapping[RefKind, datetime] | None = None,
    ) -> ReferenceBundle:
        names = ",".join(sorted(k.value for k in kinds))
        with self._span(
            "fetch_reference", environment, **{"xero.tenant_id": tenant_id, "xero.kinds": names}
        ):
            bundle = self._inner.fetch_reference(environment, access_token, tenant_id, kinds, since)
        for receipt in bundle.receipts:
            self._metrics.received_bytes.labels(
                environment.value, receipt.kind.value, tenant_id
            ).inc(receipt.received_bytes)
        return bundle

    def api_base_url(self, environment: Environment) -> str:
        return self._inner.api_base_url(environment)
