"""Which API failures are retried, how long we wait, and what is raised in the end."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.errors import AccessTokenRejected, InvalidGrant, ProviderUnavailable, RateLimited
from domain.reference import RefKind
from domain.values import Environment
from tests.unit.xero.conftest import MakeProvider
from tests.unit.xero.support import TENANT, Handler, Recorder, envelope

SANDBOX = Environment.SANDBOX


def accounts_ok() -> httpx.Response:
    return httpx.Response(200, json=envelope("Accounts", []))


def html_500() -> httpx.Response:
    return httpx.Response(500, text="<html><h1>Internal Server Error</h1></html>")


def answers(*responses: httpx.Response | Exception) -> Handler:
    """A handler giving these answers in turn (an exception is raised, as a transport would)."""
    queue: Iterator[httpx.Response | Exception] = iter(responses)

    def handle(request: httpx.Request) -> httpx.Response:
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle


def fetch_accounts(provider_factory: MakeProvider, recorder: Recorder) -> None:
    provider = provider_factory(recorder)
    provider.fetch_reference(SANDBOX, "access", TENANT, [RefKind.ACCOUNTS])


class TestTransientFailuresOfGets:
    def test_a_5xx_is_retried_with_short_backoff(
        self, make_provider: MakeProvider, sleeps: list[float]
    ) -> None:
        recorder = Recorder(answers(httpx.Response(503), html_500(), accounts_ok()))
        fetch_accounts(make_provider, recorder)
        assert (len(recorder.requests), sleeps) == (3, [0.2, 0.5])

    def test_gives_up_after_the_backoff_runs_out(
        self, make_provider: MakeProvider, sleeps: list[float]
    ) -> None:
        recorder = Recorder(answers(html_500(), html_500(), html_500()))
        with pytest.raises(ProviderUnavailable, match="Accounts API answered 500"):
            fetch_accounts(make_provider, recorder)
        assert len(recorder.requests) == 3

    def test_timeouts_and_network_errors_are_retried(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(
            answers(httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), accounts_ok())
        )
        fetch_accounts(make_provider, recorder)
        assert len(recorder.requests) == 3

    def test_a_timeout_every_time_is_unavailable(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(answers(*[httpx.ReadTimeout("slow")] * 3))
        with pytest.raises(ProviderUnavailable, match="timed out"):
            fetch_accounts(make_provider, recorder)

    def test_a_delete_is_retried_too_since_it_is_idempotent(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(answers(httpx.Response(502), httpx.Response(204)))
        make_provider(recorder).delete_connection(SANDBOX, "access", "connection-1")
        assert len(recorder.requests) == 2

    def test_a_client_error_is_not_retried(self, make_provider: MakeProvider) -> None:
        recorder = Recorder(answers(httpx.Response(401, json={"Detail": "TokenExpired"})))
        with pytest.raises(AccessTokenRejected):
            fetch_accounts(make_provider, recorder)
        assert len(recorder.requests) == 1


class TestUnreadableAnswers:
    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(200, text="{not json"),
            httpx.Response(200, text="<html><body>Login</body></html>"),
            httpx.Response(200, json={"Status": "OK"}),
            httpx.Response(200, json={"Accounts": {"not": "a list"}}),
            httpx.Response(200, content=b"\xff\xfe\x00"),
        ],
    )
    def test_a_200_that_is_not_xeros_json_is_unavailable(
        self, make_provider: MakeProvider, answer: httpx.Response
    ) -> None:
        with pytest.raises(ProviderUnavailable, match="unreadable body"):
            fetch_accounts(make_provider, Recorder(answers(answer)))


class TestRateLimitAnswers:
    @staticmethod
    def too_many(seconds: str) -> httpx.Response:
        headers = {"Retry-After": seconds, "X-Rate-Limit-Problem": "minute"}
        return httpx.Response(429, json={"Detail": "Rate limit exceeded"}, headers=headers)

    def test_a_short_retry_after_is_honoured_then_retried(
        self, make_provider: MakeProvider, sleeps: list[float]
    ) -> None:
        recorder = Recorder(answers(self.too_many("2"), accounts_ok()))
        fetch_accounts(make_provider, recorder)
        assert (len(recorder.requests), sleeps) == (2, [2.0])

    def test_at_most_two_retries(self, make_provider: MakeProvider, sleeps: list[float]) -> None:
        recorder = Recorder(answers(*[self.too_many("1")] * 3))
        with pytest.raises(RateLimited) as raised:
            fetch_accounts(make_provider, recorder)
        assert (len(recorder.requests), sleeps, raised.value.retry_after) == (3, [1.0, 1.0], 1.0)

    def test_a_long_wait_is_raised_for_the_caller_to_schedule(
        self, make_provider: MakeProvider, sleeps: list[float]
    ) -> None:
        recorder = Recorder(answers(self.too_many("45")))
        with pytest.raises(RateLimited, match=r"answered 429 \(minute\)") as raised:
            fetch_accounts(make_provider, recorder)
        assert (raised.value.retry_after, sleeps, len(recorder.requests)) == (45.0, [], 1)

    def test_a_429_on_the_token_endpoint_is_not_retried(
        self, make_provider: MakeProvider, sleeps: list[float]
    ) -> None:
        recorder = Recorder(answers(self.too_many("1")))
        with pytest.raises(RateLimited):
            make_provider(recorder).refresh(SANDBOX, "refresh")
        assert (len(recorder.requests), sleeps) == (1, [])


class TestIdentityTimeout:
    def test_token_calls_use_their_own_shorter_timeout(self) -> None:
        seen: list[dict[str, float | None]] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request.extensions["timeout"])
            return httpx.Response(400, json={"error": "invalid_grant"})

        configs = {
            Environment.PRODUCTION: XeroEnvironmentConfig.production("id", "secret", "https://x/cb")
        }
        provider = HttpXeroProvider(
            configs, transport=httpx.MockTransport(handler), timeout_s=10, identity_timeout_s=4
        )
        with pytest.raises(InvalidGrant):
            provider.refresh(Environment.PRODUCTION, "rt")
        assert seen[0]["read"] == 4
