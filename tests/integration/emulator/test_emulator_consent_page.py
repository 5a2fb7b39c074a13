"""The authorize endpoint and its consent page, driven over HTTP like a browser would."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from xero_emulator.seed import AU, AVERY, NZ, PARTNER, SAM, UK

VERIFIER = "v" * 43
CHALLENGE = "7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM"


def authorize_params(xero, **overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": xero.client_id,
        "redirect_uri": xero.redirect,
        "scope": xero.scope,
        "state": "state-123",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    return params | overrides


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def open_page(xero, **overrides: str) -> httpx.Response:
    return xero.http.get("/identity/connect/authorize", params=authorize_params(xero, **overrides))


def decide(xero, page: httpx.Response, **form: str | list[str]) -> httpx.Response:
    data = {"pending": hidden(page.text, "pending"), "csrf_token": hidden(page.text, "csrf_token")}
    return xero.http.post("/identity/connect/authorize", data=data | form)


def query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


class TestConsentPage:
    def test_renders_user_and_organisation_selects_with_labels(self, xero):
        page = open_page(xero)
        assert page.status_code == 200
        assert '<label for="xero_user">Xero user</label>' in page.text
        assert '<label for="organisation">Organisation</label>' in page.text
        assert '<select id="organisation" name="tenant_id">' in page.text
        assert "Allow access" in page.text and "Cancel" in page.text
        assert "xero_emulator_session" in page.headers["set-cookie"]

    def test_offers_only_the_default_users_organisations(self, xero):
        select = re.search(r'<select id="organisation".*?</select>', open_page(xero).text, re.S)
        assert re.findall(r'<option value="([^"]+)">', select.group(0)) == list(AVERY.tenant_ids)

    def test_uses_no_external_resources(self, xero):
        assert not re.search(r'(src|href)="https?://', open_page(xero).text)


class TestDecision:
    def test_cancel_redirects_with_access_denied_and_state(self, xero):
        answer = decide(xero, open_page(xero), action="cancel")
        assert answer.status_code == 302
        assert answer.headers["location"].startswith(xero.redirect + "?")
        assert query(answer.headers["location"]) == {
            "error": ["access_denied"],
            "state": ["state-123"],
        }

    def test_allow_redirects_with_code_state_and_scope(self, xero):
        page = open_page(xero)
        answer = decide(xero, page, action="allow", xero_user=AVERY.user_id, tenant_id=NZ.tenant_id)
        params = query(answer.headers["location"])
        assert answer.status_code == 302
        assert params["state"] == ["state-123"] and len(params["code"][0]) >= 32
        assert params["scope"] == [xero.scope] and params["session_state"]

    def test_pending_request_is_single_use(self, xero):
        page = open_page(xero)
        decide(xero, page, action="cancel")
        assert decide(xero, page, action="cancel").status_code == 400

    def test_post_without_csrf_token_is_refused(self, xero):
        page = open_page(xero)
        data = {"pending": hidden(page.text, "pending"), "action": "allow"}
        assert xero.http.post("/identity/connect/authorize", data=data).status_code == 400

    def test_post_from_another_browser_session_is_refused(self, xero, emulator):
        page = open_page(xero)
        with httpx.Client(base_url=emulator.base_url) as stranger:
            data = {
                "pending": hidden(page.text, "pending"),
                "csrf_token": "forged",
                "action": "allow",
            }
            assert stranger.post("/identity/connect/authorize", data=data).status_code == 400

    def test_user_cannot_connect_an_organisation_they_cannot_reach(self, xero):
        page = open_page(xero)
        answer = decide(xero, page, action="allow", xero_user=SAM.user_id, tenant_id=UK.tenant_id)
        assert answer.status_code == 400
        assert "do not have access" in answer.text

    def test_several_organisations_need_bulk_mode(self, xero):
        page = open_page(xero)
        answer = decide(
            xero,
            page,
            action="allow",
            xero_user=AVERY.user_id,
            tenant_id=[UK.tenant_id, NZ.tenant_id],
        )
        assert answer.status_code == 400


class TestBadRequests:
    @pytest.mark.parametrize(
        "override",
        [{"client_id": "NOSUCHCLIENT"}, {"redirect_uri": "http://127.0.0.1:8080/evil"}],
    )
    def test_unknown_client_or_redirect_shows_an_error_page_never_a_redirect(self, xero, override):
        answer = open_page(xero, **override)
        assert answer.status_code == 400
        assert "location" not in answer.headers
        assert "Something went wrong" in answer.text

    @pytest.mark.parametrize(
        ("override", "error"),
        [
            ({"response_type": "token"}, "unsupported_response_type"),
            ({"scope": ""}, "invalid_scope"),
            ({"code_challenge_method": "plain"}, "invalid_request"),
        ],
    )
    def test_other_errors_go_back_to_the_client(self, xero, override, error):
        answer = open_page(xero, **override)
        assert answer.status_code == 302
        assert query(answer.headers["location"])["error"] == [error]


class TestBulkConnections:
    def test_bulk_mode_offers_checkboxes_and_connects_several(self, xero):
        xero.control("bulk", {"enabled": True})
        page = open_page(xero)
        boxes = re.findall(r'type="checkbox" name="tenant_id" value="([^"]+)"', page.text)
        assert boxes == list(AVERY.tenant_ids)
        chosen = [UK.tenant_id, AU.tenant_id, PARTNER.tenant_id]
        answer = decide(xero, page, action="allow", xero_user=AVERY.user_id, tenant_id=chosen)
        code = query(answer.headers["location"])["code"][0]
        tokens = xero.exchange(code, VERIFIER).json()
        connected = {c["tenantId"] for c in xero.connections(tokens["access_token"]).json()}
        assert connected == set(chosen)

    def test_bulk_consent_shares_one_auth_event_across_connections(self, xero):
        xero.control("bulk", {"enabled": True})
        tokens = xero.connect(tenants=(UK.tenant_id, NZ.tenant_id))
        connections = xero.connections(tokens["access_token"]).json()
        assert {c["tenantId"] for c in connections} == {UK.tenant_id, NZ.tenant_id}
        assert len({c["authEventId"] for c in connections}) == 1
