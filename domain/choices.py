"""The merchant's choices in words: what a settings change changed, and which saved choices
name an account Xero no longer offers (kept as chosen, and flagged, never replaced)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from domain.magento import MagentoProfile
from domain.policy import NOT_MAPPED, SyncPolicy
from domain.reference import LedgerAccount, ReferenceCache

INCOME, BANK = "default_income_account", "default_bank_account"
METHOD, TYPE = "payment_method:", "product_type:"


class ChoiceProblem(enum.StrEnum):
    ARCHIVED = "archived"
    DELETED = "deleted"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True, slots=True)
class Choice:
    """One account the merchant (or the defaults) chose: `setting` names it for machines
    (`default_bank_account`, `payment_method:<code>`, ...), `subject` for people."""

    setting: str
    subject: str
    account_id: str


@dataclass(frozen=True, slots=True)
class UnavailableChoice:
    setting: str
    subject: str
    account_id: str
    account_code: str
    problem: ChoiceProblem

    @property
    def message(self) -> str:
        what = {
            ChoiceProblem.ARCHIVED: "was archived in Xero",
            ChoiceProblem.DELETED: "was deleted in Xero",
            ChoiceProblem.NOT_ALLOWED: "can no longer be used for this in Xero",
        }[self.problem]
        code = f" {self.account_code}" if self.account_code else ""
        return f"{self.subject}{code} {what}; choose another"


def chosen_accounts(policy: SyncPolicy, profile: MagentoProfile | None) -> Iterator[Choice]:
    """Every account the policy names, not-mapped and never-set ones left out."""
    if policy.default_income_account:
        yield Choice(INCOME, "The default income account", policy.default_income_account)
    if policy.default_bank_account:
        yield Choice(BANK, "The default bank account", policy.default_bank_account)
    methods = {m.code: m.name for m in profile.payment_methods} if profile else {}
    for code, account in policy.payment_method_map.items():
        if account != NOT_MAPPED:
            yield Choice(METHOD + code, f"{methods.get(code) or code}'s account", account)
    types = {t.code: t.name for t in profile.product_types} if profile else {}
    for code, account in policy.item_type_map.items():
        if account != NOT_MAPPED:
            yield Choice(TYPE + code, f"Product type {types.get(code) or code}'s account", account)


def offered(setting: str, cache: ReferenceCache) -> tuple[LedgerAccount, ...]:
    """The accounts Xero offers today for one setting."""
    if setting == BANK:
        return cache.bank_accounts
    if setting.startswith(METHOD):
        return cache.payment_targets
    return cache.income_accounts


def unavailable_choices(
    policy: SyncPolicy,
    profile: MagentoProfile | None,
    cache: ReferenceCache | None,
    known: ReferenceCache | None = None,
) -> tuple[UnavailableChoice, ...]:
    """Saved choices whose account `cache` no longer offers; `known` (an older cache) names
    accounts that have since been deleted. Nothing is flagged before accounts were fetched."""
    if cache is None or not cache.critical_ready:
        return ()
    found = []
    for choice in chosen_accounts(policy, profile):
        if any(a.account_id == choice.account_id for a in offered(choice.setting, cache)):
            continue
        current = _find(cache, choice.account_id)
        remembered = current or (_find(known, choice.account_id) if known else None)
        code = remembered.code if remembered else ""
        found.append(
            UnavailableChoice(
                choice.setting, choice.subject, choice.account_id, code, _problem(current)
            )
        )
    return tuple(found)


def describe_changes(
    before: SyncPolicy,
    after: SyncPolicy,
    profile: MagentoProfile | None,
    cache: ReferenceCache | None,
) -> tuple[str, ...]:
    """What changed, one phrase per setting, e.g. "Card: 090 Business Bank -> not mapped"."""
    label = _labeller(cache)
    changes = []
    for name, key in (("default income account", INCOME), ("default bank account", BANK)):
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            changes.append(_change(name, label(old, "not set"), label(new, "not set")))
    methods = profile.payment_methods if profile else ()
    for method in methods:
        old_m, new_m = (p.payment_method_map.get(method.code) for p in (before, after))
        if old_m != new_m:
            never, unmapped = "not set", "not mapped"
            changes.append(
                _change(
                    method.name or method.code,
                    never if old_m is None else label(old_m, unmapped),
                    never if new_m is None else label(new_m, unmapped),
                )
            )
    for kind in profile.product_types if profile else ():
        old_t, new_t = (p.item_type_map.get(kind.code, "") for p in (before, after))
        if old_t != new_t:
            default = "default income account"
            changes.append(
                _change(
                    f"product type {kind.name or kind.code}",
                    label(old_t, default),
                    label(new_t, default),
                )
            )
    for name, key in (("websites", "website_filter"), ("stores", "store_filter")):
        old_f, new_f = getattr(before, key), getattr(after, key)
        if set(old_f) != set(new_f):
            changes.append(_change(name, ", ".join(old_f) or "none", ", ".join(new_f) or "none"))
    return tuple(changes)


def _change(name: str, old: str, new: str) -> str:
    return f"{name}: {new}" if old == "not set" else f"{name}: {old} → {new}"


def _labeller(cache: ReferenceCache | None) -> Callable[[str, str], str]:
    def label(account_id: str, blank: str) -> str:
        if not account_id:
            return blank
        account = _find(cache, account_id) if cache else None
        return f"{account.code} {account.name}".strip() if account else account_id

    return label


def _find(cache: ReferenceCache, account_id: str) -> LedgerAccount | None:
    return next((a for a in cache.accounts if a.account_id == account_id), None)


def _problem(account: LedgerAccount | None) -> ChoiceProblem:
    if account is None:
        return ChoiceProblem.DELETED
    if account.status == "ARCHIVED":
        return ChoiceProblem.ARCHIVED
    return ChoiceProblem.NOT_ALLOWED
