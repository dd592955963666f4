"""`GET /v1/stream` through the same-origin front: a store's changes reach that store's streams from the
services' events on the bus, no other store's; refusals; resuming with Last-Event-ID; counts in /metrics."""
from __future__ import annotations

import time

import pytest
import requests

from tests.e2e.test_sales_through_gateway import check_in, customer_with_vehicle
from tests.support.accounts import create_store, make_user
from tests.support.customer import sign_in
from tests.support.sse import Listener


@pytest.fixture(scope="module")
def stores(stack, admin):
    return create_store(stack, admin, "直播一店"), create_store(stack, admin, "直播二店")


@pytest.fixture(scope="module")
def advisor(stack, admin, stores):
    return make_user(stack, admin, "service_advisor", [stores[0]["id"]])


@pytest.fixture(scope="module")
def other_advisor(stack, admin, stores):
    return make_user(stack, admin, "service_advisor", [stores[1]["id"]])


def token(session: requests.Session) -> str:
    return session.headers["Authorization"].split(" ", 1)[1]


def visit_change(visit_id: str):
    return lambda event: event.event == "change" and event.data["ids"].get("visit_id") == visit_id


def test_a_check_in_reaches_its_stores_streams_and_no_other(stack, advisor, other_advisor, stores):
    mine = Listener(stack.url, token(advisor))  # the advisor's only store, named by nobody
    theirs = Listener(stack.url, token(other_advisor), stores[1]["id"])
    try:
        assert mine.response.status_code == theirs.response.status_code == 200
        assert mine.response.headers["Content-Type"].startswith("text/event-stream")
        assert mine.next().event == theirs.next().event == "open"
        visit = check_in(stack, advisor, stores[0], *customer_with_vehicle(stack, advisor))
        seen = mine.until(lambda event: event.event == "change" and "visit_id" in event.data["ids"])
        assert seen.data == {"type": "sales.visit_checked_in", "store_id": stores[0]["id"],
                             "ids": {"visit_id": visit["id"], "store_id": stores[0]["id"],
                                     "customer_id": visit["customer_id"], "vehicle_id": visit["vehicle_id"]},
                             "occurred_at": seen.data["occurred_at"]}
        assert seen.id
        later = check_in(stack, other_advisor, stores[1], *customer_with_vehicle(stack, other_advisor))
        first_of_theirs = theirs.until(lambda event: event.event == "change" and "visit_id" in event.data["ids"])
        assert first_of_theirs.data["ids"]["visit_id"] == later["id"]  # store one's check-in never came
    finally:
        mine.close()
        theirs.close()


def test_a_car_owners_stream_gets_their_own_cars_changes_and_no_one_elses(stack, advisor, stores):
    """`GET /c/v1/stream` with a customer token: the changes that name the owner (their car's check-in), not
    another owner's of the same store; a staff token is not a customer's."""
    owner, car = customer_with_vehicle(stack, advisor)
    other, other_car = customer_with_vehicle(stack, advisor)
    assert Listener(stack.url, token(advisor), path="/c/v1/stream").response.status_code == 401
    mine = Listener(stack.url, token(sign_in(stack, owner["mobile"])), path="/c/v1/stream")
    theirs = Listener(stack.url, token(sign_in(stack, other["mobile"])), path="/c/v1/stream")
    try:
        assert mine.response.status_code == theirs.response.status_code == 200
        assert mine.next().event == theirs.next().event == "open"
        visit = check_in(stack, advisor, stores[0], owner, car)
        seen = mine.until(lambda event: event.event == "change" and "visit_id" in event.data["ids"])
        assert seen.data["type"] == "sales.visit_checked_in" and seen.data["ids"]["visit_id"] == visit["id"]
        later = check_in(stack, advisor, stores[0], other, other_car)
        first_of_theirs = theirs.until(lambda event: event.event == "change" and "visit_id" in event.data["ids"])
        assert first_of_theirs.data["ids"]["visit_id"] == later["id"]  # the first owner's check-in never came
        assert first_of_theirs.data["ids"]["customer_id"] == other["id"]
    finally:
        mine.close()
        theirs.close()


def test_refused_without_a_token_outside_ones_stores_and_without_a_store(stack, admin, advisor, stores):
    assert requests.get(f"{stack.url}/v1/stream", timeout=10).status_code == 401
    outside = Listener(stack.url, token(advisor), stores[1]["id"])
    assert outside.response.status_code == 403
    assert outside.response.json()["error"]["code"] == "store_out_of_scope"
    unnamed = Listener(stack.url, token(admin))  # HQ sees every store: it must say which
    assert unnamed.response.status_code == 422 and "store_id" in unnamed.response.json()["error"]["fields"]


def test_resumed_with_last_event_id_it_gets_what_it_missed(stack, advisor, stores):
    first = Listener(stack.url, token(advisor))
    visit = check_in(stack, advisor, stores[0], *customer_with_vehicle(stack, advisor))
    last = first.until(visit_change(visit["id"])).id
    first.close()
    missed = [check_in(stack, advisor, stores[0], *customer_with_vehicle(stack, advisor))["id"] for _ in range(2)]
    resumed = Listener(stack.url, token(advisor), last_event_id=last)
    try:
        assert resumed.next().event == "open"
        got = [resumed.until(lambda event: event.event == "change" and "visit_id" in event.data["ids"]
                             ).data["ids"]["visit_id"] for _ in range(2)]
        assert got == missed
    finally:
        resumed.close()
    unknown = Listener(stack.url, token(advisor), last_event_id="0ld3p0ch-12")
    try:
        assert [unknown.next().event, unknown.next().event] == ["open", "reset"]
    finally:
        unknown.close()


def open_streams(stack) -> float:
    text = requests.get(f"{stack.stream_url}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith("gateway_streams_open"))


def test_heartbeats_and_stream_counts_in_metrics(stack, advisor):
    before = open_streams(stack)
    listener = Listener(stack.url, token(advisor))
    assert listener.next().event == "open"
    assert open_streams(stack) == before + 1
    deadline = time.monotonic() + 10
    while not listener.comments and time.monotonic() < deadline:
        time.sleep(0.2)
    assert listener.comments and listener.comments[0] == "ping"
    listener.close()
    deadline = time.monotonic() + 10  # the server finds the closed client at its next heartbeat
    while open_streams(stack) > before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert open_streams(stack) == before


def test_the_openapi_document_describes_the_stream(stack, admin):
    """Described beside the gateway's operations, marked as the stream's (gateway/stream/document.py)."""
    spec = admin.get(f"{stack.url}/openapi.json", timeout=30).json()
    operation = spec["paths"]["/v1/stream"]["get"]
    assert operation["x-served-by"] == "stream"
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"401", "403", "422", "503"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"store_id", "last_event_id", "Last-Event-ID"}
