"""Persistence adapter tests, each on a SQLite file and on PostgreSQL."""
