"""GetFreshToken's cache miss read on the gRPC server's event loop: no thread in between.

The read on the use-case pool (`token_views`) costs a miss two thread hops: the submit, the
worker's wake-up and its turn at the GIL against seven other workers, and the hop back to the
loop. Measured on this machine, one miss read through a thread hop cost 234 us of CPU against
82 us for the same read awaited on the loop. So the server reads here first:

- PostgreSQL: asyncpg, whose protocol is compiled, with a small pool of its own opened on
  the loop at the first miss; each statement is prepared once per connection (asyncpg's
  statement cache) and runs outside any transaction, as autocommit.
- SQLite: one connection used by the loop alone, for reading only (`query_only`), in WAL
  mode, so a read never waits for a writer; its busy timeout is zero, so the rare moment
  SQLite cannot read without waiting raises at once rather than stalling the loop.

Anything raised here sends the caller to the pooled path (`TokenService.fresh_token`), which
is the authority: it retries, reports storage trouble in its words, and refreshes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import URL

from adapters.persistence.crypto import Sealer
from adapters.persistence.database import Database
from adapters.persistence.token_views import COLUMNS, SQLITE_SQL, view_of
from domain.grant import TokenView
from domain.ports import LoopTokenViews

ASYNCPG_SQL = COLUMNS.format("$1")
CONNECT_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 5.0
CLOSE_TIMEOUT_S = 2.0


def loop_token_views(database: Database, sealer: Sealer, pool_size: int = 8) -> LoopTokenViews:
    """The loop read for `database` (a file, for SQLite: `Database` refuses an in-memory one)."""
    if database.is_sqlite:
        return SqliteLoopTokenViews(str(database.url.database), sealer)
    return PgLoopTokenViews(database.url, sealer, pool_size)


class PgLoopTokenViews(LoopTokenViews):
    def __init__(self, url: URL, sealer: Sealer, pool_size: int = 8) -> None:
        self._connect = _connect_arguments(url)
        self._sealer = sealer
        self._pool_size = pool_size
        self._pool: Any = None
        self._opening: asyncio.Future[Any] | None = None

    async def view(self, binding_id: str) -> TokenView | None:
        pool = self._pool if self._pool is not None else await self._open()
        row = await pool.fetchrow(ASYNCPG_SQL, binding_id)
        return view_of(row, binding_id, self._sealer)

    async def _open(self) -> Any:
        """The pool, opened once by whichever miss comes first; a failed opening is tried
        again by the next miss."""
        import asyncpg  # only where PostgreSQL is configured

        if self._opening is None or (self._opening.done() and self._opening.exception()):
            self._opening = asyncio.ensure_future(
                asyncpg.create_pool(
                    min_size=1,
                    max_size=self._pool_size,
                    timeout=CONNECT_TIMEOUT_S,
                    command_timeout=COMMAND_TIMEOUT_S,
                    reset=_keep_session,
                    server_settings={"application_name": "ledger-connect"},
                    **self._connect,
                )
            )
        self._pool = await asyncio.shield(self._opening)
        return self._pool

    async def close(self) -> None:
        """Closes the pool; a later read opens another (on the loop it runs on)."""
        opening, self._opening, self._pool = self._opening, None, None
        if opening is not None and opening.done() and not opening.exception():
            pool = opening.result()
            try:
                await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_S)
            except TimeoutError:
                pool.terminate()  # a read stalled on a dead connection: do not wait for it

    def __repr__(self) -> str:
        return f"PgLoopTokenViews(pool_size={self._pool_size})"


def _connect_arguments(url: URL) -> dict[str, Any]:
    """asyncpg's connection arguments from the database URL, taken one by one: a query
    option asyncpg does not know (libpq's `connect_timeout`, say) would otherwise reach the
    server as a setting and be refused there. `sslmode` is the one option kept."""
    arguments: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "database": url.database,
    }
    sslmode = url.query.get("sslmode")
    if isinstance(sslmode, str):
        arguments["ssl"] = sslmode
    return {key: value for key, value in arguments.items() if value is not None}


async def _keep_session(_connection: Any) -> None:
    """What a returned connection needs reset: nothing. It only ever ran this one read,
    outside any transaction, so asyncpg's default reset (a round trip of RESET ALL, CLOSE
    ALL, UNLISTEN * and unlocking advisory locks on every release) is spared."""


class SqliteLoopTokenViews(LoopTokenViews):
    def __init__(self, path: str, sealer: Sealer) -> None:
        self._path = path
        self._sealer = sealer
        self._conn: sqlite3.Connection | None = None

    async def view(self, binding_id: str) -> TokenView | None:
        conn = self._conn if self._conn is not None else self._open()
        row = conn.execute(SQLITE_SQL, (binding_id,)).fetchone()
        return view_of(row, binding_id, self._sealer)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        conn.execute("PRAGMA query_only = ON")
        self._conn = conn
        return conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def __repr__(self) -> str:
        return "SqliteLoopTokenViews()"
