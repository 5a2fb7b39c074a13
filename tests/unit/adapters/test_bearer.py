"""The one bearer parser behind the HTTP API's connector secret and the gRPC caller token."""

from __future__ import annotations

import pytest

from adapters.bearer import bearer_token


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("BEARER  abc ", "abc"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic abc", None),
        ("abc", None),
        ("", None),
        (None, None),
    ],
)
def test_reads_the_token_of_the_bearer_scheme_only(value: str | None, token: str | None) -> None:
    assert bearer_token(value) == token
