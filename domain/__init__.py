"""The ledger-connect domain: entities, value objects, ports and use cases (stdlib only)."""
