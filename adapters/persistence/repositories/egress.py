"""Monthly egress totals: one upsert per row adds to the running counts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.persistence.tables import xero_egress
from adapters.persistence.transaction import Tx
from domain.egress import EgressRow
from domain.ports import EgressLog
from domain.values import Environment

KEYS = ["month", "environment", "tenant_id", "endpoint"]


class SqlEgressLog(EgressLog):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def add(self, month: str, rows: Sequence[EgressRow]) -> None:
        if not rows:
            return
        insert = sqlite_insert(xero_egress) if self._tx.is_sqlite else pg_insert(xero_egress)
        for row in sorted(rows, key=lambda r: (r.environment, r.tenant_id, r.endpoint)):
            values = insert.values(
                month=month,
                environment=row.environment.value,
                tenant_id=row.tenant_id,
                endpoint=row.endpoint,
                received_bytes=row.received_bytes,
                calls=row.calls,
            )
            self._tx.run(
                values.on_conflict_do_update(
                    index_elements=KEYS,
                    set_={
                        "received_bytes": xero_egress.c.received_bytes
                        + values.excluded.received_bytes,
                        "calls": xero_egress.c.calls + values.excluded.calls,
                    },
                )
            )

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
