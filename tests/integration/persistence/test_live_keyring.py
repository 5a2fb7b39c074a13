"""The live keyring: re-read when a value names an unknown key; a bad re-read changes nothing."""

from __future__ import annotations

import pytest

from adapters.persistence.crypto import Sealer
from adapters.persistence.keyring import Keyring, KeyringFormatError, generate_entry
from adapters.persistence.live_keyring import LiveKeyring
from domain.errors import CorruptSecret

K1, K2 = generate_entry("k1"), generate_entry("k2")


class Source:
    """What the keyring file says now, and how often it was read."""

    def __init__(self, text: str) -> None:
        self.text, self.reads = text, 0

    def read(self) -> Keyring:
        self.reads += 1
        return Keyring.parse(self.text)


def sealed_with_k2() -> str:
    return Sealer(Keyring.parse(f"{K2},{K1}")).seal("token", "grants", "access_token", "b-1")


class TestLiveKeyring:
    def test_a_value_under_an_unknown_key_is_opened_after_a_re_read(self) -> None:
        source = Source(K1)
        live = LiveKeyring(source.read(), reread=source.read, min_interval_s=0)
        sealer = Sealer(live)
        source.text = f"{K2},{K1}"

        assert sealer.open(sealed_with_k2(), "grants", "access_token", "b-1") == "token"
        assert sealer.primary_id == "k2"

    def test_a_sealer_that_may_not_re_read_refuses_at_once(self) -> None:
        """The event loop's sealer: an unknown key is refused (the pool re-reads), and the
        keyring file is not read on the loop."""
        source = Source(K1)
        live = LiveKeyring(source.read(), reread=source.read, min_interval_s=0)
        source.text = f"{K2},{K1}"
        with pytest.raises(CorruptSecret, match="k2"):
            Sealer(live, reread=False).open(sealed_with_k2(), "grants", "access_token", "b-1")
        assert source.reads == 1
        assert Sealer(live).open(sealed_with_k2(), "grants", "access_token", "b-1") == "token"
        assert source.reads == 2

    def test_re_reads_at_most_once_an_interval(self) -> None:
        source = Source(K1)
        live = LiveKeyring(source.read(), reread=source.read, min_interval_s=60)
        sealer = Sealer(live)
        source.text = f"{K2},{K1}"

        for _ in range(3):
            with pytest.raises(CorruptSecret):
                sealer.open(sealed_with_k2(), "grants", "access_token", "b-1")

        assert source.reads == 1  # only the first read at start-up

    def test_a_bad_re_read_keeps_the_keyring_in_use(self) -> None:
        source = Source(K1)
        live = LiveKeyring(source.read(), reread=source.read)
        source.text = "k2:not-base64!"

        assert live.reload() is False
        assert live.current.key_ids == ("k1",)
        with pytest.raises(KeyringFormatError):
            source.read()

    def test_a_keyring_without_a_source_is_never_re_read(self) -> None:
        sealer = Sealer(Keyring.parse(K1))

        with pytest.raises(CorruptSecret, match="lacks"):
            sealer.open(sealed_with_k2(), "grants", "access_token", "b-1")
