"""Password hashing shared by the dashboard and the CLI."""

from __future__ import annotations

import pytest

from adapters.passwords import hash_password, verify_password
from domain.errors import ValidationFailed


def test_hash_is_salted_scrypt_and_verifies() -> None:
    first, second = hash_password("long enough password"), hash_password("long enough password")
    assert first.startswith("scrypt:32768:8:1$") and first != second
    assert verify_password(first, "long enough password")
    assert not verify_password(first, "long enough passwore")


@pytest.mark.parametrize("stored", ["", None, "hash", "pbkdf2:nonsense$x$y"])
def test_missing_or_malformed_hashes_never_verify(stored: str | None) -> None:
    assert not verify_password(stored, "anything at all")


def test_short_and_huge_passwords_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        hash_password("short")
    with pytest.raises(ValidationFailed):
        hash_password("x" * 2000)
    assert not verify_password(hash_password("long enough password"), "x" * 5000)
