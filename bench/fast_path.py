"""1. GetFreshToken's fast path against bare grpcio servicers (DESIGN §5 "For scale").

The real service is a `ledger-connect serve` process as it ships (caller auth, request ids,
the credential read audit, sweeps on) with one binding connected through the real flow. The
baselines are three `bench.bare_server` processes answering a constant of the same size:
grpcio's threaded server and a `grpc.aio` one on each event loop (the standard library's and
uvloop, which `serve` runs on), since any could be the faster on this machine. One load
generator process drives them all; at each concurrency level the rounds run every server in
turn (the order rotating from round to round), and every figure is the median over the
rounds. Each round's ratio is against the fastest baseline of that same round (the higher
throughput, the lower p50, the lower server CPU per call). The token is fresh throughout, so
this is the path every sync call takes: the in-process cache, or one read every
`token_cache_ttl`.

The audit of credential reads (issue 15 item 7) gets rounds of its own at c=8, inside the
real arm's own process: it runs as `bench.switched_serve`, the same `serve` with a signal
that switches the audit off and on (the flag LEDGER_READ_AUDIT sets), and many short runs
alternate the two states in ABBA order. Two processes, even interleaved round by round, also
differ in everything a process has of its own (its database, its heap, the core it gets),
which measured a few per cent either way, more than the audit's own cost; one process
switched leaves only the audit. A second `serve` on the standard library's loop
(LEDGER_GRPC_EVENT_LOOP=asyncio) shows what uvloop gives.
"""

from __future__ import annotations

import json
import signal
import time
import timeit
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any

import grpc
import uvloop

from adapters.grpc.auth import CallerAuth
from adapters.grpc.callers import SERVICE_NAME, parse_callers
from adapters.grpc.gate import CallGate
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.servicer import XeroConnectServicer
from adapters.grpc.streams import OpenStreams, StreamLimits
from adapters.system import SystemClock
from bench.context import Context
from bench.emulator import Emulator
from bench.procs import PY, Proc, clean_env, free_port, loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio, rotated
from domain.reads import CredentialReads
from domain.usecases.audit import ReadRecorder

NAME = "fast_path"
LEVELS = (1, 8, 32)
TARGET = 0.9  # throughput against the faster bare servicer (issue 17)
TARGET_P50 = 1.15  # p50 against the faster bare servicer's
TARGET_CPU = 0.7  # server CPU per call against the cheaper bare servicer's (capacity)
AUDIT_TARGET = 0.98
AUDIT_CONCURRENCY = 8
BARES = ("bare sync", "bare aio", "bare uvloop")
# The real arms: name -> extra LEDGER_* settings for its `serve` (each its own database).
ARMS: dict[str, dict[str, str]] = {
    "real": {},
    "asyncio loop": {"LEDGER_GRPC_EVENT_LOOP": "asyncio"},
}
# How each arm's `serve` is run: the real one with the audit's switch (bench.switched_serve).
MODULES = {"real": "bench.switched_serve", "asyncio loop": "app"}


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    rounds, seconds = ctx.pick(3, 5), ctx.pick(0.6, 2.0)
    outcome.note(
        f"{rounds} rounds per concurrency level, each running {', '.join([*BARES, *ARMS])} "
        f"for {seconds} s in turn (order rotating); ratios are per round against the faster "
        "bare servicer of that round, then the median"
    )
    with Emulator(ctx.workdir) as emulator:
        for backend in ctx.backends:
            with ExitStack() as databases:
                services = {
                    arm: Service(
                        ctx.workdir,
                        databases.enter_context(database_url(backend, ctx.workdir, f"fast{n}")),
                        emulator,
                        **extra,
                    )
                    for n, (arm, extra) in enumerate(ARMS.items())
                }
                figures = _backend(ctx, services, backend, rounds, seconds)
            outcome.details[backend] = figures
            outcome.rows += _rows(backend, figures)
    outcome.rows += [_own_code_row(outcome.details), _recording_cost(outcome.details)]
    return outcome


def _backend(
    ctx: Context, services: dict[str, Service], backend: str, rounds: int, seconds: float
) -> dict[str, Any]:
    specs = {
        arm: _binding_spec(service, f"fast{n}") for n, (arm, service) in enumerate(services.items())
    }
    own_us = _own_code_us(services["real"], specs["real"]["bindings"][0])
    with ExitStack() as stack:
        arms = {
            arm: stack.enter_context(service.serve(f"serve-fast-{backend}-{n}", MODULES[arm]))
            for n, (arm, service) in enumerate(services.items())
        }
        sizes = loadgen(specs["real"] | {"mode": "probe", "targets": [arms["real"][1]]})
        servers: dict[str, tuple[int, str, dict[str, Any]]] = {}
        for kind in BARES:
            proc, target = stack.enter_context(bare_server(ctx, sizes, kind.split()[-1]))
            servers[kind] = (proc.pid, target, specs["real"])
        servers |= {arm: (proc.pid, target, specs[arm]) for arm, (proc, target) in arms.items()}
        levels = {c: _interleaved(ctx, servers, c, rounds, seconds) for c in LEVELS}
        pairs, pair_s = ctx.pick(4, 16), ctx.pick(0.5, 1.5)
        audit = _audit_rounds(ctx, arms["real"][0], servers["real"], pairs, pair_s)
        rss = {arm: proc.rss_kib() for arm, (proc, _) in arms.items()}
    return {
        "response": sizes,
        "levels": levels,
        "audit": audit,
        "own_code_us": own_us,
        "serve_rss_kib": rss,
    }


def _binding_spec(service: Service, label: str) -> dict[str, Any]:
    with service.container() as built:
        binding_id = connect_binding(built, service.emulator, label)
        settle(built, binding_id)
    return {"token": service.caller_token, "bindings": [binding_id]}


@contextmanager
def bare_server(
    ctx: Context, sizes: dict[str, Any], kind: str = "sync", *extra: str, name: str = ""
) -> Iterator[tuple[Proc, str]]:
    """A bare grpcio server (`sync`, `aio`, `uvloop` or `storm`, see `bench.bare_server`, with its
    `extra` arguments) and its target."""
    port, name = free_port(), name or f"bare-{kind}"
    argv = [PY, "-m", "bench.bare_server", str(port), json.dumps(sizes), kind, *extra]
    with Proc(name, argv, clean_env(), ctx.workdir / f"{name}.log") as proc:
        proc.wait_for("bare server ready")
        yield proc, f"127.0.0.1:{port}"


class _Context:
    """What the gate and the cached path ask of grpc's servicer context, and nothing else."""

    def __init__(self, token: str) -> None:
        self._metadata = (("user-agent", "grpc-python/bench"), ("authorization", f"Bearer {token}"))

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def time_remaining(self) -> float:
        return 5.0

    def peer(self) -> str:
        return "ipv4:127.0.0.1:1"


def _own_code_us(service: Service, binding_id: str) -> float:
    """Our code on the cached path alone, in process: the gate (request id, caller auth),
    the method and the audit's recording, as `serve` registers them, called on an event loop
    with a stand-in for grpc's context; CPU time per call, the best of 5 batches (each well
    within the token cache's TTL, so every call is the cached path)."""
    calls = 20_000
    with service.container() as built, ThreadPoolExecutor(1) as pool:
        servicer = XeroConnectServicer(built.service, pool)
        auth = CallerAuth(parse_callers(f"bench={service.caller_token}:*"))
        gate = CallGate(auth, OpenStreams(StreamLimits()))
        handler = grpc.unary_unary_rpc_method_handler(servicer.GetFreshToken)
        call = gate.gated(f"/{SERVICE_NAME}/GetFreshToken", handler).unary_unary
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        context = _Context(service.caller_token)

        async def batch() -> float:
            await call(request, context)  # the first fills the cache
            began = time.thread_time()
            for _ in range(calls):
                await call(request, context)
            return (time.thread_time() - began) / calls * 1e6

        loop = uvloop.new_event_loop()
        try:
            return min(loop.run_until_complete(batch()) for _ in range(5))
        finally:
            loop.close()


class _NowhereLog:
    """Recording never writes; the cost measured is the hot path's alone."""

    def add(self, reads: Sequence[CredentialReads]) -> None:
        raise AssertionError("record() wrote")

    def query(self, **_: object) -> list[CredentialReads]:
        return []


def _own_code_row(details: dict[str, Any]) -> Row:
    own = median(d["own_code_us"] for d in details.values())
    per_call = median(
        lv["real"]["server_cpu_us"] for d in details.values() for lv in d["levels"].values()
    )
    return Row(
        "1 fast path, our code",
        "any",
        "gate + cached GetFreshToken + audit, in process (CPU time) / server CPU per call",
        f"{own:.1f} us",
        f"{per_call:.0f} us per call",
        f"{own / per_call:.1%}",
        "",
    )


def _recording_cost(details: dict[str, Any]) -> Row:
    """`ReadRecorder.record` in this process, in CPU time (the best of 5 repeats), against
    the server CPU per call the rounds measured with the audit on (their median)."""
    recorder = ReadRecorder(_NowhereLog(), SystemClock())
    calls = 200_000
    timer = timeit.Timer(lambda: recorder.record("sync-invoices", "b-1"), timer=time.thread_time)
    ns = min(timer.repeat(5, calls)) / calls * 1e9
    per_call = [
        lv["real"]["server_cpu_us"] for d in details.values() for lv in d["levels"].values()
    ]
    share = ns / 1000 / median(per_call)
    return Row(
        "1 fast path, audit",
        "any",
        "recording one read (in process, CPU time) / server CPU per call",
        f"{ns:.0f} ns",
        f"{median(per_call):.0f} us per call",
        f"{share:.2%}",
        "<= 2% of a call",
    )


def _interleaved(
    ctx: Context,
    servers: dict[str, tuple[int, str, dict[str, Any]]],
    concurrency: int,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    spec = {"mode": "timed", "concurrency": concurrency, "duration_s": seconds}
    spec["warmup_s"] = ctx.pick(0.3, 0.5)
    names = list(servers)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for n in range(rounds):
        for name in rotated(names, n):
            pid, target, base = servers[name]
            runs[name].append(loadgen(base | spec | {"targets": [target], "server_pid": pid}))
    summary: dict[str, Any] = {name: _medians(results) for name, results in runs.items()}
    best = [_best_bare({kind: runs[kind][n] for kind in BARES}) for n in range(rounds)]
    summary["faster_bare"] = [b["kind"] for b in best]
    for arm in ARMS:
        pairs = list(zip(runs[arm], best, strict=True))
        per_round = [ratio(r["throughput"], b["throughput"]) for r, b in pairs]
        summary[arm] |= {
            "ratio": median(per_round),
            "p50_ratio": median(ratio(r["latency"]["p50_ms"], b["p50_ms"]) for r, b in pairs),
            "cpu_ratio": median(
                ratio(b["server_cpu_us"], r["server_cpu_us_per_call"]) for r, b in pairs
            ),
            "per_round_ratios": per_round,
        }
    summary["loop_ratio"], _ = _paired(runs["asyncio loop"], runs["real"])
    line = "  ".join(
        f"{name} {per_s(summary[name]['throughput'])} ({summary[name]['server_cpu_us']:.0f} us)"
        for name in names
    )
    ratios = "  ".join(
        f"{arm} {times(summary[arm]['ratio'])} p50 {times(summary[arm]['p50_ratio'])}"
        for arm in ARMS
    )
    print(
        f"  c={concurrency:<3} {line}  ->  {ratios}",
        flush=True,
    )
    return summary | {"runs": runs}


def _audit_rounds(
    ctx: Context,
    proc: Proc,
    server: tuple[int, str, dict[str, Any]],
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    """`rounds` pairs of short runs at c=8 of one `serve` with its audit on and switched off,
    in ABBA order (on, off, off, on, ...), so neither state always runs first; the ratio of
    each pair, their median, and the ratio of all calls made on to all made off. The audit
    is left on, as it ships."""
    spec = {"mode": "timed", "concurrency": AUDIT_CONCURRENCY, "duration_s": seconds}
    spec["warmup_s"] = ctx.pick(0.2, 0.3)
    pid, target, base = server
    runs: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    switches = 0
    state = "on"
    for n in range(rounds):
        for arm in ("on", "off") if n % 2 == 0 else ("off", "on"):
            if arm != state:
                switches += 1
                proc.send_signal(signal.SIGUSR1 if arm == "on" else signal.SIGUSR2)
                proc.wait_for(f"read audit {arm} (switch {switches})", timeout_s=10)
                state = arm
            runs[arm].append(loadgen(base | spec | {"targets": [target], "server_pid": pid}))
    if state != "on":
        switches += 1
        proc.send_signal(signal.SIGUSR1)
        proc.wait_for(f"read audit on (switch {switches})", timeout_s=10)
    ratio_of_medians, per_round = _paired(runs["on"], runs["off"])
    calls = {arm: sum(r["throughput"] for r in results) for arm, results in runs.items()}
    cpu = {arm: median(r["server_cpu_us_per_call"] for r in rs) for arm, rs in runs.items()}
    summary = {
        "rounds": rounds,
        "seconds": seconds,
        "switches": switches,
        "ratio": ratio_of_medians,
        "per_round": per_round,
        "summed_ratio": ratio(calls["on"], calls["off"]),
        "throughput": {arm: median(r["throughput"] for r in rs) for arm, rs in runs.items()},
        "server_cpu_us": cpu,
    }
    print(
        f"  audit, c={AUDIT_CONCURRENCY}, {rounds} ABBA pairs in one process: on/off median "
        f"{times(summary['ratio'])}, summed {times(summary['summed_ratio'])}, "
        f"CPU per call {cpu['on']:.0f} / {cpu['off']:.0f} us",
        flush=True,
    )
    return summary | {"runs": runs}


def _best_bare(round_runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The faster baseline of one round: the higher throughput (and which kind that was),
    the lower p50 and the lower server CPU per call, each the best of them."""
    kind = max(round_runs, key=lambda k: round_runs[k]["throughput"])
    return {
        "kind": kind,
        "throughput": round_runs[kind]["throughput"],
        "p50_ms": min(r["latency"]["p50_ms"] for r in round_runs.values()),
        "server_cpu_us": min(r["server_cpu_us_per_call"] for r in round_runs.values()),
    }


def _paired(
    runs: list[dict[str, Any]], baselines: list[dict[str, Any]]
) -> tuple[float, list[float]]:
    """The median of round-by-round throughput ratios, and those ratios."""
    paired = [ratio(r["throughput"], b["throughput"]) for r, b in zip(runs, baselines, strict=True)]
    return median(paired), paired


def _medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "throughput": median(r["throughput"] for r in results),
        "p50_ms": median(r["latency"]["p50_ms"] for r in results),
        "p99_ms": median(r["latency"]["p99_ms"] for r in results),
        "server_cpu_us": median(r["server_cpu_us_per_call"] for r in results),
        "client_cpu_us": median(r["client_cpu_us_per_call"] for r in results),
        "errors": sum(sum(r["errors"].values()) for r in results),
    }


def _bares(level: dict[str, Any], key: str, show: Any) -> str:
    return ", ".join(f"{kind.split(maxsplit=1)[1]} {show(level[kind][key])}" for kind in BARES)


def _rows(backend: str, figures: dict[str, Any]) -> list[Row]:
    rows = []
    for c, level in figures["levels"].items():
        real, stdlib = level["real"], level["asyncio loop"]
        faster = max(set(level["faster_bare"]), key=level["faster_bare"].count)
        name = f"1 fast path, c={c}"
        us = "{:.0f} us".format
        rows += [
            Row(
                name,
                backend,
                "GetFreshToken throughput (audit on)",
                per_s(real["throughput"]),
                f"bare {_bares(level, 'throughput', per_s)} "
                f"(faster: {faster.split(maxsplit=1)[1]})",
                times(real["ratio"]),
                f">= {TARGET:.1f}x",
            ),
            Row(
                name,
                backend,
                "latency p50 / p99",
                f"{ms(real['p50_ms'])} / {ms(real['p99_ms'])}",
                f"p50 {_bares(level, 'p50_ms', ms)}",
                f"p50 {times(real['p50_ratio'])}",
                f"p50 <= {TARGET_P50:.2f}x",
            ),
            Row(
                name,
                backend,
                "server CPU per call (capacity)",
                us(real["server_cpu_us"]),
                _bares(level, "server_cpu_us", us),
                times(real["cpu_ratio"]),
                f">= {TARGET_CPU:.1f}x",
            ),
            Row(
                name,
                backend,
                "serve on the standard library's loop (LEDGER_GRPC_EVENT_LOOP=asyncio)",
                f"{per_s(stdlib['throughput'])}, {us(stdlib['server_cpu_us'])}",
                f"uvloop {per_s(real['throughput'])}, {us(real['server_cpu_us'])}",
                times(level["loop_ratio"]),
                "",
            ),
        ]
    audit = figures["audit"]
    spread = audit["per_round"]
    cpu = audit["server_cpu_us"]
    rows += [
        Row(
            f"1 fast path, audit, c={AUDIT_CONCURRENCY}",
            backend,
            f"throughput on / switched off in the same serve, {audit['rounds']} ABBA pairs of "
            f"{audit['seconds']:g} s (pairs {min(spread):.2f}x-{max(spread):.2f}x; all calls "
            f"on / off {times(audit['summed_ratio'])})",
            per_s(audit["throughput"]["on"]),
            f"audit off {per_s(audit['throughput']['off'])}",
            times(audit["ratio"]),
            f">= {AUDIT_TARGET:.2f}x",
        ),
        Row(
            f"1 fast path, audit, c={AUDIT_CONCURRENCY}",
            backend,
            "server CPU per call on / off",
            f"{cpu['on']:.0f} us",
            f"{cpu['off']:.0f} us",
            times(ratio(cpu["off"], cpu["on"])),
            "",
        ),
    ]
    return rows
