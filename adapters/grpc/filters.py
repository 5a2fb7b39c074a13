"""ListBindings and WatchBindings requests to domain values: the filter and the page token.

A page token is opaque to callers: the last binding id of the previous page, base64url, with
a version prefix so its form can change. Ids in a filter pass the same check as every other
binding id (binding_ids.py); an unset or unknown enum value is INVALID_ARGUMENT, never
silently "everything".
"""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from adapters.grpc.binding_ids import validated
from adapters.grpc.convert import EVENT_KIND, STATUS
from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from domain.errors import ValidationFailed
from domain.events import EventFilter
from domain.values import BindingStatus, EventKind

T = TypeVar("T")
TOKEN_PREFIX = "b1."
_STATUS_OF: dict[int, BindingStatus] = {number: status for status, number in STATUS.items()}
_KIND_OF: dict[int, EventKind] = {number: kind for kind, number in EVENT_KIND.items()}


def scope(message: pb.BindingFilter) -> EventFilter:
    return EventFilter.of(
        binding_ids=[validated(i) for i in message.binding_ids],
        account_id=message.account_id.strip(),
        statuses=[_enum(_STATUS_OF, s, "statuses") for s in message.statuses],
        kinds=[_enum(_KIND_OF, k, "kinds") for k in message.kinds],
    )


def page_token(last_id: str) -> str:
    if not last_id:
        return ""
    return TOKEN_PREFIX + base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def after_id(token: str) -> str:
    """The binding id a page token continues after; "" for the first page."""
    if not token:
        return ""
    body = token.removeprefix(TOKEN_PREFIX)
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        if body == token:
            raise ValueError
        return validated(decoded)
    except (ValueError, binascii.Error, ValidationFailed):
        raise ValidationFailed("page_token is not one this service handed out") from None


def _enum(known: dict[int, T], number: int, field: str) -> T:
    if number not in known:
        raise ValidationFailed(f"filter.{field} holds an unknown or unset value ({number})")
    return known[number]
