"""`python -m bench.otlp_sink PORT COUNT_FILE`: an OTLP/gRPC trace receiver that only counts.

The tracing benchmark points `serve` at it, so export runs for real; after every export the
number of spans received so far is written to COUNT_FILE. Serves until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as otlp_grpc


class Counting(otlp_grpc.TraceServiceServicer):
    def __init__(self, out: Path) -> None:
        self._out, self._lock, self._spans = out, threading.Lock(), 0

    def Export(self, request: otlp.ExportTraceServiceRequest, context: Any) -> Any:
        spans = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        with self._lock:
            self._spans += spans
            self._out.write_text(str(self._spans))
        return otlp.ExportTraceServiceResponse()


def main() -> None:
    port, out = int(sys.argv[1]), Path(sys.argv[2])
    out.write_text("0")
    server = grpc.server(ThreadPoolExecutor(4))
    otlp_grpc.add_TraceServiceServicer_to_server(Counting(out), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    print(f"otlp sink ready on {port}", flush=True)
    stopping.wait()
    server.stop(0).wait()


if __name__ == "__main__":
    main()
