"""Explicit row <-> domain mapping: the domain's dataclasses never learn about tables."""
