"""Shared fixtures. Integration, end-to-end and fault tests run against the real RabbitMQ and
PostgreSQL of this machine (TEST_PG_URL, TEST_AMQP_BASE), each run in its own vhost and
databases; end-to-end and fault tests share one running stack."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.support.infra import DEFERRED_VHOSTS, Databases, Vhost, delete_vhosts
from tests.support.stack import Stack


def pytest_configure(config) -> None:
    """The run's controller (the only process of a run without xdist) names the file its workers, which
    inherit its environment, list their vhosts in (tests/support/infra.py, DEFERRED_VHOSTS)."""
    if not hasattr(config, "workerinput") and DEFERRED_VHOSTS not in os.environ:
        handle, path = tempfile.mkstemp(prefix="test-vhosts-", suffix=".txt")
        os.close(handle)
        os.environ[DEFERRED_VHOSTS] = config.deferred_vhosts = path


def pytest_unconfigure(config) -> None:
    """Once every worker is done: the vhosts of the run deleted."""
    path = getattr(config, "deferred_vhosts", None)
    if path:
        listed = Path(path)
        if listed.exists():
            delete_vhosts(listed.read_text().split())
            listed.unlink()
        del os.environ[DEFERRED_VHOSTS]


def run_order(item) -> tuple[int, str]:
    """Where a test goes in `make test` (`--dist loadgroup --no-loadscope-reorder`): the tests that start
    processes of their own (`heavy`, every fault test) one after another on one worker and first, so two
    never compete for the two cores and none is left for the end; the security tests, which share a stack of
    their own, together on one worker next; the rest a file at a time, the quick unit and service tests last
    to even out the workers' ends."""
    path = item.path.relative_to(item.config.rootpath).as_posix()
    if item.get_closest_marker("heavy") or item.get_closest_marker("faults"):
        return 0, "heavy"
    if path.startswith("tests/security/"):
        return 1, "security"
    return (3 if path.startswith(("tests/unit/", "tests/service/")) else 2), path


@pytest.hookimpl(tryfirst=True)  # before xdist names each test after its group
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        item.add_marker(pytest.mark.xdist_group(run_order(item)[1]))
    items.sort(key=lambda item: run_order(item)[0])


@pytest.fixture(scope="session")
def vhost():
    host = Vhost().create()
    yield host
    host.drop()


@pytest.fixture(scope="session")
def databases():
    dbs = Databases().create(migrated=True)
    yield dbs
    dbs.drop()


@pytest.fixture(scope="session")
def stack(vhost, databases, tmp_path_factory):
    running = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("stack"), live=True).start()
    yield running
    running.kill()


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
