"""Which internal services may call the gRPC API, parsed from one configuration string.

Format (the lead passes `LEDGER_GRPC_CALLERS`): entries separated by `;` or new lines, each

    name=token:Method1|Method2      the caller may use the listed RPCs of XeroConnectService
    name=token:*                    the caller may use every RPC

for example

    billing-sync=3q2-KxV0fA...:GetFreshToken|GetRefData|GetBinding|ReportXeroAuthFailure;
    ops-dashboard=Zm9vYmFy...:GetBinding

`name` identifies the caller in logs (letters, digits, `.`, `_`, `-`). The token is what the
caller sends as `authorization: Bearer <token>`: at least 16 characters, no whitespace and no
`;`; it may contain `=` and `:` (the name ends at the first `=`, the methods start after the
last `:`). Make tokens with e.g. `python -c "import secrets; print(secrets.token_urlsafe(32))"`.
Names and tokens must be unique. Method names are the RPC names of the `.proto`; an unknown
one is a configuration error, so a typo never silently locks a caller out. Errors never
quote a token.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["XeroConnectService"]
SERVICE_NAME: str = SERVICE.full_name
SERVICE_METHODS: frozenset[str] = frozenset(m.name for m in SERVICE.methods)
ALL_METHODS = "*"
MIN_TOKEN_LENGTH = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class CallerConfigError(ValueError):
    """The callers configuration is malformed; the message says where, never the token."""


@dataclass(frozen=True, slots=True)
class CallerConfig:
    name: str
    token: str = field(repr=False)
    methods: frozenset[str]

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise CallerConfigError(f"caller name {self.name!r} must be 1-64 of [A-Za-z0-9._-]")
        if len(self.token) < MIN_TOKEN_LENGTH or any(c.isspace() or c == ";" for c in self.token):
            raise CallerConfigError(
                f"caller {self.name}: the token needs at least {MIN_TOKEN_LENGTH} characters, "
                "without whitespace or ';'"
            )
        if not self.methods:
            raise CallerConfigError(f"caller {self.name}: name at least one method, or *")

    def allowed(self, known: Collection[str] = SERVICE_METHODS) -> frozenset[str]:
        """The RPC names this caller may use."""
        return frozenset(known) if ALL_METHODS in self.methods else self.methods


def parse_callers(text: str, known: Collection[str] = SERVICE_METHODS) -> tuple[CallerConfig, ...]:
    entries = [e.strip() for e in re.split(r"[;\n]", text) if e.strip()]
    callers = tuple(_parse_entry(number, entry, known) for number, entry in enumerate(entries, 1))
    _require_unique([c.name for c in callers], "caller names")
    _require_unique([c.token for c in callers], "caller tokens")
    return callers


def _parse_entry(number: int, entry: str, known: Collection[str]) -> CallerConfig:
    name, has_token, rest = entry.partition("=")
    token, has_methods, methods_text = rest.rpartition(":")
    if not (has_token and has_methods):
        raise CallerConfigError(f"caller entry {number} is not name=token:Method|Method or *")
    methods = frozenset(m.strip() for m in methods_text.split("|") if m.strip())
    unknown = sorted(methods - {ALL_METHODS, *known})
    if unknown:
        raise CallerConfigError(
            f"caller {name.strip()}: unknown method(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))} or *"
        )
    return CallerConfig(name.strip(), token.strip(), methods)


def _require_unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise CallerConfigError(f"{what} must be unique")
