"""The sync policy most merchants keep: chosen for them right after the first prefetch."""

from __future__ import annotations

from domain.magento import MagentoProfile
from domain.policy import SyncPolicy
from domain.reference import LedgerAccount, ReferenceCache


def default_policy(cache: ReferenceCache, profile: MagentoProfile | None) -> SyncPolicy:
    income = _default_income(cache.income_accounts)
    bank = next(iter(cache.bank_accounts), None)
    bank_id = bank.account_id if bank else ""
    methods = profile.payment_methods if profile else ()
    return SyncPolicy(
        website_filter=tuple(w.code for w in profile.websites) if profile else (),
        store_filter=tuple(s.code for s in profile.stores) if profile else (),
        default_income_account=income.account_id if income else "",
        default_bank_account=bank_id,
        payment_method_map={m.code: bank_id for m in methods} if bank_id else {},
    )


def _default_income(accounts: tuple[LedgerAccount, ...]) -> LedgerAccount | None:
    for account in accounts:
        if account.code == "200" or account.name.strip().lower() == "sales":
            return account
    return next(iter(accounts), None)
