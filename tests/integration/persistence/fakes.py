"""Small fakes for driving the real use cases over the real database."""

from __future__ import annotations

import fcntl
import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from app.bootstrap import bootstrap
from app.settings import Settings
from domain.account import Plan
from domain.digests import CodeDigest
from domain.errors import InvalidGrant
from domain.grant import TokenSet
from domain.service import LedgerConnect
from domain.usecases.tunables import Tunables
from domain.values import Environment
from tests.fakes.reads import FakeCredentialReadLog


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


class Ids:
    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_id(self) -> str:
        return f"id-{next(self._counter)}"


class Secrets:
    def token(self, nbytes: int = 32) -> str:
        return "s" * nbytes


class Plans:
    def get(self, name: str) -> Plan | None:
        return Plan(name, 100, 100)


class NoTasks:
    def submit(self, name: str, task: Callable[[], None]) -> None:
        """Background work is not what these tests are about."""


class RefreshOnlyXero:
    """Answers refreshes with `issue(old_refresh_token)`; the rest of Xero is out of scope."""

    def __init__(self, issue: Callable[[str], TokenSet]) -> None:
        self._issue = issue

    def refresh(self, environment: Environment, refresh_token: str) -> TokenSet:
        return self._issue(refresh_token)

    def api_base_url(self, environment: Environment) -> str:
        return "https://api.xero.test/api.xro/2.0"

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"these tests do not expect Xero's {name}")


class CountingIssuer:
    """Counts refreshes in this process; sleeps inside each to widen any race."""

    def __init__(self, delay_s: float = 0.2) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._delay_s = delay_s

    def __call__(self, refresh_token: str) -> TokenSet:
        with self._lock:
            self.calls += 1
            n = self.calls
        time.sleep(self._delay_s)
        return TokenSet(f"access-{n}", f"refresh-{n}", 1800)


class FileCountingIssuer:
    """Counts refreshes across processes in a file under an exclusive flock."""

    def __init__(self, path: Path, delay_s: float = 0.3) -> None:
        self._path = path
        self._delay_s = delay_s

    def __call__(self, refresh_token: str) -> TokenSet:
        with self._path.open("a+") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.seek(0)
            n = len(file.read().split()) + 1
            file.write(f"{refresh_token}\n")
        time.sleep(self._delay_s)
        return TokenSet(f"access-{n}", f"refresh-{n}", 1800)


class RotatingIssuer:
    """Xero's rotation, strictly: a refresh token works once; reuse is recorded and refused."""

    def __init__(self, delay_s: float = 0.005) -> None:
        self.head: dict[str, str] = {}
        self.reused: list[str] = []
        self._family: dict[str, str] = {}
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._delay_s = delay_s

    def start(self, family: str, refresh_token: str) -> None:
        self.head[family], self._family[refresh_token] = refresh_token, family

    def __call__(self, refresh_token: str) -> TokenSet:
        time.sleep(self._delay_s)
        with self._lock:
            family = self._family[refresh_token]
            if self.head[family] != refresh_token:
                self.reused.append(refresh_token)
                raise InvalidGrant("refresh token already used")
            n = next(self._counter)
            self.start(family, f"{family}-refresh-{n}")
        return TokenSet(f"{family}-access-{n}", f"{family}-refresh-{n}", 1800)


def service(
    uow: Callable[[], Any], issue: Callable[[str], TokenSet], now: datetime
) -> LedgerConnect:
    built = bootstrap(
        Settings.from_env({}),
        uow=uow,
        xero=RefreshOnlyXero(issue),
        clock=FixedClock(now),
        ids=Ids(),
        secrets=Secrets(),
        plans=Plans(),
        tasks=NoTasks(),
        codes=CodeDigest.random(),
        tunables=Tunables(),
        read_log=FakeCredentialReadLog(),
    )
    return built.service
