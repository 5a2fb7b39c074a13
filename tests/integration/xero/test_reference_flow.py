"""fetch_reference against the emulator's Accounting API: data, auth failures, limits, faults."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.provider import HttpXeroProvider
from domain.errors import (
    AccessTokenRejected,
    OrganisationDisconnected,
    ProviderUnavailable,
    RateLimited,
)
from domain.reference import CRITICAL, ReferenceCache, RefKind
from domain.values import Environment
from tests.integration.xero.conftest import SANDBOX, Emulator
from xero_emulator.seed import PARTNER, UK

ACCOUNTS = [RefKind.ACCOUNTS]


class TestReferenceData:
    def test_all_seven_kinds_with_the_classification_data(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect(UK.tenant_id)
        bundle = provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, list(RefKind))
        cache = ReferenceCache(UK.tenant_id, Environment.SANDBOX).merged(
            bundle, datetime.now(UTC), extended=False
        )
        assert bundle.organisation is not None
        assert (bundle.organisation.name, bundle.organisation.base_currency) == (UK.name, "GBP")
        assert bundle.organisation.is_demo and bundle.organisation.can_invoice
        assert ("200", "Sales") in [(a.code, a.name) for a in cache.income_accounts]
        assert cache.bank_accounts and cache.payment_targets
        assert any(t.can_apply_to_revenue for t in cache.tax_rates)
        assert bundle.items and bundle.tracking_categories and bundle.branding_themes
        assert "GBP" in [c.code for c in bundle.currencies or ()]
        assert sum(xero.stats()["api_calls"].values()) == 7

    def test_a_partner_organisation_says_so(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect(PARTNER.tenant_id)
        bundle = provider.fetch_reference(
            SANDBOX, tokens.access_token, PARTNER.tenant_id, [RefKind.ORGANISATION]
        )
        assert bundle.organisation is not None
        assert bundle.organisation.edition == "PARTNER" and not bundle.organisation.can_invoice
        assert bundle.accounts is None


class TestRefusals:
    def test_an_expired_access_token_is_rejected(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("clock", {"advance_seconds": 31 * 60})
        with pytest.raises(AccessTokenRejected, match="TokenExpired"):
            provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, CRITICAL)
        with pytest.raises(AccessTokenRejected):
            provider.list_connections(SANDBOX, tokens.access_token)

    def test_an_organisation_removed_in_xero_is_disconnected(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("disconnect", {"tenant_id": UK.tenant_id})
        with pytest.raises(OrganisationDisconnected):
            provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, ACCOUNTS)
        assert provider.list_connections(SANDBOX, tokens.access_token) == []


class TestLimitsAndFaults:
    def test_a_spent_minute_is_rate_limited_by_xero_or_by_us(
        self, xero: Emulator, provider: HttpXeroProvider, config: XeroEnvironmentConfig
    ) -> None:
        tokens = xero.connect()
        xero.control("limits", {"per_org_minute": 2})
        for _ in range(2):
            provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, ACCOUNTS)
        with pytest.raises(RateLimited) as ours:
            provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, ACCOUNTS)
        assert xero.stats()["rate_limited"] == 0 and ours.value.retry_after
        with (
            HttpXeroProvider({SANDBOX: config}) as unaware,
            pytest.raises(RateLimited, match=r"429 \(minute\)") as theirs,
        ):
            unaware.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, ACCOUNTS)
        assert xero.stats()["rate_limited"] == 1
        assert theirs.value.retry_after is not None and 50 < theirs.value.retry_after <= 60

    def test_a_short_retry_after_is_honoured(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("limits", {"concurrent": 1})
        xero.control("faults", {"latency_ms": 300, "latency_paths": ["/api.xro/2.0/"]})
        kinds = [RefKind.ACCOUNTS, RefKind.ITEMS]
        bundle = provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, kinds)
        assert bundle.accounts and bundle.items
        assert xero.stats()["rate_limited"] >= 1

    def test_5xx_on_a_get_is_retried_then_unavailable(
        self, xero: Emulator, provider: HttpXeroProvider
    ) -> None:
        tokens = xero.connect()
        xero.control("faults", {"error_rate": 1.0, "error_paths": ["/api.xro/2.0/"]})
        with pytest.raises(ProviderUnavailable, match="answered 503"):
            provider.fetch_reference(SANDBOX, tokens.access_token, UK.tenant_id, ACCOUNTS)
        assert xero.stats()["api_calls"] == {UK.tenant_id: 3}

    def test_a_slow_answer_times_out(self, xero: Emulator, config: XeroEnvironmentConfig) -> None:
        tokens = xero.connect()
        xero.control("faults", {"latency_ms": 500, "latency_paths": ["/connections"]})
        with (
            HttpXeroProvider({SANDBOX: config}, timeout_s=0.2) as impatient,
            pytest.raises(ProviderUnavailable, match="timed out"),
        ):
            impatient.list_connections(SANDBOX, tokens.access_token)
