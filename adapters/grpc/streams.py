"""Caps on long-lived streams (reflection, health watch, binding watches): per peer and in all.

On `grpc.aio` an idle stream costs no thread, but it still holds memory and a slot in the
peer's HTTP/2 connection, so one peer may hold at most `per_peer` streams and the server at
most `total`; a stream beyond either is refused with RESOURCE_EXHAUSTED at once. A peer is
its IP address (every connection and port of one host counts together). Unary calls are
never counted: they end by themselves. The counts live on the server's event loop, which
is the only thread that touches them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamLimits:
    per_peer: int = 100
    total: int = 2000

    def __post_init__(self) -> None:
        if not 0 < self.per_peer <= self.total:
            raise ValueError("stream limits need 0 < per_peer <= total")


class OpenStreams:
    def __init__(self, limits: StreamLimits) -> None:
        self._limits = limits
        self._by_peer: Counter[str] = Counter()
        self._total = 0

    def admit(self, peer: str) -> bool:
        """Count one more stream for `peer`, unless that would pass a cap."""
        if self._total >= self._limits.total or self._by_peer[peer] >= self._limits.per_peer:
            return False
        self._by_peer[peer] += 1
        self._total += 1
        return True

    def release(self, peer: str) -> None:
        self._total -= 1
        self._by_peer[peer] -= 1
        if not self._by_peer[peer]:
            del self._by_peer[peer]

    @property
    def total(self) -> int:
        return self._total


def peer_host(peer: str) -> str:
    """`ipv4:10.0.0.7:51234` -> `ipv4:10.0.0.7`; `ipv6:[::1]:51234` -> `ipv6:[::1]`; a
    Unix socket peer is kept whole."""
    if not peer.startswith(("ipv4:", "ipv6:")):
        return peer
    host, _, port = peer.rpartition(":")
    return host if port.isdigit() else peer
