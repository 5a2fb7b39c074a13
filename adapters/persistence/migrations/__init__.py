"""Alembic migrations of the ledger-connect schema."""
