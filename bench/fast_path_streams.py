"""GetFreshToken with 1,000 idle streams held open by an unauthenticated peer (issue 14, item 1).

One `ledger-connect serve` process with one connected binding. Rounds alternate: quiet
(nothing else connected) and besieged (`bench.idle_peer`, a separate process, first opens
1,000 reflection and health-watch streams without any caller token and holds what the
server lets it keep). In each round the same load generator process runs GetFreshToken for
a fixed time; figures are medians over rounds, and the ratio that matters is the besieged
p99 over the quiet p99 of the same round (goal: at most 1.2x).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.context import Context
from bench.emulator import Emulator
from bench.procs import PY, ROOT, loadgen
from bench.report import Outcome, Row, ms, per_s, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio

NAME = "fast_path_streams"
STREAMS = 1000
LEVELS = (1, 8)
TARGET = 1.2


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    rounds, seconds = ctx.pick(3, 5), ctx.pick(1.0, 3.0)
    outcome.note(f"{rounds} rounds of quiet/besieged runs of {seconds} s per concurrency level")
    backend = ctx.backends[0]
    with Emulator(ctx.workdir) as emulator, database_url(backend, ctx.workdir, "streams") as url:
        service = Service(ctx.workdir, url, emulator)
        with service.container() as built:
            binding_id = connect_binding(built, emulator, "streams")
            settle(built, binding_id)
        base = {"token": service.caller_token, "bindings": [binding_id], "mode": "timed"}
        with service.serve("serve-streams") as (serve, target):
            base |= {"targets": [target], "server_pid": serve.pid, "warmup_s": 0.3}
            levels = {
                c: _interleaved(base | {"concurrency": c, "duration_s": seconds}, rounds)
                for c in LEVELS
            }
    outcome.details[backend] = {"levels": levels}
    outcome.rows += _rows(backend, levels)
    return outcome


@contextmanager
def idle_peer(target: str) -> Iterator[dict[str, int]]:
    argv = [PY, "-m", "bench.idle_peer", target, str(STREAMS), "--hold-s", "120"]
    peer = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert peer.stdin is not None and peer.stdout is not None
    try:
        yield json.loads(peer.stdout.readline() or b"{}")
    finally:
        peer.stdin.close()
        try:
            peer.wait(timeout=20)
        except subprocess.TimeoutExpired:
            peer.kill()
            peer.wait()


def _interleaved(spec: dict[str, Any], rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"quiet": [], "besieged": []}
    held = []
    for _ in range(rounds):
        runs["quiet"].append(loadgen(spec))
        with idle_peer(spec["targets"][0]) as seen:
            held.append(seen)
            runs["besieged"].append(loadgen(spec))
    summary: dict[str, Any] = {kind: _medians(results) for kind, results in runs.items()}
    pairs = zip(runs["quiet"], runs["besieged"], strict=True)
    p99_ratios = [ratio(b["latency"]["p99_ms"], q["latency"]["p99_ms"]) for q, b in pairs]
    summary |= {"p99_ratio": median(p99_ratios), "per_round_p99_ratios": p99_ratios}
    summary |= {"idle_peer": held, "runs": runs}
    quiet, besieged = summary["quiet"], summary["besieged"]
    print(
        f"  c={spec['concurrency']:<3} quiet p99 {ms(quiet['p99_ms'])} "
        f"{per_s(quiet['throughput'])}  besieged p99 {ms(besieged['p99_ms'])} "
        f"{per_s(besieged['throughput'])}  p99 ratio {times(summary['p99_ratio'])}  "
        f"peer saw {held[-1]}",
        flush=True,
    )
    return summary


def _medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "throughput": median(r["throughput"] for r in results),
        "p50_ms": median(r["latency"]["p50_ms"] for r in results),
        "p99_ms": median(r["latency"]["p99_ms"] for r in results),
        "errors": sum(sum(r["errors"].values()) for r in results),
    }


def _rows(backend: str, levels: dict[int, dict[str, Any]]) -> list[Row]:
    rows = []
    for c, level in levels.items():
        quiet, besieged = level["quiet"], level["besieged"]
        rows.append(
            Row(
                f"1,000 idle streams, c={c}",
                backend,
                f"GetFreshToken p99 (errors {besieged['errors']})",
                ms(besieged["p99_ms"]),
                f"quiet {ms(quiet['p99_ms'])}",
                times(level["p99_ratio"]),
                f"<= {TARGET:.1f}x",
            )
        )
        rows.append(
            Row(
                f"1,000 idle streams, c={c}",
                backend,
                "GetFreshToken throughput",
                per_s(besieged["throughput"]),
                f"quiet {per_s(quiet['throughput'])}",
                times(ratio(besieged["throughput"], quiet["throughput"])),
            )
        )
    return rows
