"""Xero's /Date(ms+zzzz)/ values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.xero.dates import parse_ms_date


class TestParseMsDate:
    def test_reads_milliseconds_since_the_epoch_in_utc(self) -> None:
        parsed = parse_ms_date("/Date(1552404447003)/")
        assert parsed == datetime(2019, 3, 12, 15, 27, 27, 3000, tzinfo=UTC)

    def test_an_offset_names_the_zone_but_keeps_the_instant(self) -> None:
        parsed = parse_ms_date("/Date(1552404447003+1300)/")
        assert parsed == datetime(2019, 3, 12, 15, 27, 27, 3000, tzinfo=UTC)
        assert parsed is not None and parsed.utcoffset() == timedelta(hours=13)

    def test_zero_offset_and_negative_offsets(self) -> None:
        assert parse_ms_date("/Date(0+0000)/") == datetime(1970, 1, 1, tzinfo=UTC)
        parsed = parse_ms_date("/Date(0-0530)/")
        assert parsed is not None and parsed.utcoffset() == -timedelta(hours=5, minutes=30)

    def test_dates_before_the_epoch(self) -> None:
        assert parse_ms_date("/Date(-86400000)/") == datetime(1969, 12, 31, tzinfo=UTC)

    @pytest.mark.parametrize(
        "value",
        [
            None,
            "",
            "2019-03-12",
            "/Date()/",
            "/Date(abc)/",
            "Date(1)",
            "/Date(1+00)/",
            42,
            "/Date(99999999999999999999)/",
            "/Date(0+9999)/",
        ],
    )
    def test_anything_else_is_none(self, value: object) -> None:
        assert parse_ms_date(value) is None
