"""Stream caps: per peer (its IP address, whatever its ports) and in all."""

from __future__ import annotations

import pytest

from adapters.grpc.streams import OpenStreams, StreamLimits, peer_host


class TestOpenStreams:
    def test_a_peer_gets_its_cap_and_no_more(self) -> None:
        streams = OpenStreams(StreamLimits(per_peer=2, total=10))

        assert [streams.admit("ipv4:10.0.0.1") for _ in range(3)] == [True, True, False]
        assert streams.admit("ipv4:10.0.0.2")

    def test_the_server_cap_holds_across_peers(self) -> None:
        streams = OpenStreams(StreamLimits(per_peer=2, total=3))

        admitted = [streams.admit(f"ipv4:10.0.0.{n}") for n in range(5)]

        assert admitted == [True, True, True, False, False]
        assert streams.total == 3

    def test_a_closed_stream_gives_its_slot_back(self) -> None:
        streams = OpenStreams(StreamLimits(per_peer=1, total=1))
        assert streams.admit("ipv4:10.0.0.1")

        streams.release("ipv4:10.0.0.1")

        assert streams.total == 0
        assert streams.admit("ipv4:10.0.0.2")

    @pytest.mark.parametrize("per_peer, total", [(0, 10), (11, 10), (-1, -1)])
    def test_limits_must_make_sense(self, per_peer: int, total: int) -> None:
        with pytest.raises(ValueError):
            StreamLimits(per_peer=per_peer, total=total)


@pytest.mark.parametrize(
    "peer, host",
    [
        ("ipv4:127.0.0.1:51234", "ipv4:127.0.0.1"),
        ("ipv6:[::1]:51234", "ipv6:[::1]"),
        ("ipv6:[fe80::1%25eth0]:80", "ipv6:[fe80::1%25eth0]"),
        ("unix:/run/ledger.sock", "unix:/run/ledger.sock"),
    ],
)
def test_a_peer_is_its_address_without_the_port(peer: str, host: str) -> None:
    assert peer_host(peer) == host
