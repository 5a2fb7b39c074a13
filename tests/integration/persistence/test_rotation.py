"""Key rotation (DESIGN §8): everything moves under the primary, and no refresh is lost."""

from __future__ import annotations

import random
import threading

from adapters.persistence.database import Database
from adapters.persistence.key_usage import stored_key_counts
from adapters.persistence.keyring import Keyring, generate_entry
from adapters.persistence.rotation import KeyRotation
from adapters.persistence.tables import SEALED
from adapters.persistence.uow import SqlUnitOfWorkFactory
from domain.binding import Binding
from domain.grant import TokenSet
from tests.integration.persistence import builders as b
from tests.integration.persistence.builders import T0
from tests.integration.persistence.conftest import KEYS
from tests.integration.persistence.fakes import RotatingIssuer, service

NEW = generate_entry("k2")
BOTH = f"{NEW},{KEYS}"


def _bindings(count: int) -> list[Binding]:
    return [
        b.binding(f"b-{n:02d}", url=f"https://shop{n}.example.com", connection=f"c-{n}")
        for n in range(count)
    ]


class TestRotation:
    def test_every_value_moves_under_the_primary_and_the_old_key_can_go(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow, *_bindings(5))
        with uow() as u:
            u.attempts.add(b.attempt("att-1", binding_id="b-00"))
            u.attempts.add(b.attempt("att-2", pending=False, binding_id="b-01"))
            u.commit()
        assert stored_key_counts(database) == {"k1": 13}
        both = Keyring.parse(BOTH)
        report = KeyRotation(database, both, batch_size=2).run()
        assert (report.rewritten, report.changed_meanwhile, report.remaining) == (7, 0, 0)
        assert stored_key_counts(database) == {"k2": 13}
        only_new = SqlUnitOfWorkFactory(database, Keyring.parse(NEW))
        with only_new() as u:
            assert u.grants.get("b-00") == b.grant("b-00")
            assert u.attempts.get("att-1") == b.attempt("att-1", binding_id="b-00")

    def test_a_row_written_after_it_was_read_is_left_as_written(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        b.store(uow)
        both = Keyring.parse(BOTH)
        rotation = KeyRotation(database, both)
        batch = rotation.next_batch(SEALED[0])
        successor = b.grant()
        successor.rotate(TokenSet("access-2", "refresh-2", 1800), T0)
        replica = SqlUnitOfWorkFactory(database, both)
        with replica() as u:
            u.grants.save(successor)
            u.commit()
        report = rotation.apply(SEALED[0], batch)
        assert (report.rewritten, report.changed_meanwhile) == (0, 1)
        with replica() as u:
            assert u.grants.get("b-1") == successor

    def test_rotation_while_replicas_refresh_loses_no_token(
        self, database: Database, uow: SqlUnitOfWorkFactory
    ) -> None:
        bindings = _bindings(12)
        b.store(uow, *bindings)
        issuer = RotatingIssuer()
        for item in bindings:
            issuer.start(item.id, f"refresh-token-of-{item.id}")
        replica = service(SqlUnitOfWorkFactory(database, Keyring.parse(BOTH)), issuer, T0)
        stop = threading.Event()
        errors: list[BaseException] = []

        def refresh_in_a_loop(seed: int) -> None:
            rng = random.Random(seed)
            while not stop.is_set():
                try:
                    replica.tokens.refresh_now(rng.choice(bindings).id)
                except BaseException as error:  # noqa: BLE001 - asserted below
                    errors.append(error)
                    return

        threads = [threading.Thread(target=refresh_in_a_loop, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        report = KeyRotation(database, Keyring.parse(BOTH), batch_size=2).run()
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        assert errors == [] and issuer.reused == []
        assert report.remaining == 0 and set(stored_key_counts(database)) == {"k2"}
        with SqlUnitOfWorkFactory(database, Keyring.parse(NEW))() as u:
            for item in bindings:
                grant = u.grants.get(item.id)
                assert grant is not None and grant.refresh_token == issuer.head[item.id]
