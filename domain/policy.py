"""A binding's sync policy: which websites and stores sync, and where sales land in Xero."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from domain.magento import MagentoProfile, MagentoStore, NamedCode

NOT_MAPPED = ""
"""A payment method the merchant chose not to map; a method absent from the map was never set."""


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
        """Keep choices that still name something; a new method gets the default account (it
        was never set), a method the merchant left "not mapped" stays so; a filter that
        covered everything before keeps covering everything."""
        methods = [m.code for m in profile.payment_methods]
        types = {t.code for t in profile.product_types}
        all_websites = before is not None and _covers(self.website_filter, before.websites)
        all_stores = before is not None and _covers(self.store_filter, before.stores)
        return replace(
            self,
            website_filter=tuple(
                w.code for w in profile.websites if all_websites or w.code in self.website_filter
            ),
            store_filter=tuple(
                s.code for s in profile.stores if all_stores or s.code in self.store_filter
            ),
            payment_method_map=self._methods_filled(methods, self.default_bank_account),
            item_type_map={k: v for k, v in self.item_type_map.items() if k in types},
        )

    def filled_from(self, defaults: SyncPolicy) -> SyncPolicy:
        """Take each default account only where nothing was ever chosen: an empty default
        account was never set, a payment method mapped to NOT_MAPPED is a choice and stays.
        Filters are set once at pairing (`with_paired_scope`) and are the merchant's after."""
        return replace(
            self,
            default_income_account=self.default_income_account or defaults.default_income_account,
            default_bank_account=self.default_bank_account or defaults.default_bank_account,
            payment_method_map={
                **{k: v for k, v in defaults.payment_method_map.items() if v},
                **self.payment_method_map,
            },
        )

    def _methods_filled(self, methods: list[str], default: str) -> dict[str, str]:
        chosen = self.payment_method_map
        return {m: chosen.get(m, default) for m in methods if m in chosen or default}


def _covers(
    chosen: tuple[str, ...], items: tuple[NamedCode, ...] | tuple[MagentoStore, ...]
) -> bool:
    return set(chosen) >= {item.code for item in items}
