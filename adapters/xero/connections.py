"""Xero's tenantless connections API: which organisations a token reaches, and disconnecting one."""

from __future__ import annotations

from urllib.parse import quote

from adapters.xero.config import XeroEnvironmentConfig
from adapters.xero.errors import malformed
from adapters.xero.fields import Json, text
from adapters.xero.wire import ApiCall, Wire, json_body
from domain.connect import XeroConnection

CONNECTIONS = "connections API"


def list_connections(
    wire: Wire, config: XeroEnvironmentConfig, access_token: str, auth_event_id: str | None
) -> list[XeroConnection]:
    """Every tenant type Xero lists (the domain keeps ORGANISATION ones)."""
    params = {"authEventId": auth_event_id} if auth_event_id else None
    call = ApiCall("GET", config.connections_url, CONNECTIONS, access_token, params=params)
    response = wire.api(call)
    body = json_body(response, CONNECTIONS)
    if not isinstance(body, list):
        raise malformed(CONNECTIONS, response.status_code)
    found = [_connection(entry) for entry in body if isinstance(entry, dict)]
    return [c for c in found if c is not None]


def delete_connection(
    wire: Wire, config: XeroEnvironmentConfig, access_token: str, connection_id: str
) -> None:
    """Disconnect one organisation; a 404 means it is already gone, which is what we wanted."""
    url = f"{config.connections_url.rstrip('/')}/{quote(connection_id, safe='')}"
    call = ApiCall("DELETE", url, CONNECTIONS, access_token, also_ok=frozenset({404}))
    wire.api(call)


def _connection(entry: Json) -> XeroConnection | None:
    connection_id, tenant_id = text(entry, "id"), text(entry, "tenantId")
    if not connection_id or not tenant_id:
        return None
    return XeroConnection(
        id=connection_id,
        tenant_id=tenant_id,
        tenant_name=text(entry, "tenantName"),
        # Left empty when missing, so the domain's ORGANISATION filter drops it.
        tenant_type=text(entry, "tenantType"),
        auth_event_id=text(entry, "authEventId"),
    )
