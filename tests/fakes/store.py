"""An in-memory unit of work: reads see committed state, writes land only on commit.

Like PostgreSQL at READ COMMITTED: plain reads never block; `grants.lock` is
`SELECT ... FOR UPDATE` (held until the unit of work ends); writing a grant row that another
unit of work has locked waits for that lock at commit, as an UPDATE or DELETE would.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, TypeVar

from domain.account import Account
from domain.binding import Binding
from domain.connect import ConnectAttempt, PairingCode
from domain.egress import EgressRow
from domain.errors import InstallAlreadyPaired, LockTimeout, NotFound, ValidationFailed
from domain.events import BindingEvent, EventFilter
from domain.grant import OAuthGrant, TokenView
from domain.ports import UnitOfWork
from domain.reference import ReferenceCache
from domain.schedule import Backlog
from domain.sessions import BrowserSession
from domain.throttle import EMPTY, Bucket
from domain.values import BindingStatus, Environment, install_key
from tests.fakes.webhooks import FakeWebhooks

Row = TypeVar("Row")


class FakeStore:
    """The committed state shared by every FakeUnitOfWork of one test."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[Hashable, Any]] = defaultdict(dict)
        self.events: list[BindingEvent] = []
        self.revision = 0
        self.compacted_through = 0
        self.mutex = threading.RLock()
        self.row_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self.commits = 0
        self.locks_taken = 0
        self.locks_followed = 0
        self.write_timeout_s = 5.0
        # One-shot hooks, each run just before a row lock is requested: a race's other side.
        self.before_lock: list[Callable[[], object]] = []

    def next_hook(self) -> Callable[[], object] | None:
        with self.mutex:
            return self.before_lock.pop(0) if self.before_lock else None

    def read(self, table: str, key: Hashable) -> Any:
        with self.mutex:
            return copy.deepcopy(self.tables[table].get(key))

    def rows(self, table: str) -> list[Any]:
        with self.mutex:
            return copy.deepcopy(list(self.tables[table].values()))


class _Table(Generic[Row]):
    """Rows of one type under a key attribute. `add` inserts, `update` changes a row that
    exists (NotFound otherwise, like an UPDATE that matched nothing), `put` does either."""

    missing = "no such row"

    def __init__(self, uow: FakeUnitOfWork, name: str, key: str) -> None:
        self._uow, self._name, self._key = uow, name, key

    def get(self, key: str) -> Row | None:
        found: Row | None = self._uow.read(self._name, key)
        return found

    def add(self, item: Row) -> None:
        self._put(item)

    def update(self, item: Row) -> None:
        if self.get(getattr(item, self._key)) is None:
            raise NotFound(self.missing)
        self._put(item)

    def _put(self, item: Row) -> None:
        self._uow.write(self._name, getattr(item, self._key), item)

    def all(self) -> list[Row]:
        rows: list[Row] = self._uow.all_rows(self._name)
        return rows


class FakeAccounts(_Table[Account]):
    missing = "no such account"

    def add(self, item: Account) -> None:
        """Unique by id and by email, like the table's keys."""
        if any(a.id == item.id or a.email == item.email for a in self.all()):
            raise ValidationFailed(f"an account for {item.email} already exists")
        self._put(item)

    def get_by_email(self, email: str) -> Account | None:
        return next((a for a in self.all() if a.email == email.strip().lower()), None)

    def lock(self, account_id: str, timeout_s: float) -> Account | None:
        self._uow.acquire(f"account:{account_id}", timeout_s)
        return self.get(account_id)


def _in_order(bindings: list[Binding]) -> list[Binding]:
    """The SQL repository's order: oldest first, then by id."""
    return sorted(bindings, key=lambda b: (b.created_at, b.id))


class FakeBindings(_Table[Binding]):
    missing = "no such binding"

    def add(self, item: Binding) -> None:
        self._one_live_binding_per_install(item)
        self._put(item)

    def update(self, item: Binding) -> None:
        self._one_live_binding_per_install(item)
        super().update(item)

    def _one_live_binding_per_install(self, binding: Binding) -> None:
        """The unique index on the live bindings' install (DESIGN §3)."""
        if not (binding.is_live and binding.magento):
            return
        install = install_key(binding.magento.base_url)
        for other in self.all():
            if (
                other.id != binding.id
                and other.is_live
                and other.magento
                and install_key(other.magento.base_url) == install
            ):
                raise InstallAlreadyPaired(
                    f"{binding.magento.base_url} is already paired with a live binding; "
                    "unpair it before pairing again"
                )

    def for_account(self, account_id: str) -> list[Binding]:
        return _in_order([b for b in self.all() if b.account_id == account_id])

    def live_for_install(self, base_url: str) -> Binding | None:
        install = install_key(base_url)
        return next(
            (
                b
                for b in self.all()
                if b.is_live and b.magento and install_key(b.magento.base_url) == install
            ),
            None,
        )

    def live_for_xero_user(self, environment: Environment, xero_user_id: str) -> list[Binding]:
        return _in_order(
            [
                b
                for b in self.all()
                if b.is_live
                and b.xero
                and b.xero.environment is environment
                and b.xero.xero_user_id == xero_user_id
            ]
        )

    def live_for_connection(self, connection_id: str) -> list[Binding]:
        return _in_order(
            [
                b
                for b in self.all()
                if b.is_live and b.xero and b.xero.connection_id == connection_id
            ]
        )

    def fetcher_for_tenant(self, tenant_id: str, environment: Environment) -> str | None:
        found = [
            b
            for b in self.all()
            if b.status.hands_out_tokens
            and b.xero
            and b.xero.tenant_id == tenant_id
            and b.xero.environment is environment
        ]
        ordered = sorted(_in_order(found), key=lambda b: b.status is not BindingStatus.CONNECTED)
        return ordered[0].id if ordered else None

    def count_by_status(self) -> dict[BindingStatus, int]:
        statuses = [b.status for b in self.all()]
        return {status: statuses.count(status) for status in BindingStatus}

    def count_connected_organisations(self, environment: Environment) -> int:
        tenants = set()
        for b in self.all():
            if b.is_live and b.status.has_xero and b.xero and b.xero.environment is environment:
                cache = self._uow.read("references", (b.xero.tenant_id, environment))
                if not (cache and cache.organisation and cache.organisation.is_demo):
                    tenants.add(b.xero.tenant_id)
        return len(tenants)

    def page(self, after_id: str, limit: int, scope: EventFilter) -> list[Binding]:
        chosen = [
            b
            for b in self.all()
            if b.id > after_id
            and (not scope.binding_ids or b.id in scope.binding_ids)
            and (not scope.account_id or b.account_id == scope.account_id)
            and (not scope.statuses or b.status in scope.statuses)
        ]
        return sorted(chosen, key=lambda b: b.id)[:limit]

    def find_by_secret_hash(self, secret_hash: str) -> Binding | None:
        if not secret_hash:
            return None
        return next((b for b in self.all() if b.connector_secret_hash == secret_hash), None)

    def connected_ids(self) -> list[str]:
        return [b.id for b in _in_order(self.all()) if b.status.has_xero]


class FakeGrants(_Table[OAuthGrant]):
    def view(self, binding_id: str) -> TokenView | None:
        grant: OAuthGrant | None = self._uow.read("grants", binding_id)
        binding: Binding | None = self._uow.read("bindings", binding_id)
        if grant is None or binding is None or binding.xero is None:
            return None
        return TokenView(
            binding_id,
            binding.status,
            binding.xero.tenant_id,
            grant.environment,
            grant.access_token,
            grant.access_expires_at,
            grant.next_retry_at,
        )

    def lock(self, binding_id: str, timeout_s: float) -> OAuthGrant | None:
        self._uow.acquire(binding_id, timeout_s)
        return self.get(binding_id)

    def lock_or_follow(self, binding_id: str, timeout_s: float) -> tuple[OAuthGrant | None, bool]:
        """Like PostgreSQL's: a follower waits for the writer, then reads; unlike it, the
        fake's followers take the lock one after another."""
        followed = self._uow.held_by_another(binding_id)
        if followed:
            with self._uow.store.mutex:
                self._uow.store.locks_followed += 1
        return self.lock(binding_id, timeout_s), not followed

    def save(self, grant: OAuthGrant) -> None:
        self._put(grant)

    def delete(self, binding_id: str) -> None:
        self._uow.write(self._name, binding_id, None)

    def claim_due(self, now: datetime, stale_before: datetime, limit: int) -> list[OAuthGrant]:
        due = sorted(
            (g for g in self._refreshable() if _due(g, now, stale_before)),
            key=lambda g: (g.next_retry_at is None, g.next_retry_at, g.refresh_issued_at),
        )
        claimed = []
        for grant in due[:limit]:
            if self._uow.try_acquire(grant.binding_id):
                claimed.append(grant)
        return claimed

    def backlog(self, now: datetime, stale_before: datetime) -> Backlog:
        since = [
            g.next_retry_at
            if g.next_retry_at and g.next_retry_at <= now
            else g.refresh_issued_at + (now - stale_before)
            for g in self._refreshable()
            if _due(g, now, stale_before)
        ]
        return Backlog(len(since), min(since, default=None))

    def count_exhausted(self, failure_days: int) -> int:
        return sum(g.failure_days >= failure_days for g in self._refreshable())

    def _refreshable(self) -> list[OAuthGrant]:
        statuses = {b.id: b.status for b in self._uow.all_rows("bindings")}
        return [
            g
            for g in self.all()
            if g.binding_id in statuses and statuses[g.binding_id].hands_out_tokens
        ]


def _due(grant: OAuthGrant, now: datetime, stale_before: datetime) -> bool:
    """A scheduled retry decides when a grant is due, else its keep-alive."""
    if grant.next_retry_at is not None:
        return bool(grant.next_retry_at <= now)
    return bool(grant.refresh_issued_at <= stale_before)


class FakeReferences:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def get(self, tenant_id: str, environment: Environment) -> ReferenceCache | None:
        found: ReferenceCache | None = self._uow.read("references", (tenant_id, environment))
        return found

    def save(self, cache: ReferenceCache) -> None:
        key = (cache.tenant_id, cache.environment)
        old: ReferenceCache | None = self._uow.read("references", key)
        revision = 1 if old is None else old.revision
        if old is not None and old.content_digest() != cache.content_digest():
            revision += 1
        self._uow.write("references", key, replace(cache, revision=revision))

    def stale(self, before: datetime, limit: int) -> list[ReferenceCache]:
        return self._stale(before)[:limit]

    def backlog(self, now: datetime, before: datetime) -> Backlog:
        stale = self._stale(before)
        fetched = [t for c in stale for t in (c.fetched_at, c.extended_fetched_at) if t]
        if not stale:
            return Backlog()
        since = min(fetched) + (now - before) if fetched else now
        return Backlog(len(stale), min(since, now))

    def _stale(self, before: datetime) -> list[ReferenceCache]:
        refreshable = {
            (b.xero.tenant_id, b.xero.environment)
            for b in self._uow.all_rows("bindings")
            if b.xero and b.status.hands_out_tokens
        }
        caches: list[ReferenceCache] = self._uow.all_rows("references")
        stale = [
            c
            for c in caches
            if (c.tenant_id, c.environment) in refreshable
            and any(t is None or t < before for t in (c.fetched_at, c.extended_fetched_at))
        ]
        return sorted(stale, key=lambda c: (c.fetched_at is not None, c.fetched_at, c.tenant_id))


class FakeConnectAttempts(_Table[ConnectAttempt]):
    missing = "no such connect attempt"

    def get_by_state(self, state: str) -> ConnectAttempt | None:
        return next((a for a in self.all() if a.state == state), None)

    def delete_created_before(self, before: datetime) -> int:
        old = [a for a in self.all() if a.created_at < before]
        for attempt in old:
            self._uow.write(self._name, attempt.id, None)
        return len(old)

    def consume(self, attempt_id: str, now: datetime) -> bool:
        """Row-locked like the SQL UPDATE ... WHERE used_at IS NULL."""
        self._uow.acquire(f"attempt:{attempt_id}", 5.0)
        attempt = self.get(attempt_id)
        if attempt is None or attempt.used_at is not None:
            return False
        attempt.used_at = now
        self.update(attempt)
        return True

    def abandoned_choices(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        old = [a for a in self.all() if a.pending is not None and a.created_at < before]
        return sorted(old, key=lambda a: a.created_at)[:limit]

    def never_returned(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        old = [
            a
            for a in self.all()
            if a.used_at is None and a.pending is None and a.created_at < before
        ]
        return sorted(old, key=lambda a: a.created_at)[:limit]


class FakePairingCodes(_Table[PairingCode]):
    missing = "no such pairing code"

    def consume(self, code_hash: str, now: datetime) -> bool:
        """Row-locked like the SQL UPDATE ... WHERE used_at IS NULL: a second caller waits for
        the first to end, then finds the code used."""
        self._uow.acquire(f"code:{code_hash}", 5.0)
        code = self.get(code_hash)
        if code is None or code.used_at is not None:
            return False
        code.used_at = now
        self.update(code)
        return True

    def refused(self, code_hash: str) -> None:
        code = self.get(code_hash)
        if code is not None:
            code.refusals += 1
            self.update(code)

    def revoke_for_binding(self, binding_id: str, now: datetime) -> int:
        live = [c for c in self.all() if c.binding_id == binding_id and c.used_at is None]
        for code in live:
            code.used_at = now
            self.update(code)
        return len(live)

    def delete_created_before(self, before: datetime) -> int:
        old = [c for c in self.all() if c.created_at < before]
        for code in old:
            self._uow.write(self._name, code.code_hash, None)
        return len(old)


class FakeLeases:
    """Taken at once, as the SQL upsert's row lock would decide, whatever the unit of work
    does afterwards."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._store = uow.store

    def acquire(self, key: str, holder: str, now: datetime, until: datetime) -> bool:
        with self._store.mutex:
            held = self._store.tables["leases"].get(key)
            if held is not None and held[1] > now:
                return False
            self._store.tables["leases"][key] = (holder, until)
            return True

    def release(self, key: str, holder: str) -> None:
        with self._store.mutex:
            held = self._store.tables["leases"].get(key)
            if held is not None and held[0] == holder:
                del self._store.tables["leases"][key]

    def purge(self, ended_before: datetime) -> int:
        with self._store.mutex:
            table = self._store.tables["leases"]
            ended = [key for key, (_, until) in table.items() if until < ended_before]
            for key in ended:
                del table[key]
            return len(ended)


class FakeSessions(_Table[BrowserSession]):
    def touch(self, token_hash: str, now: datetime) -> None:
        found = self.get(token_hash)
        if found is not None:
            found.last_seen_at = now
            self.update(found)

    def delete(self, token_hash: str) -> None:
        self._uow.write(self._name, token_hash, None)

    def delete_for_account(self, account_id: str) -> int:
        return self._delete_where(lambda s: s.account_id == account_id)

    def delete_expired(self, *, idle_before: datetime, created_before: datetime) -> int:
        return self._delete_where(
            lambda s: s.last_seen_at < idle_before or s.created_at < created_before
        )

    def _delete_where(self, doomed: Callable[[BrowserSession], bool]) -> int:
        found = [s for s in self.all() if doomed(s)]
        for session in found:
            self.delete(session.token_hash)
        return len(found)


class FakeThrottles:
    """Buckets under a per-key row lock, like SELECT ... FOR UPDATE."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def lock(self, key: str, timeout_s: float) -> Bucket:
        self._uow.acquire(f"throttle:{key}", timeout_s)
        found: tuple[Bucket, datetime] | None = self._uow.read("throttles", key)
        return found[0] if found else EMPTY

    def save(self, key: str, bucket: Bucket, empty_at: datetime) -> None:
        self._uow.write("throttles", key, (bucket, empty_at))

    def delete(self, key: str) -> None:
        self._uow.write("throttles", key, None)

    def purge(self, now: datetime) -> int:
        with self._uow.store.mutex:
            table = self._uow.store.tables["throttles"]
            drained = [str(k) for k, (_, at) in table.items() if at < now]
        for key in drained:
            self.delete(key)
        return len(drained)


class FakeEvents:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, event: BindingEvent) -> None:
        self._uow.new_events.append(event)

    def for_binding(self, binding_id: str, limit: int = 200) -> list[BindingEvent]:
        """The newest `limit` events, newest first."""
        with self._uow.store.mutex:
            mine = [e for e in self._uow.store.events if e.binding_id == binding_id]
        return mine[::-1][:limit]

    def revision(self) -> int:
        with self._uow.store.mutex:
            return self._uow.store.revision

    def compacted_through(self) -> int:
        return self._uow.store.compacted_through

    def after(self, revision: int, limit: int) -> list[BindingEvent]:
        with self._uow.store.mutex:
            return [e for e in self._uow.store.events if (e.revision or 0) > revision][:limit]

    def compact(self, older_than: datetime, limit: int, keep_after: int | None = None) -> int:
        store = self._uow.store
        keep = float("inf") if keep_after is None else keep_after
        with store.mutex:
            doomed = list(
                itertools.takewhile(
                    lambda e: e.at < older_than and (e.revision or 0) <= keep, store.events[:limit]
                )
            )
            if doomed:
                store.events = store.events[len(doomed) :]
                store.compacted_through = doomed[-1].revision or 0
            return len(doomed)


class FakeEgress:
    """Monthly totals keyed (month, environment, tenant, endpoint), staged until commit."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def add(self, month: str, rows: Sequence[EgressRow]) -> None:
        for row in rows:
            key = (month, row.environment, row.tenant_id, row.endpoint)
            old: EgressRow | None = self._uow.read("egress", key)
            if old is not None:
                row = replace(
                    row,
                    received_bytes=old.received_bytes + row.received_bytes,
                    calls=old.calls + row.calls,
                )
            self._uow.write("egress", key, row)

    def month(self, month: str) -> list[EgressRow]:
        rows: list[EgressRow] = self._uow.all_rows("egress")
        keys = {(r.environment, r.tenant_id, r.endpoint) for r in rows}
        return [
            r
            for r in (self._uow.read("egress", (month, *k)) for k in sorted(keys))
            if r is not None
        ]


class FakeUnitOfWork(UnitOfWork):
    """Named a UnitOfWork so that mypy holds it and each fake repository to the ports."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.staged: dict[tuple[str, Hashable], Any] = {}
        self.new_events: list[BindingEvent] = []
        self.held: dict[str, threading.Lock] = {}
        self.committed = False
        self.accounts = FakeAccounts(self, "accounts", "id")
        self.bindings = FakeBindings(self, "bindings", "id")
        self.grants = FakeGrants(self, "grants", "binding_id")
        self.references = FakeReferences(self)
        self.attempts = FakeConnectAttempts(self, "attempts", "id")
        self.pairing_codes = FakePairingCodes(self, "pairing_codes", "code_hash")
        self.events = FakeEvents(self)
        self.leases = FakeLeases(self)
        self.sessions = FakeSessions(self, "sessions", "token_hash")
        self.throttles = FakeThrottles(self)
        self.egress = FakeEgress(self)
        self.webhooks = FakeWebhooks(self)

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def read(self, table: str, key: Hashable) -> Any:
        if (table, key) in self.staged:
            return copy.deepcopy(self.staged[(table, key)])
        return self.store.read(table, key)

    def all_rows(self, table: str) -> list[Any]:
        with self.store.mutex:
            keys = set(self.store.tables[table]) | {k for t, k in self.staged if t == table}
        rows = (self.read(table, key) for key in keys)
        return [row for row in rows if row is not None]

    def write(self, table: str, key: Hashable, item: object) -> None:
        self.staged[(table, key)] = copy.deepcopy(item)

    def acquire(self, key: str, timeout_s: float) -> None:
        if key in self.held:
            return
        hook = self.store.next_hook()
        if hook is not None:
            hook()
        self._take(key, timeout_s)
        with self.store.mutex:
            self.store.locks_taken += 1

    def _take(self, key: str, timeout_s: float) -> None:
        lock = self.store.row_locks[key]
        if not lock.acquire(timeout=timeout_s):
            raise LockTimeout("the grant is locked by another refresh")
        self.held[key] = lock

    def held_by_another(self, key: str) -> bool:
        return key not in self.held and self.store.row_locks[key].locked()

    def try_acquire(self, key: str) -> bool:
        if key in self.held:
            return True
        lock = self.store.row_locks[key]
        if lock.acquire(blocking=False):
            self.held[key] = lock
            return True
        return False

    def _refuse_events_of_missing_bindings(self) -> None:
        """Like the events table's foreign key: the whole commit is refused, nothing lands."""
        for event in self.new_events:
            if self.read("bindings", event.binding_id) is None:
                raise NotFound("an event names a binding that does not exist")

    def commit(self) -> None:
        grants = {str(k) for t, k in self.staged if t == "grants" and k not in self.held}
        for grant_key in sorted(grants):
            self._take(grant_key, self.store.write_timeout_s)
        with self.store.mutex:
            self._refuse_events_of_missing_bindings()
            for (table, key), item in self.staged.items():
                if item is None:
                    self.store.tables[table].pop(key, None)
                else:
                    self.store.tables[table][key] = item
            for event in self.new_events:
                binding = self.store.tables["bindings"][event.binding_id]
                self.store.revision += 1
                numbered = replace(
                    event,
                    id=self.store.revision,
                    revision=self.store.revision,
                    account_id=binding.account_id,
                    status=binding.status,
                )
                self.store.events.append(numbered)
            self.store.commits += 1
        self.staged, self.new_events = {}, []
        self.committed = True
        self._release()

    def rollback(self) -> None:
        self.staged, self.new_events = {}, []
        self._release()

    def _release(self) -> None:
        while self.held:
            self.held.popitem()[1].release()
