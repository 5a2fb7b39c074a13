"""The httpx sender against a real loopback receiver: what each kind of failure comes back as."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters.webhooks.sender import HttpWebhookSender
from domain.webhooks import WebhookMessage
from tests.integration.webhooks.receiver import Receiver


@pytest.fixture
def sender() -> Iterator[HttpWebhookSender]:
    running = HttpWebhookSender(timeout_s=1.0)
    yield running
    running.close()


def message(receiver: Receiver) -> WebhookMessage:
    headers = (("webhook-id", "evt_1"), ("content-type", "application/json"))
    return WebhookMessage(receiver.url, "evt_1", headers, b'{"a": 1}')


def test_a_2xx_is_delivered_with_the_body_and_headers_as_given(
    sender: HttpWebhookSender, receiver: Receiver
) -> None:
    receiver.status = 204
    result = sender.send(message(receiver))
    assert result.ok and result.status == 204 and result.error == "" and result.seconds > 0
    [got] = receiver.received
    assert got.body == b'{"a": 1}' and got.headers["webhook-id"] == "evt_1"
    assert got.headers["user-agent"].startswith("ledger-connect-webhooks/")


def test_a_redirect_is_a_failure_and_not_followed(
    sender: HttpWebhookSender, receiver: Receiver
) -> None:
    receiver.status = 302
    receiver.headers = {"location": "http://127.0.0.1:9/elsewhere"}
    result = sender.send(message(receiver))
    assert not result.ok and result.status == 302 and result.error == "HTTP 302"
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("retry_after", "seconds"), [("120", 120.0), ("soon", None), ("999999999", 86_400.0)]
)
def test_retry_after_in_seconds_is_read(
    sender: HttpWebhookSender, receiver: Receiver, retry_after: str, seconds: float | None
) -> None:
    receiver.status, receiver.headers = 503, {"retry-after": retry_after}
    result = sender.send(message(receiver))
    assert (result.status, result.retry_after_s) == (503, seconds)


def test_retry_after_as_an_http_date_is_read(sender: HttpWebhookSender, receiver: Receiver) -> None:
    later = datetime.fromtimestamp(datetime.now(UTC).timestamp() + 600, UTC)
    receiver.status = 429
    receiver.headers = {"retry-after": later.strftime("%a, %d %b %Y %H:%M:%S GMT")}
    result = sender.send(message(receiver))
    assert result.retry_after_s is not None and 500 < result.retry_after_s <= 600


def test_no_listener_and_no_answer_are_short_errors(
    sender: HttpWebhookSender, receiver: Receiver
) -> None:
    receiver.hold()
    slow = sender.send(message(receiver))
    assert (slow.status, slow.error) == (None, "timed out")
    receiver.let_go()
    receiver.down()
    refused = sender.send(message(receiver))
    assert (refused.status, refused.error) == (None, "could not connect")
