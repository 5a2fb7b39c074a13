"""Xero's identity endpoints: the authorization URL, code exchange, refresh and revocation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

from adapters.xero.claims import claim_text, unverified_claims
from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.errors import malformed
from adapters.xero.fields import text
from adapters.xero.wire import Wire, json_body
from domain.grant import TokenSet

TOKEN = "token endpoint"
REVOCATION = "revocation endpoint"
# Xero documents 1800 s; used only if an answer ever omits expires_in.
DEFAULT_EXPIRES_IN = 1800


def authorization_url(config: XeroEnvironmentConfig, state: str, code_challenge: str) -> str:
    """Where to send the browser: authorization code flow with a PKCE S256 challenge."""
    url: str = prepare_grant_uri(
        config.authorize_url,
        config.client_id,
        "code",
        redirect_uri=config.redirect_uri,
        scope=list(config.scopes),
        state=state,
        code_challenge=code_challenge,
        code_challenge_method="S256",
    )
    return url


def exchange_code(
    wire: Wire, config: XeroEnvironmentConfig, code: str, code_verifier: str
) -> TokenSet:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": config.redirect_uri,
        "code_verifier": code_verifier,
    }
    return _token_call(wire, config, form)


def refresh(wire: Wire, config: XeroEnvironmentConfig, refresh_token: str) -> TokenSet:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_call(wire, config, form)


def revoke(wire: Wire, config: XeroEnvironmentConfig, refresh_token: str) -> None:
    """Revoke the grant; at Xero this also removes all of the user's connections to the app."""
    form = {"token": refresh_token, "token_type_hint": "refresh_token"}
    wire.post_form(config.revocation_url, form, _client_auth(config), REVOCATION)


def token_set(body: Any) -> TokenSet | None:
    """A TokenSet from the token endpoint's JSON, or None if the body is not one."""
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        return None
    claims = unverified_claims(body["access_token"])
    return TokenSet(
        access_token=body["access_token"],
        refresh_token=text(body, "refresh_token"),
        expires_in=_expires_in(body.get("expires_in")),
        scopes=_scopes(body.get("scope")),
        auth_event_id=claim_text(claims, "authentication_event_id"),
        xero_user_id=claim_text(claims, "xero_userid"),
    )


def _token_call(wire: Wire, config: XeroEnvironmentConfig, form: Mapping[str, str]) -> TokenSet:
    response = wire.post_form(config.token_url, form, _client_auth(config), TOKEN)
    tokens = token_set(json_body(response, TOKEN))
    if tokens is None:
        raise malformed(TOKEN, response.status_code)
    return tokens


def _client_auth(config: XeroEnvironmentConfig) -> httpx.BasicAuth:
    # Plain Basic like Authlib's client_secret_basic and Xero's samples; Xero's client ids
    # and secrets are URL-safe, so the RFC 6749 form-encoding step changes nothing.
    return httpx.BasicAuth(config.client_id, config.client_secret)


def _expires_in(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return DEFAULT_EXPIRES_IN


def _scopes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(s for s in value if isinstance(s, str))
    return ()
