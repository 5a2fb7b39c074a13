"""Xero's 2026 platform, end to end: the service and the emulator over real HTTP, days passing
on both sides. The connection cap refused on our Connect page before the merchant goes to
Xero; the consent Xero never sends back, recorded on the binding; the daily limit; the daily
refresh with If-Modified-Since; broad-scope grants flagged."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.http import HttpConfig, create_app
from app.cli import main
from app.demo import sample_profile
from app.sweeper import build_sweeps
from domain.magento import MagentoProfile
from domain.tier import NEVER_CAME_BACK
from domain.values import BindingStatus, Environment
from tests.fakes.xero import LEGACY_SYNC_SCOPES
from tests.integration.sweeps.stack import PASSWORD, Stack, grpc_channel, running_stack
from tests.unit.http.browser import CONNECT_FORM, Browser
from xero_emulator import RunningEmulator
from xero_emulator.seed import AU, AVERY, NZ

CALLER = "platform-tests-caller-token-0123456789"
S = BindingStatus


@pytest.fixture
def make_stack(emulator: RunningEmulator, tmp_path: Path) -> Iterator[object]:
    stacks: list[object] = []

    def make(**overrides: str) -> Stack:
        var = tmp_path / f"var{len(stacks)}"
        context = running_stack(
            emulator, f"sqlite:///{var / 'ledger.db'}", var, None, None, **overrides
        )
        stacks.append(context)
        return context.__enter__()

    yield make
    for context in reversed(stacks):
        context.__exit__(None, None, None)  # type: ignore[attr-defined]


def browser(stack: Stack) -> Browser:
    config = HttpConfig(secret_key="platform-" + secrets.token_hex(24), cookie_secure=False)
    app = create_app(stack.service, config)
    app.config.update(TESTING=True)
    b = Browser(app.test_client(), None)  # type: ignore[arg-type]
    assert b.login(stack.email, PASSWORD).status_code == 303
    return b


def paired(stack: Stack) -> str:
    created = stack.service.create_binding(stack.account_id)
    shop = f"https://shop-{secrets.token_hex(3)}.ledger.test"
    stack.service.redeem_pairing(
        created.pairing_code, MagentoProfile.from_dict(sample_profile(shop))
    )
    binding_id: str = created.binding_id
    return binding_id


def allow_on_xeros_page(stack: Stack, authorize_url: str, tenant_id: str) -> httpx.Response:
    """What the merchant's browser does at Xero: open the consent page and press Allow."""
    with httpx.Client(timeout=10) as at_xero:
        page = at_xero.get(authorize_url)
        assert page.status_code == 200, page.text
        form = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            for name in ("pending", "csrf_token")
        }
        form |= {"action": "allow", "xero_user": AVERY.user_id, "tenant_id": tenant_id}
        return at_xero.post(authorize_url.split("?")[0], data=form)


class TestConnectionCap:
    def test_a_new_organisation_is_refused_on_our_page_before_the_merchant_goes_to_xero(
        self, make_stack
    ) -> None:
        stack = make_stack(LEDGER_XERO_SANDBOX_CONNECTION_CAP="1")
        nz = stack.connect(tenant_id=NZ.tenant_id)
        b, new = browser(stack), paired(stack)
        page = b.body(f"/dashboard/connect-xero?binding={new}")
        assert 'data-refusal="connection-cap"' in page
        assert "Xero&#39;s connection limit is reached" in page or "connection limit" in page
        assert CONNECT_FORM not in page
        pressed = b.post("/dashboard/connect-xero", {"binding": new}, page="/dashboard")
        assert pressed.status_code == 409 and "location" not in pressed.headers
        assert "reconnecting an organisation that is already connected still works" in (
            pressed.get_data(as_text=True)
        )
        # The organisation already connected reconnects as before.
        stack.control("disconnect", {"tenant_id": NZ.tenant_id})
        assert stack.service.checker.report_auth_failure(nz, 403) is S.NEEDS_RECONNECT
        again = b.post("/dashboard/connect-xero", {"binding": nz}, page="/dashboard")
        assert again.status_code == 303
        assert again.headers["location"].startswith(stack.emulator.base_url)
        session = secrets.token_urlsafe(8)
        url = stack.service.start_connect(stack.account_id, nz, session)
        state = dict(parse_qsl(urlsplit(url).query))["state"]
        code = stack.consent(url, AVERY.user_id, NZ.tenant_id)
        stack.service.complete_connect(session, state, code)
        assert stack.binding(nz).status is S.CONNECTED

    def test_the_gauge_and_status_count_organisations_against_the_cap(
        self, make_stack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        stack = make_stack(LEDGER_XERO_SANDBOX_TIER="starter")
        stack.connect(tenant_id=NZ.tenant_id)
        stack.connect(tenant_id=NZ.tenant_id)
        stack.connect(tenant_id=AU.tenant_id)
        sweeps = build_sweeps(stack.built)
        assert sweeps.status().connections[Environment.SANDBOX].live == 2
        for key, value in stack.env.items():
            monkeypatch.setenv(key, value)
        assert main(["status", "--json"]) == 0
        sandbox = next(
            e for e in json.loads(capsys.readouterr().out) if e["environment"] == "sandbox"
        )
        assert (sandbox["tier"], sandbox["connected_organisations"]) == ("starter", 2)
        assert sandbox["connection_cap"] == 5 and sandbox["daily_limit_per_organisation"] == 1000
        assert sandbox["received_by_endpoint"]["accounts"] > 0
        assert set(sandbox["received_by_organisation"]) == {NZ.tenant_id, AU.tenant_id}


class TestTheConsentThatNeverComesBack:
    def test_xeros_limit_page_is_recorded_on_the_binding_and_shown_when_the_merchant_returns(
        self, make_stack
    ) -> None:
        stack = make_stack()  # our side thinks there is room; Xero's cap says otherwise
        stack.connect(tenant_id=NZ.tenant_id)
        stack.control("tier", {"connection_cap": 1})
        b, new = browser(stack), paired(stack)
        pressed = b.post("/dashboard/connect-xero", {"binding": new}, page="/dashboard")
        assert pressed.status_code == 303
        at_xero = allow_on_xeros_page(stack, pressed.headers["location"], AU.tenant_id)
        assert at_xero.status_code == 302 and at_xero.headers["location"].startswith(
            "/connectionLimit"
        )
        stack.advance(minutes=9)
        assert build_sweeps(stack.built).housekeeping().get("never_returned", 0) == 0
        stack.advance(minutes=1, seconds=5)
        assert build_sweeps(stack.built).housekeeping()["never_returned"] == 1
        assert stack.binding(new).connect_problem == NEVER_CAME_BACK
        assert stack.binding(new).status is S.PAIRED
        refused = "Xero refused a new connection: the app has reached its connection limit"
        assert refused in b.body(f"/dashboard/bindings/{new}")
        assert refused in b.body("/dashboard/bindings")
        assert refused in b.body(f"/dashboard/connect-xero?binding={new}")


class TestDailyLimit:
    def test_what_xero_says_is_left_postpones_the_refresh_without_a_call(self, make_stack) -> None:
        stack = make_stack(LEDGER_REFERENCE_MAX_AGE_H="6")
        stack.control("limits", {"per_org_day": 10})
        stack.connect(tenant_id=NZ.tenant_id)  # 7 calls: Xero says 3 are left today
        calls = stack.http.get("/_emulator/stats").json()["api_calls"][NZ.tenant_id]
        sweeps = build_sweeps(stack.built)
        stack.advance(hours=6, minutes=1)
        assert sweeps.reference_data() == {"postponed": 1}
        assert stack.http.get("/_emulator/stats").json()["api_calls"][NZ.tenant_id] == calls
        assert stack.http.get("/_emulator/stats").json()["rate_limited"] == 0
        stack.advance(hours=18)  # Xero's day for the organisation has reset
        assert sweeps.reference_data() == {"refreshed": 1}

    def test_our_own_share_is_kept(self, make_stack) -> None:
        stack = make_stack(
            LEDGER_REFERENCE_MAX_AGE_H="6", LEDGER_XERO_SANDBOX_REFERENCE_DAILY_SHARE="10"
        )
        stack.connect(tenant_id=NZ.tenant_id)
        sweeps = build_sweeps(stack.built)
        stack.advance(hours=6, minutes=1)
        assert sweeps.reference_data() == {"postponed": 1}


class TestIfModifiedSince:
    def received(self, stack: Stack, endpoint: str) -> int:
        egress = stack.service.egress.this_month().for_environment(Environment.SANDBOX)
        return egress.by_endpoint.get(endpoint, 0)

    def test_unchanged_changed_and_archived_through_the_daily_refresh(self, make_stack) -> None:
        stack = make_stack()
        binding_id = stack.connect(tenant_id=NZ.tenant_id)
        full = self.received(stack, "accounts")
        sweeps = build_sweeps(stack.built)
        stack.advance(hours=24, minutes=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        assert self.received(stack, "accounts") == full  # 304: no body at all
        stack.control(f"organisations/{NZ.tenant_id}/accounts/200", {"Name": "Sales (web)"})
        stack.control(f"organisations/{NZ.tenant_id}/accounts/091", {"Status": "ARCHIVED"})
        stack.advance(hours=24, minutes=1)
        assert sweeps.reference_data() == {"refreshed": 1}
        delta = self.received(stack, "accounts") - full
        assert 0 < delta < full / 5
        cache = stack.service.reference.cached(binding_id)
        by_code = {a.code: a for a in cache.accounts}
        assert by_code["200"].name == "Sales (web)" and by_code["091"].status == "ARCHIVED"
        assert "091" not in {a.code for a in cache.bank_accounts}
        assert len(cache.accounts) == len({a.account_id for a in cache.accounts})
        sample = stack.built.metrics.registry.get_sample_value(
            "ledger_xero_received_bytes_total",
            {"environment": "sandbox", "endpoint": "accounts", "tenant": NZ.tenant_id},
        )
        assert sample == full + delta


class TestScopes:
    def get_binding(self, stack: Stack, binding_id: str) -> pb.Binding:
        with grpc_channel(stack, CALLER) as channel:
            stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
            metadata = (("authorization", f"Bearer {CALLER}"),)
            answer = stub.GetBinding(pb.GetBindingRequest(binding_id=binding_id), metadata=metadata)
        return answer.binding

    def test_a_grant_on_broad_scopes_is_flagged_in_get_binding_and_on_the_dashboard(
        self, make_stack
    ) -> None:
        stack = make_stack(LEDGER_XERO_SCOPES=" ".join(LEGACY_SYNC_SCOPES))
        binding_id = stack.connect(tenant_id=NZ.tenant_id)
        found = self.get_binding(stack, binding_id)
        assert found.broad_scopes and "accounting.transactions" in found.granted_scopes
        page = browser(stack).body(f"/dashboard/bindings/{binding_id}")
        assert (
            'data-flag="broad-scopes"' in page
            and "Reconnect before September 2027 to keep syncing" in page
        )

    def test_the_default_granular_grant_is_not_flagged(self, make_stack) -> None:
        stack = make_stack()
        binding_id = stack.connect(tenant_id=NZ.tenant_id)
        found = self.get_binding(stack, binding_id)
        assert not found.broad_scopes
        assert "accounting.settings.read" in found.granted_scopes
        assert 'data-flag="broad-scopes"' not in browser(stack).body(
            f"/dashboard/bindings/{binding_id}"
        )
