"""The sweeps' fixtures (a service on fakes and a sweeper over it) for platform tests."""

from tests.unit.sweeps.conftest import account, make_sweeps, sweeps, world  # noqa: F401
