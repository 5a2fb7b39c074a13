"""Value objects: Magento base URLs, environments, plans, accounts, the Magento profile."""

from __future__ import annotations

from typing import Any

import pytest

from domain.account import Account, Plan
from domain.errors import ValidationFailed
from domain.magento import MagentoProfile
from domain.values import BindingStatus, Environment, normalise_base_url


class TestBaseUrl:
    @pytest.mark.parametrize(
        ("raw", "canonical"),
        [
            ("HTTPS://Shop.Example.com:443/", "https://shop.example.com"),
            ("  https://shop.example.com  ", "https://shop.example.com"),
            ("http://Shop.Example.com:80/store/", "http://shop.example.com/store"),
            ("https://shop.example.com:8443/", "https://shop.example.com:8443"),
            ("https://shop.example.com/?q=1#top", "https://shop.example.com"),
        ],
    )
    def test_spellings_of_one_install_compare_equal(self, raw: str, canonical: str) -> None:
        assert normalise_base_url(raw) == canonical

    @pytest.mark.parametrize(
        "raw", ["", "shop.example.com", "ftp://shop.example.com", "https://", "https://u:p@shop.x"]
    )
    def test_anything_but_an_absolute_http_url_is_refused(self, raw: str) -> None:
        with pytest.raises(ValidationFailed):
            normalise_base_url(raw)


class TestEnvironmentAndPlan:
    def test_environment_names_parse_loosely(self) -> None:
        assert Environment.parse(" Sandbox ") is Environment.SANDBOX

    def test_an_unknown_environment_is_refused(self) -> None:
        with pytest.raises(ValidationFailed, match="production or sandbox"):
            Environment.parse("staging")

    @pytest.mark.parametrize(("orgs", "sites"), [(-1, 1), (1, -1)])
    def test_plan_limits_cannot_be_negative(self, orgs: int, sites: int) -> None:
        with pytest.raises(ValidationFailed):
            Plan("broken", orgs, sites)

    def test_new_accounts_are_in_production_with_a_normalised_email(self) -> None:
        account = Account("a-1", " Merchant@Example.COM ", "growth")
        assert (account.email, account.environment) == ("merchant@example.com", "production")

    def test_an_account_needs_an_email_address(self) -> None:
        with pytest.raises(ValidationFailed):
            Account("a-1", "not-an-email", "growth")


def body(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "magento_url": "HTTPS://Shop.Example.com:443/",
        "label": "Shop",
        "websites": [{"code": "base", "name": "Main Website"}],
        "stores": [{"code": "default", "name": "Default", "website_code": "base"}],
        "payment_methods": [{"code": "checkmo", "name": "Check"}],
        "product_types": [{"code": "simple", "name": "Simple"}],
    }
    data.update(changes)
    return data


class TestMagentoProfile:
    def test_a_well_formed_body_becomes_a_profile(self) -> None:
        parsed = MagentoProfile.from_dict(body())
        assert parsed.base_url == "https://shop.example.com"
        assert [s.code for s in parsed.stores] == ["default"]
        assert parsed.host == "shop.example.com"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ([], "JSON object"),
            (body(magento_url=None), "magento_url"),
            (body(magento_url="  "), "magento_url"),
            (body(magento_url="file:///etc"), "http"),
            (body(websites=[]), "at least one website"),
            (body(websites="base"), "websites must be a list"),
            (body(websites=["base"]), "websites must be a list"),
            (body(websites=[{"code": ""}]), "code must be a non-empty string"),
            (body(websites=[{"code": 7}]), "code must be a non-empty string"),
            (body(websites=[{"code": "x" * 256}]), "1-255"),
            (body(websites=[{"code": "a"}, {"code": "a"}]), "unique"),
            (body(stores=[{"code": "s", "website_code": "nope"}]), "unknown website"),
            (body(stores=[{"code": "s" * 300, "website_code": "base"}]), "1-255"),
            (body(stores=[{"code": "s", "name": 3, "website_code": "base"}]), "name"),
            (body(payment_methods=[{"code": "m"}] * 2), "unique"),
            (body(product_types=[{"code": f"t{i}"} for i in range(501)]), "at most 500"),
            (body(label="x", magento_url="https://" + "a" * 2050 + ".com"), "too long"),
        ],
    )
    def test_bad_input_is_refused_with_a_clear_message(self, data: Any, message: str) -> None:
        with pytest.raises(ValidationFailed, match=message):
            MagentoProfile.from_dict(data)


class TestStatuses:
    def test_only_connected_and_degraded_bindings_hand_out_tokens(self) -> None:
        handing_out = {s for s in BindingStatus if s.hands_out_tokens}
        assert handing_out == {BindingStatus.CONNECTED, BindingStatus.DEGRADED}
        assert all(s.has_xero for s in handing_out)
