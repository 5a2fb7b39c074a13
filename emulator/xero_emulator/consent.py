"""Authorize-request validation and the user's consent, shared by the page and the control API."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from xero_emulator.records import AuthCode, AuthorizeRequest
from xero_emulator.settings import EmulatorSettings
from xero_emulator.state import Store

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
STALE_AFTER_S = 3600


class FatalAuthorizeError(Exception):
    """The request cannot be sent back to the client (unknown client or redirect URI)."""


class RedirectAuthorizeError(Exception):
    """The request is bad but the client is known: report the error to its redirect URI."""

    def __init__(self, request: AuthorizeRequest, error: str) -> None:
        super().__init__(error)
        self.request, self.error = request, error


class ConsentError(Exception):
    """What the user picked is not allowed."""


class ConnectionLimitReached(Exception):
    """The app is at its tier's connection cap and the consent would add an organisation."""


def validate_request(settings: EmulatorSettings, params: Mapping[str, str]) -> AuthorizeRequest:
    """Check an authorize request the way login.xero.com does."""
    client = settings.client(params.get("client_id", ""))
    if client is None:
        raise FatalAuthorizeError("unauthorized_client: unknown client or client not enabled")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise FatalAuthorizeError("Invalid redirect_uri: it must exactly match a registered URI")
    request = AuthorizeRequest(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=tuple(params.get("scope", "").split()),
        state=params.get("state"),
        code_challenge=params.get("code_challenge") or None,
        nonce=params.get("nonce") or None,
    )
    _check_details(request, params)
    return request


def _check_details(request: AuthorizeRequest, params: Mapping[str, str]) -> None:
    if params.get("response_type") != "code":
        raise RedirectAuthorizeError(request, "unsupported_response_type")
    if not request.scope:
        raise RedirectAuthorizeError(request, "invalid_scope")
    method = params.get("code_challenge_method")
    if request.code_challenge is None and method is None:
        return
    if method != "S256" or not _CHALLENGE.match(request.code_challenge or ""):
        raise RedirectAuthorizeError(request, "invalid_request")


def grant_consent(
    store: Store, request: AuthorizeRequest, user_id: str, tenant_ids: list[str], now: float
) -> str:
    """Record that the user pressed Allow for these tenants and return the new code."""
    user = store.seed.users.get(user_id)
    if user is None:
        raise ConsentError("Unknown Xero user")
    chosen = tuple(dict.fromkeys(str(t).strip().lower() for t in tenant_ids))
    if not chosen:
        raise ConsentError("Choose an organisation to connect")
    if len(chosen) > 1 and not store.bulk:
        raise ConsentError("Only one organisation can be connected at a time")
    if not set(chosen) <= set(user.tenant_ids):
        raise ConsentError("You do not have access to that organisation")
    _check_cap(store, request.client_id, chosen)
    code = secrets.token_hex(32)
    auth_event = str(uuid.uuid4())
    _forget_stale_codes(store, now)
    store.codes[code] = AuthCode(request, user_id, chosen, auth_event, uuid.uuid4().hex, now)
    store.stats.consents["allowed"] += 1
    return code


def _check_cap(store: Store, client_id: str, chosen: tuple[str, ...]) -> None:
    if store.connection_cap is None:
        return
    live = store.connected_tenants(client_id)
    new = [t for t in chosen if t not in live and not store.is_demo(t)]
    if new and len(live) + len(new) > store.connection_cap:
        store.stats.consents["connection_limit"] += 1
        raise ConnectionLimitReached(client_id)


def _forget_stale_codes(store: Store, now: float) -> None:
    """Drop codes nobody redeemed, so long demos and benchmarks do not grow without bound."""
    stale = [code for code, auth in store.codes.items() if now - auth.issued_at > STALE_AFTER_S]
    for code in stale:
        del store.codes[code]


def redirect_url(request: AuthorizeRequest, **params: str | None) -> str:
    """The client's redirect URI with params (and the request's state) appended."""
    query = {k: v for k, v in params.items() if v is not None}
    if request.state is not None:
        query["state"] = request.state
    separator = "&" if "?" in request.redirect_uri else "?"
    return f"{request.redirect_uri}{separator}{urlencode(query)}"
