"""Every bad input is a 4xx, never a 500 (issue 14, item 6), and refusing it loses nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from domain.account import Account
from tests.fakes.world import World
from tests.unit.http.browser import Browser
from tests.unit.http.test_pairing_api import SHOP, api, body, code, error_of  # noqa: F401

BAD_URLS = [
    "http://shop.example:abc",
    "http://shop.example:99999",
    "http://shop.example:-1",
    "http://[::1",
    "http://[::1]x/",
    "http://[not-an-address]/",
    "http://shop.exa mple/",
    "http://shop.example\x00/",
    "http:///path-only",
]


def raw_pair(api: FlaskClient, text: str) -> Any:  # noqa: F811
    return api.post("/api/v1/pairings", data=text, content_type="application/json")


class TestMagentoUrl:
    @pytest.mark.parametrize("url", BAD_URLS)
    def test_a_malformed_url_is_invalid_argument(
        self,
        api: FlaskClient,  # noqa: F811
        code: str,  # noqa: F811
        url: str,
    ) -> None:
        response = api.post("/api/v1/pairings", json=body(code, url))
        assert error_of(response) == (400, "INVALID_ARGUMENT")
        assert "magento_url" in response.get_json()["error"]["message"]


class TestDeepJson:
    @pytest.mark.parametrize("opener,closer", [("[", "]"), ('{"a":', "}")])
    def test_json_nested_100000_deep_is_invalid_argument(
        self,
        api: FlaskClient,  # noqa: F811
        opener: str,
        closer: str,
    ) -> None:
        deep = opener * 100_000 + "1" + closer * 100_000
        response = raw_pair(api, '{"code": "X", "websites": ' + deep + "}")
        assert error_of(response) == (400, "INVALID_ARGUMENT")


class TestLoneSurrogate:
    SURROGATE = '"Shop \\ud800 label"'

    def payload(self, code: str, field: str = "label") -> str:  # noqa: F811
        text = json.dumps(body(code))
        return text.replace('"Example shop"', self.SURROGATE) if field == "label" else text

    def test_a_lone_surrogate_in_the_label_is_refused(
        self,
        api: FlaskClient,  # noqa: F811
        code: str,  # noqa: F811
        world: World,
    ) -> None:
        response = raw_pair(api, self.payload(code))
        assert error_of(response) == (400, "INVALID_ARGUMENT")
        assert "label" in response.get_json()["error"]["message"]
        assert pair_ok(api, code)

    @pytest.mark.parametrize("where", ["websites", "stores", "payment_methods"])
    def test_a_lone_surrogate_anywhere_in_the_profile_is_refused(
        self,
        api: FlaskClient,  # noqa: F811
        code: str,  # noqa: F811
        where: str,
    ) -> None:
        payload = body(code)
        payload[where][0]["name"] = "PLACEHOLDER"
        text = json.dumps(payload).replace('"PLACEHOLDER"', '"x\\udfff"')
        assert error_of(raw_pair(api, text)) == (400, "INVALID_ARGUMENT")

    def test_the_bindings_pages_keep_working(
        self,
        api: FlaskClient,  # noqa: F811
        code: str,  # noqa: F811
        browser: Browser,
        account: Account,
    ) -> None:
        raw_pair(api, self.payload(code))
        binding_id = api.post("/api/v1/pairings", json=body(code)).get_json()["binding_id"]
        for path in ("/dashboard", "/dashboard/bindings", f"/dashboard/bindings/{binding_id}"):
            assert browser.get(path).status_code == 200

    def test_a_profile_update_with_a_lone_surrogate_changes_nothing(
        self,
        api: FlaskClient,  # noqa: F811
        code: str,  # noqa: F811
        world: World,
    ) -> None:
        answer = api.post("/api/v1/pairings", json=body(code)).get_json()
        update = json.dumps({**body(""), "label": "PLACEHOLDER"})
        response = api.put(
            "/api/v1/pairings/self/profile",
            data=update.replace('"PLACEHOLDER"', self.SURROGATE),
            content_type="application/json",
            headers={"Authorization": f"Bearer {answer['connector_secret']}"},
        )
        assert error_of(response) == (400, "INVALID_ARGUMENT")
        assert world.binding(answer["binding_id"]).magento.label == "Example shop"


def pair_ok(api: FlaskClient, code: str) -> bool:  # noqa: F811
    return bool(api.post("/api/v1/pairings", json=body(code)).status_code == 201)


def test_the_shop_url_is_normalised(api: FlaskClient, code: str, world: World) -> None:  # noqa: F811
    answer = api.post("/api/v1/pairings", json=body(code, SHOP.upper() + ":443/")).get_json()
    assert world.binding(answer["binding_id"]).magento.base_url == SHOP
