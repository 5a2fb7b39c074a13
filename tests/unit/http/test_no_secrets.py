"""No page, URL, header or log line of a whole merchant journey carries a secret.

Tokens FakeXero issued, authorization codes, PKCE verifiers, states, the browser session id,
the connector secret and the pairing code are collected while the journey runs; each may appear
only where it must (the pairing code on its one page, the connector secret in the one API
answer, the state in the redirect to Xero).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser

CODE = re.compile(r'id="pairing-code">([^<]+)<')


class Journey:
    def __init__(self, browser: Browser, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.browser, self.world = browser, world
        self.codes: list[str] = []
        self.tokens: list[str] = []
        for name in ("consent", "exchange_code", "refresh"):
            monkeypatch.setattr(world.xero, name, self._recording(getattr(world.xero, name)))

    def _recording(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def record(*args: Any, **kwargs: Any) -> Any:
            answer = method(*args, **kwargs)
            if isinstance(answer, str):
                self.codes.append(answer)
            else:
                self.tokens += [answer.access_token, answer.refresh_token]
            return answer

        return record

    def run(self) -> tuple[str, dict[str, str]]:
        b = self.browser
        created = b.get(b.post("/dashboard/bindings").location)
        pairing_code = CODE.search(created.text).group(1)
        answer = b.client.post("/api/v1/pairings", json=_profile(pairing_code)).get_json()
        first = answer["binding_id"]
        for path in ("/dashboard", "/dashboard/bindings", f"/dashboard/bindings/{first}"):
            b.get(path)
        b.get(f"/dashboard/connect-xero?binding={first}")
        b.get(b.connect(first, "user-avery", ["tenant-uk"]).location)
        second = self.world.paired(self.world.uow().accounts.all()[0], "https://two.example.com")
        b.get(b.connect(second, "user-avery", ["tenant-nz", "tenant-au"]).location)
        attempt = next(a.id for a in self.world.uow().attempts.all() if a.pending)
        form = {"attempt": attempt, "tenant": "tenant-au"}
        picked = b.post("/dashboard/connect-xero/organisation", form)
        b.get(picked.location)
        self.world.clock.advance(minutes=20)
        b.get("/dashboard")  # within the idle timeout, past the access token's expiry
        self.world.clock.advance(minutes=20)
        b.get(b.post(f"/dashboard/bindings/{first}/settings/refresh").location)
        b.get(f"/dashboard/bindings/{first}/activity")
        b.get(f"/dashboard/bindings/{first}/disconnect")
        b.get(b.post(f"/dashboard/bindings/{first}/disconnect").location)
        state = b.start_connect(second)
        b.callback(error="access_denied", state=state)
        b.client.delete(
            "/api/v1/pairings/self",
            headers={"Authorization": f"Bearer {answer['connector_secret']}"},
        )
        return pairing_code, answer

    def secrets(self) -> set[str]:
        found = set(self.tokens) | set(self.codes)
        for attempt in self.world.uow().attempts.all():
            found |= {attempt.code_verifier, attempt.state, attempt.session_id}
        return found


def test_no_secret_leaves_where_it_must_not(
    browser: Browser,
    world: World,
    account: Account,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    journey = Journey(browser, world, monkeypatch)
    pairing_code, answer = journey.run()
    secrets = journey.secrets()
    assert len(journey.tokens) == 6 and len(journey.codes) == 2
    for response in browser.seen:
        body = response.get_data(as_text=True)
        location = response.headers.get("Location", "")
        to_xero = location.startswith("https://xero.test/")
        for secret in secrets:
            assert not re.search(rf"\b{re.escape(secret)}\b", body), secret
            assert to_xero or secret not in location
        if to_xero:
            assert set(parse_qs(urlsplit(location).query)) == {"state"}
        assert answer["connector_secret"] not in body
        if 'id="pairing-code"' not in body:
            assert pairing_code not in body
    for record in caplog.records:
        line = record.getMessage()
        for secret in secrets | {answer["connector_secret"], pairing_code}:
            assert secret not in line


def _profile(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "magento_url": "https://one.example.com",
        "websites": [{"code": "base", "name": "Main Website"}],
        "stores": [{"code": "default", "name": "Default", "website_code": "base"}],
        "payment_methods": [{"code": "checkmo", "name": "Check"}],
        "product_types": [{"code": "simple", "name": "Simple"}],
    }
