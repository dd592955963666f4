"""Shared fixtures. Integration and end-to-end tests run against the real RabbitMQ and
PostgreSQL of this machine (TEST_PG_URL, TEST_AMQP_BASE), each run in its own vhost and
databases."""
from __future__ import annotations

import pytest

from tests.support.infra import Databases, Vhost


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
