"""The repository contract: one suite run against the fakes, SQLite and PostgreSQL."""
