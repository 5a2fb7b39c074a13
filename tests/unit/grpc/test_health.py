"""The health reporter publishes what the check says, for the server and for the service."""

from __future__ import annotations

from grpc_health.v1 import health, health_pb2

from adapters.grpc.callers import SERVICE_NAME
from adapters.grpc.health import NOT_SERVING, SERVING, HealthReporter

SERVICES = (health.OVERALL_HEALTH, SERVICE_NAME)


class _Context:
    def set_code(self, code: object) -> None:
        raise AssertionError(f"unexpected status {code}")


def status_of(servicer: health.HealthServicer, service: str) -> int:
    request = health_pb2.HealthCheckRequest(service=service)
    return servicer.Check(request, _Context()).status


class TestHealthReporter:
    def test_follows_the_check_both_ways(self) -> None:
        healthy = [True]
        servicer = health.HealthServicer()
        reporter = HealthReporter(servicer, lambda: healthy[0], SERVICES, interval_s=60)

        reporter.poll()
        assert [status_of(servicer, s) for s in SERVICES] == [SERVING, SERVING]
        healthy[0] = False
        reporter.poll()
        assert [status_of(servicer, s) for s in SERVICES] == [NOT_SERVING, NOT_SERVING]
        healthy[0] = True
        reporter.poll()
        assert [status_of(servicer, s) for s in SERVICES] == [SERVING, SERVING]

    def test_a_check_that_raises_means_not_serving(self) -> None:
        def broken() -> bool:
            raise OSError("database unreachable")

        servicer = health.HealthServicer()
        HealthReporter(servicer, broken, SERVICES).poll()

        assert status_of(servicer, SERVICE_NAME) == NOT_SERVING

    def test_stopping_reports_not_serving_for_good(self) -> None:
        servicer = health.HealthServicer()
        reporter = HealthReporter(servicer, lambda: True, SERVICES, interval_s=60)
        reporter.start()

        reporter.stop()
        reporter.poll()

        assert status_of(servicer, SERVICE_NAME) == NOT_SERVING
