"""TLS for the gRPC port from LEDGER_GRPC_TLS_*, and the rule that only loopback goes without.

`LEDGER_GRPC_TLS_CERT` (PEM chain) and `LEDGER_GRPC_TLS_KEY` (PEM key) turn TLS on;
`LEDGER_GRPC_TLS_CLIENT_CA` adds mutual TLS (client certificates signed by that CA are
required). The files are read and parsed at start-up, and the key must belong to the
certificate, so a mistake is one clear line before anything listens, never a handshake
failure later. Bearer tokens travel in the clear without TLS, so `serve` refuses to bind
gRPC to anything but a loopback address without it, unless `LEDGER_GRPC_ALLOW_INSECURE=1`
says a private network (a service mesh that terminates mTLS, say) protects the port.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from adapters.grpc.server import TlsConfig
from app.errors import CommandError
from app.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def server_tls(settings: Settings) -> TlsConfig | None:
    """The gRPC port's TLS configuration, or None for plaintext where that is allowed."""
    tls = _load(settings)
    if tls is None and not (is_loopback(settings.grpc_host) or settings.grpc_allow_insecure):
        raise CommandError(
            f"refusing to serve gRPC in plaintext on {settings.grpc_host}: callers' tokens "
            "would cross the network in the clear. Set LEDGER_GRPC_TLS_CERT and "
            "LEDGER_GRPC_TLS_KEY (README, TLS), bind LEDGER_GRPC_HOST to 127.0.0.1, or set "
            "LEDGER_GRPC_ALLOW_INSECURE=1 if a private network protects the port"
        )
    return tls


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _load(settings: Settings) -> TlsConfig | None:
    if not settings.grpc_tls_cert:
        return None
    chain = _read("LEDGER_GRPC_TLS_CERT", settings.grpc_tls_cert)
    key = _read("LEDGER_GRPC_TLS_KEY", settings.grpc_tls_key)
    certificates = _certificates("LEDGER_GRPC_TLS_CERT", chain)
    _require_matching_key(key, certificates[0])
    client_ca = None
    if settings.grpc_tls_client_ca:
        client_ca = _read("LEDGER_GRPC_TLS_CLIENT_CA", settings.grpc_tls_client_ca)
        _certificates("LEDGER_GRPC_TLS_CLIENT_CA", client_ca)
    return TlsConfig(chain, key, client_ca)


def _read(variable: str, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{variable}: cannot read {path} ({error.strerror})") from None


def _certificates(variable: str, pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise CommandError(f"{variable}: no PEM certificate in the file") from None


def _require_matching_key(pem: bytes, certificate: x509.Certificate) -> None:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise CommandError("LEDGER_GRPC_TLS_KEY: not an unencrypted PEM private key") from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != (
        certificate.public_key().public_bytes(encoding, public)
    ):
        raise CommandError("LEDGER_GRPC_TLS_KEY does not belong to LEDGER_GRPC_TLS_CERT")
