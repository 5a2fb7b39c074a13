"""The Magento module's JSON API: pairing, profile updates, unpairing, and every bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from domain.account import Account
from tests.fakes.world import World

SHOP = "https://shop.example.com"


def body(code: str, url: str = SHOP, websites: int = 1, **extra: Any) -> dict[str, Any]:
    sites = [{"code": f"site{i}", "name": f"Website {i}"} for i in range(1, websites + 1)]
    return {
        "code": code,
        "magento_url": url,
        "label": "Example shop",
        "websites": sites,
        "stores": [{"code": "default", "name": "Default", "website_code": "site1"}],
        "payment_methods": [{"code": "checkmo", "name": "Check / Money order"}],
        "product_types": [{"code": "simple", "name": "Simple"}],
        **extra,
    }


@pytest.fixture
def api(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def code(world: World, account: Account) -> str:
    return world.service.create_binding(account.id).pairing_code


def pair(api: FlaskClient, payload: Any) -> Any:
    return api.post("/api/v1/pairings", json=payload)


def error_of(response: Any) -> tuple[int, str]:
    return response.status_code, response.get_json()["error"]["code"]


class TestPairing:
    def test_code_gets_binding_and_secret(self, api: FlaskClient, code: str, world: World):
        response = pair(api, body(code))
        assert response.status_code == 201
        answer = response.get_json()
        assert set(answer) == {"binding_id", "connector_secret"}
        binding = world.binding(answer["binding_id"])
        assert binding.status.value == "PAIRED" and binding.magento.host == "shop.example.com"

    def test_code_is_case_and_space_insensitive(self, api: FlaskClient, code: str) -> None:
        assert pair(api, body(f"  {code.lower()} ")).status_code == 201

    def test_reused_code_is_gone(self, api: FlaskClient, code: str) -> None:
        assert pair(api, body(code)).status_code == 201
        assert error_of(pair(api, body(code, "https://other.example.com"))) == (
            410,
            "PAIRING_CODE_INVALID",
        )

    def test_expired_code_is_gone(self, api: FlaskClient, code: str, world: World) -> None:
        world.clock.advance(minutes=16)
        assert error_of(pair(api, body(code))) == (410, "PAIRING_CODE_INVALID")

    def test_unknown_code_is_gone(self, api: FlaskClient, code: str) -> None:
        assert error_of(pair(api, body("NOPE1234"))) == (410, "PAIRING_CODE_INVALID")

    def test_second_pairing_of_one_install_conflicts(
        self, api: FlaskClient, world: World, account: Account
    ) -> None:
        first = world.service.create_binding(account.id).pairing_code
        second = world.service.create_binding(account.id).pairing_code
        assert pair(api, body(first)).status_code == 201
        response = pair(api, body(second, SHOP + "/"))
        assert error_of(response) == (409, "INSTALL_ALREADY_PAIRED")

    def test_plan_limit_is_forbidden(self, api: FlaskClient, code: str) -> None:
        assert error_of(pair(api, body(code, websites=6))) == (403, "PLAN_LIMIT_EXCEEDED")

    def test_wrong_pairing_codes_are_throttled_per_ip(
        self, api: FlaskClient, code: str, world: World
    ) -> None:
        for _ in range(20):
            assert pair(api, body("WRONG000")).status_code == 410
        response = pair(api, body(code))
        assert error_of(response) == (429, "TOO_MANY_ATTEMPTS")
        assert int(response.headers["Retry-After"]) > 0
        world.clock.advance(minutes=16)
        fresh = world.service.create_binding(world.uow().accounts.all()[0].id).pairing_code
        assert pair(api, body(fresh)).status_code == 201

    def test_no_csrf_token_needed(self, api: FlaskClient, code: str) -> None:
        assert pair(api, body(code)).status_code == 201


class TestMalformed:
    @pytest.mark.parametrize(
        "raw",
        [b"not json", b"[1, 2]", b'"text"', b"{", b"null"],
    )
    def test_not_a_json_object(self, api: FlaskClient, code: str, raw: bytes) -> None:
        response = api.post("/api/v1/pairings", data=raw, content_type="application/json")
        assert error_of(response) == (400, "INVALID_ARGUMENT")

    def test_wrong_content_type(self, api: FlaskClient, code: str) -> None:
        response = api.post("/api/v1/pairings", data=json.dumps(body(code)))
        assert error_of(response) == (400, "INVALID_ARGUMENT")

    @pytest.mark.parametrize(
        "change",
        [
            {"code": 123},
            {"code": ""},
            {"code": "x" * 100},
            {"magento_url": 5},
            {"magento_url": "ftp://shop.example.com"},
            {"magento_url": "https://user:pw@shop.example.com"},
            {"websites": "site1"},
            {"websites": []},
            {"websites": [{"code": "a"}, {"code": "a"}]},
            {"websites": [{"name": "no code"}]},
            {"stores": [{"code": "s", "name": "S", "website_code": "unknown"}]},
            {"payment_methods": [1, 2]},
            {"product_types": {"code": "simple"}},
        ],
    )
    def test_wrong_types_and_values(
        self, api: FlaskClient, code: str, change: dict[str, Any]
    ) -> None:
        response = pair(api, {**body(code), **change})
        status, error = error_of(response)
        assert (status, error) == (400, "INVALID_ARGUMENT")
        assert response.get_json()["error"]["message"]

    @pytest.mark.parametrize("missing", ["code", "magento_url", "websites"])
    def test_missing_fields(self, api: FlaskClient, code: str, missing: str) -> None:
        payload = body(code)
        del payload[missing]
        assert error_of(pair(api, payload)) == (400, "INVALID_ARGUMENT")

    def test_huge_body(self, api: FlaskClient, code: str) -> None:
        huge = body(code, label="x" * (2 * 1024 * 1024))
        assert error_of(pair(api, huge)) == (413, "PAYLOAD_TOO_LARGE")

    def test_unknown_route_and_method_answer_json(self, api: FlaskClient) -> None:
        assert error_of(api.get("/api/v1/nothing")) == (404, "NOT_FOUND")
        assert error_of(api.get("/api/v1/pairings")) == (405, "METHOD_NOT_ALLOWED")


class TestConnectorSecret:
    @pytest.fixture
    def pairing(self, api: FlaskClient, code: str) -> dict[str, str]:
        answer: dict[str, str] = pair(api, body(code)).get_json()
        return answer

    @pytest.fixture
    def secret(self, pairing: dict[str, str]) -> str:
        return pairing["connector_secret"]

    def bearer(self, secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}

    def test_profile_update(self, api: FlaskClient, secret: str, world: World) -> None:
        changed = body("", websites=2)
        del changed["code"]
        response = api.put(
            "/api/v1/pairings/self/profile", json=changed, headers=self.bearer(secret)
        )
        assert response.status_code == 200
        assert len(world.binding(response.get_json()["binding_id"]).magento.websites) == 2

    def test_profile_update_validates(self, api: FlaskClient, secret: str) -> None:
        response = api.put(
            "/api/v1/pairings/self/profile", json={"websites": 1}, headers=self.bearer(secret)
        )
        assert error_of(response) == (400, "INVALID_ARGUMENT")

    def test_unpair(self, api: FlaskClient, secret: str, world: World) -> None:
        response = api.delete("/api/v1/pairings/self", headers=self.bearer(secret))
        assert response.status_code == 200
        answer = response.get_json()
        assert answer["not_undone_at_xero"] == []
        assert world.binding(answer["binding_id"]).status.value == "DISCONNECTED"
        assert "unpaired" in world.events(answer["binding_id"])

    def test_revoked_secret_is_unauthorised(self, api: FlaskClient, secret: str) -> None:
        assert api.delete("/api/v1/pairings/self", headers=self.bearer(secret)).status_code == 200
        again = api.delete("/api/v1/pairings/self", headers=self.bearer(secret))
        assert error_of(again) == (401, "CONNECTOR_SECRET_INVALID")
        assert again.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize(
        "headers",
        [{}, {"Authorization": "Bearer "}, {"Authorization": "Basic abc"}, {"Authorization": "x"}],
    )
    def test_missing_or_malformed_authorization(
        self, api: FlaskClient, secret: str, headers: dict[str, str]
    ) -> None:
        response = api.delete("/api/v1/pairings/self", headers=headers)
        assert error_of(response) == (401, "CONNECTOR_SECRET_INVALID")

    def test_wrong_secret(self, api: FlaskClient, secret: str) -> None:
        response = api.put(
            "/api/v1/pairings/self/profile", json=body(""), headers=self.bearer(secret + "x")
        )
        assert error_of(response) == (401, "CONNECTOR_SECRET_INVALID")

    def test_unpair_of_a_connected_binding_cleans_up_at_xero(
        self, api: FlaskClient, pairing: dict[str, str], world: World, account: Account
    ) -> None:
        world.consent(account, pairing["binding_id"], "user-avery", ["tenant-uk"])
        headers = self.bearer(pairing["connector_secret"])
        assert api.delete("/api/v1/pairings/self", headers=headers).status_code == 200
        assert len(world.xero.deleted) == 1 and "tenant-uk" in world.xero.deleted[0]
        assert len(world.xero.revoked) == 1

    def test_secret_never_in_error_messages(self, api: FlaskClient, secret: str) -> None:
        response = api.put("/api/v1/pairings/self/profile", json={}, headers=self.bearer(secret))
        assert secret not in response.get_data(as_text=True)
