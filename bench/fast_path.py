"""1. GetFreshToken's fast path against a bare grpcio servicer (DESIGN §5 "For scale").

The real service is a `ledger-connect serve` process with one binding connected through the
real flow; the baseline is `bench.bare_server` answering a constant of the same size. One
load generator process drives both, alternating bare and real runs at each concurrency
level, and every figure is the median over the rounds. The token is fresh throughout, so
this is the path every sync call takes: the in-process cache, or one read every few seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.context import Context
from bench.emulator import Emulator
from bench.procs import PY, Proc, clean_env, free_port, loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio

NAME = "fast_path"
LEVELS = (1, 8, 32)
TARGET = 0.7


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    rounds, seconds = ctx.pick(2, 5), ctx.pick(0.6, 2.0)
    outcome.note(f"{rounds} rounds of bare/real runs of {seconds} s per concurrency level")
    with Emulator(ctx.workdir) as emulator:
        for backend in ctx.backends:
            with database_url(backend, ctx.workdir, "fast") as url:
                service = Service(ctx.workdir, url, emulator)
                figures = _backend(ctx, service, backend, rounds, seconds)
            outcome.details[backend] = figures
            outcome.rows += _rows(backend, figures)
    return outcome


def _backend(
    ctx: Context, service: Service, backend: str, rounds: int, seconds: float
) -> dict[str, Any]:
    with service.container() as built:
        binding_id = connect_binding(built, service.emulator, "fast")
        settle(built, binding_id)
    base = {"token": service.caller_token, "bindings": [binding_id]}
    with service.serve(f"serve-fast-{backend}") as (serve, real):
        sizes = loadgen(base | {"mode": "probe", "targets": [real]})
        with bare_server(ctx, sizes) as (bare, bare_target):
            servers = {"bare": (bare.pid, bare_target), "real": (serve.pid, real)}
            levels = {c: _interleaved(ctx, base, servers, c, rounds, seconds) for c in LEVELS}
        rss = serve.rss_kib()
    return {"response": sizes, "levels": levels, "serve_rss_kib": rss}


@contextmanager
def bare_server(ctx: Context, sizes: dict[str, Any]) -> Iterator[tuple[Proc, str]]:
    port = free_port()
    argv = [PY, "-m", "bench.bare_server", str(port), json.dumps(sizes)]
    with Proc("bare", argv, clean_env(), ctx.workdir / "bare.log") as proc:
        proc.wait_for("bare server ready")
        yield proc, f"127.0.0.1:{port}"


def _interleaved(
    ctx: Context,
    base: dict[str, Any],
    servers: dict[str, tuple[int, str]],
    concurrency: int,
    rounds: int,
    seconds: float,
) -> dict[str, Any]:
    spec = base | {"mode": "timed", "concurrency": concurrency, "duration_s": seconds}
    spec["warmup_s"] = ctx.pick(0.3, 0.5)
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], "real": []}
    for _ in range(rounds):
        for kind, (pid, target) in servers.items():
            runs[kind].append(loadgen(spec | {"targets": [target], "server_pid": pid}))
    summary = {kind: _medians(results) for kind, results in runs.items()}
    paired = [ratio(r["throughput"], b["throughput"]) for b, r in zip(*runs.values(), strict=True)]
    summary["ratio"] = median(paired)
    summary["per_round_ratios"] = paired
    bare, real = summary["bare"], summary["real"]
    print(
        f"  c={concurrency:<3} bare {per_s(bare['throughput'])} ({bare['server_cpu_us']:.0f} us"
        f" CPU/call)  real {per_s(real['throughput'])} ({real['server_cpu_us']:.0f} us)"
        f"  ratio {times(summary['ratio'])}",
        flush=True,
    )
    return summary | {"runs": runs}


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
        bare, real = level["bare"], level["real"]
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
    return rows
