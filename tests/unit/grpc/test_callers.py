"""The callers configuration: what parses, what is refused, and that tokens never leak."""

from __future__ import annotations

import pytest

from adapters.grpc.auth import CallerAuth
from adapters.grpc.callers import SERVICE_METHODS, CallerConfig, CallerConfigError, parse_callers

TOKEN = "Zm9vYmFyYmF6cXV4cXV1eA"


class TestParsing:
    def test_entries_with_listed_methods_or_all(self) -> None:
        callers = parse_callers(
            f"billing=1{TOKEN}:GetFreshToken|GetRefData;\n"
            f" ops = 2{TOKEN} : GetBinding ;admin=3{TOKEN}:*"
        )

        assert [(c.name, c.token) for c in callers] == [
            ("billing", f"1{TOKEN}"),
            ("ops", f"2{TOKEN}"),
            ("admin", f"3{TOKEN}"),
        ]
        assert callers[0].allowed() == {"GetFreshToken", "GetRefData"}
        assert callers[1].allowed() == {"GetBinding"}
        assert callers[2].allowed() == SERVICE_METHODS

    def test_a_token_may_contain_equals_and_colons(self) -> None:
        (caller,) = parse_callers(f"sync=ab:cd={TOKEN}==:*")

        assert caller.token == f"ab:cd={TOKEN}=="

    def test_nothing_configured_means_no_callers(self) -> None:
        assert parse_callers(" ;\n ") == ()

    @pytest.mark.parametrize(
        ("text", "complaint"),
        [
            (f"sync{TOKEN}", "is not name=token:Method"),
            (f"sync={TOKEN}", "is not name=token:Method"),
            (f"sync={TOKEN}:GetFreshTokens", "unknown method(s) GetFreshTokens"),
            (f"sync={TOKEN}:", "at least one method"),
            ("sync=short:*", "at least 16 characters"),
            (f"sync=two {TOKEN}:*", "without whitespace"),
            (f"sy nc={TOKEN}:*", "caller name"),
            (f"a=1{TOKEN}:*;a=2{TOKEN}:*", "caller names must be unique"),
            (f"a={TOKEN}:*;b={TOKEN}:*", "caller tokens must be unique"),
        ],
    )
    def test_malformed_entries_are_refused_without_quoting_the_token(
        self, text: str, complaint: str
    ) -> None:
        with pytest.raises(CallerConfigError) as refused:
            parse_callers(text)

        assert complaint in str(refused.value)
        assert TOKEN not in str(refused.value)


class TestSecrecy:
    def test_the_token_stays_out_of_the_repr(self) -> None:
        caller = CallerConfig("sync", TOKEN, frozenset({"*"}))

        assert TOKEN not in repr(caller)


class TestIdentify:
    @pytest.fixture
    def auth(self) -> CallerAuth:
        return CallerAuth(parse_callers(f"a=1{TOKEN}:*;b=2{TOKEN}:GetBinding"))

    def test_finds_the_caller_of_a_bearer_token(self, auth: CallerAuth) -> None:
        found = auth.identify((("x-other", "1"), ("authorization", f"Bearer 2{TOKEN}")))

        assert found is not None and found.name == "b"

    @pytest.mark.parametrize(
        "metadata",
        [
            (),
            (("authorization", f"Basic 1{TOKEN}"),),
            (("authorization", "Bearer "),),
            (("authorization", f"Bearer 1{TOKEN}x"),),
            (("authorization-bin", f"1{TOKEN}".encode()),),
        ],
    )
    def test_anything_else_is_nobody(
        self, auth: CallerAuth, metadata: tuple[tuple[str, str], ...]
    ) -> None:
        assert auth.identify(metadata) is None
