"""7. Watch latency: a change committed on replica A reaches watchers on replica B (issue 15).

Two `ledger-connect serve` processes share one PostgreSQL database. The client (its own
process, bench/watch_client.py) holds `WATCHERS_B` WatchBindings streams on replica B and
one on replica A, then sends Magento profile updates to replica A's HTTP API one at a time,
each a transaction that writes one event. Measured per update, from the moment it was
sent: its event at every watcher on B (cross-replica: A's NOTIFY, B's LISTEN, B's pump and
fan-out) and at the watcher on A (the same process committed it: the baseline, measured
for the very same events, so the rounds interleave by construction). Those include the
update's HTTP handling on A; from the event's `occurred_at` (A's clock when the use case
began, before its locks and commit; one host, one wall clock) is a tighter bound, and the
time from A's answer to the event on B is a lower bound (the commit comes before the
answer, so it can be negative). The headline, held to the goal (p99 under 250 ms), starts
at the commit itself, as heard by a LISTEN connection of the client's own. Polling
(LEDGER_EVENT_POLL_S) is set to 30 s on both replicas, so only NOTIFY can explain a fast
event on B.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from contextlib import ExitStack
from typing import Any

from sqlalchemy.engine import make_url

from app.demo import sample_profile
from bench.context import Context
from bench.emulator import Emulator
from bench.procs import PY, ROOT, free_port
from bench.report import Outcome, Row, ms, times
from bench.stack import Service, database_url, lacks_postgres
from domain.magento import MagentoProfile

NAME = "watch_latency"
BINDINGS = 20
GOAL_P99_MS = 250.0
POLL_S = "30"


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    if lacks_postgres(ctx, outcome):
        return outcome
    writes, watchers_b = ctx.pick(60, 400), ctx.pick(20, 100)
    with Emulator(ctx.workdir) as emulator, database_url("postgres", ctx.workdir, "watch") as url:
        service = Service(ctx.workdir, url, emulator, LEDGER_EVENT_POLL_S=POLL_S)
        result = _measure(service, writes, watchers_b)
    outcome.details.update(result)
    outcome.rows += _rows(result)
    return outcome


def _measure(service: Service, writes: int, watchers_b: int) -> dict[str, Any]:
    with ExitStack() as stack:
        built = stack.enter_context(service.container())
        shops = _shops(built)
        http_a = free_port()
        _, target_a = stack.enter_context(service.serve("watch-a", LEDGER_HTTP_PORT=str(http_a)))
        _, target_b = stack.enter_context(service.serve("watch-b"))
        spec = {
            "token": service.caller_token,
            "target_a": target_a,
            "target_b": target_b,
            "http_a": f"http://127.0.0.1:{http_a}",
            "after": built.service.events.current(),
            "database_url": str(
                make_url(service.url)
                .set(drivername="postgresql")
                .render_as_string(hide_password=False)
            ),
            "bindings": shops,
            "writes": writes,
            "watchers_b": watchers_b,
            "pause_s": 0.02,
        }
        result = _client(spec)
    print(
        f"  A -> B ({watchers_b} watchers): p50 {ms(result['cross_replica']['p50_ms'])}, "
        f"p99 {ms(result['cross_replica']['p99_ms'])}; A -> A: p50 "
        f"{ms(result['same_replica']['p50_ms'])}, p99 {ms(result['same_replica']['p99_ms'])}",
        flush=True,
    )
    return result | {"writes": writes}


def _shops(built: Any) -> list[dict[str, Any]]:
    service = built.service
    account = service.accounts.create(f"watch-{uuid.uuid4().hex[:6]}@bench.test", "scale", "x")
    shops = []
    for _ in range(BINDINGS):
        created = service.create_binding(account.id)
        profile = sample_profile(f"https://watch-{uuid.uuid4().hex[:8]}.shop.test")
        paired = service.redeem_pairing(created.pairing_code, MagentoProfile.from_dict(profile))
        shops.append(
            {"id": created.binding_id, "secret": paired.connector_secret, "profile": profile}
        )
    return shops


def _client(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own client
        [PY, "-m", "bench.watch_client"],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"watch client failed: {done.stderr.strip()[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _rows(result: dict[str, Any]) -> list[Row]:
    cross, local, write = result["cross_replica"], result["same_replica"], result["write"]
    after, began = result["cross_after_answer"], result["cross_from_change"]
    commit = result["cross_from_commit"]
    name = f"7 watch latency ({result['writes']} changes, {result['watchers_b']} watchers on B)"
    return [
        Row(
            name,
            "postgres",
            "commit on A (its NOTIFY heard) -> event at every watcher on B, p50 / p99",
            f"{ms(commit['p50_ms'])} / {ms(commit['p99_ms'])}",
            f"A answered -> event on B (lower bound): {ms(after['p50_ms'])} / "
            f"{ms(after['p99_ms'])}",
            "",
            f"p99 < {GOAL_P99_MS:.0f} ms",
        ),
        Row(
            name,
            "postgres",
            "change began on A (its occurred_at) -> event at every watcher on B, p50 / p99",
            f"{ms(began['p50_ms'])} / {ms(began['p99_ms'])}",
            "includes the change's own locks and commit on A",
        ),
        Row(
            name,
            "postgres",
            "change sent to A -> event at every watcher on B, p50 / p99",
            f"{ms(cross['p50_ms'])} / {ms(cross['p99_ms'])}",
            f"watcher on A: {ms(local['p50_ms'])} / {ms(local['p99_ms'])}; the PUT itself: "
            f"{ms(write['p50_ms'])} / {ms(write['p99_ms'])}",
            times(cross["p99_ms"] / local["p99_ms"]) if local["p99_ms"] else "",
        ),
    ]
