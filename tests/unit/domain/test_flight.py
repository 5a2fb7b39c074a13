"""The short cache forgets: neither memory nor decrypted tokens outlive their few seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.flight import ShortCache

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class TestShortCache:
    def test_expired_entries_are_forgotten_once_there_are_many(self) -> None:
        cache: ShortCache[int] = ShortCache(timedelta(seconds=3), prune_at=10)
        for n in range(9):
            cache.put(f"old-{n}", n, T0)
        later = T0 + timedelta(seconds=4)
        cache.put("new", 99, later)
        assert len(cache._entries) == 1
        assert cache.get("new", later) == 99

    def test_live_entries_survive_a_prune(self) -> None:
        cache: ShortCache[int] = ShortCache(timedelta(seconds=3), prune_at=4)
        for n in range(4):
            cache.put(f"k{n}", n, T0)
        assert [cache.get(f"k{n}", T0 + timedelta(seconds=1)) for n in range(4)] == [0, 1, 2, 3]
