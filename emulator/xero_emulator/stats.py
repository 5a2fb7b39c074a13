"""Counters the control API reports, so tests and benchmarks can see what clients did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Stats:
    """What happened since the last reset."""

    token_requests: dict[str, Counter[str]] = field(default_factory=dict)
    api_calls: Counter[str] = field(default_factory=Counter)
    consents: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    revocations: int = 0
    connection_lists: int = 0

    def token(self, grant_type: str, ok: bool) -> None:
        """Count one token-endpoint request by grant type and outcome."""
        counter = self.token_requests.setdefault(grant_type or "(none)", Counter())
        counter["success" if ok else "failure"] += 1

    def to_json(self, connections: int) -> dict[str, Any]:
        """The JSON the control API serves."""
        tokens = {
            grant: {"success": c["success"], "failure": c["failure"]}
            for grant, c in self.token_requests.items()
        }
        return {
            "token_requests": tokens,
            "api_calls": dict(self.api_calls),
            "api_calls_total": sum(self.api_calls.values()),
            "rate_limited": self.rate_limited,
            "consents": dict(self.consents),
            "revocations": self.revocations,
            "connection_lists": self.connection_lists,
            "connections": connections,
        }
