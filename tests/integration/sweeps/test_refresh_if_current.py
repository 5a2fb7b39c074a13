"""Our own Xero calls meet a 401 on a token that has not expired (issue 12 item 2, DESIGN §5
step 7), against the emulator over HTTP: the reference refresh and the connection check
refresh once, then show the truth: CONNECTED with a new token, or NEEDS_RECONNECT when Xero
refuses the grant; what the dashboard reads (the binding view) says so at once."""

from __future__ import annotations

import hashlib

import pytest

from domain.errors import ReauthRequired
from domain.values import BindingStatus
from tests.integration.sweeps.stack import CLIENT_ID, CLIENT_SECRET, Stack

S = BindingStatus


def reject_stored_token(stack: Stack, binding_id: str) -> str:
    token = stack.grant(binding_id).access_token
    stack.control(
        "reject_access_token", {"access_token_sha256": hashlib.sha256(token.encode()).hexdigest()}
    )
    assert (
        stack.http.get("/connections", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    return token


def revoke_at_xero(stack: Stack, binding_id: str) -> None:
    form = {"token": stack.grant(binding_id).refresh_token, "token_type_hint": "refresh_token"}
    answer = stack.http.post("/connect/revocation", data=form, auth=(CLIENT_ID, CLIENT_SECRET))
    assert answer.status_code == 200, answer.text


def shown(stack: Stack, binding_id: str) -> S:
    status: S = stack.service.queries.binding(binding_id).binding.status
    return status


def test_a_reference_refresh_refused_401_refreshes_once_and_stays_green(stack: Stack) -> None:
    binding_id = stack.connect()
    refused = reject_stored_token(stack, binding_id)
    before = stack.refreshes()["success"]
    cache = stack.service.reference.refresh(binding_id)
    assert cache.organisation is not None and cache.fetched_at is not None
    assert stack.refreshes()["success"] == before + 1
    assert stack.grant(binding_id).access_token != refused
    assert shown(stack, binding_id) is S.CONNECTED


def test_a_connection_check_refused_401_refreshes_once_and_stays_green(stack: Stack) -> None:
    binding_id = stack.connect()
    refused = reject_stored_token(stack, binding_id)
    before = stack.refreshes()["success"]
    assert stack.service.checker.check(binding_id) is S.CONNECTED
    assert stack.refreshes()["success"] == before + 1
    assert stack.grant(binding_id).access_token != refused


def test_a_reference_refresh_refused_401_on_a_revoked_grant_shows_reconnect(
    stack: Stack,
) -> None:
    binding_id = stack.connect()
    reject_stored_token(stack, binding_id)
    revoke_at_xero(stack, binding_id)
    with pytest.raises(ReauthRequired):
        stack.service.reference.refresh(binding_id)
    assert shown(stack, binding_id) is S.NEEDS_RECONNECT
    assert "needs_reconnect" in stack.events(binding_id)
    with pytest.raises(ReauthRequired):
        stack.service.tokens.fresh_token(binding_id)


def test_a_connection_check_refused_401_on_a_revoked_grant_shows_reconnect(
    stack: Stack,
) -> None:
    binding_id = stack.connect()
    reject_stored_token(stack, binding_id)
    revoke_at_xero(stack, binding_id)
    assert stack.service.checker.check(binding_id) is S.NEEDS_RECONNECT
    assert shown(stack, binding_id) is S.NEEDS_RECONNECT
