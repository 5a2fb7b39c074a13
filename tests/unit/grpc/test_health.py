"""The health reporter publishes what the check says, for the server and for the service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from grpc_health.v1 import health, health_pb2

from adapters.grpc.callers import SERVICE_NAME
from adapters.grpc.health import NOT_SERVING, SERVING, HealthReporter

SERVICES = (health.OVERALL_HEALTH, SERVICE_NAME)


class _Context:
    async def abort(self, code: object, details: str = "") -> None:
        raise AssertionError(f"unexpected status {code}")


async def statuses(servicer: health.aio.HealthServicer) -> list[int]:
    answers = [
        await servicer.Check(health_pb2.HealthCheckRequest(service=s), _Context()) for s in SERVICES
    ]
    return [answer.status for answer in answers]


def reporting(check: Callable[[], bool]) -> tuple[health.aio.HealthServicer, HealthReporter]:
    servicer = health.aio.HealthServicer()
    return servicer, HealthReporter(servicer, check, SERVICES, interval_s=60)


class TestHealthReporter:
    def test_follows_the_check_both_ways(self) -> None:
        healthy = [True]
        servicer, reporter = reporting(lambda: healthy[0])

        async def scenario() -> list[list[int]]:
            seen = []
            for value in (True, False, True):
                healthy[0] = value
                await reporter.poll()
                seen.append(await statuses(servicer))
            return seen

        assert asyncio.run(scenario()) == [
            [SERVING, SERVING],
            [NOT_SERVING, NOT_SERVING],
            [SERVING, SERVING],
        ]

    def test_a_check_that_raises_means_not_serving(self) -> None:
        def broken() -> bool:
            raise OSError("database unreachable")

        servicer, reporter = reporting(broken)

        async def scenario() -> list[int]:
            await reporter.poll()
            return await statuses(servicer)

        assert asyncio.run(scenario()) == [NOT_SERVING, NOT_SERVING]

    def test_stopping_reports_not_serving_for_good(self) -> None:
        servicer, reporter = reporting(lambda: True)

        async def scenario() -> list[int]:
            await reporter.start()
            await reporter.stop()
            await reporter.poll()
            return await statuses(servicer)

        assert asyncio.run(scenario()) == [NOT_SERVING, NOT_SERVING]
