"""Domain values to the messages of ledger.xero.v1 (the API only reads, so one direction)."""

from __future__ import annotations

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.binding import Binding, XeroLink
from domain.choices import ChoiceProblem, UnavailableChoice
from domain.events import BindingEvent
from domain.policy import SyncPolicy
from domain.reference import (
    BrandingTheme,
    Currency,
    Item,
    LedgerAccount,
    OrganisationSummary,
    ReferenceCache,
    TaxRate,
    TrackingCategory,
)
from domain.usecases.queries import BindingView
from domain.usecases.tokens import FreshToken
from domain.values import BindingStatus, Environment, EventKind

STATUS = {s: pb.BindingStatus.Value(f"BINDING_STATUS_{s.name}") for s in BindingStatus}
ENVIRONMENT = {e: pb.Environment.Value(f"ENVIRONMENT_{e.name}") for e in Environment}
CHOICE_PROBLEM = {p: pb.ChoiceProblem.Value(f"CHOICE_PROBLEM_{p.name}") for p in ChoiceProblem}
EVENT_KIND = {k: pb.EventKind.Value(f"EVENT_KIND_{k.name}") for k in EventKind}


def fresh_token(token: FreshToken) -> pb.GetFreshTokenResponse:
    return pb.GetFreshTokenResponse(
        access_token=token.access_token,
        expires_at=token.expires_at,
        tenant_id=token.tenant_id,
        api_base_url=token.api_base_url,
        binding_status=STATUS[token.status],
    )


def ref_data(cache: ReferenceCache) -> pb.GetRefDataResponse:
    return pb.GetRefDataResponse(
        tenant_id=cache.tenant_id,
        environment=ENVIRONMENT[cache.environment],
        organisation=organisation(cache.organisation) if cache.organisation else None,
        income_accounts=map(account, cache.income_accounts),
        bank_accounts=map(account, cache.bank_accounts),
        payment_target_accounts=map(account, cache.payment_targets),
        accounts=map(account, cache.accounts),
        tax_rates=map(tax_rate, cache.tax_rates),
        tracking_categories=map(tracking_category, cache.tracking_categories),
        items=map(item, cache.items),
        branding_themes=map(branding_theme, cache.branding_themes),
        currencies=map(currency, cache.currencies),
        fetched_at=cache.fetched_at,
        extended_fetched_at=cache.extended_fetched_at,
        revision=cache.revision,
    )


def ref_data_unchanged(cache: ReferenceCache) -> pb.GetRefDataResponse:
    """The caller's copy is current: ids and revision only."""
    return pb.GetRefDataResponse(
        tenant_id=cache.tenant_id,
        environment=ENVIRONMENT[cache.environment],
        revision=cache.revision,
        unchanged=True,
    )


def binding(view: BindingView) -> pb.GetBindingResponse:
    b = view.binding
    message = binding_summary(b)
    message.MergeFrom(
        pb.Binding(
            reference_fetched_at=view.reference.fetched_at if view.reference else None,
            unavailable_choices=map(unavailable_choice, b.unavailable_choices(view.reference)),
            granted_scopes=view.granted_scopes,
            broad_scopes=bool(view.broad_scopes),
        )
    )
    return pb.GetBindingResponse(binding=message)


def binding_summary(b: Binding) -> pb.Binding:
    """What a binding says without its reference cache and grant (ListBindings)."""
    link = b.xero
    return pb.Binding(
        binding_id=b.id,
        account_id=b.account_id,
        status=STATUS[b.status],
        status_reason=b.status_reason,
        organisation=xero_organisation(link) if link else None,
        environment=ENVIRONMENT[link.environment] if link else None,
        magento_host=b.magento.host if b.magento else "",
        sync_policy=sync_policy(b.policy),
    )


def event(e: BindingEvent) -> pb.BindingEvent:
    return pb.BindingEvent(
        revision=e.revision or 0,
        binding_id=e.binding_id,
        account_id=e.account_id or "",
        kind=EVENT_KIND[e.kind],
        status=STATUS[e.status] if e.status else None,
        reason=e.reason,
        occurred_at=e.at,
    )


def unavailable_choice(choice: UnavailableChoice) -> pb.UnavailableChoice:
    return pb.UnavailableChoice(
        setting=choice.setting,
        account_id=choice.account_id,
        account_code=choice.account_code,
        problem=CHOICE_PROBLEM[choice.problem],
        message=choice.message,
    )


def xero_organisation(link: XeroLink) -> pb.XeroOrganisation:
    return pb.XeroOrganisation(tenant_id=link.tenant_id, tenant_name=link.tenant_name)


def sync_policy(policy: SyncPolicy) -> pb.SyncPolicy:
    return pb.SyncPolicy(
        website_codes=policy.website_filter,
        store_codes=policy.store_filter,
        default_income_account_id=policy.default_income_account,
        default_bank_account_id=policy.default_bank_account,
        payment_method_accounts=policy.payment_method_map,
        product_type_accounts=policy.item_type_map,
    )


def organisation(org: OrganisationSummary) -> pb.Organisation:
    return pb.Organisation(
        organisation_id=org.organisation_id,
        name=org.name,
        legal_name=org.legal_name,
        base_currency=org.base_currency,
        country_code=org.country_code,
        short_code=org.short_code,
        is_demo_company=org.is_demo,
        edition=org.edition,
    )


def account(a: LedgerAccount) -> pb.Account:
    return pb.Account(
        account_id=a.account_id,
        code=a.code,
        name=a.name,
        type=a.type,
        account_class=a.class_,
        status=a.status,
        bank_account_type=a.bank_account_type,
        enable_payments_to_account=a.enable_payments,
        system_account=a.system_account,
        tax_type=a.tax_type,
        currency_code=a.currency_code,
    )


def tax_rate(t: TaxRate) -> pb.TaxRate:
    return pb.TaxRate(
        tax_type=t.tax_type,
        name=t.name,
        status=t.status,
        can_apply_to_revenue=t.can_apply_to_revenue,
        effective_rate=t.effective_rate,
    )


def tracking_category(c: TrackingCategory) -> pb.TrackingCategory:
    return pb.TrackingCategory(
        tracking_category_id=c.category_id,
        name=c.name,
        status=c.status,
        options=(
            pb.TrackingOption(tracking_option_id=o.option_id, name=o.name, status=o.status)
            for o in c.options
        ),
    )


def item(i: Item) -> pb.Item:
    return pb.Item(
        item_id=i.item_id,
        code=i.code,
        name=i.name,
        is_sold=i.is_sold,
        sales_account_code=i.sales_account_code,
        sales_tax_type=i.sales_tax_type,
    )


def branding_theme(t: BrandingTheme) -> pb.BrandingTheme:
    return pb.BrandingTheme(branding_theme_id=t.theme_id, name=t.name, sort_order=t.sort_order)


def currency(c: Currency) -> pb.Currency:
    return pb.Currency(code=c.code, description=c.description)
