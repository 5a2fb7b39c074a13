"""The one table from Xero's answers to the domain's ProviderError family.

Messages name the endpoint and the status and at most a short, pattern-checked reason code
(`invalid_grant`, `TokenExpired`): never a URL, a body, a token, a code or a secret.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from domain.errors import (
    AccessTokenRejected,
    DayLimitReached,
    InvalidGrant,
    OrganisationDisconnected,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

_OAUTH_ERRORS: dict[str, type[ProviderError]] = {
    "invalid_grant": InvalidGrant,
    "invalid_client": ProviderRejected,
    "unauthorized_client": ProviderRejected,
    "invalid_scope": ProviderRejected,
    "unsupported_grant_type": ProviderRejected,
    "invalid_request": ProviderRejected,
}
_SAFE_OAUTH_CODE = re.compile(r"^[a-z_]{1,40}$")
_SAFE_DETAIL_WORD = re.compile(r"^[A-Za-z]{1,40}")
DISCONNECTED_DETAIL = "AuthenticationUnsuccessful"


def identity_error(response: httpx.Response, endpoint: str) -> ProviderError:
    """What a non-2xx answer of the token or revocation endpoint means."""
    status = response.status_code
    if status == 429 or status >= 500:
        return _transient(response, endpoint)
    code = _oauth_code(response)
    message = _message(endpoint, status, code)
    return _OAUTH_ERRORS.get(code, ProviderRejected)(message)


def api_error(response: httpx.Response, endpoint: str) -> ProviderError:
    """What a non-2xx answer of the connections or Accounting API means."""
    status = response.status_code
    if status == 429 or status >= 500:
        return _transient(response, endpoint)
    reason = _detail_word(response)
    message = _message(endpoint, status, reason)
    if status == 401:
        return AccessTokenRejected(message)
    if status == 403 and reason == DISCONNECTED_DETAIL:
        return OrganisationDisconnected(message)
    return ProviderRejected(message)


def transport_error(error: httpx.TransportError, endpoint: str) -> ProviderUnavailable:
    """A timeout or network failure: transient, named by its kind only."""
    if isinstance(error, httpx.TimeoutException):
        return ProviderUnavailable(f"Xero {endpoint} timed out")
    return ProviderUnavailable(f"Xero {endpoint} unreachable ({type(error).__name__})")


def malformed(endpoint: str, status: int) -> ProviderUnavailable:
    """A success status with a body that is not the JSON Xero sends (an HTML page, garbage)."""
    return ProviderUnavailable(f"Xero {endpoint} answered {status} with an unreadable body")


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP-date), if present and sane."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _transient(response: httpx.Response, endpoint: str) -> ProviderUnavailable:
    message = f"Xero {endpoint} answered {response.status_code}"
    if response.status_code == 429:
        problem = response.headers.get("X-Rate-Limit-Problem", "")
        reason = problem if _SAFE_OAUTH_CODE.match(problem) else ""
        limited = DayLimitReached if problem.lower() == "day" else RateLimited
        return limited(_message(endpoint, 429, reason), retry_after(response))
    return ProviderUnavailable(message, retry_after(response))


def _message(endpoint: str, status: int, reason: str) -> str:
    suffix = f" ({reason})" if reason else ""
    return f"Xero {endpoint} answered {status}{suffix}"


def _oauth_code(response: httpx.Response) -> str:
    error = _json_field(response, "error")
    return error if _SAFE_OAUTH_CODE.match(error) else ""


def _detail_word(response: httpx.Response) -> str:
    match = _SAFE_DETAIL_WORD.match(_json_field(response, "Detail"))
    return match.group(0) if match else ""


def _json_field(response: httpx.Response, name: str) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""
