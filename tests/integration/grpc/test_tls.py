"""TLS and mutual TLS on the gRPC port: what each kind of client gets at the handshake."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.server import TlsConfig, build_server, stop
from tests.fakes.world import World
from tests.integration.grpc.conftest import CALLERS, SYNC_TOKEN, bearer
from tests.integration.grpc.pki import Pem, make_pki


@pytest.fixture(scope="module")
def pki() -> dict[str, Pem]:
    return make_pki()


def _serve(tls: TlsConfig) -> Iterator[tuple[World, str]]:
    world = World()
    server, port = build_server(world.service, callers=CALLERS, health_check=lambda: True, tls=tls)
    server.start()
    try:
        yield world, f"127.0.0.1:{port}"
    finally:
        stop(server, grace=0)


@pytest.fixture
def mtls_target(pki: dict[str, Pem]) -> Iterator[tuple[World, str]]:
    yield from _serve(TlsConfig(pki["server"].cert, pki["server"].key, client_ca=pki["ca"].cert))


@pytest.fixture
def tls_target(pki: dict[str, Pem]) -> Iterator[tuple[World, str]]:
    yield from _serve(TlsConfig(pki["server"].cert, pki["server"].key))


def _status(channel: grpc.Channel, binding_id: str) -> int:
    stub = pb_grpc.XeroConnectServiceStub(channel)
    request = pb.GetBindingRequest(binding_id=binding_id)
    return stub.GetBinding(request, metadata=bearer(SYNC_TOKEN), timeout=5).binding.status


def _call(target: str, pki: dict[str, Pem], client: str | None, binding_id: str) -> int:
    cert, key = (pki[client].cert, pki[client].key) if client else (None, None)
    credentials = grpc.ssl_channel_credentials(pki["ca"].cert, key, cert)
    with grpc.secure_channel(target, credentials) as channel:
        return _status(channel, binding_id)


class TestMutualTls:
    def test_a_client_with_a_certificate_from_the_ca_is_served(
        self, mtls_target: tuple[World, str], pki: dict[str, Pem]
    ) -> None:
        world, target = mtls_target

        assert _call(target, pki, "client", world.connected()) == pb.BINDING_STATUS_CONNECTED

    @pytest.mark.parametrize("client", [None, "stranger"])
    def test_a_client_without_one_is_refused_at_the_handshake(
        self, mtls_target: tuple[World, str], pki: dict[str, Pem], client: str | None
    ) -> None:
        world, target = mtls_target

        with pytest.raises(grpc.RpcError) as refused:
            _call(target, pki, client, world.connected())

        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE

    def test_the_private_key_stays_out_of_the_repr(self, pki: dict[str, Pem]) -> None:
        tls = TlsConfig(pki["server"].cert, pki["server"].key, client_ca=pki["ca"].cert)

        assert pki["server"].key.decode()[40:80] not in repr(tls)


class TestServerTls:
    def test_a_client_that_trusts_the_ca_is_served_without_a_certificate(
        self, tls_target: tuple[World, str], pki: dict[str, Pem]
    ) -> None:
        world, target = tls_target

        assert _call(target, pki, None, world.connected()) == pb.BINDING_STATUS_CONNECTED

    def test_the_bearer_token_is_still_required(
        self, tls_target: tuple[World, str], pki: dict[str, Pem]
    ) -> None:
        world, target = tls_target
        credentials = grpc.ssl_channel_credentials(pki["ca"].cert)
        with grpc.secure_channel(target, credentials) as channel:
            stub = pb_grpc.XeroConnectServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.GetBinding(pb.GetBindingRequest(binding_id=world.connected()), timeout=5)

        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED

    def test_a_plaintext_client_gets_nothing(self, tls_target: tuple[World, str]) -> None:
        world, target = tls_target

        with grpc.insecure_channel(target) as channel, pytest.raises(grpc.RpcError) as refused:
            _status(channel, world.connected())

        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE

    def test_a_client_that_does_not_trust_the_ca_refuses_the_server(
        self, tls_target: tuple[World, str], pki: dict[str, Pem]
    ) -> None:
        world, target = tls_target
        credentials = grpc.ssl_channel_credentials(pki["stranger"].cert)

        with (
            grpc.secure_channel(target, credentials) as channel,
            pytest.raises(grpc.RpcError) as refused,
        ):
            _status(channel, world.connected())

        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
