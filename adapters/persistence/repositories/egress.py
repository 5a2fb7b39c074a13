"""Monthly egress totals: one upsert per row adds to the running counts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.tables import xero_egress
from adapters.persistence.transaction import Tx
from domain.egress import EgressRow
from domain.ports import EgressLog
from domain.values import Environment

KEYS = ["month", "environment", "tenant_id", "endpoint"]


@cache
def _adding(is_sqlite: bool) -> Insert:
    """The upsert that adds a row's counts to its month's, built once per dialect."""
    statement = (sqlite_insert if is_sqlite else pg_insert)(xero_egress)
    return statement.on_conflict_do_update(
        index_elements=KEYS,
        set_={
            "received_bytes": xero_egress.c.received_bytes + statement.excluded.received_bytes,
            "calls": xero_egress.c.calls + statement.excluded.calls,
        },
    )


class SqlEgressLog(EgressLog):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, month: str, rows: Sequence[EgressRow]) -> None:
        """One statement for all rows, in key order (two writers never lock them crosswise)."""
        if not rows:
            return
        ordered = sorted(rows, key=lambda r: (r.environment, r.tenant_id, r.endpoint))
        parameters = [
            {
                "month": month,
                "environment": row.environment.value,
                "tenant_id": row.tenant_id,
                "endpoint": row.endpoint,
                "received_bytes": row.received_bytes,
                "calls": row.calls,
            }
            for row in ordered
        ]
        self._tx.run_many(_adding(self._tx.is_sqlite), parameters)

    def month(self, month: str) -> list[EgressRow]:
        statement = select(xero_egress).where(xero_egress.c.month == month)
        return [
            EgressRow(
                Environment(r["environment"]),
                r["tenant_id"],
                r["endpoint"],
                int(r["received_bytes"]),
                int(r["calls"]),
            )
            for r in self._tx.rows(statement)
        ]
