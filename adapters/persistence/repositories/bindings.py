"""Bindings, and the lookups the invariants need: install, Xero user, connection, secret."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Select, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.persistence.mappers.binding import binding_from, binding_row
from adapters.persistence.repositories.references import REFRESHABLE
from adapters.persistence.tables import bindings, reference_caches
from adapters.persistence.transaction import Tx
from domain.binding import Binding
from domain.errors import InstallAlreadyPaired, NotFound
from domain.events import EventFilter as BindingScope
from domain.ports import BindingRepository
from domain.values import BindingStatus, Environment, install_key

LIVE = bindings.c.status != BindingStatus.DISCONNECTED.value
INSTALL_INDEX = "uq_bindings_live_install"
WITH_XERO = [s.value for s in BindingStatus if s.has_xero]


class SqlBindingRepository(BindingRepository):
    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    def get(self, binding_id: str) -> Binding | None:
        return self._one(select(bindings).where(bindings.c.id == binding_id))

    def add(self, binding: Binding) -> None:
        with _one_live_binding_per_install(binding):
            self._tx.run(insert(bindings).values(binding_row(binding)))

    def update(self, binding: Binding) -> None:
        statement = update(bindings).where(bindings.c.id == binding.id)
        with _one_live_binding_per_install(binding):
            result = self._tx.run(statement.values(binding_row(binding)))
        if result.rowcount == 0:
            raise NotFound("no such binding")

    def for_account(self, account_id: str) -> list[Binding]:
        return self._many(select(bindings).where(bindings.c.account_id == account_id))

    def live_for_install(self, base_url: str) -> Binding | None:
        install = install_key(base_url)
        return self._one(select(bindings).where(bindings.c.magento_install == install, LIVE))

    def live_for_xero_user(self, environment: Environment, xero_user_id: str) -> list[Binding]:
        return self._many(
            select(bindings).where(
                bindings.c.xero_environment == environment.value,
                bindings.c.xero_user_id == xero_user_id,
                LIVE,
            )
        )

    def live_for_connection(self, connection_id: str) -> list[Binding]:
        return self._many(
            select(bindings).where(bindings.c.xero_connection_id == connection_id, LIVE)
        )

    def fetcher_for_tenant(self, tenant_id: str, environment: Environment) -> str | None:
        connected_first = case((bindings.c.status == BindingStatus.CONNECTED.value, 0), else_=1)
        statement = (
            select(bindings.c.id)
            .where(
                bindings.c.xero_tenant_id == tenant_id,
                bindings.c.xero_environment == environment.value,
                bindings.c.status.in_(REFRESHABLE),
            )
            .order_by(connected_first, bindings.c.created_at, bindings.c.id)
            .limit(1)
        )
        row = self._tx.row(statement)
        return str(row["id"]) if row else None

    def find_by_secret_hash(self, secret_hash: str) -> Binding | None:
        if not secret_hash:
            return None
        return self._one(select(bindings).where(bindings.c.connector_secret_hash == secret_hash))

    def connected_ids(self) -> list[str]:
        statement = (
            select(bindings.c.id)
            .where(bindings.c.status.in_(WITH_XERO))
            .order_by(bindings.c.created_at, bindings.c.id)
        )
        return [row["id"] for row in self._tx.rows(statement)]

    def count_by_status(self) -> dict[BindingStatus, int]:
        statement = select(bindings.c.status, func.count().label("n")).group_by(bindings.c.status)
        counts = {BindingStatus(row["status"]): int(row["n"]) for row in self._tx.rows(statement)}
        return {status: counts.get(status, 0) for status in BindingStatus}

    def count_connected_organisations(self, environment: Environment) -> int:
        """Demo companies are known from the organisation's cached summary."""
        demo = reference_caches.c.is_demo
        statement = (
            select(func.count(func.distinct(bindings.c.xero_tenant_id)).label("n"))
            .select_from(bindings)
            .outerjoin(
                reference_caches,
                (reference_caches.c.tenant_id == bindings.c.xero_tenant_id)
                & (reference_caches.c.environment == bindings.c.xero_environment),
            )
            .where(
                bindings.c.status.in_(WITH_XERO),
                bindings.c.xero_environment == environment.value,
                bindings.c.xero_tenant_id.is_not(None),
                or_(demo.is_(None), demo.is_(False)),
            )
        )
        row = self._tx.row(statement)
        return int(row["n"]) if row else 0

    def page(self, after_id: str, limit: int, scope: BindingScope) -> list[Binding]:
        statement = select(bindings).where(bindings.c.id > after_id)
        if scope.binding_ids:
            statement = statement.where(bindings.c.id.in_(sorted(scope.binding_ids)))
        if scope.account_id:
            statement = statement.where(bindings.c.account_id == scope.account_id)
        if scope.statuses:
            statement = statement.where(bindings.c.status.in_(sorted(scope.statuses)))
        rows = self._tx.rows(statement.order_by(bindings.c.id).limit(limit))
        return [binding_from(row) for row in rows]

    def _one(self, statement: Select[tuple[object, ...]]) -> Binding | None:
        row = self._tx.row(statement.limit(1))
        return binding_from(row) if row else None

    def _many(self, statement: Select[tuple[object, ...]]) -> list[Binding]:
        ordered = statement.order_by(bindings.c.created_at, bindings.c.id)
        return [binding_from(row) for row in self._tx.rows(ordered)]


@contextmanager
def _one_live_binding_per_install(binding: Binding) -> Iterator[None]:
    """The unique index backs DESIGN §3's rule when two pairings race past the domain's check."""
    try:
        yield
    except IntegrityError as error:
        if "magento_install" not in str(error.orig) and INSTALL_INDEX not in str(error.orig):
            raise
        url = binding.magento.base_url if binding.magento else "this install"
        raise InstallAlreadyPaired(
            f"{url} is already paired with a live binding; unpair it before pairing again"
        ) from None
