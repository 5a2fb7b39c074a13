"""Use cases: each one a transaction-sized piece of what the service does."""
