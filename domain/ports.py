"""The ports: what the domain needs from the outside world, as small Protocols."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol

from domain.account import Account, Plan
from domain.binding import Binding
from domain.connect import ConnectAttempt, PairingCode, XeroConnection
from domain.egress import EgressRow
from domain.events import BindingEvent, EventFilter
from domain.grant import OAuthGrant, TokenSet, TokenView
from domain.reads import CredentialReads
from domain.reference import ReferenceBundle, ReferenceCache, RefKind
from domain.schedule import Backlog
from domain.sessions import BrowserSession
from domain.throttle import Bucket
from domain.values import BindingStatus, Environment
from domain.webhooks import (
    DeliveryQuery,
    DeliveryRecord,
    SendResult,
    WebhookCursor,
    WebhookMessage,
)


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC now."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> str: ...


class SecretGenerator(Protocol):
    def token(self, nbytes: int = 32) -> str:
        """A URL-safe random string with `nbytes` of entropy."""
        ...


class TaskRunner(Protocol):
    def submit(self, name: str, task: Callable[[], None]) -> None:
        """Run `task` in the background; failures are logged, never raised here."""
        ...


class XeroProvider(Protocol):
    def is_configured(self, environment: Environment) -> bool: ...

    def authorization_url(
        self, environment: Environment, *, state: str, code_challenge: str
    ) -> str: ...

    def exchange_code(
        self, environment: Environment, *, code: str, code_verifier: str
    ) -> TokenSet: ...

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet: ...

    def revoke(self, environment: Environment, refresh_token: str) -> None: ...

    def list_connections(
        self, environment: Environment, access_token: str, auth_event_id: str | None = None
    ) -> list[XeroConnection]: ...

    def delete_connection(
        self, environment: Environment, access_token: str, connection_id: str
    ) -> None: ...

    def fetch_reference(
        self,
        environment: Environment,
        access_token: str,
        tenant_id: str,
        kinds: Collection[RefKind],
        since: Mapping[RefKind, datetime] | None = None,
    ) -> ReferenceBundle:
        """Fetch the kinds concurrently (one wave), within Xero's per-organisation limits.

        A kind in `since` is asked with If-Modified-Since that date and comes back with only
        the rows changed after it (none when nothing changed, whether Xero answered 304 or
        an empty list)."""
        ...

    def api_base_url(self, environment: Environment) -> str: ...


class AccountRepository(Protocol):
    def get(self, account_id: str) -> Account | None: ...

    def get_by_email(self, email: str) -> Account | None: ...

    def add(self, account: Account) -> None: ...

    def update(self, account: Account) -> None: ...

    def lock(self, account_id: str, timeout_s: float) -> Account | None:
        """Read the account holding its row lock: plan limits are checked under it."""
        ...


class PlanCatalogue(Protocol):
    def get(self, name: str) -> Plan | None: ...


class BindingRepository(Protocol):
    def get(self, binding_id: str) -> Binding | None: ...

    def add(self, binding: Binding) -> None: ...

    def update(self, binding: Binding) -> None: ...

    def for_account(self, account_id: str) -> list[Binding]: ...

    def live_for_install(self, base_url: str) -> Binding | None:
        """The live binding of the install this URL names (values.install_key)."""
        ...

    def live_for_xero_user(self, environment: Environment, xero_user_id: str) -> list[Binding]: ...

    def live_for_connection(self, connection_id: str) -> list[Binding]: ...

    def fetcher_for_tenant(self, tenant_id: str, environment: Environment) -> str | None:
        """The binding that fetches this organisation's reference data: of those pointing at
        it that hand out tokens, a connected one before a degraded one, then the oldest; its
        id alone (the sweep reads it for every organisation it refreshes)."""
        ...

    def find_by_secret_hash(self, secret_hash: str) -> Binding | None: ...

    def connected_ids(self) -> list[str]:
        """Ids of bindings whose status has Xero (connected, degraded, needs reconnect)."""
        ...

    def count_by_status(self) -> dict[BindingStatus, int]: ...

    def count_connected_organisations(self, environment: Environment) -> int:
        """Distinct organisations that live bindings hold a Xero connection to (connected,
        degraded or needing a reconnect), demo companies aside: what Xero's cap counts."""
        ...

    def page(self, after_id: str, limit: int, scope: EventFilter) -> list[Binding]:
        """Up to `limit` bindings with an id above `after_id`, in id order, narrowed by the
        filter's binding ids, account and statuses (its event kinds do not apply)."""
        ...


class TokenStore(Protocol):
    def get(self, binding_id: str) -> OAuthGrant | None: ...

    def view(self, binding_id: str) -> TokenView | None:
        """The fast path's one read: the binding's status and tenant joined with its grant's
        access token and expiry; None without a grant or a Xero link."""
        ...

    def lock(self, binding_id: str, timeout_s: float) -> OAuthGrant | None:
        """Read the grant holding its row lock until the unit of work ends; raises LockTimeout."""
        ...

    def lock_or_follow(self, binding_id: str, timeout_s: float) -> tuple[OAuthGrant | None, bool]:
        """The grant under its row lock and True if no other writer holds it. Otherwise wait
        (raises LockTimeout) for that writer to end and read what it committed, with other
        writers kept out until the unit of work ends but without the lock, so every replica
        behind one refresh reads its outcome at once, not one after another; False. A
        follower must not write: if the grant still needs work it ends its unit of work and
        takes the lock."""
        ...

    def save(self, grant: OAuthGrant) -> None: ...

    def delete(self, binding_id: str) -> None: ...

    def claim_due(self, now: datetime, stale_before: datetime, limit: int) -> list[OAuthGrant]:
        """Lock grants due for a retry or a keep-alive, skipping rows locked by others."""
        ...

    def backlog(self, now: datetime, stale_before: datetime) -> Backlog:
        """What `claim_due` would find without a limit: how many, and due since when."""
        ...

    def count_exhausted(self, failure_days: int) -> int:
        """Refreshable grants whose refresh has failed on at least `failure_days` days."""
        ...


class TokenViews(Protocol):
    """The token fast path's read outside any unit of work: the last committed state, read
    once, nothing locked (`TokenStore.view` without the transaction around it)."""

    def view(self, binding_id: str) -> TokenView | None: ...


class LoopTokenViews(Protocol):
    """The same read as `TokenViews`, awaited on the event loop that asks, with no thread
    in between (the gRPC server's cache miss). One instance serves one event loop; `close`
    runs on that loop. Any failure is raised as it is: the caller then takes the use case's
    own path, which reports storage trouble in its own words."""

    async def view(self, binding_id: str) -> TokenView | None: ...

    async def close(self) -> None: ...


class ReferenceCacheStore(Protocol):
    def get(self, tenant_id: str, environment: Environment) -> ReferenceCache | None: ...

    def save(self, cache: ReferenceCache) -> None: ...

    def stale(self, before: datetime, limit: int) -> list[ReferenceCache]:
        """Caches with a wave missing or older than `before` that a connected or degraded
        binding points at, the oldest first."""
        ...

    def backlog(self, now: datetime, before: datetime) -> Backlog:
        """What `stale` would find without a limit: how many, and due since when."""
        ...


class ConnectAttemptRepository(Protocol):
    def get_by_state(self, state: str) -> ConnectAttempt | None: ...

    def get(self, attempt_id: str) -> ConnectAttempt | None: ...

    def add(self, attempt: ConnectAttempt) -> None: ...

    def update(self, attempt: ConnectAttempt) -> None: ...

    def consume(self, attempt_id: str, now: datetime) -> bool:
        """Mark the attempt used if it still is not; True only for the one caller that did."""
        ...

    def delete_created_before(self, before: datetime) -> int: ...

    def abandoned_choices(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        """Attempts created before `before` still holding a consent nobody picked from."""
        ...

    def never_returned(self, before: datetime, limit: int) -> list[ConnectAttempt]:
        """Attempts created before `before` whose callback never came (unused, no consent)."""
        ...


class PairingCodeRepository(Protocol):
    def get(self, code_hash: str) -> PairingCode | None: ...

    def consume(self, code_hash: str, now: datetime) -> bool:
        """Mark the code used if it still is not; True only for the one caller that did."""
        ...

    def refused(self, code_hash: str) -> None:
        """Count one refused redemption of the code."""
        ...

    def revoke_for_binding(self, binding_id: str, now: datetime) -> int:
        """Mark the binding's unused codes used: a new code replaces them."""
        ...

    def add(self, code: PairingCode) -> None: ...

    def update(self, code: PairingCode) -> None: ...

    def delete_created_before(self, before: datetime) -> int: ...


class LeaseRepository(Protocol):
    """Named leases that let one of many sweepers take an item for a while."""

    def acquire(self, key: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold `key` until `until` unless someone holds it beyond `now`; True if taken."""
        ...

    def release(self, key: str, holder: str) -> None:
        """End `holder`'s lease on `key` now; nothing if another holds it."""
        ...

    def purge(self, ended_before: datetime) -> int: ...


class EgressLog(Protocol):
    """Bytes received from Xero per month, environment, organisation and endpoint."""

    def add(self, month: str, rows: Sequence[EgressRow]) -> None:
        """Add these to the month's running totals."""
        ...

    def month(self, month: str) -> list[EgressRow]: ...


class CredentialReadLog(Protocol):
    """Credential reads per day, caller and binding (DESIGN §13). Outside any unit of work:
    the audit's flush is a short transaction of its own, whoever else is writing."""

    def add(self, reads: Sequence[CredentialReads]) -> None:
        """Merge each into its stored row: counts added, the earliest first read kept, the
        latest last read kept (replicas flush the same rows)."""
        ...

    def query(
        self,
        *,
        since: date,
        binding_id: str | None = None,
        caller: str | None = None,
        limit: int = 1000,
    ) -> list[CredentialReads]:
        """Rows of `since` and later, newest day first, then most reads first."""
        ...


class EventLog(Protocol):
    """The outbox of binding events (DESIGN §12). `add` stages an event; the store gives it
    the next revision when the unit of work commits, so revisions become visible in order
    and without gaps: once a reader sees revision N, every revision below N is readable."""

    def add(self, event: BindingEvent) -> None: ...

    def for_binding(self, binding_id: str, limit: int = 200) -> list[BindingEvent]: ...

    def revision(self) -> int:
        """The newest committed revision (0 before the first event)."""
        ...

    def compacted_through(self) -> int:
        """The newest revision compaction removed: events after it are all still kept."""
        ...

    def after(self, revision: int, limit: int) -> list[BindingEvent]:
        """Committed events with a revision above `revision`, oldest first."""
        ...

    def compact(self, older_than: datetime, limit: int, keep_after: int | None = None) -> int:
        """Remove up to `limit` of the oldest events written before `older_than`, always a
        prefix of the revisions, never one above `keep_after`; returns how many went."""
        ...


class EventWakeups(Protocol):
    """Word that another process may have committed events (PostgreSQL LISTEN/NOTIFY), so a
    replica's watchers hear of a change at once instead of at the next poll."""

    def wait(self, timeout_s: float) -> bool:
        """Block until a notification or `timeout_s`; True when notified. A lost signal
        (the connection dropped) answers True too: the caller reads the outbox anyway."""
        ...

    def close(self) -> None: ...


class WebhookSender(Protocol):
    def send(self, message: WebhookMessage) -> SendResult:
        """POST the message once, within the sender's timeout; never raises for the
        receiver's failures (they come back as the result)."""
        ...


class WebhookRepository(Protocol):
    """Webhook subscribers' cursors (one row each, claimed with a lease so that one replica
    at a time delivers a subscriber) and the delivery log."""

    def cursors(self) -> list[WebhookCursor]: ...

    def start(self, subscriber: str, revision: int) -> None:
        """A cursor at `revision` for a subscriber that has none (nothing if it has)."""
        ...

    def forget(self, subscriber: str) -> WebhookCursor | None:
        """Delete the subscriber's cursor (an operator's act, never automatic); the cursor
        it had, None without one."""
        ...

    def claim(
        self, subscriber: str, holder: str, now: datetime, until: datetime
    ) -> WebhookCursor | None:
        """The cursor, leased to `holder` until `until`, unless another holds it past `now`."""
        ...

    def save(self, cursor: WebhookCursor, holder: str, until: datetime) -> bool:
        """Write the cursor and extend the lease, only while `holder` holds it; False if
        another took it over (its holder then stops)."""
        ...

    def release(self, subscriber: str, holder: str) -> None: ...

    def enable(self, subscriber: str) -> WebhookCursor | None:
        """Clear the disabled mark and the failures; None without such a cursor."""
        ...

    def held_through(self) -> int | None:
        """The lowest revision an enabled cursor has acknowledged, whether or not this
        replica configures its subscriber (compaction keeps the events after it), None
        without enabled cursors."""
        ...

    def log(self, record: DeliveryRecord) -> None: ...

    def deliveries(self, query: DeliveryQuery) -> list[DeliveryRecord]:
        """Log lines matching the query, newest first."""
        ...

    def purge_log(self, before: datetime) -> int: ...


class SessionRepository(Protocol):
    """Server-side browser sessions, keyed by the SHA-256 of the cookie's token."""

    def add(self, session: BrowserSession) -> None: ...

    def get(self, token_hash: str) -> BrowserSession | None: ...

    def touch(self, token_hash: str, now: datetime) -> None: ...

    def delete(self, token_hash: str) -> None: ...

    def delete_for_account(self, account_id: str) -> int: ...

    def delete_expired(self, *, idle_before: datetime, created_before: datetime) -> int: ...


class ThrottleStore(Protocol):
    """Throttle buckets by key digest, shared by every replica."""

    def lock(self, key: str, timeout_s: float) -> Bucket:
        """The key's bucket (empty when new) under its row lock until the unit of work ends."""
        ...

    def save(self, key: str, bucket: Bucket, empty_at: datetime) -> None: ...

    def delete(self, key: str) -> None: ...

    def purge(self, now: datetime) -> int:
        """Delete buckets that have drained empty by `now`."""
        ...


class UnitOfWork(Protocol):
    """One transaction: rolls back on exit unless `commit()` was called."""

    accounts: AccountRepository
    bindings: BindingRepository
    grants: TokenStore
    references: ReferenceCacheStore
    attempts: ConnectAttemptRepository
    pairing_codes: PairingCodeRepository
    events: EventLog
    leases: LeaseRepository
    sessions: SessionRepository
    throttles: ThrottleStore
    egress: EgressLog
    webhooks: WebhookRepository

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


def record(uow: UnitOfWork, events: Sequence[BindingEvent | None]) -> None:
    """Append the events that a transition produced (None where nothing changed)."""
    for event in events:
        if event is not None:
            uow.events.add(event)
