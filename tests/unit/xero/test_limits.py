"""OrgLimiter: 5 in flight and 60 a minute per organisation, an app budget, Xero's own word."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from adapters.xero.limits import OrgLimiter
from domain.errors import RateLimited
from domain.reference import RefKind
from domain.values import Environment
from tests.unit.xero.conftest import MakeProvider
from tests.unit.xero.support import TENANT, FakeClock, Recorder, envelope


def accounts(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=envelope("Accounts", []))


def spend(limiter: OrgLimiter, tenant: str | None, times: int) -> None:
    for _ in range(times):
        with limiter.call(tenant):
            pass


def observe(limiter: OrgLimiter, app_left: int) -> None:
    """One tenantless call and Xero's answer: this much of the app's minute left."""
    with limiter.call(None):
        limiter.observe(None, {"X-AppMinLimit-Remaining": str(app_left)})


def app_limited(app: int = 10_000) -> tuple[FakeClock, OrgLimiter]:
    """A limiter on a fake clock that may hold a call for up to two minutes; `app` is Xero's
    app-wide limit and the process's budget alike."""
    clock = FakeClock()
    return clock, OrgLimiter(app_per_minute=app, max_wait_s=120, clock=clock, sleep=clock.sleep)


def waited(limiter: OrgLimiter, clock: FakeClock) -> float:
    """How long one more call of another organisation was held (it was held once)."""
    spend(limiter, "tenant-z", 1)
    assert len(clock.slept) == 1, clock.slept
    return clock.slept[0]


class TestConcurrency:
    def test_at_most_five_calls_in_flight_per_organisation(
        self, make_provider: MakeProvider
    ) -> None:
        recorder = Recorder(accounts, delay_s=0.05)
        provider = make_provider(recorder)

        def fetch(_: int) -> None:
            provider.fetch_reference(Environment.SANDBOX, "a", TENANT, [RefKind.ACCOUNTS])

        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(fetch, range(10)))
        assert len(recorder.requests) == 10
        assert recorder.max_in_flight == 5

    def test_other_organisations_are_not_held_back(self) -> None:
        limiter = OrgLimiter(concurrent=1)
        entered = threading.Event()
        with limiter.call("tenant-a"):

            def other() -> None:
                with limiter.call("tenant-b"):
                    entered.set()

            worker = threading.Thread(target=other)
            worker.start()
            assert entered.wait(2)
            worker.join()

    def test_a_slot_that_never_frees_up_is_rate_limited(self) -> None:
        limiter = OrgLimiter(concurrent=1, slot_timeout_s=0.05)
        with limiter.call(TENANT), pytest.raises(RateLimited), limiter.call(TENANT):
            pass


class TestMinuteBudget:
    def test_sixty_calls_a_minute_then_it_waits_for_the_window(self) -> None:
        clock, limiter = app_limited()
        spend(limiter, TENANT, 60)
        assert clock.slept == []
        spend(limiter, TENANT, 1)
        assert clock.slept == [60.0]

    def test_calls_spread_over_the_minute_free_up_one_by_one(self) -> None:
        clock, limiter = app_limited()
        for _ in range(60):
            spend(limiter, TENANT, 1)
            clock.now += 0.5
        spend(limiter, TENANT, 1)
        assert clock.slept == [pytest.approx(30.0)]

    def test_a_wait_longer_than_allowed_is_raised_at_once(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(max_wait_s=5, clock=clock, sleep=clock.sleep)
        spend(limiter, TENANT, 60)
        with pytest.raises(RateLimited) as raised:
            spend(limiter, TENANT, 1)
        assert (raised.value.retry_after, clock.slept) == (60.0, [])

    def test_each_organisation_has_its_own_minute(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        spend(limiter, "tenant-a", 60)
        spend(limiter, "tenant-b", 60)
        assert clock.slept == []

    def test_the_app_budget_counts_every_call_of_the_process(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(app_per_minute=100, clock=clock, sleep=clock.sleep)
        spend(limiter, "tenant-a", 50)
        spend(limiter, None, 50)
        with pytest.raises(RateLimited):
            spend(limiter, "tenant-b", 1)


class TestXerosOwnCount:
    def test_an_organisation_xero_says_is_spent_waits_for_its_window(self) -> None:
        clock, limiter = app_limited()
        with limiter.call(TENANT):
            limiter.observe(TENANT, {"X-MinLimit-Remaining": "0"})
        clock.now += 10
        spend(limiter, TENANT, 1)
        assert clock.slept == [50.0]

    def test_what_is_left_may_still_be_spent(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        with limiter.call(TENANT):
            limiter.observe(TENANT, {"X-MinLimit-Remaining": "2"})
        spend(limiter, TENANT, 2)
        with pytest.raises(RateLimited):
            spend(limiter, TENANT, 1)

    def test_calls_still_in_flight_come_off_what_xero_says_is_left(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        with ExitStack() as in_flight:
            for _ in range(3):
                in_flight.enter_context(limiter.call(None))
            # Answered by Xero before it counted the other two: only one is really left.
            limiter.observe(None, {"X-AppMinLimit-Remaining": "3"})
        spend(limiter, "tenant-z", 1)
        with pytest.raises(RateLimited):
            spend(limiter, "tenant-z", 1)

    def test_an_app_budget_xero_says_is_spent_holds_every_tenant(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        with limiter.call(None):
            limiter.observe(None, {"X-AppMinLimit-Remaining": "0"})
        with pytest.raises(RateLimited):
            spend(limiter, "tenant-z", 1)
        clock.now += 60
        spend(limiter, "tenant-z", 1)

    def test_a_spent_app_budget_is_held_until_xeros_window_ends_not_a_minute_later(
        self,
    ) -> None:
        clock, limiter = app_limited()
        observe(limiter, 5)
        clock.now += 10
        observe(limiter, 95)  # a new window: it began after the last answer, by now
        clock.now += 20
        observe(limiter, 0)
        assert waited(limiter, clock) == pytest.approx(40.0)  # its end, not a minute on

    def test_a_window_our_own_calls_spent_is_held_until_a_minute_after_its_first_figure(
        self,
    ) -> None:
        """A sweep alone on the app budget: every figure is what our calls left, so all are
        from the window of the first figure, which began by then."""
        clock, limiter = app_limited(100)
        observe(limiter, 99)
        clock.now += 8
        for left in range(98, -1, -1):
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(52.0)  # not 60 from the spent figure

    def test_our_calls_answered_out_of_order_still_explain_the_figures(self) -> None:
        clock, limiter = app_limited(53)  # the 50 counted the three in flight and no other
        with ExitStack() as in_flight:
            for _ in range(3):
                in_flight.enter_context(limiter.call(None))
            limiter.observe(None, {"X-AppMinLimit-Remaining": "50"})  # the others counted later
            clock.now += 10
            observe(limiter, 47)  # the two others in flight counted since the 50, and this
        clock.now += 10
        for left in range(46, 2, -1):  # spent at 3: the two still count off what is left
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(40.0)

    def test_a_window_others_also_spend_is_held_a_minute_from_its_spent_figure(self) -> None:
        clock, limiter = app_limited(100)
        observe(limiter, 99)
        clock.now += 8
        for left in range(98, 48, -1):
            observe(limiter, left)
        observe(limiter, 30)  # 18 calls that were not ours
        clock.now += 2
        for left in range(29, -1, -1):
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(60.0)

    def test_a_first_figure_counting_others_calls_is_held_a_minute_from_the_spent_one(
        self,
    ) -> None:
        """Another service spends 55 at the start of each of Xero's windows; ours are five
        calls after its reset, each figure down by one: figures alone cannot tell that
        window from the one before, so it is held a minute from its spent figure."""
        clock, limiter = app_limited(60)
        clock.now = 50
        observe(limiter, 4)  # Xero's window began at 0 and counted 55 others before ours
        clock.now = 61
        for left in (4, 3, 2, 1, 0):  # the window begun at 60, unseen
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(60.0)  # to 121; Xero's ends at 120

    def test_a_new_windows_first_figure_counting_others_calls_is_held_from_the_spent_one(
        self,
    ) -> None:
        """Another service spends 25 at the start of each window. The rise at 80 shows the
        window begun at 60, whose first figure counted that service's 25: not ours alone,
        though our calls of the minute before number more. The window begun at 120 then
        hides in it, and is held a minute from its spent figure."""
        clock, limiter = app_limited(60)
        for second, left in zip(range(30, 60), range(34, 4, -1), strict=True):
            clock.now = second
            observe(limiter, left)
        clock.now = 80
        observe(limiter, 34)  # the window begun at 60.5
        clock.now = 81
        observe(limiter, 33)
        for step, left in enumerate(range(32, -1, -1)):  # the window begun at 120.5
            clock.now = 121 + step / 2
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(60.0)  # to 197; Xero's ends at 180

    def test_a_figure_as_high_as_the_first_after_it_shows_a_new_window(self) -> None:
        """A call sent after the first answer is counted after its figure: showing as much
        left, it is from a new window, begun after the first figure."""
        clock = FakeClock()  # our own log of calls set aside: it would hold the 101st call
        limiter = OrgLimiter(
            app_per_minute=1_000, app_limit=100, max_wait_s=120, clock=clock, sleep=clock.sleep
        )
        observe(limiter, 99)
        clock.now += 30
        observe(limiter, 99)  # a reset, its new window's other spenders hiding the rise
        clock.now += 5
        for left in range(98, -1, -1):
            observe(limiter, left)
        assert waited(limiter, clock) == pytest.approx(55.0)  # the new window's end, at 90

    def test_a_window_others_began_and_spent_unseen_is_held_a_minute_from_its_figure(
        self,
    ) -> None:
        """The first figure says nothing of when its window began: it may have ended at once,
        and other spenders begun and spent the next before our next answer."""
        clock, limiter = app_limited()
        observe(limiter, 55)
        clock.now += 20
        observe(limiter, 0)  # no rise: the old window, or a new one others already spent
        assert waited(limiter, clock) == pytest.approx(60.0)

    def test_a_late_answer_showing_more_left_does_not_free_a_spent_window(self) -> None:
        clock, limiter = app_limited()
        observe(limiter, 30)
        with limiter.call(None):  # sent first, answered last
            observe(limiter, 0)
            clock.now += 1
            limiter.observe(None, {"X-AppMinLimit-Remaining": "1"})  # counted before the 0
        assert waited(limiter, clock) == pytest.approx(60.0)

    def test_what_is_left_rising_shows_a_new_window(self) -> None:
        clock, limiter = app_limited()
        observe(limiter, 5)
        clock.now += 30
        observe(limiter, 95)  # Xero's window reset since the last answer
        clock.now += 10
        observe(limiter, 0)
        assert waited(limiter, clock) == pytest.approx(50.0)

    def test_answers_out_of_order_among_calls_in_flight_are_no_new_window(self) -> None:
        clock, limiter = app_limited()
        with ExitStack() as in_flight:
            for _ in range(3):
                in_flight.enter_context(limiter.call(None))
            limiter.observe(None, {"X-AppMinLimit-Remaining": "50"})
            clock.now += 10
            limiter.observe(None, {"X-AppMinLimit-Remaining": "47"})
            limiter.observe(None, {"X-AppMinLimit-Remaining": "49"})  # counted before 47
        clock.now += 10
        observe(limiter, 0)
        # no new window, so none whose end is known: a minute from the spent figure (a new
        # window taken from the 49 would have ended the hold at 10 + 60)
        assert waited(limiter, clock) == pytest.approx(60.0)

    def test_a_late_answer_to_the_newest_call_is_no_new_window(self) -> None:
        """Xero counts calls as they arrive, not as we sent them: the last call sent may be
        counted first and answered last, after the calls counted after it have finished."""
        clock, limiter = app_limited()
        observe(limiter, 90)
        clock.now += 10
        observe(limiter, 95)  # a new window: it began after the last answer, by now
        clock.now += 10
        with ExitStack() as earlier:
            for _ in range(2):
                earlier.enter_context(limiter.call(None))
            with limiter.call(None):  # counted first (52 left), answered last
                limiter.observe(None, {"X-AppMinLimit-Remaining": "50"})
                limiter.observe(None, {"X-AppMinLimit-Remaining": "50"})
                earlier.close()
                limiter.observe(None, {"X-AppMinLimit-Remaining": "52"})
        clock.now += 10
        observe(limiter, 0)
        assert waited(limiter, clock) == pytest.approx(40.0)  # a new window would end at 80

    def test_a_late_answer_to_an_early_call_is_no_new_window(self) -> None:
        clock, limiter = app_limited()
        observe(limiter, 60)
        with limiter.call(None):  # sent first, answered last
            clock.now += 5
            for left in range(49, 39, -1):
                observe(limiter, left)
            limiter.observe(None, {"X-AppMinLimit-Remaining": "50"})
        clock.now += 15
        observe(limiter, 0)
        assert waited(limiter, clock) == pytest.approx(60.0)  # a new window would end at 65

    def test_an_answer_a_minute_into_a_window_is_from_the_next(self) -> None:
        clock, limiter = app_limited()
        observe(limiter, 3)
        clock.now += 59
        observe(limiter, 2)
        clock.now += 2
        observe(limiter, 0)  # the window that began at 0 is over: a new one, begun by now
        assert waited(limiter, clock) == pytest.approx(60.0)

    def test_headers_that_are_not_numbers_are_ignored(self) -> None:
        limiter = OrgLimiter()
        with limiter.call(TENANT):
            limiter.observe(TENANT, {"X-MinLimit-Remaining": "lots"})
        spend(limiter, TENANT, 1)

    def test_the_provider_reads_the_headers_of_each_answer(
        self, make_provider: MakeProvider
    ) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        spent = httpx.Response(
            200, json=envelope("Accounts", []), headers={"X-MinLimit-Remaining": "0"}
        )
        provider = make_provider(lambda r: spent, limiter=limiter)
        provider.fetch_reference(Environment.SANDBOX, "a", TENANT, [RefKind.ACCOUNTS])
        with pytest.raises(RateLimited):
            provider.fetch_reference(Environment.SANDBOX, "a", TENANT, [RefKind.ACCOUNTS])


class TestMemory:
    def test_idle_organisations_are_forgotten_once_there_are_many(self) -> None:
        clock = FakeClock()
        limiter = OrgLimiter(clock=clock, sleep=clock.sleep)
        for n in range(1024):
            spend(limiter, f"tenant-{n}", 1)
        clock.now += 61
        spend(limiter, "tenant-new", 1)
        assert list(limiter._tenants) == ["tenant-new"]
