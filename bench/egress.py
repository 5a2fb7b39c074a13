"""5. Egress of the daily reference refresh: If-Modified-Since against full fetches.

1,000 organisations (copies of the seeded Australian one, each its own data) that one
emulated Xero user reaches are connected as 1,000 bindings; a first full refresh fills every
cache and its watermarks. Then, in interleaved rounds (the order alternating), every
organisation is refreshed the way the 24 h sweep does it (`ReferenceService.refresh`, both
waves, Accounts and Items asked with If-Modified-Since the newest UpdatedDateUTC seen) and the
full way (the same waves without the header: the baseline). Bytes are what the service itself
counts (`xero_egress`, the figure `ledger-connect status` shows): response bodies as they came
off the wire. Nothing changes at "Xero" during those rounds. Then, in one organisation, one
account is renamed and another archived (or restored, if an earlier run archived it), and
one more incremental refresh must bring both.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.xero.limits import OrgLimiter
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import Container, xero_configs
from app.keyring_loader import load_keyring
from bench.bulk import Consent, consent_to_all, insert_connected
from bench.context import Context
from bench.emulator import Emulator
from bench.report import Outcome, Row
from bench.stack import Service, database_url
from bench.stats import median
from domain.reference import CRITICAL, EXTENDED
from domain.values import Environment
from xero_emulator.seed import AVERY

NAME = "egress"
GOAL = 0.60  # at least 60% fewer bytes than full fetches
THREADS = 4
BUDGET = 1_000_000
SANDBOX = Environment.SANDBOX


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    count, rounds = ctx.pick(200, 1_000), ctx.pick(1, 3)
    outcome.note(
        f"{count} organisations, one binding each; {rounds} interleaved rounds of an "
        "incremental and a full refresh of all of them; bytes = response bodies received, "
        "as counted in xero_egress; Xero's own metering of egress is not published"
    )
    with Emulator(ctx.workdir) as emulator:
        emulator.limits(per_org_minute=BUDGET, per_org_day=BUDGET, app_minute=BUDGET)
        tenants = emulator.add_organisations(AVERY.user_id, count)
        for backend in ctx.backends:
            with database_url(backend, ctx.workdir, "egress") as url:
                service = Service(
                    ctx.workdir, url, emulator, LEDGER_XERO_APP_PER_MINUTE=str(BUDGET)
                )
                figures = _backend(service, set(tenants), rounds)
            outcome.details[backend] = figures
            outcome.rows += _rows(backend, count, figures)
            if figures["saving"] < GOAL:
                outcome.note(f"{backend}: saving {figures['saving']:.1%} MISSES the 60% goal")
    return outcome


def _backend(service: Service, tenants: set[str], rounds: int) -> dict[str, Any]:
    limiter = OrgLimiter(per_minute=BUDGET, app_per_minute=BUDGET)
    with (
        HttpXeroProvider(xero_configs(service.settings()), limiter=limiter) as xero,
        service.container(xero=xero) as built,
    ):
        consent = consent_to_all(xero, service.emulator, AVERY.user_id)
        mine = Consent(
            consent.tokens, tuple(c for c in consent.connections if c.tenant_id in tenants)
        )
        ids = _insert(built, service, mine)
        first = _pass(built, ids, incremental=False)
        runs = []
        for n in range(rounds):
            order = (True, False) if n % 2 == 0 else (False, True)
            passes = {inc: _pass(built, ids, incremental=inc) for inc in order}
            runs.append({"incremental": passes[True], "full": passes[False]})
        changed = _changed_account_arrives(built, service.emulator, ids[0])
    incremental = median(r["incremental"]["bytes"] for r in runs)
    full = median(r["full"]["bytes"] for r in runs)
    return {
        "organisations": len(ids),
        "first_full_pass": first,
        "rounds": runs,
        "incremental_bytes_median": incremental,
        "full_bytes_median": full,
        "saving": 1 - incremental / full,
        "changed_account": changed,
    }


def _insert(built: Container, service: Service, consent: Consent) -> list[str]:
    database = Database(service.url)
    try:
        sealer = Sealer(load_keyring(service.settings()))
        return insert_connected(database, sealer, len(consent.connections), consent)
    finally:
        database.dispose()


def _pass(built: Container, ids: Iterable[str], incremental: bool) -> dict[str, Any]:
    """Every binding's organisation refreshed once, both waves; bytes by endpoint."""
    before = _received(built)
    started = time.perf_counter()
    refresh = built.service.reference.refresh
    with ThreadPoolExecutor(THREADS, thread_name_prefix="egress") as pool:
        list(pool.map(lambda b: refresh(b, (CRITICAL, EXTENDED), incremental=incremental), ids))
    seconds = time.perf_counter() - started
    after = _received(built)
    by_endpoint = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    kind = "incremental" if incremental else "full"
    total = sum(by_endpoint.values())
    print(f"  {kind} pass: {total:,} bytes in {seconds:.1f} s {by_endpoint}", flush=True)
    return {"bytes": total, "by_endpoint": by_endpoint, "seconds": round(seconds, 2)}


def _received(built: Container) -> dict[str, int]:
    return built.service.egress.this_month().for_environment(SANDBOX).by_endpoint


def _changed_account_arrives(
    built: Container, emulator: Emulator, binding_id: str
) -> dict[str, Any]:
    link = built.service.queries.binding(binding_id).binding.xero
    assert link is not None
    tenant = link.tenant_id
    before = {a.code: a for a in built.service.reference.cached(binding_id).accounts}
    # Each run (and backend) makes a change its own cache cannot already hold.
    name = f"Sales (web shop {secrets.token_hex(3)})"
    status = "ACTIVE" if before["091"].status == "ARCHIVED" else "ARCHIVED"
    emulator.advance_clock(2)
    emulator.change(tenant, "accounts", "200", {"Name": name})
    emulator.change(tenant, "accounts", "091", {"Status": status})
    cache = built.service.reference.refresh(binding_id, (CRITICAL, EXTENDED), incremental=True)
    by_code = {a.code: a for a in cache.accounts}
    arrived = by_code["200"].name == name and by_code["091"].status == status
    print(f"  changed account arrived within one refresh: {arrived}", flush=True)
    return {"arrived_in_one_refresh": arrived, "accounts_cached": len(cache.accounts)}


def _rows(backend: str, count: int, f: dict[str, Any]) -> list[Row]:
    target = ">= 60% fewer bytes"
    return [
        Row(
            NAME,
            backend,
            f"daily refresh of {count:,} unchanged organisations: bytes received",
            f"{f['incremental_bytes_median'] / 1e6:.2f} MB",
            f"{f['full_bytes_median'] / 1e6:.2f} MB full fetch",
            f"{f['saving']:.0%} fewer",
            target,
        ),
        Row(
            NAME,
            backend,
            "a renamed account and a status change (archive or restore) arrive",
            "within 1 refresh" if f["changed_account"]["arrived_in_one_refresh"] else "NOT in 1",
            "",
            "",
            "within one refresh",
        ),
    ]
