"""The one translation table from Xero's answers to the domain's ProviderError family."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.xero.errors import api_error, identity_error, retry_after, transport_error
from domain.errors import (
    AccessTokenRejected,
    InvalidGrant,
    OrganisationDisconnected,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

HTML = "<html><body><h1>Bad Gateway</h1></body></html>"


def response(status: int, body: Any = None, **headers: str) -> httpx.Response:
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    return httpx.Response(status, json=body, headers=headers)


class TestIdentityErrors:
    @pytest.mark.parametrize(
        ("status", "body", "expected"),
        [
            (400, {"error": "invalid_grant"}, InvalidGrant),
            (400, {"error": "invalid_client"}, ProviderRejected),
            (401, {"error": "invalid_client"}, ProviderRejected),
            (400, {"error": "unauthorized_client"}, ProviderRejected),
            (400, {"error": "invalid_scope"}, ProviderRejected),
            (400, {"error": "unsupported_grant_type"}, ProviderRejected),
            (400, {"error": "something_new"}, ProviderRejected),
            (400, HTML, ProviderRejected),
            (429, {"error": "slow_down"}, RateLimited),
            (500, {"error": "server_error"}, ProviderUnavailable),
            (502, HTML, ProviderUnavailable),
            (503, "", ProviderUnavailable),
        ],
    )
    def test_maps_status_and_oauth_error(
        self, status: int, body: Any, expected: type[ProviderError]
    ) -> None:
        error = identity_error(response(status, body), "token endpoint")
        assert type(error) is expected
        assert str(error).startswith(f"Xero token endpoint answered {status}")

    def test_names_the_oauth_error_code(self) -> None:
        error = identity_error(response(400, {"error": "invalid_grant"}), "token endpoint")
        assert str(error) == "Xero token endpoint answered 400 (invalid_grant)"

    def test_an_error_code_that_does_not_look_like_one_is_left_out(self) -> None:
        body = {"error": "Token abc123 is not valid", "error_description": "details"}
        error = identity_error(response(400, body), "token endpoint")
        assert str(error) == "Xero token endpoint answered 400"


class TestApiErrors:
    @pytest.mark.parametrize(
        ("status", "body", "expected"),
        [
            (401, {"Detail": "TokenExpired: token expired at 01/01/2026"}, AccessTokenRejected),
            (401, HTML, AccessTokenRejected),
            (
                403,
                {"Title": "Forbidden", "Detail": "AuthenticationUnsuccessful"},
                OrganisationDisconnected,
            ),
            (403, {"Detail": "Something else"}, ProviderRejected),
            (404, {"Detail": "not found"}, ProviderRejected),
            (400, {"Message": "bad where"}, ProviderRejected),
            (429, {"Detail": "Rate limit exceeded"}, RateLimited),
            (500, HTML, ProviderUnavailable),
            (503, {"Detail": "Injected fault"}, ProviderUnavailable),
        ],
    )
    def test_maps_status_and_detail(
        self, status: int, body: Any, expected: type[ProviderError]
    ) -> None:
        assert type(api_error(response(status, body), "Accounts API")) is expected

    def test_names_the_first_word_of_the_detail_only(self) -> None:
        body = {"Detail": "TokenExpired: token expired at 01/01/2026 10:00:00"}
        error = api_error(response(401, body), "Accounts API")
        assert str(error) == "Xero Accounts API answered 401 (TokenExpired)"

    def test_a_429_carries_retry_after_and_the_limit_hit(self) -> None:
        raw = response(429, {}, **{"Retry-After": "7", "X-Rate-Limit-Problem": "minute"})
        error = api_error(raw, "Accounts API")
        assert isinstance(error, RateLimited) and error.retry_after == 7.0
        assert str(error) == "Xero Accounts API answered 429 (minute)"

    def test_a_503_may_carry_retry_after(self) -> None:
        error = api_error(response(503, "", **{"Retry-After": "3"}), "Items API")
        assert isinstance(error, ProviderUnavailable) and error.retry_after == 3.0


class TestTransportErrors:
    @pytest.mark.parametrize(
        "raised", [httpx.ConnectTimeout("x"), httpx.ReadTimeout("x"), httpx.PoolTimeout("x")]
    )
    def test_timeouts_are_unavailable(self, raised: httpx.TransportError) -> None:
        error = transport_error(raised, "token endpoint")
        assert type(error) is ProviderUnavailable
        assert str(error) == "Xero token endpoint timed out"

    def test_network_errors_are_unavailable(self) -> None:
        error = transport_error(httpx.ConnectError("refused"), "connections API")
        assert str(error) == "Xero connections API unreachable (ConnectError)"


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "expected"), [("5", 5.0), ("0.5", 0.5), ("-3", 0.0), ("soon", None), ("", None)]
    )
    def test_reads_seconds(self, value: str, expected: float | None) -> None:
        assert retry_after(response(429, {}, **{"Retry-After": value})) == expected

    def test_reads_an_http_date(self) -> None:
        value = retry_after(response(429, {}, **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
        assert value == 0.0
