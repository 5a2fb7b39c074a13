"""The token endpoint's answer: JWT access token, id token and the chain's refresh token."""

from __future__ import annotations

import uuid
from typing import Any

from xero_emulator import jwt_hs256
from xero_emulator.records import Chain
from xero_emulator.seed import SeedUser
from xero_emulator.settings import EmulatorSettings

ID_TOKEN_LIFETIME_S = 300


def access_claims(
    settings: EmulatorSettings, chain: Chain, user: SeedUser, now: int
) -> dict[str, Any]:
    """Claims of an access token, as Xero's identity server issues them."""
    return {
        "nbf": now,
        "exp": now + settings.access_token_lifetime_s,
        "iss": settings.issuer,
        "aud": f"{settings.issuer}/resources",
        "client_id": chain.client_id,
        "sub": user.sub,
        "auth_time": int(chain.auth_time),
        "xero_userid": user.user_id,
        "global_session_id": chain.session_id,
        "sid": chain.session_id,
        "jti": uuid.uuid4().hex,
        "authentication_event_id": chain.auth_event_id,
        "scope": list(chain.scope),
        "amr": ["pwd"],
    }


def id_claims(settings: EmulatorSettings, chain: Chain, user: SeedUser, now: int) -> dict[str, Any]:
    """Claims of an id token: who the user is, without authentication_event_id."""
    claims = {
        "nbf": now,
        "exp": now + ID_TOKEN_LIFETIME_S,
        "iss": settings.issuer,
        "aud": chain.client_id,
        "iat": now,
        "auth_time": int(chain.auth_time),
        "sub": user.sub,
        "sid": chain.session_id,
        "xero_userid": user.user_id,
        "global_session_id": chain.session_id,
        "preferred_username": user.email,
        "email": user.email,
        "given_name": user.given_name,
        "family_name": user.family_name,
    }
    return claims | ({"nonce": chain.nonce} if chain.nonce else {})


def token_response(
    settings: EmulatorSettings, key: bytes, chain: Chain, user: SeedUser, now: float
) -> dict[str, Any]:
    """The JSON body of a successful token-endpoint call."""
    seconds = int(now)
    body: dict[str, Any] = {}
    if "openid" in chain.scope:
        body["id_token"] = jwt_hs256.encode(id_claims(settings, chain, user, seconds), key)
    body |= {
        "access_token": jwt_hs256.encode(access_claims(settings, chain, user, seconds), key),
        "expires_in": settings.access_token_lifetime_s,
        "token_type": "Bearer",
    }
    if chain.head is not None:
        body["refresh_token"] = chain.head
    return body | {"scope": " ".join(chain.scope)}
