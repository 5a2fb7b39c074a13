"""The emulator's world kept in a file, so a demo that restarts finds its grants again.

Kept: the token-signing key, refresh-token chains, connections, granted scopes, the clock's
offset, the Bulk Connections switch, the connection cap and the organisations' reference data
(the root page can archive accounts). Not kept: faults (a restart switches them off),
rate-limit windows, pending consents, codes, counters and organisations added for benchmarks.
The file is written whole to a temporary name, then renamed over the old one (mode 0600: it
holds the emulator's refresh tokens).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Any

from xero_emulator.records import Chain, Connection
from xero_emulator.state import EmulatorState, Store

FORMAT = 1
log = logging.getLogger(__name__)


def dump(store: Store, clock_offset: float) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "clock_offset": clock_offset,
        "bulk": store.bulk,
        "connection_cap": store.connection_cap,
        "unchanged_answer": store.unchanged_answer,
        "signing_key": store.signing_key.hex(),
        "chains": [dataclasses.asdict(c) for c in store.chains.values()],
        "connections": [dataclasses.asdict(c) for c in store.connections.values()],
        "scopes": [[user, client, list(s)] for (user, client), s in store.scopes.items()],
        "resources": {t: org.resources for t, org in store.seed.orgs.items()},
    }


def load(data: dict[str, Any], store: Store) -> float:
    """Fill `store` from a dump; returns the clock offset to restore."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown emulator state format {data.get('format')!r}")
    store.bulk = bool(data["bulk"])
    store.connection_cap = data.get("connection_cap", store.connection_cap)
    store.unchanged_answer = data.get("unchanged_answer", store.unchanged_answer)
    store.signing_key = bytes.fromhex(data["signing_key"])
    for raw in data["chains"]:
        chain = Chain(**{**raw, "scope": tuple(raw["scope"])})
        store.chains[chain.chain_id] = chain
        for token in (chain.head, chain.prev):
            if token:
                store.refresh_index[token] = chain.chain_id
    for raw in data["connections"]:
        connection = Connection(**raw)
        key = (connection.user_id, connection.client_id, connection.tenant_id)
        store.connections[key] = connection
    store.scopes = {(user, client): tuple(s) for user, client, s in data["scopes"]}
    for tenant_id, resources in data["resources"].items():
        if tenant_id in store.seed.orgs:
            store.seed.orgs[tenant_id].resources = resources
    return float(data["clock_offset"])


def write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    os.replace(temporary, path)


def read(path: Path) -> dict[str, Any] | None:
    """The saved dump, or None when there is none or it cannot be read (then a fresh world,
    with a warning: the service's bindings will then be asked to reconnect)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        log.warning("emulator state in %s is unreadable (%s); starting afresh", path, error)
        return None
    return data if isinstance(data, dict) else None


def restore(state: EmulatorState, path: Path) -> bool:
    """Load the world saved in `path`, if any; a broken file leaves the seeded world."""
    data = read(path)
    if data is None:
        return False
    with state.lock:
        store = state.fresh_store()
        try:
            offset = load(data, store)
        except (KeyError, TypeError, ValueError) as error:
            log.warning("emulator state in %s does not fit (%s); starting afresh", path, error)
            return False
        state.store = store
        state.clock.restore_offset(offset)
    return True


def save(state: EmulatorState, path: Path) -> None:
    with state.lock:
        data = dump(state.store, state.clock.offset)
        write(path, data)
