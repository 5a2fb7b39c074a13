"""Minimal HS256 JSON Web Tokens, enough for JWT-shaped Xero access and id tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT", "kid": "xero-emulator"}


class InvalidToken(Exception):
    """The token is malformed or its signature does not verify."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_input: str, key: bytes) -> str:
    return _b64(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(claims: dict[str, Any], key: bytes) -> str:
    """Sign claims into header.payload.signature."""
    header = _b64(json.dumps(_HEADER, separators=(",", ":")).encode())
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_sign(signing_input, key)}"


def decode(token: str, key: bytes) -> dict[str, Any]:
    """Verify the signature and return the claims (expiry is the caller's business)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("not a JWT")
    expected = _sign(f"{parts[0]}.{parts[1]}", key)
    if not hmac.compare_digest(expected, parts[2]):
        raise InvalidToken("bad signature")
    try:
        claims = json.loads(_unb64(parts[1]))
    except ValueError as e:
        raise InvalidToken("bad payload") from e
    if not isinstance(claims, dict):
        raise InvalidToken("bad payload")
    return claims
