"""Parametrisations that narrow the suite's two backends to one."""

from __future__ import annotations

import pytest

postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
