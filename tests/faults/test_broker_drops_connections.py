"""RabbitMQ drops every connection (as in a broker restart): the gateway and the services
reconnect by themselves and requests succeed again without restarting anything."""
from __future__ import annotations

import subprocess
import time

import pytest

from tests.support import data

pytestmark = pytest.mark.faults


def test_everything_reconnects_after_the_broker_drops_all_connections(stack, vhost, admin):
    created = admin.post(f"{stack.url}/v1/customers", json={"name": "重连", "mobile": data.mobile()})
    assert created.status_code == 201
    subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "-p", vhost.name, "test: broker restart"],
                   check=True, capture_output=True)
    deadline = time.monotonic() + 30
    statuses = []
    while time.monotonic() < deadline:
        reply = admin.get(f"{stack.url}/v1/customers/{created.json()['id']}")
        statuses.append(reply.status_code)
        if reply.status_code == 200:
            break
        assert reply.status_code == 503  # unavailable while reconnecting, never a 500
        time.sleep(0.5)
    assert statuses[-1] == 200, statuses
    again = admin.post(f"{stack.url}/v1/customers", json={"name": "重连后", "mobile": data.mobile()})
    assert again.status_code == 201
