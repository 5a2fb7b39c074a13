"""What most commands start from: settings from the environment and a bootstrapped container."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app.bootstrap import Container, bootstrap
from app.settings import Settings


@contextmanager
def container(*, create_dev_keys: bool = False, migrate: bool = False) -> Iterator[Container]:
    built = bootstrap(Settings.from_env(), create_dev_keys=create_dev_keys, migrate=migrate)
    try:
        yield built
    finally:
        built.close()
