"""Caller authentication: who presented which bearer token, and may they call this method.

XeroConnectService and server reflection need a known caller; health stays open, because
probes (Kubernetes, load balancers) carry no credentials. Reflection describes only the
public contract, but it is a long-lived stream and a map of the API, so an unauthenticated
peer gets neither: any configured caller may use it, whatever its method grants (`grpcurl
-H` and `buf curl --reflect-header` send the token on reflection requests). A call without a
known token is UNAUTHENTICATED; a known caller asking for a method it was not granted is
PERMISSION_DENIED, decided before anything looks the binding up, so refusals say nothing
about which bindings exist.

The presented token is hashed once (SHA-256) and compared with `hmac.compare_digest` against
every configured caller, without stopping at a match: the time taken does not depend on
which caller matched or on the token's length. Everything else is precomputed, so the
per-call cost is one metadata scan, one hash and a few comparisons.
"""

from __future__ import annotations

import contextvars
import enum
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from grpc_reflection.v1alpha import reflection

from adapters.bearer import bearer_token
from adapters.grpc.callers import SERVICE_NAME, CallerConfig

log = logging.getLogger(__name__)

REFLECTION_PREFIX = f"/{reflection.SERVICE_NAME}/"
# The name of the caller whose call is running (set by the gate; the credential read audit).
CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("grpc_caller", default="")
Metadata = Sequence[tuple[str, str | bytes]]


class Verdict(enum.Enum):
    OPEN = "open"  # a method that needs no caller (health)
    ALLOWED = "allowed"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    digest: bytes
    paths: frozenset[str]


class CallerAuth:
    def __init__(self, callers: Sequence[CallerConfig], service_name: str = SERVICE_NAME) -> None:
        self._prefix = f"/{service_name}/"
        self._callers = tuple(
            Caller(c.name, _digest(c.token), frozenset(self._prefix + m for m in c.allowed()))
            for c in callers
        )
        if not callers:
            log.warning("no gRPC callers are configured; every XeroConnectService call is refused")

    def judge(self, method: str, metadata: Metadata | None) -> tuple[Verdict, Caller | None]:
        """The verdict on `method` for whoever sent `metadata`, and who that is if known."""
        guarded = method.startswith(self._prefix)
        if not (guarded or method.startswith(REFLECTION_PREFIX)):
            return Verdict.OPEN, None
        caller = self.identify(metadata)
        if caller is None:
            return Verdict.UNAUTHENTICATED, None
        if guarded and method not in caller.paths:
            log.warning("gRPC caller %s may not call %s", caller.name, method)
            return Verdict.FORBIDDEN, caller
        return Verdict.ALLOWED, caller

    def identify(self, metadata: Metadata | None) -> Caller | None:
        presented = _bearer_token(metadata or ())
        if presented is None:
            return None
        digest = _digest(presented)
        found = None
        for caller in self._callers:
            if hmac.compare_digest(digest, caller.digest):
                found = caller
        return found


def _bearer_token(metadata: Metadata) -> str | None:
    for key, value in metadata:
        if key == "authorization" and isinstance(value, str):
            return bearer_token(value)
    return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
