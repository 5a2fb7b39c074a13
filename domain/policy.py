"""A binding's sync policy: which websites and stores sync, and where sales land in Xero."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from domain.magento import MagentoProfile, MagentoStore, NamedCode


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

    def after_profile_change(
        self, before: MagentoProfile | None, profile: MagentoProfile
    ) -> SyncPolicy:
        """Keep choices that still name something; new methods get the default account; a
        filter that covered everything before keeps covering everything."""
        methods = [m.code for m in profile.payment_methods]
        types = {t.code for t in profile.product_types}
        all_websites = before is not None and set(self.website_filter) >= {
            w.code for w in before.websites
        }
        all_stores = before is not None and set(self.store_filter) >= {
            s.code for s in before.stores
        }
        return replace(
            self,
            website_filter=tuple(
                w.code for w in profile.websites if all_websites or w.code in self.website_filter
            ),
            store_filter=tuple(
                s.code for s in profile.stores if all_stores or s.code in self.store_filter
            ),
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


def _covers(
    chosen: tuple[str, ...], items: tuple[NamedCode, ...] | tuple[MagentoStore, ...]
) -> bool:
    return set(chosen) >= {item.code for item in items}
