"""No token, code, verifier or client secret in any error message, repr or log line."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from adapters.xero.wire import ApiCall
from domain.errors import ProviderError
from domain.reference import RefKind
from domain.values import Environment
from tests.unit.xero.support import BASE, TENANT, jwt, token_body

CLIENT_SECRET = "SECRET-client-7f3a"
ACCESS = jwt({"authentication_event_id": "event-1", "xero_userid": "u", "n": "SECRET-jwt"})
REFRESH = "SECRET-refresh-9c1"
CODE = "SECRET-code-41d"
VERIFIER = "SECRET-verifier-0b2"
SECRETS = (CLIENT_SECRET, ACCESS, REFRESH, CODE, VERIFIER, "SECRET-")
CONFIG = XeroEnvironmentConfig.on_one_host(
    "sandbox", BASE, "client-id", CLIENT_SECRET, "https://app.test/cb"
)
SANDBOX = Environment.SANDBOX
Operation = Callable[[HttpXeroProvider], object]
# Revocation and DELETE do not read a 200's body, so a garbage one is no failure there.
SUCCEEDS = {("garbage 200", "revoke"), ("garbage 200", "delete")}


def echo(request: httpx.Request) -> str:
    """The worst server: it repeats everything we sent."""
    return f"{request.url} {dict(request.headers)} {request.content.decode()}"


def raising(kind: type[httpx.TransportError]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        raise kind(echo(request), request=request)

    return handle


ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "invalid_grant": lambda r: httpx.Response(
        400, json={"error": "invalid_grant", "error_description": echo(r)}
    ),
    "odd error": lambda r: httpx.Response(400, json={"error": echo(r)}),
    "401": lambda r: httpx.Response(401, json={"Detail": echo(r)}),
    "403": lambda r: httpx.Response(403, json={"Detail": "AuthenticationUnsuccessful " + echo(r)}),
    "429": lambda r: httpx.Response(
        429, json={"Detail": echo(r)}, headers={"Retry-After": "60", "X-Rate-Limit-Problem": "x"}
    ),
    "html 500": lambda r: httpx.Response(500, text=f"<html>{echo(r)}</html>"),
    "garbage 200": lambda r: httpx.Response(200, text=f"{{{echo(r)}"),
    "timeout": raising(httpx.ReadTimeout),
    "network": raising(httpx.ConnectError),
}
OPERATIONS: dict[str, Operation] = {
    "exchange": lambda p: p.exchange_code(SANDBOX, code=CODE, code_verifier=VERIFIER),
    "refresh": lambda p: p.refresh(SANDBOX, REFRESH),
    "revoke": lambda p: p.revoke(SANDBOX, REFRESH),
    "connections": lambda p: p.list_connections(SANDBOX, ACCESS, "event"),
    "delete": lambda p: p.delete_connection(SANDBOX, ACCESS, "c-1"),
    "reference": lambda p: p.fetch_reference(SANDBOX, ACCESS, TENANT, list(RefKind)),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("answer", ANSWERS)
def test_errors_and_logs_carry_no_secret(
    operation: str, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = httpx.MockTransport(ANSWERS[answer])
    rendered = []
    with HttpXeroProvider({SANDBOX: CONFIG}, transport=transport, sleep=lambda s: None) as p:
        try:
            OPERATIONS[operation](p)
        except ProviderError as error:
            rendered += [str(error), repr(error), error.message, repr(error.args)]
    assert bool(rendered) is ((answer, operation) not in SUCCEEDS)
    rendered.append(caplog.text)
    for secret in SECRETS:
        assert not any(secret in text for text in rendered), (secret, rendered)


def test_success_logs_and_reprs_carry_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport = httpx.MockTransport(
        lambda r: httpx.Response(200, json=token_body(access_token=ACCESS, refresh_token=REFRESH))
    )
    with HttpXeroProvider({SANDBOX: CONFIG}, transport=transport) as provider:
        tokens = provider.exchange_code(SANDBOX, code=CODE, code_verifier=VERIFIER)
        url = provider.authorization_url(SANDBOX, state="SECRET-state", code_challenge="c")
        rendered = [repr(tokens), repr(provider), repr(CONFIG), caplog.text]
    rendered.append(repr(ApiCall("GET", url, "Accounts API", ACCESS, TENANT)))
    for secret in SECRETS:
        assert not any(secret in text for text in rendered), (secret, rendered)
