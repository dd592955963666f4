"""A stack of its own (own vhost and databases: the fuzzer and the matrix change data that other
end-to-end tests count on) and the chain to attack, built once; stopped after the last security test
(`make test` runs them all on one worker, tests/conftest.py)."""
from __future__ import annotations

import pytest

from tests.security import world
from tests.support.infra import Databases, Vhost
from tests.support.stack import Stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    vhost, databases = Vhost().create(), Databases().create(migrated=True)
    running = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("security"),
                    extra_env={"JWT_ACCEPTED_SECRETS": world.PREVIOUS_KEY}).start()
    yield running
    running.kill()
    databases.drop()
    vhost.drop()


@pytest.fixture(scope="package")
def chain(stack) -> world.Chain:
    return world.build(stack)


# `app`: the gateway in-process (falcon's test client, fake RPC, SQLite identity), for the tests
# of the gateway's own defences that need no services.
from tests.unit.conftest import app  # noqa: E402,F401
