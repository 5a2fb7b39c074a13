"""What the Magento module tells us about its install: websites, stores, payment methods, types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from domain.errors import ValidationFailed
from domain.values import normalise_base_url

MAX_ENTRIES = 500
MAX_TEXT = 255


@dataclass(frozen=True, slots=True)
class NamedCode:
    code: str
    name: str

    def __post_init__(self) -> None:
        _check_code_and_name(self.code, self.name)


@dataclass(frozen=True, slots=True)
class MagentoStore:
    code: str
    name: str
    website_code: str

    def __post_init__(self) -> None:
        _check_code_and_name(self.code, self.name)


@dataclass(frozen=True, slots=True)
class MagentoProfile:
    base_url: str
    label: str
    websites: tuple[NamedCode, ...]
    stores: tuple[MagentoStore, ...]
    payment_methods: tuple[NamedCode, ...]
    product_types: tuple[NamedCode, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalise_base_url(self.base_url))
        if not self.websites:
            raise ValidationFailed("at least one website is required")
        for name, items in self._lists():
            if len(items) > MAX_ENTRIES:
                raise ValidationFailed(f"{name}: at most {MAX_ENTRIES} entries")
            codes = [item.code for item in items]
            if len(set(codes)) != len(codes):
                raise ValidationFailed(f"{name}: codes must be unique")
        known = {w.code for w in self.websites}
        for store in self.stores:
            if store.website_code not in known:
                raise ValidationFailed(f"store {store.code!r} names an unknown website")

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def _lists(self) -> list[tuple[str, tuple[Any, ...]]]:
        return [
            ("websites", self.websites),
            ("stores", self.stores),
            ("payment_methods", self.payment_methods),
            ("product_types", self.product_types),
        ]

    @classmethod
    def from_dict(cls, data: Any) -> MagentoProfile:
        """Build a profile from untrusted JSON, with one clear message per mistake."""
        if not isinstance(data, dict):
            raise ValidationFailed("the body must be a JSON object")
        return cls(
            base_url=_text(data, "magento_url"),
            label=_label(data),
            websites=_named(data, "websites"),
            stores=tuple(
                MagentoStore(_text(s, "code"), _text(s, "name", ""), _text(s, "website_code"))
                for s in _list(data, "stores")
            ),
            payment_methods=_named(data, "payment_methods"),
            product_types=_named(data, "product_types"),
        )


def _check_code_and_name(code: str, name: str) -> None:
    if not code or len(code) > MAX_TEXT or len(name) > MAX_TEXT:
        raise ValidationFailed("codes must be 1-255 characters and names at most 255")


def _list(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValidationFailed(f"{key} must be a list of objects")
    return value


def _named(data: dict[str, Any], key: str) -> tuple[NamedCode, ...]:
    return tuple(NamedCode(_text(v, "code"), _text(v, "name", "")) for v in _list(data, key))


def _text(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise ValidationFailed(f"{key} must be a non-empty string")
    if len(value) > 2048:
        raise ValidationFailed(f"{key} is too long")
    check_encodable(key, value)
    return value.strip()


def _label(data: dict[str, Any]) -> str:
    value = data.get("label")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed("label must be a string")
    check_encodable("label", value)
    return value.strip()[:MAX_TEXT]


def check_encodable(key: str, value: str) -> None:
    """Text a page, a database and a log can hold: UTF-8 encodable (no lone surrogates, which
    JSON's \\uD800 escapes can smuggle in) and without NUL."""
    if "\x00" in value:
        raise ValidationFailed(f"{key} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(f"{key} is not valid Unicode text (a lone surrogate)") from None
