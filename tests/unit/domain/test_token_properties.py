"""The token invariants of DESIGN §3 under any interleaving of time, outages and replicas."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ProviderUnavailable, ReauthRequired
from domain.values import BindingStatus, Environment
from tests.fakes.world import World

STEP = st.one_of(
    st.tuples(st.just("advance"), st.integers(min_value=0, max_value=2 * 3600)),
    st.tuples(st.just("outage"), st.integers(min_value=1, max_value=3)),
    st.tuples(st.just("lose"), st.just(0)),
    st.tuples(st.sampled_from(["call", "replica"]), st.just(0)),
)


def run(steps: list[tuple[str, int]], *, with_lost_answers: bool) -> None:
    world = World()
    binding_id = world.connected()
    replica = world.replica()
    stale: list[str] = []

    def check_presented(token: str) -> None:
        if token != world.grant(binding_id).refresh_token:  # type: ignore[union-attr]
            stale.append(token)

    world.xero.on_refresh = check_presented
    for kind, amount in steps:
        if kind == "advance":
            world.clock.advance(seconds=amount)
        elif kind == "outage":
            world.xero.fail_next += [ProviderUnavailable("Xero answered 503")] * amount
        elif kind == "lose" and with_lost_answers:
            world.xero.drop_next_answer = True
        elif kind in ("call", "replica"):
            service = world.service if kind == "call" else replica
            try:
                token = service.tokens.fresh_token(binding_id)
            except (ProviderUnavailable, ReauthRequired):
                continue
            now = world.clock.now()
            assert token.expires_at > now, "a token handed out after its expiry"
            world.xero.list_connections(Environment.PRODUCTION, token.access_token)
        status = world.binding(binding_id).status
        if not with_lost_answers:
            assert status is not BindingStatus.NEEDS_RECONNECT
            assert world.xero.accepts(world.grant(binding_id).refresh_token)  # type: ignore[union-attr]
    assert stale == [], "a refresh token used after its successor was committed"


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, max_size=25))
def test_transient_failures_never_lose_the_grant(steps: list[tuple[str, int]]) -> None:
    run(steps, with_lost_answers=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, max_size=25))
def test_lost_answers_never_hand_out_an_expired_or_stale_token(
    steps: list[tuple[str, int]],
) -> None:
    run(steps, with_lost_answers=True)
