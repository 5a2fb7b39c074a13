"""5. Tracing's cost on the cached fast path: off, and on with 1% sampling.

Four `serve` processes on one PostgreSQL database with one connected binding: two with
tracing off (LEDGER_OTLP_ENDPOINT unset) and two exporting over OTLP to a counting receiver
(bench/otlp_sink.py) with LEDGER_TRACE_SAMPLE_RATIO=0.01, and the bare grpcio servicer for
scale. One load generator drives each in turn, round after round (the order rotating), at
c=8; the callers send no `traceparent`, so 1% of calls are sampled by us.

Two processes per arm because one process of a kind is not a sample of that kind: two
identical `serve` processes differ by a few percent for as long as they live (where the
interpreter and its libraries landed in memory), as much as the cost sought. Each round's
ratio is on over off with each arm's two processes pooled (their summed calls over their
summed time); the A/A ratios (off against off, on against on) show what the machine can
resolve. Tracing off installs nothing on the call path (no interceptor, no transport
wrapper), so its cost against the code before tracing is zero by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.emulator import Emulator
from bench.fast_path import bare_server
from bench.procs import PY, Proc, clean_env, free_port, loadgen
from bench.report import Outcome, Row, per_s, times
from bench.stack import Service, connect_binding, database_url, settle
from bench.stats import median, ratio, rotated

NAME = "tracing"
CONCURRENCY = 8
SAMPLE_RATIO = 0.01
SERVERS = ("off", "on_1pct", "off_again", "on_again", "bare")
ARMS = {"off": ("off", "off_again"), "on_1pct": ("on_1pct", "on_again")}


def run(ctx: Context) -> Outcome:
    outcome = Outcome(NAME)
    if "postgres" not in ctx.backends:
        outcome.note("skipped: needs PostgreSQL (three serve processes share one database)")
        return outcome
    rounds, seconds = ctx.pick(2, 16), ctx.pick(1.0, 1.5)
    backend = "postgres"
    outcome.note(
        f"{rounds} interleaved rounds of {seconds:g} s per server at c={CONCURRENCY} on "
        f"{backend}; servers: {', '.join(SERVERS)}"
    )
    with (
        Emulator(ctx.workdir) as emulator,
        database_url(backend, ctx.workdir, "tracing") as url,
        otlp_sink(ctx.workdir) as (endpoint, count_file),
    ):
        service = Service(ctx.workdir, url, emulator)
        with service.container() as built:
            binding_id = connect_binding(built, emulator, "tracing")
            settle(built, binding_id)
        figures = _rounds(ctx, service, binding_id, endpoint, rounds, seconds)
        figures["spans_exported"] = int(count_file.read_text() or 0)
    outcome.details[backend] = figures
    outcome.rows += _rows(backend, figures)
    return outcome


@contextmanager
def otlp_sink(workdir: Path) -> Iterator[tuple[str, Path]]:
    port, count_file = free_port(), workdir / "otlp-spans.txt"
    argv = [PY, "-m", "bench.otlp_sink", str(port), str(count_file)]
    with Proc("otlp-sink", argv, clean_env(), workdir / "otlp-sink.log") as proc:
        proc.wait_for("otlp sink ready")
        yield f"http://127.0.0.1:{port}", count_file


def _rounds(
    ctx: Context, service: Service, binding_id: str, endpoint: str, rounds: int, seconds: float
) -> dict[str, Any]:
    spec = {
        "mode": "timed",
        "token": service.caller_token,
        "bindings": [binding_id],
        "concurrency": CONCURRENCY,
        "duration_s": seconds,
        "warmup_s": 0.5,
    }
    traced = {"LEDGER_OTLP_ENDPOINT": endpoint, "LEDGER_TRACE_SAMPLE_RATIO": str(SAMPLE_RATIO)}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVERS}
    with ExitStack() as stack:
        servers = {
            "off": stack.enter_context(service.serve("trace-off")),
            "off_again": stack.enter_context(service.serve("trace-off-again")),
            "on_1pct": stack.enter_context(service.serve("trace-on", **traced)),
            "on_again": stack.enter_context(service.serve("trace-on-again", **traced)),
        }
        sizes = loadgen(spec | {"mode": "probe", "targets": [servers["off"][1]]})
        servers["bare"] = stack.enter_context(bare_server(ctx, sizes))
        for n in range(rounds):
            for name in rotated(SERVERS, n):
                proc, target = servers[name]
                runs[name].append(loadgen(spec | {"targets": [target], "server_pid": proc.pid}))
            line = ", ".join(f"{k} {per_s(v[-1]['throughput'])}" for k, v in runs.items())
            print(f"  round {n + 1}: {line}", flush=True)
    per_round = [{name: runs[name][n] for name in SERVERS} for n in range(rounds)]
    pooled = {
        "on_1pct": median(_pooled(r, ARMS["on_1pct"]) / _pooled(r, ARMS["off"]) for r in per_round),
        "off_again": median(
            ratio(r["off_again"]["throughput"], r["off"]["throughput"]) for r in per_round
        ),
        "on_again": median(
            ratio(r["on_again"]["throughput"], r["on_1pct"]["throughput"]) for r in per_round
        ),
    }
    cpu_pooled = median(
        _pooled_cpu(r, ARMS["off"]) / _pooled_cpu(r, ARMS["on_1pct"]) for r in per_round
    )
    medians = {
        name: {
            "throughput": median(r["throughput"] for r in results),
            "server_cpu_us": median(r["server_cpu_us_per_call"] for r in results),
            "errors": sum(sum(r["errors"].values()) for r in results),
        }
        for name, results in runs.items()
    }
    return {
        "medians": medians,
        "ratios": pooled,
        "cpu_ratio_off_over_on": cpu_pooled,
        "rounds": rounds,
        "runs": runs,
    }


def _pooled(round_: dict[str, dict[str, Any]], arm: tuple[str, ...]) -> float:
    """An arm's calls per second in one round: its processes' calls over their time (every
    run lasts as long, so the mean of their throughputs)."""
    return float(sum(round_[name]["throughput"] for name in arm) / len(arm))


def _pooled_cpu(round_: dict[str, dict[str, Any]], arm: tuple[str, ...]) -> float:
    """An arm's server CPU per call in one round: its processes' CPU over their calls."""
    runs = [round_[name] for name in arm]
    cpu = sum(r["server_cpu_us_per_call"] * r["throughput"] for r in runs)
    return float(cpu / sum(r["throughput"] for r in runs))


def _rows(backend: str, f: dict[str, Any]) -> list[Row]:
    m, r = f["medians"], f["ratios"]
    name = f"5 tracing, fast path c={CONCURRENCY}, {f['rounds']} rounds"

    def two(arm: str) -> str:
        return " / ".join(per_s(m[n]["throughput"]) for n in ARMS[arm])

    return [
        Row(
            name,
            backend,
            f"on, {SAMPLE_RATIO:.0%} sampled, OTLP export ({f['spans_exported']:,} spans sent); "
            "two processes per arm, pooled per round",
            two("on_1pct"),
            f"tracing off {two('off')}",
            times(r["on_1pct"]),
            ">= 0.95x",
        ),
        Row(
            name,
            backend,
            "A/A (this machine's noise floor): off against off, on against on",
            f"{times(r['off_again'])} / {times(r['on_again'])}",
            "",
            times(r["off_again"]),
            "off costs nothing: nothing installed",
        ),
        Row(
            name,
            backend,
            "server CPU per call: off, off again / on 1%, on again (ratio: off / on, pooled "
            "per round)",
            ", ".join(f"{m[n]['server_cpu_us']:.0f}" for n in ARMS["off"])
            + " / "
            + ", ".join(f"{m[n]['server_cpu_us']:.0f}" for n in ARMS["on_1pct"])
            + " us",
            f"bare {m['bare']['server_cpu_us']:.0f} us",
            times(f["cpu_ratio_off_over_on"]),
            "",
        ),
    ]
