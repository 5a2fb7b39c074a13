"""Claims read from a Xero access token (a JWT) without verifying its signature."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def unverified_claims(token: str) -> dict[str, Any]:
    """The JWT payload of `token`, or {} when it is not a JWT.

    Not verifying the signature is deliberate: the token came to us straight from Xero's
    token endpoint over TLS, in answer to our own authenticated request, so its origin is
    already established; we read it only for bookkeeping claims (`authentication_event_id`,
    `xero_userid`), never to grant access. The id_token would be the verifiable choice, but
    it lacks `authentication_event_id`, which `GET /connections?authEventId=` needs.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def claim_text(claims: dict[str, Any], name: str) -> str:
    """A string claim, or "" when missing or not a string."""
    value = claims.get(name)
    return value if isinstance(value, str) else ""
