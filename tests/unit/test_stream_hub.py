"""The live stream's fan-out (gateway/stream/hub.py) and its refusals (gateway/stream/app.py), without a bus:
store scope, resuming from Last-Event-ID, a slow client cut off at its buffer, the cap's 503."""
from __future__ import annotations

import asyncio

import falcon.testing

from gateway.auth import CustomerPrincipal, Principal
from gateway.stream.app import create_app
from gateway.stream.hub import END, RESET, Change, Hub


def event(store_id: str | None, work_order_id: str = "w1") -> dict:
    return {"type": "workshop.work_order_status_changed", "store_id": store_id, "occurred_at": "2026-12-06T10:00:00Z",
            "payload": {"work_order_id": work_order_id, "store_id": store_id, "to_status": "qc", "note": "左前"}}


def owners_event(store_id: str, customer_id: str | None, work_order_id: str = "w1") -> dict:
    found = event(store_id, work_order_id)
    found["payload"]["customer_id"] = customer_id
    return found


def drain(subscriber) -> list:
    items = []
    while not subscriber.queue.empty():
        items.append(subscriber.queue.get_nowait())
    return items


def run(coroutine_function):
    return asyncio.run(coroutine_function())


def test_a_change_reaches_its_stores_streams_with_ids_only_and_chain_wide_ones_reach_all():
    async def go():
        hub = Hub()
        hub.connected(True)
        mine, theirs = hub.subscribe("s1", None), hub.subscribe("s2", None)
        hub.publish(event("s1"))
        hub.publish(event(None, "w2"))
        [first, second] = drain(mine)
        assert first.data() == {"type": "workshop.work_order_status_changed", "store_id": "s1",
                                "ids": {"work_order_id": "w1", "store_id": "s1"}, "occurred_at": "2026-12-06T10:00:00Z"}
        assert second.ids == {"work_order_id": "w2"}
        assert [c.ids["work_order_id"] for c in drain(theirs)] == ["w2"]
    run(go)


def test_resuming_gets_what_was_missed_and_an_unknown_or_lost_id_gets_reset():
    async def go():
        hub = Hub(history=3)
        hub.connected(True)
        first = hub.publish(event("s1", "a"))
        hub.publish(event("s2", "b"))
        hub.publish(event("s1", "c"))
        resumed = hub.subscribe("s1", hub.event_id(first))
        assert [c.ids["work_order_id"] for c in drain(resumed)] == ["c"]
        assert drain(hub.subscribe("s1", "other-1")) == [RESET]
        hub.publish(event("s1", "d"))
        hub.publish(event("s1", "e"))  # `a`'s successor `b` has left the history of three
        assert drain(hub.subscribe("s1", hub.event_id(first))) == [RESET]
        assert drain(hub.subscribe("s1", f"{hub.epoch}-99")) == [RESET]  # from the future
    run(go)


def test_a_client_that_falls_behind_its_buffer_is_ended_and_the_others_go_on():
    async def go():
        hub = Hub(buffer=2)
        hub.connected(True)
        slow, fast = hub.subscribe("s1", None), hub.subscribe("s1", None)
        for n in range(3):
            hub.publish(event("s1", f"w{n}"))
            if n < 2:
                drain(fast)
        got = drain(slow)
        assert [type(item) for item in got[:2]] == [Change, Change] and got[2] is END and len(got) == 3
        assert slow not in hub.subscribers and fast in hub.subscribers
    run(go)


def test_losing_the_bus_ends_every_stream_and_starts_a_new_epoch():
    async def go():
        hub = Hub()
        hub.connected(True)
        subscriber, epoch = hub.subscribe("s1", None), hub.epoch
        change = hub.publish(event("s1"))
        drain(subscriber)
        hub.connected(False)
        assert drain(subscriber) == [END] and not hub.subscribers and hub.epoch != epoch
        hub.connected(True)
        assert drain(hub.subscribe("s1", f"{epoch}-{change.seq}")) == [RESET]
    run(go)


def test_a_car_owners_stream_gets_the_changes_that_name_them_and_nothing_else():
    async def go():
        hub = Hub()
        hub.connected(True)
        owner, other = hub.subscribe(None, None, "c1"), hub.subscribe(None, None, "c2")
        store = hub.subscribe("s1", None)
        mine = hub.publish(owners_event("s1", "c1", "w1"))
        hub.publish(owners_event("s1", "c2", "w2"))
        hub.publish(owners_event("s1", None, "w3"))
        hub.publish(event(None, "w4"))  # chain-wide: the staff's, not a car owner's
        assert [c.ids["work_order_id"] for c in drain(owner)] == ["w1"]
        assert [c.ids["work_order_id"] for c in drain(other)] == ["w2"]
        assert [c.ids["work_order_id"] for c in drain(store)] == ["w1", "w2", "w3", "w4"]
        resumed = hub.subscribe(None, f"{hub.epoch}-{mine.seq - 1}", "c2")  # from before `mine`: only its own
        assert [c.ids["work_order_id"] for c in drain(resumed)] == ["w2"]
    run(go)


class Auth:
    def __init__(self, principal, owner: CustomerPrincipal | None = None):
        self.principal_ = principal
        self.owner = owner

    def principal(self, req):
        return self.principal_

    def customer(self, req):
        if self.owner is None:
            raise falcon.HTTPUnauthorized(title="unauthorized", description="No customer token.")
        return self.owner


def advisor(*stores: str) -> Principal:
    return Principal(id="u1", username="adv", role="service_advisor", store_ids=tuple(stores))


def test_refusals_without_opening_a_stream():
    hub = Hub(limit=0)
    client = falcon.testing.TestClient(create_app(hub, Auth(advisor("s1"))))
    no_bus = client.simulate_get("/v1/stream", params={"store_id": "s1"})
    assert no_bus.status_code == 503 and no_bus.json["error"]["code"] == "service_unavailable"
    assert no_bus.headers["Retry-After"]
    hub.connected(True)
    full = client.simulate_get("/v1/stream")  # the advisor's only store
    assert full.status_code == 503 and full.json["error"]["code"] == "streams_full" and full.headers["Retry-After"]
    other = client.simulate_get("/v1/stream", params={"store_id": "s2"})
    assert other.status_code == 403 and other.json["error"]["code"] == "store_out_of_scope"
    unnamed = falcon.testing.TestClient(create_app(hub, Auth(advisor("s1", "s2")))).simulate_get("/v1/stream")
    assert unnamed.status_code == 422 and "store_id" in unnamed.json["error"]["fields"]
    elsewhere = client.simulate_get("/v1/customers")
    assert elsewhere.status_code == 307 and elsewhere.headers["Location"] == "/v1/customers"
    assert not hub.subscribers


def test_the_car_owners_stream_takes_a_customer_token_and_refuses_a_links():
    hub = Hub(limit=0)
    hub.connected(True)
    staff_only = falcon.testing.TestClient(create_app(hub, Auth(advisor("s1"))))
    assert staff_only.simulate_get("/c/v1/stream").status_code == 401
    by_link = Auth(advisor("s1"), CustomerPrincipal("c1", document=("quote", "q1")))
    assert falcon.testing.TestClient(create_app(hub, by_link)).simulate_get("/c/v1/stream").status_code == 403
    signed_in = falcon.testing.TestClient(create_app(hub, Auth(advisor("s1"), CustomerPrincipal("c1"))))
    full = signed_in.simulate_get("/c/v1/stream")  # the token passed: refused only for the cap of 0
    assert full.status_code == 503 and full.json["error"]["code"] == "streams_full"


def test_the_bus_consumer_sends_heartbeats_while_events_keep_coming():
    """A consumer that only heard events and never a quiet second sent no heartbeat, and the broker closed its
    connection after two intervals (every stream ended): it beats after every drain."""
    from gateway.stream.bus import BusConsumer

    class Busy:  # events keep arriving: drain_events never times out
        drained = beats = 0

        def drain_events(self, timeout):
            self.drained += 1

        def heartbeat_check(self):
            self.beats += 1

    connection = Busy()
    for _ in range(3):
        BusConsumer.drain(connection)
    assert (connection.drained, connection.beats) == (3, 3)
