"""5. Report herd: 20 sync workers report one 401 at once, over 3 replicas (issue 15 item 5).

Three `ledger-connect serve` processes share one PostgreSQL database and one emulator (its
own process). Per round a new binding is connected; the load process (separate) takes its
access token, has the emulator refuse that token before its expiry, and releases 20
ReportXeroAuthFailure(401) calls at once, round-robin over the replicas. Xero's side is
counted by the emulator: token-endpoint refreshes and GET /connections. Compare-and-refresh
reports (with token_sha256) are interleaved, round by round, with today's reports without
the hash, the baseline: each replica then checks /connections once per binding per 10 s,
and on the 401 it meets refreshes if current (issue 12 item 2).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from bench.context import Context
from bench.emulator import Emulator
from bench.procs import loadgen
from bench.report import Outcome, Row, ms, times
from bench.stack import Service, connect_binding, database_url, lacks_postgres, settle
from bench.stats import median

NAME = "report_herd"
REPLICAS, REPORTERS = 3, 20


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    if lacks_postgres(ctx, outcome):
        return outcome
    rounds = ctx.pick(2, 5)
    with Emulator(ctx.workdir) as emulator, database_url("postgres", ctx.workdir, "herd") as url:
        service = Service(ctx.workdir, url, emulator, LEDGER_CONNECTION_CHECK_H="0")
        results = _rounds(service, rounds)
    outcome.details["rounds"] = results
    outcome.rows += _rows(results)
    return outcome


def _rounds(service: Service, rounds: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with ExitStack() as stack:
        built = stack.enter_context(service.container())
        replicas = [stack.enter_context(service.serve(f"herd-{n}")) for n in range(REPLICAS)]
        spec: dict[str, Any] = {
            "mode": "report",
            "reporters": REPORTERS,
            "targets": [target for _, target in replicas],
            "token": service.caller_token,
            "emulator_url": service.emulator.base_url,
            "timeout_s": 30,
        }
        for number in range(rounds):
            for with_hash in (True, False):
                binding_id = connect_binding(built, service.emulator, f"herd{number}")
                settle(built, binding_id)
                results.append(_round(service.emulator, spec, binding_id, with_hash))
    return results


def _round(
    emulator: Emulator, spec: dict[str, Any], binding_id: str, with_hash: bool
) -> dict[str, Any]:
    before = _xero_calls(emulator)
    result = loadgen(spec | {"bindings": [binding_id], "with_hash": with_hash})
    after = _xero_calls(emulator)
    result["with_hash"] = with_hash
    result["refreshes"] = after[0] - before[0]
    result["connections_checks"] = after[1] - before[1]
    kind = "token_sha256" if with_hash else "no hash    "
    print(
        f"  {kind}: {REPORTERS} reports -> {result['refreshes']} refresh(es), "
        f"{result['connections_checks']} connections check(s); p50 "
        f"{ms(result['latency']['p50_ms'])}; answers {result['answers']}",
        flush=True,
    )
    return result


def _xero_calls(emulator: Emulator) -> tuple[int, int]:
    return emulator.refreshes(), int(emulator.stats()["connection_lists"])


def _rows(results: list[dict[str, Any]]) -> list[Row]:
    hashed = [r for r in results if r["with_hash"]]
    plain = [r for r in results if not r["with_hash"]]
    name = f"5 report herd ({len(hashed)}+{len(plain)} rounds x {REPORTERS} reports, 3 replicas)"

    def calls(rs: list[dict[str, Any]]) -> float:
        return median(r["refreshes"] + r["connections_checks"] for r in rs)

    def shown(rs: list[dict[str, Any]]) -> str:
        refresh = median(r["refreshes"] for r in rs)
        checks = median(r["connections_checks"] for r in rs)
        worst = max(r["refreshes"] + r["connections_checks"] for r in rs)
        return f"{refresh:.0f} refresh + {checks:.0f} check (max {worst} calls)"

    errors = sum(sum(r["errors"].values()) for r in hashed)
    ratio = calls(hashed) / calls(plain) if calls(plain) else 0.0
    return [
        Row(
            name,
            "postgres",
            "Xero calls per herd (median): with token_sha256",
            shown(hashed),
            f"no hash: {shown(plain)}",
            times(ratio),
            "<= 1 refresh + 1 check",
        ),
        Row(
            name,
            "postgres",
            "report p50 / p99 latency (median of rounds), errors",
            f"{ms(median(r['latency']['p50_ms'] for r in hashed))} / "
            f"{ms(median(r['latency']['p99_ms'] for r in hashed))}, {errors}",
            f"no hash: {ms(median(r['latency']['p50_ms'] for r in plain))} / "
            f"{ms(median(r['latency']['p99_ms'] for r in plain))}",
        ),
    ]
