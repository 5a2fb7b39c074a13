"""The cached token's answer is serialized once and handed out as the same bytes until the
token cache hands out another token."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.grpc.gen.ledger.xero.v1 import xero_connect_pb2 as pb
from adapters.grpc.servicer import WireCache
from domain.usecases.tokens import FreshToken
from domain.values import BindingStatus


def token(binding_id: str, access: str = "access-1") -> FreshToken:
    return FreshToken(
        binding_id=binding_id,
        access_token=access,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        tenant_id="tenant-uk",
        api_base_url="https://xero.test/api.xro/2.0",
        status=BindingStatus.CONNECTED,
    )


class Cache(dict[str, FreshToken]):
    def current(self, binding_id: str) -> FreshToken | None:
        return self.get(binding_id)


def test_the_cached_token_is_serialized_once() -> None:
    cache = Cache(b1=token("b1"))
    wire = WireCache(cache.current)

    first = wire.render(cache["b1"])

    assert wire.get("b1", cache["b1"]) is first
    assert pb.GetFreshTokenResponse.FromString(first).access_token == "access-1"


def test_another_token_object_is_a_miss_even_with_equal_fields() -> None:
    cache = Cache(b1=token("b1"))
    wire = WireCache(cache.current)
    wire.render(cache["b1"])

    cache["b1"] = token("b1", "access-2")

    assert wire.get("b1", cache["b1"]) is None
    answer = pb.GetFreshTokenResponse.FromString(wire.render(cache["b1"]))
    assert answer.access_token == "access-2"


def test_a_token_the_cache_does_not_hand_out_is_not_kept() -> None:
    cache = Cache()
    wire = WireCache(cache.current)

    wire.render(token("b1"))

    assert len(wire) == 0


def test_entries_whose_token_left_the_cache_are_pruned() -> None:
    cache = Cache({f"b{n}": token(f"b{n}") for n in range(8)})
    wire = WireCache(cache.current, prune_at=8)
    for n in range(7):
        wire.render(cache[f"b{n}"])
    for n in range(4):
        del cache[f"b{n}"]

    wire.render(cache["b7"])

    assert len(wire) == 4
    assert wire.get("b5", cache["b5"]) is not None
