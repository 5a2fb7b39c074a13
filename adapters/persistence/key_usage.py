"""Which key ids the stored values use, and whether the keyring's keys really open them (§8)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import RowMapping, Select, func, select

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.errors import translated
from adapters.persistence.keyring import Keyring
from adapters.persistence.tables import SEALED, SealedTable
from domain.errors import CorruptSecret


def stored_key_counts(database: Database) -> dict[str, int]:
    """Sealed values per key id, over every sealed column of every table."""
    counts: Counter[str] = Counter()
    with database.connect() as conn, translated():
        for sealed in SEALED:
            table = sealed.table
            per_column = [func.count(table.c[name]) for name in sealed.columns]
            statement = select(table.c.key_id, *per_column).group_by(table.c.key_id)
            for kid, *values in conn.execute(statement):
                counts[kid] += sum(values)
    return dict(counts)


def unopenable_key_ids(database: Database, keyring: Keyring) -> list[str]:
    """Key ids present in the keyring whose key fails on a stored sample: the id was kept but
    the key bytes changed, so every value under it would fail at run time."""
    sealer = Sealer(keyring)
    failing = set()
    with database.connect() as conn, translated():
        for sealed in SEALED:
            for kid in keyring.key_ids:
                row = conn.execute(_sample(sealed, kid)).mappings().first()
                if row is not None and not _opens(sealer, sealed, row):
                    failing.add(kid)
    return sorted(failing)


def _sample(sealed: SealedTable, kid: str) -> Select[tuple[object, ...]]:
    return select(sealed.table).where(sealed.table.c.key_id == kid).limit(1)


def _opens(sealer: Sealer, sealed: SealedTable, row: RowMapping) -> bool:
    row_id = str(row[sealed.id_column])
    try:
        for name in sealed.columns:
            value = row[name]
            if isinstance(value, str):
                sealer.open(value, sealed.table.name, name, row_id)
    except CorruptSecret:
        return False
    return True
