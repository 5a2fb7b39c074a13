"""Alembic environment: migrates over the connection that `Database.migrate()` hands in.

A new revision: `alembic.command.revision(migrator.config(), "what changed", rev_id="0002")`,
then write its `upgrade()` by hand to match `tables.py` (a test compares the two).
"""

from __future__ import annotations

from alembic import context

from adapters.persistence.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through `ledger-connect migrate` (Database.migrate())")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
