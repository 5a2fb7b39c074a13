"""Sends requests to Xero: a timeout on each, the limiter around API calls, and retries.

Only idempotent API calls (GET, DELETE) are retried after a 5xx, a timeout or a network
error. Token and revocation POSTs get exactly one attempt: Xero may have rotated the refresh
token before the answer got lost, and the domain recovers through Xero's 30-minute grace
period with the old token rather than by a blind retry here.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from adapters.xero.errors import api_error, identity_error, malformed, transport_error
from adapters.xero.limits import OrgLimiter
from domain.errors import ProviderError, ProviderUnavailable, RateLimited

log = logging.getLogger(__name__)
IDEMPOTENT = frozenset({"GET", "DELETE"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    backoff_s: tuple[float, ...] = (0.2, 0.5)
    rate_limit_retries: int = 2
    max_retry_after_s: float = 5.0


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    url: str
    endpoint: str
    access_token: str
    tenant_id: str | None = None
    params: Mapping[str, str] | None = None
    also_ok: frozenset[int] = frozenset()
    headers: Mapping[str, str] | None = None

    def __repr__(self) -> str:
        return f"ApiCall({self.method} {self.endpoint}, tenant={self.tenant_id})"


class Wire:
    def __init__(
        self,
        client: httpx.Client,
        limiter: OrgLimiter,
        sleep: Callable[[float], None],
        policy: RetryPolicy,
        identity_timeout_s: float | None = None,
    ) -> None:
        self._client, self._limiter, self._sleep, self._policy = client, limiter, sleep, policy
        self._identity_timeout = (
            httpx.Timeout(identity_timeout_s) if identity_timeout_s else httpx.USE_CLIENT_DEFAULT
        )

    def post_form(
        self, url: str, data: Mapping[str, str], auth: httpx.BasicAuth, endpoint: str
    ) -> httpx.Response:
        """One attempt at an identity endpoint; a non-2xx answer raises its ProviderError."""
        started = time.monotonic()
        try:
            response = self._client.post(
                url,
                data=dict(data),
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=self._identity_timeout,
            )
        except httpx.TransportError as error:
            raise transport_error(error, endpoint) from error
        log.debug(
            "Xero %s answered %d in %.0f ms",
            endpoint,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        if not response.is_success:
            raise identity_error(response, endpoint)
        return response

    def api(self, call: ApiCall) -> httpx.Response:
        """Send an API call within the limits, retrying what may be retried."""
        backoff = iter(self._policy.backoff_s if call.method in IDEMPOTENT else ())
        limited = self._policy.rate_limit_retries
        while True:
            outcome = self._attempt(call)
            if isinstance(outcome, httpx.Response):
                return outcome
            if isinstance(outcome, RateLimited):
                wait = outcome.retry_after
                if limited <= 0 or wait is None or wait > self._policy.max_retry_after_s:
                    raise outcome
                limited -= 1
            elif isinstance(outcome, ProviderUnavailable):
                wait = next(backoff, None)
                if wait is None:
                    raise outcome
            else:
                raise outcome
            log.info("retrying Xero %s in %.1f s after: %s", call.endpoint, wait, outcome)
            self._sleep(wait)

    def _attempt(self, call: ApiCall) -> httpx.Response | ProviderError:
        headers = {"Authorization": f"Bearer {call.access_token}", "Accept": "application/json"}
        if call.tenant_id is not None:
            headers["xero-tenant-id"] = call.tenant_id
        headers.update(call.headers or {})
        with self._limiter.call(call.tenant_id):
            started = time.monotonic()
            try:
                response = self._client.request(
                    call.method, call.url, headers=headers, params=call.params
                )
            except httpx.TransportError as error:
                translated = transport_error(error, call.endpoint)
                translated.__cause__ = error
                return translated
            self._limiter.observe(call.tenant_id, response.headers)
        log.debug(
            "Xero %s %s answered %d in %.0f ms (tenant %s)",
            call.method,
            call.endpoint,
            response.status_code,
            (time.monotonic() - started) * 1000,
            call.tenant_id,
        )
        if response.is_success or response.status_code in call.also_ok:
            return response
        return api_error(response, call.endpoint)


def json_body(response: httpx.Response, endpoint: str) -> Any:
    """The parsed JSON body (decimals kept exact); an unreadable body is Xero's fault."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except (ValueError, RecursionError):
        raise malformed(endpoint, response.status_code) from None
