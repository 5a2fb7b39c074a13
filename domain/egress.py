"""Data received from Xero, by environment, organisation and endpoint per calendar month:
Xero meters egress against the tier's monthly allowance (xero-facts §11)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from domain.values import Environment


def month_of(at: datetime) -> str:
    return at.strftime("%Y-%m")


@dataclass(frozen=True, slots=True)
class EgressRow:
    environment: Environment
    tenant_id: str
    endpoint: str
    received_bytes: int
    calls: int = 1


@dataclass(frozen=True, slots=True)
class EnvironmentEgress:
    total: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    by_tenant: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EgressTally:
    month: str
    rows: tuple[EgressRow, ...] = ()

    def for_environment(self, environment: Environment) -> EnvironmentEgress:
        mine = [r for r in self.rows if r.environment is environment]
        endpoints: Counter[str] = Counter()
        tenants: Counter[str] = Counter()
        for row in mine:
            endpoints[row.endpoint] += row.received_bytes
            tenants[row.tenant_id] += row.received_bytes
        return EnvironmentEgress(
            sum(r.received_bytes for r in mine), dict(endpoints), dict(tenants)
        )
