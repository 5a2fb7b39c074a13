"""Connect attempt rows: the PKCE verifier and any pending consent (with its tokens) sealed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.persistence.crypto import Sealer
from domain.connect import ConnectAttempt, PendingConsent, XeroConnection
from domain.grant import TokenSet
from domain.values import Environment

Row = Mapping[Any, Any]
TABLE = "connect_attempts"


def attempt_row(attempt: ConnectAttempt, sealer: Sealer) -> dict[str, Any]:
    row_id = attempt.id
    pending = attempt.pending
    return {
        "id": attempt.id,
        "state": attempt.state,
        "code_verifier": sealer.seal(attempt.code_verifier, TABLE, "code_verifier", row_id),
        "key_id": sealer.primary_id,
        "binding_id": attempt.binding_id,
        "account_id": attempt.account_id,
        "session_id": attempt.session_id,
        "environment": attempt.environment.value,
        "created_at": attempt.created_at,
        "used_at": attempt.used_at,
        "pending": sealer.seal(_pending_json(pending), TABLE, "pending", row_id)
        if pending
        else None,
    }


def attempt_from(row: Row, sealer: Sealer) -> ConnectAttempt:
    row_id = row["id"]
    pending = row["pending"]
    return ConnectAttempt(
        id=row_id,
        state=row["state"],
        code_verifier=sealer.open(row["code_verifier"], TABLE, "code_verifier", row_id),
        binding_id=row["binding_id"],
        account_id=row["account_id"],
        session_id=row["session_id"],
        environment=Environment(row["environment"]),
        created_at=row["created_at"],
        used_at=row["used_at"],
        pending=_pending(sealer.open(pending, TABLE, "pending", row_id)) if pending else None,
    )


def _pending_json(pending: PendingConsent) -> str:
    tokens = pending.tokens
    return json.dumps(
        {
            "tokens": {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_in": tokens.expires_in,
                "scopes": list(tokens.scopes),
                "auth_event_id": tokens.auth_event_id,
                "xero_user_id": tokens.xero_user_id,
            },
            "organisations": [_connection_json(c) for c in pending.organisations],
            "obtained_at": pending.obtained_at.astimezone(UTC).isoformat(),
        }
    )


def _pending(text: str) -> PendingConsent:
    data = json.loads(text)
    tokens = data["tokens"]
    return PendingConsent(
        tokens=TokenSet(**{**tokens, "scopes": tuple(tokens["scopes"])}),
        organisations=tuple(XeroConnection(**c) for c in data["organisations"]),
        obtained_at=datetime.fromisoformat(data["obtained_at"]),
    )


def _connection_json(connection: XeroConnection) -> dict[str, str]:
    return {
        "id": connection.id,
        "tenant_id": connection.tenant_id,
        "tenant_name": connection.tenant_name,
        "tenant_type": connection.tenant_type,
        "auth_event_id": connection.auth_event_id,
    }
