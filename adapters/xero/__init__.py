"""The Xero adapter: identity, connections and Accounting API reference data over httpx."""
