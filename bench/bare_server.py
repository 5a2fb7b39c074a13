"""The baseline: a bare grpcio XeroConnectService answering GetFreshToken with a constant.

`python -m bench.bare_server PORT SIZES_JSON` serves until SIGTERM. The answer is the real
response message with constant fields of the sizes the real service answered with (passed
in SIZES_JSON by the benchmark), so both put the same bytes on the wire. Same thread pool
size and options as `adapters/grpc/server.build_server`; no interceptor, no domain, no
database: the floor that grpcio itself sets on this machine.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc

OPTIONS = (("grpc.so_reuseport", 0), ("grpc.max_receive_message_length", 64 * 1024))
WORKERS = 16


def constant_answer(sizes: dict[str, int]) -> pb.GetFreshTokenResponse:
    return pb.GetFreshTokenResponse(
        access_token="a" * sizes["access_token_len"],
        expires_at=Timestamp(seconds=sizes["expires_at_seconds"]),
        tenant_id="t" * sizes["tenant_id_len"],
        api_base_url="u" * sizes["api_base_url_len"],
        binding_status=sizes["binding_status"],
    )


class Bare(pb_grpc.XeroConnectServiceServicer):
    def __init__(self, answer: pb.GetFreshTokenResponse) -> None:
        self._answer = answer

    def GetFreshToken(
        self, request: pb.GetFreshTokenRequest, context: grpc.ServicerContext
    ) -> pb.GetFreshTokenResponse:
        return self._answer


def main() -> None:
    port, sizes = int(sys.argv[1]), json.loads(sys.argv[2])
    server = grpc.server(ThreadPoolExecutor(WORKERS), options=OPTIONS)
    pb_grpc.add_XeroConnectServiceServicer_to_server(Bare(constant_answer(sizes)), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    server.start()
    print(f"bare server ready on {port}, {constant_answer(sizes).ByteSize()} bytes", flush=True)
    stopping.wait()
    server.stop(0).wait()


if __name__ == "__main__":
    main()
