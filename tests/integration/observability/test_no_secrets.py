"""At DEBUG, the whole life of two bindings through the real HTTP app, gRPC, the sweeps and the
Xero adapter against the emulator leaves no secret in our logs: no access or refresh token, no
authorization code, PKCE verifier or state, no connector secret or pairing code, no client
secret, token key, session key, session cookie or gRPC caller token.

Binding A (Avery, UK) is connected in the dashboard, kept alive, fails and recovers, serves a
gRPC token, refreshes its settings, and is disconnected (grant revoked at Xero). Binding B (Sam,
NZ) is removed from Xero and found by the connection check.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client, TestResponse

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from app.commands.serve import wsgi_app
from app.settings import Settings
from domain.usecases.sweeps import Sweeps
from domain.values import BindingStatus
from tests.integration.observability.conftest import captured_logs
from tests.integration.sweeps.stack import (
    CLIENT_SECRET,
    PASSWORD,
    SESSION_SECRET,
    Stack,
    grpc_channel,
)
from xero_emulator.seed import AVERY, NZ, SAM, UK

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAIRING_CODE = re.compile(r'id="pairing-code">([^<]+)<')
CALLER = "no-secrets-caller-token-" + "7" * 24
S = BindingStatus
PROGRESS_WAIT_S = 30.0


class Journey:
    """A merchant's browser plus what a test sees of Xero; collects every secret met."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = Client(wsgi_app(Settings.from_env(stack.env), stack.built))
        self.secrets: set[str] = {CLIENT_SECRET, SESSION_SECRET, CALLER, PASSWORD}
        keys = stack.env["LEDGER_TOKEN_KEYS"]
        self.secrets |= {keys, keys.split(":", 1)[1]}

    def page(self, path: str) -> TestResponse:
        response = self.client.get(path)
        self._cookies()
        return response

    def post(
        self, path: str, form: dict[str, str] | None = None, page: str = "/dashboard"
    ) -> TestResponse:
        token = CSRF.search(self.page(page).get_data(as_text=True))
        assert token, page
        response = self.client.post(path, data={**(form or {}), "csrf_token": token.group(1)})
        self._cookies()
        self.remember()
        return response

    def login(self) -> None:
        form = {"email": self.stack.email, "password": PASSWORD}
        assert self.post("/login", form, page="/login").status_code == 303

    def pair(self, shop: str) -> str:
        created = self.post("/dashboard/bindings")
        assert created.status_code == 303, created.status_code
        found = PAIRING_CODE.search(self.page(created.location).get_data(as_text=True))
        assert found
        code = found.group(1)
        answer = self.client.post("/api/v1/pairings", json=_profile(code, shop)).get_json()
        self.secrets |= {code, answer["connector_secret"]}
        binding_id: str = answer["binding_id"]
        return binding_id

    def connect(self, binding_id: str, user_id: str, tenant_id: str) -> None:
        to_xero = self.post("/dashboard/connect-xero", {"binding": binding_id})
        assert to_xero.status_code == 303
        query = parse_qs(urlsplit(to_xero.location).query)
        self.secrets.add(query["state"][0])
        self.remember()
        code = self.stack.consent(to_xero.location, user_id, tenant_id)
        self.secrets.add(code)
        back = self.client.get(
            "/oauth/xero/callback", query_string={"code": code, "state": query["state"][0]}
        )
        assert back.status_code == 303, back.get_data(as_text=True)
        self.follow_progress(back.location)
        self.remember()

    def follow_progress(self, path: str) -> None:
        """Follow the progress page as its meta refresh would, until Xero's part has ended:
        a connect still finishing in the background would otherwise meet the faults and
        the clock that the rest of the journey sets."""
        deadline = time.monotonic() + PROGRESS_WAIT_S
        while f"url={path}" in self.page(path).get_data(as_text=True):
            assert time.monotonic() < deadline, "the connect never finished"
            time.sleep(0.05)

    def remember(self) -> None:
        """Every token and attempt secret stored right now (tokens rotate, so call often)."""
        with self.stack.built.ports.uow() as uow:
            for binding in uow.bindings.for_account(self.stack.account_id):
                grant = uow.grants.get(binding.id)
                if grant is not None:
                    self.secrets |= {grant.access_token, grant.refresh_token}
            for attempt in _attempts(uow):
                self.secrets |= {attempt.state, attempt.code_verifier, attempt.session_id}

    def _cookies(self) -> None:
        for cookie in self.client._cookies.values():
            self.secrets.add(cookie.value)


def _attempts(uow: Any) -> list[Any]:
    from adapters.persistence.tables import connect_attempts

    rows = uow._tx.rows(connect_attempts.select())  # noqa: SLF001 - the test reads every row
    return [uow.attempts.get(row["id"]) for row in rows]


def _profile(code: str, shop: str) -> dict[str, Any]:
    return {
        "code": code,
        "magento_url": shop,
        "websites": [{"code": "base", "name": "Main Website"}],
        "stores": [{"code": "default", "name": "Default", "website_code": "base"}],
        "payment_methods": [{"code": "checkmo", "name": "Check"}],
        "product_types": [{"code": "simple", "name": "Simple"}],
    }


@pytest.fixture
def stub(stack: Stack) -> Iterator[pb_grpc.XeroConnectServiceStub]:
    with grpc_channel(stack, CALLER) as channel:
        yield pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]


def test_no_secret_reaches_the_logs_at_debug(
    stack: Stack, sweeps: Sweeps, stub: pb_grpc.XeroConnectServiceStub
) -> None:
    metadata = (("authorization", f"Bearer {CALLER}"), ("x-request-id", "journey"))
    with captured_logs() as logs:
        journey = Journey(stack)
        journey.login()
        a = journey.pair("https://a.ledger.test")
        journey.connect(a, AVERY.user_id, UK.tenant_id)
        b = journey.pair("https://b.ledger.test")
        journey.connect(b, SAM.user_id, NZ.tenant_id)

        stack.advance(days=7, seconds=1)
        stack.control("faults", {"fail_next_token_calls": 1})
        outcomes: Counter[str] = Counter()
        for _ in range(4):
            outcomes += sweeps.tokens()
            journey.remember()
            stack.advance(seconds=15)
        assert outcomes == {"failed": 1, "refreshed": 2}

        stack.advance(minutes=31)
        stub.GetFreshToken(pb.GetFreshTokenRequest(binding_id=a), metadata=metadata)
        stub.GetRefData(pb.GetRefDataRequest(binding_id=a), metadata=metadata)
        journey.remember()
        journey.login()  # a week later: the dashboard session has long ended
        journey.post(f"/dashboard/bindings/{a}/settings/refresh")

        stack.control("disconnect", {"tenant_id": NZ.tenant_id, "user_id": SAM.user_id})
        sweeps.connections()
        stack.advance(hours=6, seconds=1)
        assert sweeps.connections()["needs_reconnect"] == 1
        journey.remember()
        journey.login()
        journey.page(f"/dashboard/bindings/{b}/activity")
        journey.post(
            f"/dashboard/bindings/{a}/disconnect", page=f"/dashboard/bindings/{a}/disconnect"
        )
        stack.advance(minutes=16)
        sweeps.housekeeping()

    assert stack.binding(a).status is S.DISCONNECTED
    assert stack.binding(b).status is S.NEEDS_RECONNECT
    secrets = {s for s in journey.secrets if s}
    assert len(secrets) > 20
    levels = {r.levelname for r in logs.records}
    assert "DEBUG" in levels and "WARNING" in levels
    text = "\n".join(
        logs.lines + [r.getMessage() for r in logs.records] + [str(r.args) for r in logs.records]
    )
    leaked = sorted(s[:8] + "..." for s in secrets if s in text)
    assert leaked == []
