"""Xero's official Python SDK, pointed at the emulator, reads everything without errors."""

from __future__ import annotations

import time
from typing import Any

import pytest

from xero_emulator.seed import AVERY, NZ, PARTNER, UK

xero_python = pytest.importorskip("xero_python")
from xero_python.accounting import AccountingApi  # noqa: E402
from xero_python.api_client import ApiClient, Configuration  # noqa: E402
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi  # noqa: E402
from xero_python.identity import IdentityApi  # noqa: E402


class Sdk:
    """An SDK client whose token lives in a dict, as the SDK's getter/saver hooks expect."""

    def __init__(self, xero, base_url: str, tokens: dict[str, Any]) -> None:
        self.token = tokens | {"scope": tokens["scope"].split(), "expires_at": time.time() + 1800}
        oauth2 = OAuth2Token(client_id=xero.client_id, client_secret=xero.secret)
        self.client = ApiClient(
            Configuration(oauth2_token=oauth2),
            oauth2_token_getter=lambda: self.token,
            oauth2_token_saver=self._save,
        )
        # Configuration() returns a copy of the first instance ever made (xero-python#99).
        self.client.configuration.oauth2_token = oauth2
        self.accounting = AccountingApi(self.client, base_url=f"{base_url}/api.xro/2.0")
        self.identity = IdentityApi(self.client, base_url=base_url)

    def _save(self, token: dict[str, Any]) -> None:
        self.token = token


@pytest.fixture
def sdk(xero, emulator) -> Sdk:
    xero.control("bulk", {"enabled": True})
    return Sdk(xero, emulator.base_url, xero.connect(tenants=AVERY.tenant_ids))


class TestReadsReferenceData:
    @pytest.mark.parametrize("tenant", [UK.tenant_id, NZ.tenant_id, PARTNER.tenant_id])
    def test_all_reference_endpoints_deserialise(self, sdk, tenant):
        api = sdk.accounting
        [organisation] = api.get_organisations(tenant).organisations
        assert organisation.organisation_id == tenant
        accounts = api.get_accounts(tenant, where='Status=="ACTIVE"', order="Code").accounts
        assert accounts and all(a.status == "ACTIVE" for a in accounts)
        assert api.get_tax_rates(tenant).tax_rates
        assert api.get_items(tenant).items
        assert api.get_tracking_categories(tenant, include_archived=True).tracking_categories
        assert api.get_branding_themes(tenant).branding_themes[0].sort_order == 0
        assert api.get_currencies(tenant).currencies[0].code == organisation.base_currency

    def test_dates_become_datetimes(self, sdk):
        account = sdk.accounting.get_accounts(UK.tenant_id).accounts[0]
        assert account.updated_date_utc.year >= 2019

    def test_connections_and_delete(self, sdk):
        connections = sdk.identity.get_connections()
        assert {c.tenant_id for c in connections} == set(AVERY.tenant_ids)
        partner = next(c for c in connections if c.tenant_id == PARTNER.tenant_id)
        sdk.identity.delete_connection(id=partner.id)
        assert len(sdk.identity.get_connections()) == 3

    def test_auth_event_filter(self, sdk):
        event = sdk.identity.get_connections()[0].auth_event_id
        assert len(sdk.identity.get_connections(auth_event_id=event)) == 4


class TestSdkRefresh:
    def test_sdk_refreshes_an_expiring_token_against_the_emulator(self, sdk, emulator, monkeypatch):
        monkeypatch.setattr(TokenApi, "refresh_token_url", f"{emulator.base_url}/connect/token")
        old_refresh = sdk.token["refresh_token"]
        sdk.token["expires_at"] = time.time() - 1
        assert sdk.accounting.get_organisations(UK.tenant_id).organisations
        assert sdk.token["refresh_token"] != old_refresh
