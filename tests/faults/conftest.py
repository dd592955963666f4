"""What the suite survives, shown with real processes and real RabbitMQ: services killed in the
middle of the loop, a broker restart, dropped connections, a slow service, every event delivered
twice, a handler that keeps failing, two instances of every service. Loop tests compare their
figures with those of an undisturbed loop on the shared stack."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.infra import Databases, Vhost
from tests.support.one_car import timed_loop
from tests.support.stack import Stack


@pytest.fixture(scope="session")
def undisturbed_figures(stack, admin) -> dict:
    """Stock, ledger, invoices, commissions, KPIs, history and order states of a loop with no fault."""
    figures, _seconds = timed_loop(stack, admin)
    return figures


@contextlib.contextmanager
def own_stack(log_dir: Path, *, amqp_uri: str | None = None, extra_env: dict[str, str] | None = None,
              gateway_only: bool = False, service_runner: str = "services.common.runner") -> Iterator[Stack]:
    """A stack with databases of its own, on its own vhost of the shared broker unless `amqp_uri`
    names another broker, its durable queues quorum queues as in every deployment; `gateway_only` starts the
    gateway without the services."""
    with contextlib.ExitStack() as cleanup:
        if amqp_uri is None:
            vhost = Vhost().create()
            cleanup.callback(vhost.drop)
            amqp_uri = vhost.uri
        databases = Databases().create(migrated=True)
        cleanup.callback(databases.drop)
        stack = Stack(amqp_uri, databases.env(), log_dir, extra_env=extra_env, service_runner=service_runner,
                      queue_type="quorum")
        cleanup.callback(stack.kill)
        if gateway_only:
            stack.migrate()
            stack.start_gateway()
            stack.wait_ready(path="/healthz")
        else:
            stack.start()
        yield stack
