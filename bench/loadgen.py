"""The load generator: its own process, so the server under test never shares its GIL.

`python -m bench.loadgen` reads one JSON spec on stdin and prints one JSON result. The
same client drives the real service and the bare baseline. Modes:

- `timed`: `concurrency` threads call GetFreshToken in a loop, cycling over `bindings`;
  the first `warmup_s` are discarded, the next `duration_s` are measured.
- `each`: `concurrency` threads share the list `bindings` and call each one exactly once.
- `storm`: `calls` GetFreshToken calls for `bindings[0]` fired at once as futures, spread
  round-robin over `targets` (and over `channels_per_target` connections to each).
- `probe`: one call; the sizes of the answer's fields, never their contents.
- `report`: one GetFreshToken for `bindings[0]`, the emulator told (`emulator_url`) to
  refuse that access token, then `reporters` ReportXeroAuthFailure(401) calls released at
  once, spread round-robin over `targets`, with the token's SHA-256 if `with_hash`.

With `server_pid`, `timed` also reports the server's CPU time per call (from /proc), next to
the client's own: on a shared 2-core machine the client may saturate before the server does,
and CPU per call is then what says how the server would scale.

Access tokens are compared by a short SHA-256 prefix and never printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

import grpc
import httpx
from grpc_health.v1.health_pb2 import HealthCheckRequest
from grpc_health.v1.health_pb2_grpc import HealthStub

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from bench.stats import latency_summary

TICK = os.sysconf("SC_CLK_TCK")
Sample = tuple[float, float, str]  # start, end, status code name ("OK" or the error)


class Client:
    def __init__(self, spec: dict[str, Any]) -> None:
        """`channels_per_target` connections to each target (several sync services), each
        warmed with a health check, so the server's HTTP/2 settings (its stream cap) are
        known before the first call; calls go round-robin over targets, then channels."""
        per_target = int(spec.get("channels_per_target", 1))
        # A channel option of its own keeps grpc from sharing one connection among them.
        self.channels = [
            grpc.insecure_channel(t, options=(("bench.channel", n),))
            for n in range(per_target)
            for t in spec["targets"]
        ]
        for channel in self.channels:
            grpc.channel_ready_future(channel).result(timeout=30)
            try:
                HealthStub(channel).Check(HealthCheckRequest(), timeout=10)
            except grpc.RpcError as error:  # the bare baseline has no health service
                if error.code() is not grpc.StatusCode.UNIMPLEMENTED:
                    raise
        self.stubs = [pb_grpc.XeroConnectServiceStub(c) for c in self.channels]
        self.metadata = (("authorization", f"Bearer {spec['token']}"),)
        self.timeout = float(spec.get("timeout_s", 10.0))

    def call(self, n: int, binding_id: str) -> tuple[str, pb.GetFreshTokenResponse | None]:
        stub = self.stubs[n % len(self.stubs)]
        request = pb.GetFreshTokenRequest(binding_id=binding_id)
        try:
            answer = stub.GetFreshToken(request, metadata=self.metadata, timeout=self.timeout)
        except grpc.RpcError as error:
            return error.code().name, None
        return "OK", answer

    def close(self) -> None:
        for channel in self.channels:
            channel.close()


def timed(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    bindings, threads = spec["bindings"], int(spec["concurrency"])
    stop = threading.Event()
    samples: list[list[Sample]] = [[] for _ in range(threads)]

    def work(k: int) -> None:
        n, own = k, samples[k]
        while not stop.is_set():
            started = time.perf_counter()
            code, _ = client.call(n, bindings[n % len(bindings)])
            own.append((started, time.perf_counter(), code))
            n += threads

    workers = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(float(spec.get("warmup_s", 0.5)))
    server, begin, client_cpu = _cpu(spec), time.perf_counter(), time.process_time()
    time.sleep(float(spec["duration_s"]))
    end = time.perf_counter()
    cpu = {"server": _cpu(spec) - server, "client": time.process_time() - client_cpu}
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    inside = [s for own in samples for s in own if s[0] >= begin and s[1] <= end]
    finished = sum(1 for own in samples for s in own if begin <= s[1] <= end and s[2] == "OK")
    per_call = {f"{k}_cpu_us_per_call": v * 1e6 / max(1, finished) for k, v in cpu.items()}
    return _summary(inside) | per_call | {"throughput": finished / (end - begin)}


def each(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    pending = list(reversed(spec["bindings"]))
    lock = threading.Lock()
    samples: list[Sample] = []

    def work(k: int) -> None:
        while True:
            with lock:
                if not pending:
                    return
                binding_id = pending.pop()
            started = time.perf_counter()
            code, _ = client.call(k, binding_id)
            samples.append((started, time.perf_counter(), code))

    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(int(spec["concurrency"]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    first = min(samples)
    ok = sum(1 for s in samples if s[2] == "OK")
    return _summary(samples) | {
        "throughput": ok / elapsed,
        "elapsed_s": elapsed,
        "first_call_ms": (first[1] - first[0]) * 1000,
    }


def storm(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    calls, binding_id = int(spec["calls"]), spec["bindings"][0]
    request = pb.GetFreshTokenRequest(binding_id=binding_id)
    done, lock, samples = threading.Event(), threading.Lock(), []
    digests: Counter[str] = Counter()
    details: Counter[str] = Counter()

    targets = len(spec["targets"])
    answered: list[list[float]] = [[] for _ in range(targets)]

    def finished(target: int, started: float, future: grpc.Future) -> None:
        ended = time.perf_counter()
        code = future.code().name if future.exception() else "OK"
        with lock:
            if code != "OK":
                details[f"{code}: {future.details()}"[:200]] += 1
            if code == "OK":
                digests[_digest(future.result().access_token)] += 1
            samples.append((started, ended, code))
            answered[target].append(ended)
            if len(samples) == calls:
                done.set()

    start_at = spec.get("start_at")  # wall time shared by several load processes
    late_ms = 0.0
    if start_at is not None:
        late_ms = max(0.0, (time.time() - start_at) * 1000)
        time.sleep(max(0.0, start_at - time.time()))
    began = time.perf_counter()
    for n in range(calls):
        stub = client.stubs[n % len(client.stubs)]
        started = time.perf_counter()
        future = stub.GetFreshToken.future(
            request, metadata=client.metadata, timeout=client.timeout
        )
        target = n % len(client.stubs) % targets  # channels are laid out target by target
        future.add_done_callback(lambda f, t=target, s=started: finished(t, s, f))
    fired = time.perf_counter()
    done.wait(client.timeout + 30)
    ends = sorted(s[1] for s in samples)
    return _summary(samples) | {
        "first_answer_ms_per_target": [(min(a) - began) * 1000 if a else None for a in answered],
        "late_start_ms": late_ms,
        "latencies_ms": sorted((s[1] - s[0]) * 1000 for s in samples if s[2] == "OK"),
        "fire_ms": (fired - began) * 1000,
        "first_answer_ms": (ends[0] - began) * 1000 if ends else None,
        "last_answer_ms": (ends[-1] - began) * 1000 if ends else None,
        "distinct_tokens": len(digests),
        "token_digests": sorted(digests),
        "error_details": dict(details),
        "calls": calls,
    }


def report(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    binding_id, reporters = spec["bindings"][0], int(spec["reporters"])
    code, answer = client.call(0, binding_id)
    assert answer is not None, code
    fingerprint = hashlib.sha256(answer.access_token.encode()).hexdigest()
    reject = {"access_token_sha256": fingerprint}
    httpx.post(f"{spec['emulator_url']}/_emulator/reject_access_token", json=reject, timeout=10)
    request = pb.ReportXeroAuthFailureRequest(
        binding_id=binding_id,
        http_status=401,
        token_sha256=fingerprint if spec["with_hash"] else "",
    )
    barrier, lock = threading.Barrier(reporters), threading.Lock()
    samples: list[Sample] = []
    answers: Counter[str] = Counter()

    def one(n: int) -> None:
        stub = client.stubs[n % len(client.stubs)]
        barrier.wait()
        started = time.perf_counter()
        try:
            got = stub.ReportXeroAuthFailure(
                request, metadata=client.metadata, timeout=client.timeout
            )
            code, what = "OK", f"{pb.BindingStatus.Name(got.binding_status)}"
            what += " newer" if got.newer_token_available else ""
        except grpc.RpcError as error:
            code = what = error.code().name
        with lock:
            samples.append((started, time.perf_counter(), code))
            answers[what] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(reporters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=client.timeout + 30)
    return _summary(samples) | {"answers": dict(answers)}


def probe(client: Client, spec: dict[str, Any]) -> dict[str, Any]:
    code, answer = client.call(0, spec["bindings"][0])
    if answer is None:
        return {"code": code}
    return {
        "code": code,
        "access_token_len": len(answer.access_token),
        "tenant_id_len": len(answer.tenant_id),
        "api_base_url_len": len(answer.api_base_url),
        "expires_at_seconds": answer.expires_at.seconds,
        "binding_status": answer.binding_status,
        "bytes": answer.ByteSize(),
    }


def _summary(samples: list[Sample]) -> dict[str, Any]:
    errors = Counter(s[2] for s in samples if s[2] != "OK")
    latencies = (s[1] - s[0] for s in samples if s[2] == "OK")
    return {"latency": latency_summary(latencies), "errors": dict(errors), "samples": len(samples)}


def _cpu(spec: dict[str, Any]) -> float:
    """CPU seconds (user + system) the server process has used so far; 0 if not given."""
    pid = spec.get("server_pid")
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


MODES = {"timed": timed, "each": each, "storm": storm, "probe": probe, "report": report}


def main() -> None:
    spec = json.load(sys.stdin)
    client = Client(spec)
    try:
        result = MODES[spec["mode"]](client, spec)
    finally:
        client.close()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
