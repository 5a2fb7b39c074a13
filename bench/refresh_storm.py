"""2. Refresh storm: 200 concurrent GetFreshToken calls on an expired grant, 3 replicas (§5).

Three `ledger-connect serve` processes share one PostgreSQL database; the emulator answers
the token endpoint after 200 ms. Each storm fires 200 calls at once, spread round-robin over
the replicas, for one binding whose access token has just expired. Correct coalescing means
one upstream refresh per storm (one flight per process, the row lock across processes, a
re-read under the lock) and every caller served within about one token round trip.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from adapters.persistence.database import Database
from adapters.persistence.tables import grants
from bench.context import Context
from bench.emulator import Emulator
from bench.procs import loadgen
from bench.report import Outcome, Row, ms
from bench.stack import Service, connect_binding, database_url, lacks_postgres, settle
from bench.stats import median
from domain.usecases.deps import Tunables

NAME = "refresh_storm"
REPLICAS, CALLS, TOKEN_LATENCY_MS = 3, 200, 200
TARGET_P99_MS = TOKEN_LATENCY_MS + 150
ACCESS_LIFE_S = 1800
CACHE_TTL_S = Tunables().token_cache_ttl.total_seconds()
HOW_EXPIRED = (
    "between storms the emulator clock moves on by the access token's life (30 min) and the "
    "stored grant's access_expires_at is set to the past by SQL; then the bench waits out the "
    f"{CACHE_TTL_S:g} s in-process token cache. A huge LEDGER_TOKEN_SKEW_S was not used: "
    "it makes every token stale, including the one just refreshed, so each caller behind the "
    "row lock would refresh again and the storm would measure the skew setting, not coalescing"
)


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    if lacks_postgres(ctx, outcome):
        return outcome
    storms = ctx.pick(3, 10)
    outcome.note(HOW_EXPIRED)
    with Emulator(ctx.workdir) as emulator, database_url("postgres", ctx.workdir, "storm") as url:
        service = Service(ctx.workdir, url, emulator)
        with service.container() as built:
            binding_id = connect_binding(built, emulator, "storm")
            settle(built, binding_id)
        emulator.faults(latency_ms=TOKEN_LATENCY_MS, latency_paths=["/connect/token"])
        results = _storms(ctx, service, binding_id, storms)
    outcome.details["storms"] = results
    outcome.rows += _rows(results)
    return outcome


def _storms(ctx: Context, service: Service, binding_id: str, storms: int) -> list[dict[str, Any]]:
    database = Database(service.url)
    spec = {"mode": "storm", "calls": CALLS, "bindings": [binding_id], "timeout_s": 10}
    spec["token"] = service.caller_token
    try:
        with ExitStack() as stack:
            replicas = [stack.enter_context(service.serve(f"storm-{n}")) for n in range(REPLICAS)]
            spec["targets"] = [target for _, target in replicas]
            loadgen(spec)  # warm-up on a fresh token: connections, statement caches; not counted
            return [_storm(service.emulator, database, binding_id, spec) for _ in range(storms)]
    finally:
        database.dispose()


def _storm(
    emulator: Emulator, database: Database, binding_id: str, spec: dict[str, Any]
) -> dict[str, Any]:
    emulator.advance_clock(ACCESS_LIFE_S)
    version = _expire(database, binding_id)
    time.sleep(CACHE_TTL_S + 0.3)
    before = emulator.refreshes()
    result = loadgen(spec)
    result["upstream_refreshes"] = emulator.refreshes() - before
    result["version_moves"] = _version(database, binding_id) - version
    print(
        f"  storm: {result['upstream_refreshes']} refresh(es), p50 "
        f"{ms(result['latency']['p50_ms'])}, p99 {ms(result['latency']['p99_ms'])}, "
        f"{result['distinct_tokens']} distinct token(s), errors {result['errors'] or 'none'}",
        flush=True,
    )
    return result


def _expire(database: Database, binding_id: str) -> int:
    past = datetime.now(UTC) - timedelta(minutes=1)
    with database.engine.begin() as conn:
        row = grants.c.binding_id == binding_id
        conn.execute(update(grants).where(row).values(access_expires_at=past))
    return _version(database, binding_id)


def _version(database: Database, binding_id: str) -> int:
    with database.engine.connect() as conn:
        statement = select(grants.c.version).where(grants.c.binding_id == binding_id)
        version: int = conn.execute(statement).scalar_one()
        return version


def _rows(results: list[dict[str, Any]]) -> list[Row]:
    refreshes = [r["upstream_refreshes"] for r in results]
    moves = [r["version_moves"] for r in results]
    p99s = [r["latency"]["p99_ms"] for r in results]
    errors = sum(sum(r["errors"].values()) for r in results)
    distinct = max(r["distinct_tokens"] for r in results)
    name, backend = f"2 refresh storm ({len(results)} x {CALLS} calls, 3 replicas)", "postgres"
    return [
        Row(
            name,
            backend,
            "upstream refreshes per storm",
            f"{median(refreshes):.0f} (max {max(refreshes)}); grant version +{max(moves)}",
            "",
            "",
            "1",
        ),
        Row(
            name,
            backend,
            "p99 latency (median of storms)",
            ms(median(p99s)),
            f"token endpoint {TOKEN_LATENCY_MS} ms",
            "",
            f"< {TARGET_P99_MS} ms",
        ),
        Row(
            name,
            backend,
            "p50 latency / errors / distinct tokens per storm",
            f"{ms(median(r['latency']['p50_ms'] for r in results))} / {errors} / {distinct}",
            "",
            "",
            "- / 0 / 1",
        ),
    ]
