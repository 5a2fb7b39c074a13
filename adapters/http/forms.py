"""The settings form: posted fields to a SyncPolicy, with one clear message per field.

Field names: `income`, `bank`, `website` and `store` (repeated checkboxes), `pm:<payment method
code>` (empty: the merchant's "not mapped") and `type:<product type code>`; only codes of the
paired profile are read, and a method the form did not show keeps its saved value. The checks
are the domain's (`domain.policy_rules`), each shown beside the field at fault; `SaveSettings`
repeats them under the binding's lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from adapters.http.templating import sentence
from domain.binding import Binding
from domain.policy import SyncPolicy
from domain.policy_rules import STORES, WEBSITES, policy_problems
from domain.reference import ReferenceCache


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
    problems = policy_problems(binding, cache, policy)
    return ParsedSettings(
        policy, {field_name(setting): sentence(text) for setting, text in problems.items()}
    )


def field_name(setting: str) -> str:
    """The form field of a domain setting name (`payment_method:checkmo` -> `pm:checkmo`)."""
    kind, _, code = setting.partition(":")
    return _FIELDS.get(kind) or f"{_PREFIXES[kind]}:{code}"


_FIELDS = {
    WEBSITES: "website",
    STORES: "store",
    "default_income_account": "income",
    "default_bank_account": "bank",
}
_PREFIXES = {"payment_method": "pm", "product_type": "type"}
