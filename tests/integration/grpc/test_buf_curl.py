"""What the README says `buf curl` answers without the `authorization` header: with server
reflection it cannot find the service (reflection itself was refused); with the schema
from `proto/` the call is `UNAUTHENTICATED`; with the header it answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.grpc.conftest import SYNC_TOKEN, Running

ROOT = Path(__file__).resolve().parents[3]
BUF = Path(sys.executable).parent / "buf"
METHOD = "ledger.xero.v1.XeroConnectService/GetFreshToken"


def buf_curl(running: Running, binding_id: str, *options: str) -> subprocess.CompletedProcess[str]:
    argv = [str(BUF), "curl", "--protocol", "grpc", "--http2-prior-knowledge", *options]
    argv += ["-d", f'{{"binding_id":"{binding_id}"}}', f"http://{running.target}/{METHOD}"]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)


class TestBufCurlAsTheReadmeSays:
    def test_without_the_header_reflection_finds_no_service(self, running: Running) -> None:
        done = buf_curl(running, running.world.connected(), "--reflect-header", "*")

        assert done.returncode != 0
        assert "failed to find service named" in done.stderr, done.stderr

    def test_without_the_header_but_with_the_schema_the_call_is_unauthenticated(
        self, running: Running
    ) -> None:
        done = buf_curl(running, running.world.connected(), "--schema", "proto")

        assert done.returncode != 0
        assert "unauthenticated" in done.stderr.lower(), done.stderr

    def test_with_the_header_it_answers(self, running: Running) -> None:
        binding_id = running.world.connected()
        header = f"authorization: Bearer {SYNC_TOKEN}"

        done = buf_curl(running, binding_id, "--reflect-header", "*", "-H", header)

        answered = '"tenantId": "tenant-uk"' in done.stdout  # the answer holds a token: never shown
        assert done.returncode == 0, done.stderr
        assert answered
