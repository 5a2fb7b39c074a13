"""One call on the pool per key, however many wait for it on the loop; the work outlives them."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.grpc.flights import LoopFlights


class Work:
    """Blocks on the pool until released; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self, value: str) -> str:
        self.calls += 1
        self.release.wait(10)
        self.finished.set()
        return f"done {value}"


@pytest.fixture
def pool() -> ThreadPoolExecutor:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def test_concurrent_callers_of_one_key_share_one_call(pool: ThreadPoolExecutor) -> None:
    work, flights = Work(), LoopFlights[str](pool)

    async def storm() -> list[str]:
        waiting = [
            asyncio.ensure_future(flights.run("b1", work, "x", timeout=10)) for _ in range(500)
        ]
        await asyncio.sleep(0)
        assert flights.running() == 1
        work.release.set()
        return await asyncio.gather(*waiting)

    answers = asyncio.run(storm())

    assert answers == ["done x"] * 500
    assert work.calls == 1


def test_other_keys_fly_on_their_own(pool: ThreadPoolExecutor) -> None:
    work, flights = Work(), LoopFlights[str](pool)
    work.release.set()

    async def both() -> list[str]:
        return await asyncio.gather(
            flights.run("b1", work, "1", timeout=10), flights.run("b2", work, "2", timeout=10)
        )

    assert asyncio.run(both()) == ["done 1", "done 2"]
    assert work.calls == 2


def test_a_caller_whose_time_runs_out_leaves_the_work_running(pool: ThreadPoolExecutor) -> None:
    work, flights = Work(), LoopFlights[str](pool)

    async def late_then_patient() -> str:
        with pytest.raises(TimeoutError):
            await flights.run("b1", work, "x", timeout=0.01)
        patient = asyncio.ensure_future(flights.run("b1", work, "x", timeout=10))
        await asyncio.sleep(0)
        work.release.set()
        return await patient

    assert asyncio.run(late_then_patient()) == "done x"
    assert work.calls == 1  # the patient caller joined the flight the first one started


def test_a_landed_flight_is_not_reused(pool: ThreadPoolExecutor) -> None:
    work, flights = Work(), LoopFlights[str](pool)
    work.release.set()

    async def twice() -> None:
        await flights.run("b1", work, "x", timeout=10)
        await flights.run("b1", work, "x", timeout=10)

    asyncio.run(twice())

    assert work.calls == 2
    assert flights.running() == 0


def test_every_waiter_gets_the_failure(pool: ThreadPoolExecutor) -> None:
    flights = LoopFlights[str](pool)
    release = threading.Event()

    def failing() -> str:
        release.wait(10)
        raise LookupError("no such binding")

    async def storm() -> list[BaseException | str]:
        waiting = [asyncio.ensure_future(flights.run("b1", failing, timeout=10)) for _ in range(3)]
        await asyncio.sleep(0)
        release.set()
        return await asyncio.gather(*waiting, return_exceptions=True)

    outcomes = asyncio.run(storm())

    assert [type(o) for o in outcomes] == [LookupError] * 3
