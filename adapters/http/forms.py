"""The settings form: posted fields to a SyncPolicy, with one clear message per field.

Field names: `income`, `bank`, `website` and `store` (repeated checkboxes), `pm:<payment method
code>` (empty: the merchant's "not mapped") and `type:<product type code>`; only codes of the
paired profile are read, and a method the form did not show keeps its saved value. A saved
account that Xero stopped offering may stay (it is flagged); choosing one anew is refused. The
checks here name the field at fault; `SaveSettings` repeats them authoritatively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from domain.binding import Binding
from domain.policy import SyncPolicy
from domain.reference import ReferenceCache

GONE = "no longer exists in Xero (or is archived); pick another"


@dataclass(frozen=True, slots=True)
class ParsedSettings:
    policy: SyncPolicy
    errors: Mapping[str, str] = field(default_factory=dict)


def parse_settings(
    form: MultiDict[str, str], binding: Binding, cache: ReferenceCache | None
) -> ParsedSettings:
    profile = binding.magento
    methods = [m.code for m in profile.payment_methods] if profile else []
    types = [t.code for t in profile.product_types] if profile else []
    saved = binding.policy.payment_method_map
    policy = SyncPolicy(
        website_filter=tuple(form.getlist("website")),
        store_filter=tuple(form.getlist("store")),
        default_income_account=form.get("income", ""),
        default_bank_account=form.get("bank", ""),
        payment_method_map={
            m: form[f"pm:{m}"] if f"pm:{m}" in form else saved[m]
            for m in methods
            if f"pm:{m}" in form or m in saved
        },
        item_type_map={t: form[f"type:{t}"] for t in types if form.get(f"type:{t}")},
    )
    return ParsedSettings(policy, _field_errors(policy, binding, cache))


def _field_errors(
    policy: SyncPolicy, binding: Binding, cache: ReferenceCache | None
) -> dict[str, str]:
    kept = {c.account_id for c in binding.unavailable_choices(cache)}
    income = {a.account_id for a in cache.income_accounts} | kept if cache else set()
    banks = {a.account_id for a in cache.bank_accounts} | kept if cache else set()
    targets = {a.account_id for a in cache.payment_targets} | kept if cache else set()
    errors = _scope_errors(policy, binding)
    _pick(errors, "income", policy.default_income_account, income, "Choose an income account.")
    _pick(errors, "bank", policy.default_bank_account, banks, "Choose a bank account.")
    for method, account in policy.payment_method_map.items():
        _pick(errors, f"pm:{method}", account, targets)
    for kind, account in policy.item_type_map.items():
        _pick(errors, f"type:{kind}", account, income)
    return errors


def _pick(
    errors: dict[str, str], name: str, value: str, allowed: set[str], missing: str = ""
) -> None:
    if not value:
        if missing:
            errors[name] = missing
    elif value not in allowed:
        errors[name] = f"The account chosen here {GONE}."


def _scope_errors(policy: SyncPolicy, binding: Binding) -> dict[str, str]:
    profile = binding.magento
    websites = {w.code for w in profile.websites} if profile else set()
    store_site = {s.code: s.website_code for s in profile.stores} if profile else {}
    errors: dict[str, str] = {}
    if not policy.website_filter:
        errors["website"] = "Choose at least one website; to stop syncing, disconnect instead."
    elif not set(policy.website_filter) <= websites:
        errors["website"] = "A chosen website is no longer part of the Magento install."
    stores = policy.store_filter
    if any(code not in store_site for code in stores):
        errors["store"] = "A chosen store is no longer part of the Magento install."
    elif any(store_site[code] not in policy.website_filter for code in stores):
        errors["store"] = "Every chosen store must belong to a chosen website."
    elif store_site and not stores:
        errors["store"] = "Choose at least one store."
    return errors
