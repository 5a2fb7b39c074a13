"""Bearer credentials (RFC 6750): the one parser for the HTTP API's `Authorization` header
and the gRPC `authorization` metadata."""

from __future__ import annotations


def bearer_token(value: str | None) -> str | None:
    """The token of `Bearer <token>` (the scheme in any case); None when the value is absent,
    names another scheme or carries no token."""
    scheme, _, token = (value or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
