"""`ledger-connect token BINDING`: ask the running service for a fresh Xero access token.

A gRPC client, as a sync service would be: prints the binding's status, the token's expiry,
the tenant id and the API base URL; the token itself only with --show-token. The caller
token is --caller-token, else $LEDGER_GRPC_TOKEN, else the file var/grpc-demo-token that demo
mode writes. The target is --target, else 127.0.0.1:$LEDGER_GRPC_PORT.

TLS is used with --tls, --ca or --cert, and whenever LEDGER_GRPC_TLS_CERT is set (the
service on this host speaks TLS): --ca names the CA that signed the server's certificate
(default: the system's roots), --cert and --key the client certificate a mutual-TLS port
requires, and --server-name the name to expect in the server's certificate when it differs
from the target's host (e.g. a certificate for ledger.internal, reached as 127.0.0.1).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2_grpc as pb_grpc
from app.cli import CommandError
from app.settings import Settings

DEMO_TOKEN_FILE = "grpc-demo-token"
TOKEN_ENV = "LEDGER_GRPC_TOKEN"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "token",
        help="get a fresh Xero access token from the running service (gRPC)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("binding", metavar="BINDING", help="the binding id")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--show-token", action="store_true", help="also print the access token")
    parser.add_argument("--target", metavar="HOST:PORT", help="the gRPC server to ask")
    parser.add_argument(
        "--caller-token",
        metavar="T",
        help="this caller's bearer token (visible in ps; prefer the env)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    tls = parser.add_argument_group("TLS")
    tls.add_argument("--tls", action="store_true", help="speak TLS (see above for the default)")
    tls.add_argument("--ca", metavar="PEM", help="trust this CA for the server's certificate")
    tls.add_argument("--cert", metavar="PEM", help="client certificate (mutual TLS)")
    tls.add_argument("--key", metavar="PEM", help="the client certificate's private key")
    tls.add_argument("--server-name", metavar="NAME", help="the name in the server certificate")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    target = args.target or f"127.0.0.1:{settings.grpc_port}"
    caller_token = args.caller_token or os.environ.get(TOKEN_ENV) or _demo_token(settings.var_dir)
    with _channel(target, args, settings) as channel:
        token = _fresh_token(channel, target, caller_token, args.binding, args.timeout)
    shown = _fields(args.binding, token, args.show_token)
    print(json.dumps(shown) if args.json else _table(shown, token.expires_at.ToDatetime(UTC)))
    return 0


def _demo_token(var_dir: Path) -> str:
    path = var_dir / DEMO_TOKEN_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise CommandError(
            f"no caller token: pass --caller-token, set {TOKEN_ENV}, or run the demo "
            f"(it writes {path})"
        ) from None


def _channel(target: str, args: argparse.Namespace, settings: Settings) -> grpc.Channel:
    if bool(args.cert) != bool(args.key):
        raise CommandError("--cert and --key go together")
    if not (args.tls or args.ca or args.cert or settings.grpc_tls_cert):
        return grpc.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_pem(args.ca, "--ca"),
        private_key=_pem(args.key, "--key"),
        certificate_chain=_pem(args.cert, "--cert"),
    )
    options = [("grpc.ssl_target_name_override", args.server_name)] if args.server_name else []
    return grpc.secure_channel(target, credentials, options=options)


def _pem(path: str | None, flag: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise CommandError(f"{flag}: cannot read {path} ({error.strerror})") from None


def _fresh_token(
    channel: grpc.Channel, target: str, caller_token: str, binding_id: str, timeout: float
) -> pb.GetFreshTokenResponse:
    stub = pb_grpc.XeroConnectServiceStub(channel)  # type: ignore[no-untyped-call]
    try:
        response: pb.GetFreshTokenResponse = stub.GetFreshToken(
            pb.GetFreshTokenRequest(binding_id=binding_id),
            metadata=(("authorization", f"Bearer {caller_token}"),),
            timeout=timeout,
        )
    except grpc.RpcError as error:
        raise CommandError(describe(error, target)) from None
    return response


def describe(error: grpc.RpcError, target: str) -> str:
    """One line: the status code, the ErrorInfo reason when there is one and it says more than the
    code's name, and the message."""
    code: grpc.StatusCode = error.code()
    message = " ".join(str(error.details() or "").split())
    status = rpc_status.from_call(error)
    if status is None and code is grpc.StatusCode.UNAVAILABLE:
        return (
            f"cannot reach the gRPC server at {target} (is `ledger-connect serve` running? "
            "If it speaks TLS: --tls, --ca, and for mutual TLS --cert/--key)"
        )
    reason, retry = "", ""
    for packed in status.details if status else ():
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            reason = f" {info.reason}" if info.reason != code.name else ""
        elif packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            delay = error_details_pb2.RetryInfo()
            packed.Unpack(delay)
            retry = f" (retry in {delay.retry_delay.ToTimedelta().total_seconds():g} s)"
    return f"{code.name}{reason}: {message}{retry}"


def _fields(binding_id: str, token: pb.GetFreshTokenResponse, show_token: bool) -> dict[str, str]:
    fields = {
        "binding_id": binding_id,
        "status": pb.BindingStatus.Name(token.binding_status).removeprefix("BINDING_STATUS_"),
        "expires_at": token.expires_at.ToJsonString(),
        "tenant_id": token.tenant_id,
        "api_base_url": token.api_base_url,
    }
    if show_token:
        fields["access_token"] = token.access_token
    return fields


def _table(fields: dict[str, str], expires_at: datetime) -> str:
    left = int((expires_at - datetime.now(UTC)).total_seconds())
    when = f"in {left // 60} min {left % 60} s" if left > 0 else "expired"
    rows = {**fields, "expires_at": f"{fields['expires_at']} ({when})"}
    width = max(map(len, rows))
    return "\n".join(f"{name.replace('_', ' '):<{width}}  {value}" for name, value in rows.items())
