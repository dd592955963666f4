"""The customer channel on gateway workers of its own, through the same-origin front of a live stack (as `make run`,
compose and Kubernetes run it; README "Operations"): each side's gateway answers only its own paths, one kept-alive
connection's requests reach both by path, and a channel whose every thread is taken leaves staff requests
answered at once."""
from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.support.customer import car_with_quote, ok, sign_in, staff_world

pytestmark = pytest.mark.e2e


def test_each_gateway_answers_its_own_side_only(stack, admin):
    assert stack.channel, "the session's live stack runs the channel on its own gateway"
    assert requests.get(f"{stack.customer_url}/m/", timeout=10).status_code == 200
    assert requests.get(f"{stack.customer_url}/c/v1/vehicles", timeout=10).status_code == 401  # its route, no token
    assert admin.get(f"{stack.customer_url}/v1/me", timeout=10).status_code == 404
    assert requests.get(f"{stack.customer_url}/console/", timeout=10).status_code == 404
    assert requests.get(f"{stack.app_url}/m/", timeout=10).status_code == 404
    assert requests.get(f"{stack.app_url}/c/v1/vehicles", timeout=10).status_code == 404
    assert admin.get(f"{stack.app_url}/v1/me", timeout=10).status_code == 200
    for url in (stack.customer_url, stack.app_url):
        assert requests.get(f"{url}/readyz", timeout=10).status_code == 200


def test_one_kept_alive_connection_reaches_both_gateways_through_the_front(stack, admin):
    store, advisor, name = staff_world(stack, admin)
    car = car_with_quote(stack, store, advisor, name)
    customer = sign_in(stack, car.customer["mobile"])
    both = requests.Session()  # one kept-alive connection to the front, staff and car owner requests in turn
    staff_auth = {"Authorization": advisor.headers["Authorization"]}
    customer_auth = {"Authorization": customer.headers["Authorization"]}
    for _ in range(3):
        assert ok(both.get(f"{stack.url}/v1/customers/{car.customer['id']}", headers=staff_auth))["id"] == \
            car.customer["id"]
        [vehicle] = ok(both.get(f"{stack.url}/c/v1/vehicles", headers=customer_auth))["items"]
        assert vehicle["id"] == car.vehicle["id"]
        assert both.get(f"{stack.url}/m/", timeout=10).status_code == 200
        assert both.get(f"{stack.url}/console/", timeout=10).status_code == 200


def hold_a_thread(port: int) -> socket.socket:
    """A request whose body never comes: a gthread worker's thread waits on it (what a slow phone does)."""
    held = socket.create_connection(("127.0.0.1", port), timeout=10)
    held.sendall(b"POST /c/v1/auth/code HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 64\r\n\r\n{\"mobile\": ")
    return held


def test_a_channel_with_every_thread_taken_leaves_staff_requests_answered(stack, admin):
    threads = int(stack.env["CUSTOMER_GATEWAY_THREADS"]) * int(stack.env["CUSTOMER_GATEWAY_WORKERS"])
    held = [hold_a_thread(stack.port) for _ in range(threads)]  # through the front, which sends them to the channel
    try:
        time.sleep(1)
        with pytest.raises(requests.Timeout):  # the channel is full: its next request waits for a thread
            requests.get(f"{stack.url}/m/", timeout=2)
        started = time.monotonic()
        for _ in range(5):
            assert admin.get(f"{stack.url}/v1/me", timeout=10).status_code == 200
        assert requests.get(f"{stack.url}/console/", timeout=10).status_code == 200
        assert time.monotonic() - started < 5  # the staff's threads were never the channel's
    finally:
        for connection in held:
            connection.close()
    deadline = time.monotonic() + 30
    while True:  # the channel's threads free again
        try:
            if requests.get(f"{stack.url}/m/", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "the channel did not recover after the slow requests left"
        time.sleep(0.2)
