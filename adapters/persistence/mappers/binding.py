"""Binding rows: the Magento profile and sync policy as JSON, the Xero link as columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.binding import Binding, XeroLink
from domain.magento import MagentoProfile, MagentoStore, NamedCode
from domain.policy import SyncPolicy
from domain.values import BindingStatus, Environment, install_key

Row = Mapping[Any, Any]


def binding_row(binding: Binding) -> dict[str, Any]:
    profile, link = binding.magento, binding.xero
    return {
        "id": binding.id,
        "account_id": binding.account_id,
        "created_at": binding.created_at,
        "status": binding.status.value,
        "status_reason": binding.status_reason,
        "magento_base_url": profile.base_url if profile else None,
        "magento_install": install_key(profile.base_url) if profile else None,
        "magento": _profile_json(profile) if profile else None,
        "connector_secret_hash": binding.connector_secret_hash,
        "xero_environment": link.environment.value if link else None,
        "xero_tenant_id": link.tenant_id if link else None,
        "xero_tenant_name": link.tenant_name if link else None,
        "xero_connection_id": link.connection_id if link else None,
        "xero_user_id": link.xero_user_id if link else None,
        "policy": _policy_json(binding.policy),
        "connect_problem": binding.connect_problem,
    }


def binding_from(row: Row) -> Binding:
    return Binding(
        id=row["id"],
        account_id=row["account_id"],
        created_at=row["created_at"],
        status=BindingStatus(row["status"]),
        status_reason=row["status_reason"],
        magento=_profile(row["magento_base_url"], row["magento"]) if row["magento"] else None,
        connector_secret_hash=row["connector_secret_hash"],
        xero=_link(row) if row["xero_tenant_id"] is not None else None,
        policy=_policy(row["policy"]),
        connect_problem=row["connect_problem"],
    )


def _link(row: Row) -> XeroLink:
    return XeroLink(
        environment=Environment(row["xero_environment"]),
        tenant_id=row["xero_tenant_id"],
        tenant_name=row["xero_tenant_name"],
        connection_id=row["xero_connection_id"],
        xero_user_id=row["xero_user_id"],
    )


def _profile_json(profile: MagentoProfile) -> dict[str, Any]:
    return {
        "label": profile.label,
        "websites": [_named_json(w) for w in profile.websites],
        "stores": [
            {"code": s.code, "name": s.name, "website_code": s.website_code} for s in profile.stores
        ],
        "payment_methods": [_named_json(m) for m in profile.payment_methods],
        "product_types": [_named_json(t) for t in profile.product_types],
    }


def _profile(base_url: str, data: Mapping[str, Any]) -> MagentoProfile:
    return MagentoProfile(
        base_url=base_url,
        label=data["label"],
        websites=_named(data["websites"]),
        stores=tuple(MagentoStore(s["code"], s["name"], s["website_code"]) for s in data["stores"]),
        payment_methods=_named(data["payment_methods"]),
        product_types=_named(data["product_types"]),
    )


def _named_json(item: NamedCode) -> dict[str, str]:
    return {"code": item.code, "name": item.name}


def _named(items: list[dict[str, str]]) -> tuple[NamedCode, ...]:
    return tuple(NamedCode(item["code"], item["name"]) for item in items)


def _policy_json(policy: SyncPolicy) -> dict[str, Any]:
    return {
        "website_filter": list(policy.website_filter),
        "store_filter": list(policy.store_filter),
        "default_income_account": policy.default_income_account,
        "default_bank_account": policy.default_bank_account,
        "payment_method_map": dict(policy.payment_method_map),
        "item_type_map": dict(policy.item_type_map),
    }


def _policy(data: Mapping[str, Any]) -> SyncPolicy:
    return SyncPolicy(
        website_filter=tuple(data.get("website_filter", ())),
        store_filter=tuple(data.get("store_filter", ())),
        default_income_account=data.get("default_income_account", ""),
        default_bank_account=data.get("default_bank_account", ""),
        payment_method_map=dict(data.get("payment_method_map", {})),
        item_type_map=dict(data.get("item_type_map", {})),
    )
