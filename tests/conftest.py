"""Shared fixtures. Integration, end-to-end and fault tests run against the real RabbitMQ and
PostgreSQL of this machine (TEST_PG_URL, TEST_AMQP_BASE), each run in its own vhost and
databases; end-to-end and fault tests share one running stack."""
from __future__ import annotations

import pytest

from tests.support.infra import Databases, Vhost
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def vhost():
    host = Vhost().create()
    yield host
    host.drop()


@pytest.fixture(scope="session")
def databases():
    dbs = Databases().create()
    yield dbs
    dbs.drop()


@pytest.fixture(scope="session")
def stack(vhost, databases, tmp_path_factory):
    running = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def admin(stack):
    return stack.login()


def pytest_terminal_summary(terminalreporter) -> None:
    """What tests recorded with `record_property` (the one-car loop's wall time as `loop_seconds`)
    and each fault test's runtime, printed after every run so the figures are in the CI log."""
    reports = [report for name in ("", "passed", "failed", "error") for report in terminalreporter.stats.get(name, [])]
    recorded = [(report.nodeid, report.user_properties) for report in reports
                if report.when == "call" and report.user_properties]
    runtimes: dict[str, float] = {}
    for report in reports:
        if report.nodeid.startswith("tests/faults/"):
            runtimes[report.nodeid] = runtimes.get(report.nodeid, 0.0) + report.duration
    if not recorded and not runtimes:
        return
    terminalreporter.section("one-car loop and fault tests")
    for nodeid, properties in recorded:
        terminalreporter.line(f"{nodeid}: " + ", ".join(f"{key} {value}" for key, value in properties))
    for nodeid, seconds in runtimes.items():
        terminalreporter.line(f"{nodeid}: runtime {seconds:.1f}s (setup, call, teardown)")
