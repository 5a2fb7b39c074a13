"""1. GetFreshToken's fast path against a bare grpcio servicer (DESIGN §5 "For scale").

The real service is a `ledger-connect serve` process with one binding connected through the
real flow; the baseline is `bench.bare_server` answering a constant of the same size. One
load generator process drives both, alternating bare and real runs at each concurrency
level, and every figure is the median over the rounds. The token is fresh throughout, so
this is the path every sync call takes: the in-process cache, or one read every few seconds.

The audit of credential reads (issue 15 item 7) is measured in the same run: a second `serve`
with LEDGER_READ_AUDIT=0 (its own database, as SQLite allows one process per file, and its
own binding) is a third arm of each round, so "audit on" (the service as it ships) compares
with "audit off" round by round. The arms' order alternates between rounds.
"""

from __future__ import annotations

import json
import time
import timeit
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from adapters.system import SystemClock
from bench.context import Context
from bench.emulator import Emulator
from bench.procs import PY, Proc, clean_env, free_port, loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio
from domain.reads import CredentialReads
from domain.usecases.audit import ReadRecorder

NAME = "fast_path"
LEVELS = (1, 8, 32)
TARGET = 0.7
AUDIT_TARGET = 0.98


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    rounds, seconds = ctx.pick(2, 5), ctx.pick(0.6, 2.0)
    outcome.note(f"{rounds} rounds of bare/real runs of {seconds} s per concurrency level")
    with Emulator(ctx.workdir) as emulator:
        for backend in ctx.backends:
            with (
                database_url(backend, ctx.workdir, "fast") as url,
                database_url(backend, ctx.workdir, "fastoff") as off_url,
            ):
                service = Service(ctx.workdir, url, emulator)
                unaudited = Service(ctx.workdir, off_url, emulator, LEDGER_READ_AUDIT="0")
                figures = _backend(ctx, service, unaudited, backend, rounds, seconds)
            outcome.details[backend] = figures
            outcome.rows += _rows(backend, figures)
    outcome.rows.append(_recording_cost(outcome.details))
    return outcome


def _backend(
    ctx: Context,
    service: Service,
    unaudited: Service,
    backend: str,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    specs = {name: _binding_spec(s, name) for name, s in (("on", service), ("off", unaudited))}
    with (
        service.serve(f"serve-fast-{backend}") as (serve, real),
        unaudited.serve(f"serve-fast-off-{backend}") as (off, off_target),
    ):
        sizes = loadgen(specs["on"] | {"mode": "probe", "targets": [real]})
        with bare_server(ctx, sizes) as (bare, bare_target):
            servers = {
                "bare": (bare.pid, bare_target, specs["on"]),
                "real": (serve.pid, real, specs["on"]),
                "audit off": (off.pid, off_target, specs["off"]),
            }
            levels = {c: _interleaved(ctx, servers, c, rounds, seconds) for c in LEVELS}
        rss = serve.rss_kib()
    return {"response": sizes, "levels": levels, "serve_rss_kib": rss}


def _binding_spec(service: Service, label: str) -> dict[str, Any]:
    with service.container() as built:
        binding_id = connect_binding(built, service.emulator, f"fast{label}")
        settle(built, binding_id)
    return {"token": service.caller_token, "bindings": [binding_id]}


class _NowhereLog:
    """Recording never writes; the cost measured is the hot path's alone."""

    def add(self, reads: Sequence[CredentialReads]) -> None:
        raise AssertionError("record() wrote")

    def query(self, **_: object) -> list[CredentialReads]:
        return []


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


@contextmanager
def bare_server(ctx: Context, sizes: dict[str, Any]) -> Iterator[tuple[Proc, str]]:
    port = free_port()
    argv = [PY, "-m", "bench.bare_server", str(port), json.dumps(sizes)]
    with Proc("bare", argv, clean_env(), ctx.workdir / "bare.log") as proc:
        proc.wait_for("bare server ready")
        yield proc, f"127.0.0.1:{port}"


def _interleaved(
    ctx: Context,
    servers: dict[str, tuple[int, str, dict[str, Any]]],
    concurrency: int,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    spec = {"mode": "timed", "concurrency": concurrency, "duration_s": seconds}
    spec["warmup_s"] = ctx.pick(0.3, 0.5)
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in servers}
    for number in range(rounds):
        order = list(servers) if number % 2 == 0 else list(reversed(servers))
        for kind in order:
            pid, target, base = servers[kind]
            runs[kind].append(loadgen(base | spec | {"targets": [target], "server_pid": pid}))
    summary: dict[str, Any] = {kind: _medians(results) for kind, results in runs.items()}
    summary["ratio"], summary["per_round_ratios"] = _paired(runs["real"], runs["bare"])
    summary["audit_ratio"], summary["audit_per_round"] = _paired(runs["real"], runs["audit off"])
    bare, real, off = summary["bare"], summary["real"], summary["audit off"]
    print(
        f"  c={concurrency:<3} bare {per_s(bare['throughput'])} ({bare['server_cpu_us']:.0f} us"
        f" CPU/call)  real {per_s(real['throughput'])} ({real['server_cpu_us']:.0f} us)"
        f"  audit off {per_s(off['throughput'])} ({off['server_cpu_us']:.0f} us)"
        f"  ratio {times(summary['ratio'])}, audit on/off {times(summary['audit_ratio'])}",
        flush=True,
    )
    return summary | {"runs": runs}


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


def _rows(backend: str, figures: dict[str, Any]) -> list[Row]:
    rows = []
    for c, level in figures["levels"].items():
        bare, real, off = level["bare"], level["real"], level["audit off"]
        name = f"1 fast path, c={c}"
        rows.append(
            Row(
                name,
                backend,
                "GetFreshToken throughput",
                per_s(real["throughput"]),
                f"bare grpcio {per_s(bare['throughput'])}",
                times(level["ratio"]),
                f">= {TARGET:.1f}x",
            )
        )
        rows.append(
            Row(
                name,
                backend,
                "latency p50 / p99",
                f"{ms(real['p50_ms'])} / {ms(real['p99_ms'])}",
                f"{ms(bare['p50_ms'])} / {ms(bare['p99_ms'])}",
            )
        )
        rows.append(
            Row(
                name,
                backend,
                "server CPU per call (capacity)",
                f"{real['server_cpu_us']:.0f} us",
                f"{bare['server_cpu_us']:.0f} us",
                times(ratio(bare["server_cpu_us"], real["server_cpu_us"])),
                f">= {TARGET:.1f}x",
            )
        )
        spread = level["audit_per_round"]
        rows.append(
            Row(
                name,
                backend,
                "audit of credential reads: throughput on / off "
                f"(rounds {min(spread):.2f}x-{max(spread):.2f}x)",
                per_s(real["throughput"]),
                f"audit off {per_s(off['throughput'])}",
                times(level["audit_ratio"]),
                f">= {AUDIT_TARGET:.2f}x",
            )
        )
        rows.append(
            Row(
                name,
                backend,
                "audit: server CPU per call on / off",
                f"{real['server_cpu_us']:.0f} us",
                f"{off['server_cpu_us']:.0f} us",
                times(ratio(off["server_cpu_us"], real["server_cpu_us"])),
            )
        )
    return rows
