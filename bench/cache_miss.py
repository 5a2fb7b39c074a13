"""2. Cache misses: GetFreshToken for bindings nobody asked for in the last few seconds.

10,000 connected bindings over 1,000 emulated organisations on each backend; one `serve`
process as it ships (sweeps on; reference caches an hour old and grants just issued, so the
sweeps find what a steady day gives them: little). One load generator process alternates a
bare grpcio servicer and the real service at c=8, round after round. Each real run walks its
own permutation of all the bindings and takes fewer calls than there are bindings, and the
token cache's few seconds have passed since the previous real run, so every call is a miss:
one read (a prepared, autocommit statement) and one decryption.
"""

from __future__ import annotations

import random
import time
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

from bench.context import Context
from bench.emulator import Emulator
from bench.fast_path import bare_server
from bench.population import populate
from bench.procs import loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, database_url
from bench.stats import median, ratio, rotated
from domain.usecases.tunables import Tunables

NAME = "cache_miss"
CONCURRENCY = 8
BINDINGS_PER_ORG = 10
TARGET = 0.35
CACHE_TTL_S = Tunables().token_cache_ttl.total_seconds()


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    count = ctx.pick(2_000, 10_000)
    rounds, seconds = ctx.pick(2, 5), ctx.pick(1.0, 2.0)
    outcome.note(
        f"{count:,} bindings over {count // BINDINGS_PER_ORG:,} organisations, c={CONCURRENCY}, "
        f"{rounds} interleaved rounds of {seconds:g} s per server; serve with its sweeps on"
    )
    for backend in ctx.backends:
        with (
            Emulator(ctx.workdir, organisations=count // BINDINGS_PER_ORG) as emulator,
            database_url(backend, ctx.workdir, "miss") as url,
        ):
            service = Service(ctx.workdir, url, emulator)
            ids = populate(service, count, cache_age=timedelta(hours=1)).ids
            figures = misses(ctx, service, ids, rounds, seconds, f"miss-{backend}")
        outcome.details[backend] = figures
        outcome.rows += rows(f"2 cache miss, {count:,} bindings", backend, figures)
    return outcome


def misses(
    ctx: Context,
    service: Service,
    ids: list[str],
    rounds: int,
    seconds: float,
    name: str,
    warm_pass: bool = False,
) -> dict[str, Any]:
    """Interleaved bare and real runs of misses at c=8; medians, paired ratios, RSS. With
    `warm_pass`, every binding is asked once first, and RSS is taken before and after."""
    return interleaved(ctx, [(service, ids, name)], rounds, seconds, warm_pass)[0]


Arm = tuple[Service, list[str], str]


def interleaved(
    ctx: Context, arms: list[Arm], rounds: int, seconds: float, warm_pass: bool = False
) -> list[dict[str, Any]]:
    """`misses` for several services at once (each its own bindings and `serve`), their runs
    and the bare servicer's interleaved round by round (the arms' order rotating), so every
    ratio is against a baseline measured in the same minutes; one result per arm."""
    spec = {
        "mode": "timed",
        "token": arms[0][0].caller_token,
        "concurrency": CONCURRENCY,
        "duration_s": seconds,
        "warmup_s": 0.5,
    }
    bare_runs: list[dict[str, Any]] = []
    real_runs: list[list[dict[str, Any]]] = [[] for _ in arms]
    warm: list[dict[str, Any]] = [{} for _ in arms]
    rss: list[dict[str, int]] = []
    with ExitStack() as stack:
        served = [stack.enter_context(service.serve(name)) for service, _, name in arms]
        for (service, ids, _), (serve, target), warmed in zip(arms, served, warm, strict=True):
            if warm_pass:
                warmed["rss_idle_kib"] = serve.rss_kib()
                each = {"mode": "each", "targets": [target], "bindings": ids}
                each["token"] = service.caller_token  # each service knows its own callers
                warmed["pass"] = loadgen(spec | each, timeout_s=1800)
                warmed["rss_after_warm_pass_kib"] = serve.rss_kib()
                rss_mib = warmed["rss_after_warm_pass_kib"]["VmRSS"] / 1024
                print(f"  warm pass: {per_s(warmed['pass']['throughput'])}, RSS {rss_mib:.0f} MiB")
        probe = {"mode": "probe", "targets": [served[0][1]], "bindings": arms[0][1][:1]}
        sizes = loadgen(spec | probe)
        with bare_server(ctx, sizes) as (bare, bare_target):
            last_real = [time.monotonic()] * len(arms)
            for n in range(rounds):
                order = random.Random(n).sample(arms[0][1], len(arms[0][1]))
                bare_spec = {"targets": [bare_target], "server_pid": bare.pid, "bindings": order}
                bare_runs.append(loadgen(spec | bare_spec))
                for k in rotated(range(len(arms)), n):
                    (service, ids, _), (serve, target) = arms[k], served[k]
                    # The previous run's tokens must have left the cache: every call a miss.
                    time.sleep(max(0.0, last_real[k] + CACHE_TTL_S + 0.2 - time.monotonic()))
                    mine = random.Random(n).sample(ids, len(ids))
                    real_spec = {"targets": [target], "server_pid": serve.pid, "bindings": mine}
                    real_spec["token"] = service.caller_token
                    real_runs[k].append(loadgen(spec | real_spec))
                    last_real[k] = time.monotonic()
                    _print(n, bare_runs[-1], real_runs[k][-1], arms[k][2])
        rss = [serve.rss_kib() for serve, _ in served]
    results = []
    for (_, ids, _), runs, warmed, kib in zip(arms, real_runs, warm, rss, strict=True):
        paired = [
            ratio(r["throughput"], b["throughput"]) for b, r in zip(bare_runs, runs, strict=True)
        ]
        results.append(
            {
                "bare": _medians(bare_runs),
                "real": _medians(runs),
                "ratio": median(paired),
                "per_round_ratios": paired,
                "calls_per_run_max": max(r["samples"] for r in runs),
                "bindings": len(ids),
                "serve_rss_kib": kib,
                "runs": {"bare": bare_runs, "real": runs},
                **warmed,
            }
        )
    return results


def _print(n: int, bare: dict[str, Any], real: dict[str, Any], name: str) -> None:
    print(
        f"  round {n + 1}: bare {per_s(bare['throughput'])} "
        f"({bare['server_cpu_us_per_call']:.0f} us CPU/call), {name} misses "
        f"{per_s(real['throughput'])} ({real['server_cpu_us_per_call']:.0f} us), "
        f"errors {real['errors'] or 'none'}",
        flush=True,
    )


def _medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "throughput": median(r["throughput"] for r in results),
        "p50_ms": median(r["latency"]["p50_ms"] for r in results),
        "p99_ms": median(r["latency"]["p99_ms"] for r in results),
        "server_cpu_us": median(r["server_cpu_us_per_call"] for r in results),
        "errors": sum(sum(r["errors"].values()) for r in results),
    }


def rows(name: str, backend: str, f: dict[str, Any]) -> list[Row]:
    bare, real = f["bare"], f["real"]
    rounds = len(f["per_round_ratios"])
    return [
        Row(
            name,
            backend,
            f"GetFreshToken misses, c={CONCURRENCY}, {rounds} rounds",
            f"{per_s(real['throughput'])}, p50 {ms(real['p50_ms'])} / p99 {ms(real['p99_ms'])}",
            f"bare grpcio {per_s(bare['throughput'])}, {ms(bare['p50_ms'])} / {ms(bare['p99_ms'])}",
            times(f["ratio"]),
            f">= {TARGET:.2f}x",
        ),
        Row(
            name,
            backend,
            "server CPU per miss",
            f"{real['server_cpu_us']:.0f} us",
            f"{bare['server_cpu_us']:.0f} us",
            times(ratio(bare["server_cpu_us"], real["server_cpu_us"])),
        ),
    ]
