"""Password hashing for merchant accounts: werkzeug's scrypt, shared by the dashboard and CLI."""

from __future__ import annotations

from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from domain.errors import ValidationFailed

METHOD = "scrypt:32768:8:1"
MIN_LENGTH = 8
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    """A salted scrypt hash; refuses passwords too short to be worth protecting."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"a password may have at most {MAX_LENGTH} characters")
    return generate_password_hash(password, method=METHOD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists, so timing does not reveal emails."""
    if not password_hash or len(password) > MAX_LENGTH:
        check_password_hash(_dummy_hash(), password[:MAX_LENGTH])
        return False
    try:
        return check_password_hash(password_hash, password)
    except ValueError:
        return False


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method=METHOD)
