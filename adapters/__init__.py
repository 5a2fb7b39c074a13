"""Adapters: the edges that connect the domain to HTTP, gRPC, the database and Xero."""
