"""Digests of one-time secrets and the PKCE S256 challenge (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret: enough for random codes, never for passwords."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_digest: str) -> bool:
    return bool(stored_digest) and hmac.compare_digest(digest(secret), stored_digest)


def pkce_challenge(verifier: str) -> str:
    raw = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
