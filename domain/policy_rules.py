"""What a sync policy must satisfy to be saved: the one check behind the settings page's
messages and `SaveSettings`' refusal.

Each problem is filed under the setting at fault (`website_filter`, `store_filter` and the
setting names of `domain.choices`), so a form can show it beside its field. A choice already
saved may stay although Xero stopped offering its account (it is flagged instead); a new
choice must name an account Xero offers for it today.
"""

from __future__ import annotations

from domain.binding import Binding
from domain.choices import BANK, INCOME, METHOD, TYPE, chosen_accounts, offered
from domain.policy import SyncPolicy
from domain.reference import ReferenceCache

WEBSITES, STORES = "website_filter", "store_filter"
_GONE = "is no longer part of the Magento install"


def policy_problems(
    binding: Binding, cache: ReferenceCache | None, policy: SyncPolicy
) -> dict[str, str]:
    """Every problem of `policy` for `binding`, one phrase per setting; empty when valid."""
    problems = _scope_problems(binding, policy)
    problems |= _unknown_codes(binding, policy)
    # The default accounts are needed once Xero is connected; before, only the filters matter.
    if binding.xero is not None and not policy.default_income_account:
        problems[INCOME] = "choose an income account"
    if binding.xero is not None and not policy.default_bank_account:
        problems[BANK] = "choose a bank account"
    return problems | _newly_chosen_unoffered(binding, cache, policy)


def _scope_problems(binding: Binding, policy: SyncPolicy) -> dict[str, str]:
    profile = binding.magento
    websites = {w.code for w in profile.websites} if profile else set()
    store_site = {s.code: s.website_code for s in profile.stores} if profile else {}
    problems: dict[str, str] = {}
    unknown_site = next((c for c in policy.website_filter if c not in websites), None)
    if not policy.website_filter:
        problems[WEBSITES] = "choose at least one website; to stop syncing, disconnect instead"
    elif unknown_site is not None:
        problems[WEBSITES] = f"unknown website {unknown_site!r}: it {_GONE}"
    stores = policy.store_filter
    unknown_store = next((c for c in stores if c not in store_site), None)
    if unknown_store is not None:
        problems[STORES] = f"unknown store {unknown_store!r}: it {_GONE}"
    elif any(store_site[code] not in policy.website_filter for code in stores):
        problems[STORES] = "every chosen store must belong to a chosen website"
    elif store_site and not stores:
        problems[STORES] = "choose at least one store"
    return problems


def _unknown_codes(binding: Binding, policy: SyncPolicy) -> dict[str, str]:
    profile = binding.magento
    methods = {m.code for m in profile.payment_methods} if profile else set()
    types = {t.code for t in profile.product_types} if profile else set()
    problems = {
        METHOD + c: f"unknown payment method {c!r}"
        for c in policy.payment_method_map
        if c not in methods
    }
    return problems | {
        TYPE + c: f"unknown product type {c!r}" for c in policy.item_type_map if c not in types
    }


def _newly_chosen_unoffered(
    binding: Binding, cache: ReferenceCache | None, policy: SyncPolicy
) -> dict[str, str]:
    kept = {(c.setting, c.account_id) for c in chosen_accounts(binding.policy, binding.magento)}
    problems = {}
    for choice in chosen_accounts(policy, binding.magento):
        allowed = {a.account_id for a in offered(choice.setting, cache)} if cache else set()
        if (choice.setting, choice.account_id) not in kept and choice.account_id not in allowed:
            kind, _, code = choice.setting.partition(":")
            problems[choice.setting] = _NOT_OFFERED[kind].format(repr(code))
    return problems


_NOT_OFFERED = {
    INCOME: "the default income account is no longer an active revenue account in Xero",
    BANK: "the default bank account is no longer an active bank account in Xero",
    METHOD.rstrip(":"): "payment method {}: the account no longer accepts payments",
    TYPE.rstrip(":"): "product type {}: the account is no longer a revenue account",
}
