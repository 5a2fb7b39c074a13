"""Key rotation: re-seal every value not under the primary key, in batches (DESIGN §8).

Each row is rewritten with compare-and-swap (`UPDATE ... WHERE <every sealed column> = <what
was read>`), so a refresh that committed new tokens in between is never overwritten: that row
simply counts as changed meanwhile, and its new tokens are already under the writer's primary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select, update

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.errors import translated
from adapters.persistence.keyring import Keyring
from adapters.persistence.tables import SEALED, SealedTable
from adapters.persistence.transaction import Tx
from domain.errors import CorruptSecret


@dataclass(frozen=True, slots=True)
class RotationReport:
    rewritten: int = 0
    changed_meanwhile: int = 0
    unreadable: int = 0
    remaining: int = 0

    def __add__(self, other: RotationReport) -> RotationReport:
        return RotationReport(
            self.rewritten + other.rewritten,
            self.changed_meanwhile + other.changed_meanwhile,
            self.unreadable + other.unreadable,
            self.remaining + other.remaining,
        )


class KeyRotation:
    def __init__(self, database: Database, keyring: Keyring, batch_size: int = 200) -> None:
        self._database = database
        self._sealer = Sealer(keyring)
        self._primary = keyring.primary_id
        self._batch_size = batch_size

    def run(self) -> RotationReport:
        """One pass over every sealed table; `remaining` counts rows still under old keys."""
        report = RotationReport()
        for sealed in SEALED:
            after = ""
            while batch := self.next_batch(sealed, after):
                report += self.apply(sealed, batch)
                after = batch[-1][sealed.id_column]
        return report + RotationReport(remaining=self.remaining())

    def next_batch(self, sealed: SealedTable, after: str = "") -> list[RowMapping]:
        table, row_id = sealed.table, sealed.table.c[sealed.id_column]
        statement = (
            select(table)
            .where(table.c.key_id != self._primary, row_id > after)
            .order_by(row_id)
            .limit(self._batch_size)
        )
        with self._database.connect() as conn, translated():
            return list(conn.execute(statement).mappings())

    def apply(self, sealed: SealedTable, rows: list[RowMapping]) -> RotationReport:
        """Re-seal `rows` (as read by `next_batch`) in one short write transaction."""
        resealed, unreadable = [], 0
        for row in rows:
            try:
                resealed.append((row, self._resealed(sealed, row)))
            except CorruptSecret:
                unreadable += 1
        swapped = self._swap(sealed, resealed)
        return RotationReport(swapped, len(resealed) - swapped, unreadable)

    def remaining(self) -> int:
        with self._database.connect() as conn, translated():
            return sum(
                conn.execute(
                    select(func.count())
                    .select_from(sealed.table)
                    .where(sealed.table.c.key_id != self._primary)
                ).scalar_one()
                for sealed in SEALED
            )

    def _resealed(self, sealed: SealedTable, row: RowMapping) -> dict[str, Any]:
        table, row_id = sealed.table.name, str(row[sealed.id_column])
        values: dict[str, Any] = {"key_id": self._primary}
        for name in sealed.columns:
            old = row[name]
            plain = None if old is None else self._sealer.open(old, table, name, row_id)
            values[name] = None if plain is None else self._sealer.seal(plain, table, name, row_id)
        return values

    def _swap(self, sealed: SealedTable, resealed: list[tuple[RowMapping, dict[str, Any]]]) -> int:
        if not resealed:
            return 0
        tx = Tx.on(self._database)
        try:
            swapped = sum(
                tx.run(update(sealed.table).where(*_unchanged(sealed, old)).values(new)).rowcount
                for old, new in resealed
            )
            tx.commit()
        finally:
            tx.close()
        return swapped


def _unchanged(sealed: SealedTable, old: RowMapping) -> list[ColumnElement[bool]]:
    table = sealed.table
    same = [table.c[sealed.id_column] == old[sealed.id_column]]
    for name in sealed.columns:
        column = table.c[name]
        same.append(column.is_(None) if old[name] is None else column == old[name])
    return same
