"""Domain objects with every field filled, and a shortcut to store a connected binding."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from domain.account import Account
from domain.binding import Binding, XeroLink
from domain.connect import ConnectAttempt, PairingCode, PendingConsent, XeroConnection
from domain.grant import OAuthGrant, TokenSet
from domain.magento import MagentoProfile, MagentoStore, NamedCode
from domain.policy import SyncPolicy
from domain.ports import UnitOfWork
from domain.reference import (
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    ReferenceCache,
    TaxRate,
    TrackingCategory,
    TrackingOption,
)
from domain.sessions import BrowserSession
from domain.values import BindingStatus, Environment

T0 = datetime(2026, 3, 4, 9, 30, 15, 123456, tzinfo=UTC)
ACCOUNT = "acc-1"


def account(account_id: str = ACCOUNT, email: str = "Merchant@Example.com") -> Account:
    return Account(account_id, email, "growth", "scrypt$hash", Environment.SANDBOX)


def profile(url: str = "https://shop.example.com") -> MagentoProfile:
    return MagentoProfile(
        base_url=url,
        label="Example shop",
        websites=(NamedCode("base", "Main Website"), NamedCode("eu", "EU site")),
        stores=(MagentoStore("default", "Default", "base"), MagentoStore("de", "Deutsch", "eu")),
        payment_methods=(NamedCode("checkmo", "Check / Money order"), NamedCode("stripe", "Card")),
        product_types=(NamedCode("simple", "Simple"),),
    )


def policy() -> SyncPolicy:
    return SyncPolicy(
        website_filter=("base", "eu"),
        store_filter=("default",),
        default_income_account="acct-200",
        default_bank_account="acct-090",
        payment_method_map={"checkmo": "acct-090", "stripe": "acct-091"},
        item_type_map={"simple": "acct-200"},
    )


def binding(
    binding_id: str = "b-1",
    *,
    url: str | None = "https://shop.example.com",
    status: BindingStatus = BindingStatus.CONNECTED,
    user: str = "user-1",
    connection: str = "conn-1",
    created_at: datetime = T0,
) -> Binding:
    linked = status.has_xero or status is BindingStatus.DISCONNECTED
    return Binding(
        id=binding_id,
        account_id=ACCOUNT,
        created_at=created_at,
        status=status,
        magento=profile(url) if url else None,
        connector_secret_hash=f"hash-{binding_id}" if url else "",
        xero=XeroLink(Environment.SANDBOX, f"tenant-{binding_id}", "Demo Co", connection, user)
        if linked
        else None,
        policy=policy(),
        status_reason=f"status of {binding_id}",
    )


def grant(binding_id: str = "b-1", *, expires: datetime = T0 + timedelta(minutes=30)) -> OAuthGrant:
    return OAuthGrant(
        binding_id=binding_id,
        environment=Environment.SANDBOX,
        access_token=f"access-token-of-{binding_id}",
        refresh_token=f"refresh-token-of-{binding_id}",
        access_expires_at=expires,
        refresh_issued_at=T0,
        scopes=("offline_access", "accounting.settings.read"),
        auth_event_id="auth-event-1",
        xero_user_id="user-1",
        version=3,
        last_error="Xero timed out",
        failure_count=2,
        failure_days=1,
        last_failure_on=date(2026, 3, 4),
        next_retry_at=T0 + timedelta(seconds=60),
    )


def reference_cache(tenant_id: str = "tenant-b-1") -> ReferenceCache:
    return ReferenceCache(
        tenant_id=tenant_id,
        environment=Environment.SANDBOX,
        organisation=OrganisationSummary("Demo Co", "GBP", "GB", "!abc", True, "BUSINESS", "org-1"),
        accounts=(
            LedgerAccount("acct-200", "200", "Sales", "REVENUE", "REVENUE", tax_type="OUTPUT2"),
            LedgerAccount("acct-090", "090", "Bank", "BANK", "ASSET", bank_account_type="BANK"),
        ),
        items=(Item("item-1", "SKU-1", "Widget", True, "200", "OUTPUT2"),),
        tax_rates=(TaxRate("OUTPUT2", "20% (VAT on Income)", "ACTIVE", True, "20.0"),),
        tracking_categories=(
            TrackingCategory("tc-1", "Region", "ACTIVE", (TrackingOption("o-1", "North"),)),
        ),
        branding_themes=(BrandingTheme("bt-1", "Standard", 0),),
        currencies=(Currency("GBP", "Pound Sterling"),),
        fetched_at=T0,
        extended_fetched_at=T0 + timedelta(seconds=2),
    )


def attempt(
    attempt_id: str = "att-1", *, pending: bool = True, binding_id: str = "b-1"
) -> ConnectAttempt:
    tokens = TokenSet("pending-access", "pending-refresh", 1800, ("openid",), "auth-2", "user-1")
    organisations = (
        XeroConnection("conn-1", "tenant-1", "Demo Co", "ORGANISATION", "auth-2"),
        XeroConnection("conn-2", "tenant-2", "Other Co", "ORGANISATION", "auth-2"),
    )
    return ConnectAttempt(
        id=attempt_id,
        state=f"state-{attempt_id}",
        code_verifier=f"verifier-{attempt_id}",
        binding_id=binding_id,
        account_id=ACCOUNT,
        session_id="session-1",
        environment=Environment.SANDBOX,
        created_at=T0,
        used_at=T0 + timedelta(seconds=5),
        pending=PendingConsent(tokens, organisations, T0) if pending else None,
    )


def pairing_code(code_hash: str = "code-hash-1") -> PairingCode:
    return PairingCode(code_hash, "b-1", ACCOUNT, T0, T0 + timedelta(minutes=1))


def session(token_hash: str = "h1") -> BrowserSession:
    return BrowserSession(token_hash, ACCOUNT, T0, T0)


def store(uow_factory: Callable[[], UnitOfWork], *bindings: Binding, grants: bool = True) -> None:
    """The account, the given bindings (default one connected) and, if asked, their grants."""
    with uow_factory() as uow:
        if uow.accounts.get(ACCOUNT) is None:
            uow.accounts.add(account())
        for item in bindings or (binding(),):
            uow.bindings.add(item)
            if grants:
                uow.grants.save(grant(item.id))
        uow.commit()
