"""Grant rows: both tokens sealed (AES-GCM) under the row's key id, the rest in the clear."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.persistence.crypto import Sealer
from domain.grant import OAuthGrant
from domain.values import Environment

Row = Mapping[Any, Any]
TABLE = "grants"


def grant_row(grant: OAuthGrant, sealer: Sealer) -> dict[str, Any]:
    row_id = grant.binding_id
    return {
        "binding_id": grant.binding_id,
        "environment": grant.environment.value,
        "access_token": sealer.seal(grant.access_token, TABLE, "access_token", row_id),
        "refresh_token": sealer.seal(grant.refresh_token, TABLE, "refresh_token", row_id),
        "key_id": sealer.primary_id,
        "access_expires_at": grant.access_expires_at,
        "refresh_issued_at": grant.refresh_issued_at,
        "scopes": list(grant.scopes),
        "auth_event_id": grant.auth_event_id,
        "xero_user_id": grant.xero_user_id,
        "version": grant.version,
        "last_error": grant.last_error,
        "failure_count": grant.failure_count,
        "failure_days": grant.failure_days,
        "last_failure_on": grant.last_failure_on,
        "next_retry_at": grant.next_retry_at,
    }


def grant_from(row: Row, sealer: Sealer) -> OAuthGrant:
    row_id = row["binding_id"]
    return OAuthGrant(
        binding_id=row_id,
        environment=Environment(row["environment"]),
        access_token=sealer.open(row["access_token"], TABLE, "access_token", row_id),
        refresh_token=sealer.open(row["refresh_token"], TABLE, "refresh_token", row_id),
        access_expires_at=row["access_expires_at"],
        refresh_issued_at=row["refresh_issued_at"],
        scopes=tuple(row["scopes"]),
        auth_event_id=row["auth_event_id"],
        xero_user_id=row["xero_user_id"],
        version=row["version"],
        last_error=row["last_error"],
        failure_count=row["failure_count"],
        failure_days=row["failure_days"],
        last_failure_on=row["last_failure_on"],
        next_retry_at=row["next_retry_at"],
    )
