"""POSTs signed webhook messages with httpx, one attempt each; the domain decides retries.

Redirects are not followed (a 3xx is a failure: the operator should fix the URL, as the
Standard Webhooks spec advises) and the response body is never read, so a receiver cannot
make us buffer megabytes or echo its text into our log. A transport failure comes back as a
result whose error names its class only (no URL, no message text).
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import httpx

from domain.ports import WebhookSender
from domain.webhooks import SendResult, WebhookMessage

USER_AGENT = "ledger-connect-webhooks/1"
# Retry-After beyond this is read as "much later" and capped by the policy anyway.
RETRY_AFTER_MAX_S = 86_400.0


class HttpWebhookSender(WebhookSender):
    def __init__(self, timeout_s: float, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"user-agent": USER_AGENT},
            transport=transport,
        )

    def send(self, message: WebhookMessage) -> SendResult:
        started = time.perf_counter()
        try:
            with self._client.stream(
                "POST", message.url, content=message.body, headers=list(message.headers)
            ) as response:
                status, retry_after = response.status_code, response.headers.get("retry-after")
        except httpx.TimeoutException:
            return SendResult(None, "timed out", seconds=time.perf_counter() - started)
        except httpx.HTTPError as error:
            return SendResult(None, _describe(error), seconds=time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        problem = "" if 200 <= status < 300 else f"HTTP {status}"
        return SendResult(status, problem, _retry_after(retry_after), elapsed)

    def close(self) -> None:
        self._client.close()


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the receiver broke the HTTP exchange"
    return f"transport error ({type(error).__name__})"


def _retry_after(value: str | None) -> float | None:
    """Seconds, or an HTTP date; anything else is ignored."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX_S)
    try:
        at = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    return min(max(0.0, at.timestamp() - time.time()), RETRY_AFTER_MAX_S)
