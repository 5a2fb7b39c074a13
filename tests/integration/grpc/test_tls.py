"""The mTLS option: a client certificate signed by the configured CA is required."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from adapters.grpc.server import TlsConfig, build_server, stop
from tests.fakes.world import World
from tests.integration.grpc.conftest import CALLERS, SYNC_TOKEN, bearer

Pem = tuple[bytes, bytes]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, **ext: bool
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    signer_cert, signer_key = issuer or (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(signer_cert.subject if signer_cert else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if ext.get("server"):
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signer_key, hashes.SHA256()), key


def _pem(pair: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]) -> Pem:
    cert, key = pair
    return cert.public_bytes(serialization.Encoding.PEM), key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def pki() -> dict[str, Pem]:
    ca = _issue("test CA", None)
    return {
        "ca": _pem(ca),
        "server": _pem(_issue("ledger-connect", ca, server=True)),
        "client": _pem(_issue("billing-sync", ca)),
        "stranger": _pem(_issue("stranger", _issue("other CA", None))),
    }


@pytest.fixture
def tls_target(pki: dict[str, Pem]) -> Iterator[tuple[World, str]]:
    world = World()
    tls = TlsConfig(pki["server"][0], pki["server"][1], client_ca=pki["ca"][0])
    server, port = build_server(world.service, callers=CALLERS, health_check=lambda: True, tls=tls)
    server.start()
    try:
        yield world, f"127.0.0.1:{port}"
    finally:
        stop(server, grace=0)


def _call(target: str, pki: dict[str, Pem], client: str | None, binding_id: str) -> int:
    cert, key = pki[client] if client else (None, None)
    credentials = grpc.ssl_channel_credentials(pki["ca"][0], key, cert)
    with grpc.secure_channel(target, credentials) as channel:
        stub = pb_grpc.XeroConnectServiceStub(channel)
        request = pb.GetBindingRequest(binding_id=binding_id)
        return stub.GetBinding(request, metadata=bearer(SYNC_TOKEN), timeout=5).binding.status


class TestMutualTls:
    def test_a_client_with_a_certificate_from_the_ca_is_served(
        self, tls_target: tuple[World, str], pki: dict[str, Pem]
    ) -> None:
        world, target = tls_target

        assert _call(target, pki, "client", world.connected()) == pb.BINDING_STATUS_CONNECTED

    @pytest.mark.parametrize("client", [None, "stranger"])
    def test_a_client_without_one_is_refused_at_the_handshake(
        self, tls_target: tuple[World, str], pki: dict[str, Pem], client: str | None
    ) -> None:
        world, target = tls_target

        with pytest.raises(grpc.RpcError) as refused:
            _call(target, pki, client, world.connected())

        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE

    def test_the_private_key_stays_out_of_the_repr(self, pki: dict[str, Pem]) -> None:
        tls = TlsConfig(pki["server"][0], pki["server"][1], client_ca=pki["ca"][0])

        assert pki["server"][1].decode()[40:80] not in repr(tls)
