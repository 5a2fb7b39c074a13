"""A binding's sync policy: which websites and stores sync, and where sales land in Xero."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from domain.magento import MagentoProfile


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    website_filter: tuple[str, ...] = ()
    store_filter: tuple[str, ...] = ()
    default_income_account: str = ""
    default_bank_account: str = ""
    payment_method_map: dict[str, str] = field(default_factory=dict)
    item_type_map: dict[str, str] = field(default_factory=dict)

    def with_paired_scope(self, profile: MagentoProfile) -> SyncPolicy:
        """Everything paired syncs until the merchant narrows it."""
        return replace(
            self,
            website_filter=tuple(w.code for w in profile.websites),
            store_filter=tuple(s.code for s in profile.stores),
        )

    def after_profile_change(self, profile: MagentoProfile) -> SyncPolicy:
        """Keep choices that still name something; new methods get the default account."""
        websites = {w.code for w in profile.websites}
        stores = {s.code for s in profile.stores}
        methods = [m.code for m in profile.payment_methods]
        types = {t.code for t in profile.product_types}
        return replace(
            self,
            website_filter=tuple(c for c in self.website_filter if c in websites),
            store_filter=tuple(c for c in self.store_filter if c in stores),
            payment_method_map={
                m: self.payment_method_map.get(m, self.default_bank_account)
                for m in methods
                if self.payment_method_map.get(m, self.default_bank_account)
            },
            item_type_map={k: v for k, v in self.item_type_map.items() if k in types},
        )

    def filled_from(self, defaults: SyncPolicy) -> SyncPolicy:
        """Take each default only where nothing was chosen."""
        bank = self.default_bank_account or defaults.default_bank_account
        methods = {**defaults.payment_method_map, **self.payment_method_map}
        return replace(
            self,
            default_income_account=self.default_income_account or defaults.default_income_account,
            default_bank_account=bank,
            payment_method_map={k: v for k, v in methods.items() if v},
            website_filter=self.website_filter or defaults.website_filter,
            store_filter=self.store_filter or defaults.store_filter,
        )
