"""4. Scale: 10,000 connected bindings: GetFreshToken, the memory of `serve`, the daily sweep.

The bindings are bulk-inserted (bench/bulk.py: real mappers, real AES-GCM sealing), spread
over many emulated organisations (10 bindings each) that one emulated Xero user reaches.

- A new `serve` process (sweeps off, so the figures are the API's alone) gets one call per
  binding (cold: nothing cached in the process, every call reads the database), then the
  bare grpcio servicer does the same pass as the baseline, then `serve` gets a second pass in
  another order once the first pass's cache entries have expired (warm process, every call
  a read again). RSS comes from /proc/<pid>/status.
- The daily sweep: every organisation's reference cache is 25 h old, the Xero app-wide
  minute limit is scaled down on the emulator and in the worker's budget alike (to the
  sweep's calls / 1.8), and one `ledger-connect worker` refreshes all of them as fast as that
  budget allows (1 s ticks, a 1 s spread; the retry delay after a failure keeps its default,
  as Xero's minute window keeps its length). No schedule can finish before the last minute
  window it needs opens: with 7 calls per organisation the bound is
  (ceil(7 x organisations / limit) - 1) minutes. The bench waits one minute past the bound.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.tables import reference_caches as caches
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import xero_configs
from app.keyring_loader import load_keyring
from bench.bulk import Consent, consent_to_all, insert_connected, insert_stale_caches
from bench.context import Context
from bench.emulator import Emulator
from bench.emulator_main import BENCH_USER
from bench.fast_path import bare_server
from bench.procs import loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, database_url, worker
from bench.stats import ratio
from domain.usecases.deps import Tunables

NAME = "scale"
CONCURRENCY = 8
BINDINGS_PER_ORG = 10
CALLS_PER_ORG = 7  # the reference data of one organisation: 7 GETs in two waves
CACHE_TTL_S = Tunables().token_cache_ttl.total_seconds()
SWEEP_TICK_S = 1  # 15 s in production: a quicker tick only notices free budget sooner
# (quick, full): the sweep's calls as a multiple of the scaled app limit. 1.8 needs a second
# minute window, with room to spare; 0.5 fits one window (a smoke run, no bound).
WINDOWS = (0.5, 1.8)


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    count = ctx.pick(1_000, 10_000)
    orgs = count // BINDINGS_PER_ORG
    app_limit = math.ceil(orgs * CALLS_PER_ORG / ctx.pick(*WINDOWS))
    outcome.note(
        f"{count:,} bindings over {orgs:,} organisations; serve runs with LEDGER_SWEEP=0; the "
        f"sweep runs with Xero's app limit scaled from 10,000 to {app_limit:,} calls/min"
    )
    for backend in ctx.backends:
        # An emulator per backend: Xero's minute windows must not carry one run into the next.
        with (
            Emulator(ctx.workdir, organisations=orgs) as emulator,
            database_url(backend, ctx.workdir, "scale") as url,
        ):
            service = Service(ctx.workdir, url, emulator, LEDGER_SWEEP="0")
            figures = _backend(ctx, service, count, app_limit)
        outcome.details[backend] = figures
        outcome.rows += _rows(backend, count, figures)
    return outcome


def _backend(ctx: Context, service: Service, count: int, app_limit: int) -> dict[str, Any]:
    with service.container() as built:
        assert built.database is not None
        with HttpXeroProvider(xero_configs(service.settings())) as xero:
            consent = consent_to_all(xero, service.emulator, BENCH_USER)
        started = time.perf_counter()
        sealer = Sealer(load_keyring(service.settings()))
        ids = insert_connected(built.database, sealer, count, consent)
        insert_stale_caches(built.database, consent, timedelta(hours=25))
        figures: dict[str, Any] = {"insert_s": time.perf_counter() - started}
    print(f"  {count:,} bindings inserted in {figures['insert_s']:.1f} s", flush=True)
    figures |= _api(ctx, service, ids)
    figures["sweep"] = _sweep(service, consent, app_limit)
    return figures


def _api(ctx: Context, service: Service, ids: list[str]) -> dict[str, Any]:
    base = {"mode": "each", "token": service.caller_token, "concurrency": CONCURRENCY}
    figures: dict[str, Any] = {}
    with service.serve("scale-serve") as (serve, target):
        figures["rss_idle_kib"] = serve.rss_kib()
        figures["cold"] = loadgen(base | {"targets": [target], "bindings": ids})
        figures["rss_cold_kib"] = serve.rss_kib()
        sizes = loadgen(base | {"mode": "probe", "targets": [target], "bindings": ids[:1]})
        with bare_server(ctx, sizes) as (_, bare):
            figures["bare"] = loadgen(base | {"targets": [bare], "bindings": ids})
        again = random.Random(7).sample(ids, len(ids))
        time.sleep(CACHE_TTL_S + 0.5)  # every entry of the first pass has expired: all reads
        figures["warm"] = loadgen(base | {"targets": [target], "bindings": again})
        figures["rss_warm_kib"] = serve.rss_kib()
    for kind in ("cold", "bare", "warm"):
        f = figures[kind]
        print(
            f"  {kind}: {per_s(f['throughput'])}, p50 {ms(f['latency']['p50_ms'])}, "
            f"p99 {ms(f['latency']['p99_ms'])}, errors {f['errors'] or 'none'}",
            flush=True,
        )
    return figures


def _sweep(service: Service, consent: Consent, app_limit: int) -> dict[str, Any]:
    orgs = len(consent.connections)
    bound_s = (math.ceil(orgs * CALLS_PER_ORG / app_limit) - 1) * 60.0
    emulator = service.emulator
    emulator.limits(app_minute=app_limit)
    before = emulator.stats()
    database = Database(service.url)
    settings = {
        "LEDGER_XERO_APP_PER_MINUTE": str(app_limit),
        "LEDGER_SWEEP_TICK_S": str(SWEEP_TICK_S),
        "LEDGER_REFERENCE_SPREAD_S": "1",
        "LEDGER_CONNECTION_CHECK_H": "0",
    }
    since = datetime.now(UTC)
    try:
        with worker(service, "scale-worker", **settings) as proc:
            started = time.perf_counter()
            left = _wait_swept(database, since, deadline_s=bound_s + 60)
            elapsed = time.perf_counter() - started
            log = proc.log.read_text(errors="replace")
    finally:
        database.dispose()
        emulator.limits(app_minute=10_000)
    after = emulator.stats()
    result = {
        "organisations": orgs,
        "app_limit_per_min": app_limit,
        "bound_s": bound_s,
        "duration_s": elapsed if not left else None,
        "waited_s": elapsed,
        "left": left,
        "api_calls": after["api_calls_total"] - before["api_calls_total"],
        "rate_limited_429": after["rate_limited"] - before["rate_limited"],
        "failed_refreshes_logged": log.count("reference refresh of tenant"),
        "failed_rate_limited": log.count("failed: XERO_RATE_LIMITED"),
    }
    print(f"  sweep: {result}", flush=True)
    return result


def _wait_swept(database: Database, since: datetime, deadline_s: float) -> int:
    """Until no cache is older than `since`; the number still older when time runs out."""
    stale = or_(caches.c.fetched_at < since, caches.c.extended_fetched_at < since)
    statement = select(func.count()).select_from(caches).where(stale)
    deadline = time.monotonic() + deadline_s
    while True:
        with database.engine.connect() as conn:
            left: int = conn.execute(statement).scalar_one()
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


def _rows(backend: str, count: int, f: dict[str, Any]) -> list[Row]:
    name = f"4 scale, {count:,} bindings"
    bare = f["bare"]
    rows = [
        _pass_row(name, backend, "cold process, first call per binding", f["cold"], bare),
        _pass_row(name, backend, "warm process, second pass", f["warm"], bare),
        Row(name, backend, "first call of the new process", ms(f["cold"]["first_call_ms"])),
    ]
    idle, warm = f["rss_idle_kib"]["VmRSS"], f["rss_warm_kib"]["VmRSS"]
    rows.append(
        Row(
            name,
            backend,
            "serve RSS after the warm pass",
            f"{warm / 1024:.0f} MiB",
            f"idle {idle / 1024:.0f} MiB",
            f"+{(warm - idle) / count:.1f} KiB/binding",
        )
    )
    return [*rows, _sweep_row(name, backend, f["sweep"])]


def _pass_row(
    name: str, backend: str, label: str, run: dict[str, Any], bare: dict[str, Any]
) -> Row:
    lat, bare_lat = run["latency"], bare["latency"]
    return Row(
        name,
        backend,
        f"GetFreshToken c={CONCURRENCY}, {label}: rate, p50 / p99",
        f"{per_s(run['throughput'])}, {ms(lat['p50_ms'])} / {ms(lat['p99_ms'])}",
        f"bare {per_s(bare['throughput'])}, {ms(bare_lat['p50_ms'])} / {ms(bare_lat['p99_ms'])}",
        times(ratio(run["throughput"], bare["throughput"])),
    )


def _sweep_row(name: str, backend: str, s: dict[str, Any]) -> Row:
    done = s["duration_s"]
    value = (
        f"{done:.0f} s"
        if done is not None
        else f"unfinished: {s['left']} left at {s['waited_s']:.0f} s"
    )
    value += f"; {s['api_calls']:,} calls, {s['rate_limited_429']} x 429"
    value += f", {s['failed_refreshes_logged']} org refreshes failed"
    value += f" ({s['failed_rate_limited']} on our own budget)"
    orgs, limit = s["organisations"], s["app_limit_per_min"]
    return Row(
        name,
        backend,
        f"daily reference sweep, {orgs:,} orgs at {limit:,} calls/min",
        value,
        f"bound {s['bound_s']:.0f} s" if s["bound_s"] else "bound: fits one minute window",
        times(ratio(done, s["bound_s"])) if done is not None and s["bound_s"] else "",
        "close to 1x, no 429",
    )
