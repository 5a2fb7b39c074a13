"""A service on fakes, and webhook deliverers over it with a scripted sender."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest

from domain.account import Plan
from domain.usecases.webhooks import DeliverWebhooks, WebhookAdmin
from domain.values import EventKind
from domain.webhooks import Subscriber, WebhookMessage, WebhookPolicy
from tests.fakes.misc import FakePlans
from tests.fakes.webhooks import ScriptedSender
from tests.fakes.world import World

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
POLICY = WebhookPolicy(
    first_retry=timedelta(seconds=5),
    max_backoff=timedelta(minutes=10),
    disable_after=timedelta(hours=1),
)
MakeDeliverer = Callable[..., DeliverWebhooks]


def subscriber(name: str = "sync", kinds: Sequence[EventKind] = ()) -> Subscriber:
    return Subscriber(name, f"https://{name}.example.com/hooks", SECRET, frozenset(kinds))


def verify(message: WebhookMessage, secret: str = SECRET) -> bool:
    """The receiver's check, written out from the Standard Webhooks spec."""
    headers = dict(message.headers)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + message.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    version, signature = headers["webhook-signature"].split(",", 1)
    return version == "v1" and hmac.compare_digest(signature, expected)


class Shops:
    """Connected bindings of one account, each for its own shop."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._account = world.account(plan="scale")
        self._count = 0

    def connect(self) -> str:
        self._count += 1
        url = f"https://shop{self._count}.example.com"
        return self._world.connected(self._account, url=url)


@pytest.fixture
def world() -> World:
    return World(plans=FakePlans(Plan("scale", 500, 500)))


@pytest.fixture
def shops(world: World) -> Shops:
    return Shops(world)


@pytest.fixture
def sender() -> ScriptedSender:
    return ScriptedSender()


@pytest.fixture
def make_deliverer(world: World, sender: ScriptedSender) -> MakeDeliverer:
    def make(
        *subscribers: Subscriber,
        holder: str = "replica-1",
        policy: WebhookPolicy = POLICY,
        send: ScriptedSender | None = None,
    ) -> DeliverWebhooks:
        return DeliverWebhooks(
            world.uow,
            send or sender,
            world.clock,
            subscribers or (subscriber(),),
            policy,
            holder,
            jitter=lambda: 0.5,
        )

    return make


@pytest.fixture
def admin(world: World) -> WebhookAdmin:
    return WebhookAdmin(world.uow, world.clock, (subscriber(),))
