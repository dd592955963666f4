from __future__ import annotations

import pytest

from tests.support.stack import Stack


@pytest.fixture(scope="session")
def stack(vhost, databases, tmp_path_factory):
    running = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("stack")).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def admin(stack):
    return stack.login()
