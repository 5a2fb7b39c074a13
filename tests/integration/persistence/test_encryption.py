"""Tokens at rest (DESIGN §8): sealed, bound to their row, never readable in a raw dump."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import String, cast, select, update

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.keyring import Keyring, KeyringFormatError, generate_entry
from adapters.persistence.tables import grants, metadata
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.errors import CorruptSecret
from tests.integration.persistence import builders as b

SECRETS = ("access-token-of-b-1", "refresh-token-of-b-1", "pending-access", "pending-refresh")


class TestKeyring:
    def test_the_first_entry_is_primary_and_repr_shows_no_key(self) -> None:
        first, second = generate_entry("new"), generate_entry("old")
        keyring = Keyring.parse(f"# rotated in March\n{first},\n{second}\n")
        assert (keyring.primary_id, keyring.key_ids) == ("new", ("new", "old"))
        assert repr(keyring) == "Keyring(primary='new', key_ids=('new', 'old'))"
        assert first.split(":")[1] not in repr(keyring)

    @pytest.mark.parametrize(
        ("text", "complaint"),
        [
            ("", "has no key"),
            ("justakey", "not kid:key"),
            ("bad kid:AAAA", "key id must be"),
            ("k1:not*base64", "not URL-safe base64"),
            ("k1:AAAA", "is 3 bytes; AES-256 needs 32"),
            (f"{generate_entry('k1')},{generate_entry('k1')}", "appears twice"),
        ],
    )
    def test_malformed_text_is_refused_without_echoing_keys(
        self, text: str, complaint: str
    ) -> None:
        with pytest.raises(KeyringFormatError, match=complaint) as refused:
            Keyring.parse(text)
        keys = [entry.partition(":")[2] or entry for entry in text.split(",")]
        assert not [key for key in keys if key and key in str(refused.value)]


class TestSealing:
    def test_a_value_opens_only_where_it_was_sealed(self, keyring: Keyring) -> None:
        sealer = Sealer(keyring)
        value = sealer.seal("secret", "grants", "refresh_token", "b-1")
        assert value.startswith("v1.k1.") and "secret" not in value
        assert sealer.open(value, "grants", "refresh_token", "b-1") == "secret"
        for where in [("grants", "refresh_token", "b-2"), ("grants", "access_token", "b-1")]:
            with pytest.raises(CorruptSecret):
                sealer.open(value, *where)

    def test_a_relabelled_key_id_fails(self) -> None:
        keyring = Keyring.parse(f"{generate_entry('k1')},{generate_entry('k2')}")
        sealer = Sealer(keyring)
        value = sealer.seal("secret", "grants", "access_token", "b-1")
        with pytest.raises(CorruptSecret):
            sealer.open(value.replace("v1.k1.", "v1.k2."), "grants", "access_token", "b-1")


class TestStoredTokens:
    def test_a_ciphertext_copied_to_another_row_fails(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        second = b.binding("b-2", url="https://two.example.com", connection="c-2")
        b.store(uow, b.binding(), second)
        with database.engine.begin() as conn:
            stolen = conn.execute(
                select(grants.c.refresh_token).where(grants.c.binding_id == "b-1")
            )
            value = stolen.scalar_one()
            conn.execute(
                update(grants).where(grants.c.binding_id == "b-2").values(refresh_token=value)
            )
        with uow() as u, pytest.raises(CorruptSecret, match="grants.refresh_token") as refused:
            u.grants.get("b-2")
        assert "refresh-token-of" not in str(refused.value)

    def test_a_flipped_bit_fails(self, database: Database, uow: SqlUnitOfWorkFactory) -> None:
        b.store(uow)
        with database.engine.begin() as conn:
            value = conn.execute(select(grants.c.access_token)).scalar_one()
            prefix, last = value[:-2], value[-2]
            flipped = prefix + ("A" if last != "A" else "B") + value[-1]
            conn.execute(update(grants).values(access_token=flipped))
        with uow() as u, pytest.raises(CorruptSecret):
            u.grants.get("b-1")

    def test_a_raw_dump_holds_no_plaintext_token(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        with uow() as u:
            u.attempts.add(b.attempt())
            u.commit()
        dump = _sqlite_dump(database) if database.is_sqlite else _postgres_dump(database)
        assert "Demo Co" in dump  # the dump does see the rows
        for secret in (*SECRETS, "verifier-att-1"):
            assert secret not in dump


def _sqlite_dump(database: Database) -> str:
    database.dispose()
    path = Path(str(database.engine.url.database))
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    raw = b"".join(p.read_bytes() for p in files).decode("latin-1")
    with sqlite3.connect(path) as conn:
        return raw + "\n".join(conn.iterdump())


def _postgres_dump(database: Database) -> str:
    with database.engine.connect() as conn:
        return "\n".join(
            str(value)
            for table in metadata.sorted_tables
            for row in conn.execute(select(*(cast(c, String) for c in table.columns)))
            for value in row
        )
