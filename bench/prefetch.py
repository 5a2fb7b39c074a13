"""3. Reference prefetch in two waves against the same 7 fetches one after another (§6).

The emulator answers every Accounting API call after 250 ms and still allows 5 calls in
flight per organisation. One binding is connected through the real flow; then, in each
round and with one HttpXeroProvider: the 7 kinds fetched sequentially (the baseline; its
median call is "one call"), the two waves as the adapter runs them (`fetch_reference` per
wave, as ReferenceService and ConnectionSettler call it), and the real use case
(`ReferenceService.refresh`, one wave at a time: token, fetch, cache and policy written to
the database). Green row = critical wave done; whole cache = both waves done.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from adapters.xero.limits import OrgLimiter
from adapters.xero.provider import HttpXeroProvider
from app.bootstrap import xero_configs
from bench.context import Context
from bench.emulator import Emulator
from bench.report import Outcome, Row, ms, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio
from domain.reference import CRITICAL, EXTENDED
from domain.service import LedgerConnect
from domain.values import Environment

NAME = "prefetch"
LATENCY_MS = 250
GREEN_TARGET, WHOLE_TARGET = 1.3, 2.3
SANDBOX = Environment.SANDBOX
# The minute budgets are raised on both sides so that repeating the rounds is not throttled;
# the 5-in-flight limit that shapes the waves stays as Xero has it.
BUDGET = 100_000


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    rounds = ctx.pick(2, 5)
    outcome.note(
        f"{rounds} rounds; emulator latency {LATENCY_MS} ms on /api.xro/2.0, 5 calls in flight "
        "per organisation; minute budgets raised so repeated rounds are not throttled"
    )
    with Emulator(ctx.workdir) as emulator:
        emulator.limits(per_org_minute=BUDGET, per_org_day=BUDGET, app_minute=BUDGET)
        for backend in ctx.backends:
            with database_url(backend, ctx.workdir, "prefetch") as url:
                figures = _backend(Service(ctx.workdir, url, emulator), rounds)
            outcome.details[backend] = figures
            outcome.rows += _rows(backend, figures)
    return outcome


def _backend(service: Service, rounds: int) -> dict[str, Any]:
    limiter = OrgLimiter(per_minute=BUDGET, app_per_minute=BUDGET)
    with (
        HttpXeroProvider(xero_configs(service.settings()), limiter=limiter) as xero,
        service.container(xero=xero) as built,
    ):
        binding_id = connect_binding(built, service.emulator, "prefetch")
        settle(built, binding_id)
        service.emulator.faults(latency_ms=LATENCY_MS, latency_paths=["/api.xro/2.0"])
        try:
            runs = [_round(built.service, xero, binding_id) for _ in range(rounds)]
        finally:
            service.emulator.faults(latency_ms=0)
    return _medians(runs) | {"rounds": runs}


def _round(service: LedgerConnect, xero: HttpXeroProvider, binding_id: str) -> dict[str, Any]:
    token = service.tokens.fresh_token(binding_id)
    fetch: Callable[[Any], object] = lambda kinds: xero.fetch_reference(  # noqa: E731
        SANDBOX, token.access_token, token.tenant_id, kinds
    )
    singles = [_timed(lambda k=kind: fetch((k,))) for kind in CRITICAL + EXTENDED]
    green = _timed(lambda: fetch(CRITICAL))
    rest = _timed(lambda: fetch(EXTENDED))
    use_green = _timed(lambda: service.reference.refresh(binding_id, (CRITICAL,)))
    use_rest = _timed(lambda: service.reference.refresh(binding_id, (EXTENDED,)))
    result = {
        "one_call_s": median(singles),
        "singles_s": dict(zip((k.value for k in CRITICAL + EXTENDED), singles, strict=True)),
        "sequential_critical_s": sum(singles[: len(CRITICAL)]),
        "sequential_all_s": sum(singles),
        "adapter_green_s": green,
        "adapter_whole_s": green + rest,
        "usecase_green_s": use_green,
        "usecase_whole_s": use_green + use_rest,
    }
    print(
        f"  one call {ms(result['one_call_s'] * 1000)}, sequential "
        f"{ms(result['sequential_all_s'] * 1000)}, waves {ms(green * 1000)} + {ms(rest * 1000)},"
        f" use case {ms(use_green * 1000)} + {ms(use_rest * 1000)}",
        flush=True,
    )
    return result


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in runs[0].items() if isinstance(v, float)]
    return {k: median(r[k] for r in runs) for k in keys}


def _rows(backend: str, f: dict[str, Any]) -> list[Row]:
    one = f["one_call_s"] * 1000
    base = f"one call {ms(one)}"
    name = "3 prefetch"

    def row(measure: str, seconds: float, baseline: str = base, target: str = "") -> Row:
        value = seconds * 1000
        return Row(name, backend, measure, ms(value), baseline, times(ratio(value, one)), target)

    return [
        replace(row("one call (median of the 7 kinds)", f["one_call_s"], ""), ratio=""),
        replace(
            row("sequential: 4 critical / all 7", f["sequential_all_s"]),
            value=f"{ms(f['sequential_critical_s'] * 1000)} / {ms(f['sequential_all_s'] * 1000)}",
        ),
        row("green row, adapter wave", f["adapter_green_s"], target=f"< {GREEN_TARGET}x"),
        row("whole cache, adapter waves", f["adapter_whole_s"], target=f"< {WHOLE_TARGET}x"),
        row("green row, use case (+ DB)", f["usecase_green_s"], target=f"< {GREEN_TARGET}x"),
        row("whole cache, use case (+ DB)", f["usecase_whole_s"], target=f"< {WHOLE_TARGET}x"),
    ]
