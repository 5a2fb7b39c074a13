"""Code redemption, refresh-token rotation with Xero's grace period, and revocation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from xero_emulator.records import AuthCode, Chain, Connection
from xero_emulator.settings import EmulatorSettings
from xero_emulator.state import Store


class GrantError(Exception):
    """The code or refresh token is wrong, expired, used or revoked (invalid_grant)."""


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge for a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redeem_code(
    store: Store, settings: EmulatorSettings, form: dict[str, str], client_id: str, now: float
) -> Chain:
    """Exchange a code once: connect the consented tenants and start a refresh chain."""
    auth = store.codes.pop(form.get("code", ""), None)
    if auth is None or now > auth.issued_at + settings.code_lifetime_s:
        raise GrantError("unknown or expired code")
    request = auth.request
    if request.client_id != client_id or request.redirect_uri != form.get("redirect_uri"):
        raise GrantError("code was issued to another client or redirect URI")
    if request.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not hmac.compare_digest(pkce_s256(verifier), request.code_challenge):
            raise GrantError("PKCE verification failed")
    _connect(store, auth, now)
    return _start_chain(store, auth, now)


def _connect(store: Store, auth: AuthCode, now: float) -> None:
    client_id = auth.request.client_id
    for tenant_id in auth.tenant_ids:
        existing = store.connections.get((auth.user_id, client_id, tenant_id))
        if existing is None:
            store.connections[(auth.user_id, client_id, tenant_id)] = Connection(
                id=str(uuid.uuid4()),
                tenant_id=tenant_id,
                tenant_name=store.seed.orgs[tenant_id].name,
                user_id=auth.user_id,
                client_id=client_id,
                auth_event_id=auth.auth_event_id,
                created=now,
                updated=now,
            )
            continue
        existing.auth_event_id, existing.updated = auth.auth_event_id, now
        existing.active = True


def _start_chain(store: Store, auth: AuthCode, now: float) -> Chain:
    key = (auth.user_id, auth.request.client_id)
    scope = tuple(dict.fromkeys(store.scopes.get(key, ()) + auth.request.scope))
    store.scopes[key] = scope
    chain = Chain(
        chain_id=str(uuid.uuid4()),
        client_id=auth.request.client_id,
        user_id=auth.user_id,
        scope=scope,
        auth_event_id=auth.auth_event_id,
        session_id=auth.session_id,
        auth_time=now,
        nonce=auth.request.nonce,
    )
    if "offline_access" in scope:
        store.chains[chain.chain_id] = chain
        _new_head(store, chain, now)
    return chain


def _new_head(store: Store, chain: Chain, now: float) -> None:
    chain.head, chain.head_issued_at = secrets.token_hex(32), now
    store.refresh_index[chain.head] = chain.chain_id


def _forget(store: Store, token: str | None) -> None:
    if token is not None:
        store.refresh_index.pop(token, None)


def rotate(
    store: Store, settings: EmulatorSettings, token: str, client_id: str, now: float
) -> Chain:
    """Use a refresh token: the newest one, or its predecessor within the grace period."""
    chain = store.chains.get(store.refresh_index.get(token, ""))
    if chain is None or chain.client_id != client_id:
        raise GrantError("unknown refresh token")
    if token == chain.head:
        if now >= chain.head_issued_at + settings.refresh_lifetime_s:
            raise GrantError("refresh token expired")
        _forget(store, chain.prev)
        chain.prev, chain.grace_until = token, now + settings.refresh_grace_s
    elif token == chain.prev and now < chain.grace_until:
        _forget(store, chain.head)
    else:
        raise GrantError("refresh token superseded")
    _new_head(store, chain, now)
    return chain


def revoke(store: Store, token: str, client_id: str) -> bool:
    """Revoke the user's grant to the app and remove all their connections to it."""
    chain = store.chains.get(store.refresh_index.get(token, ""))
    if chain is None or chain.client_id != client_id:
        return False
    user_id = chain.user_id
    family = [c for c in store.chains.values() if (c.user_id, c.client_id) == (user_id, client_id)]
    for other in family:
        _forget(store, other.head)
        _forget(store, other.prev)
        del store.chains[other.chain_id]
    for connection in store.active_connections(user_id, client_id):
        connection.active = False
    store.scopes.pop((user_id, client_id), None)
    return True
