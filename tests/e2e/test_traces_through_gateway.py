"""OpenTelemetry: one gateway request is one trace across processes — the gateway's request and its RPC,
the service's handling with its database statements, the event it recorded, published by the relay and
handled by another service — exported by OTLP to a collector this test runs (tests/support/otlp.py)."""
from __future__ import annotations

import uuid

import pytest

from tests.support import data
from tests.support.accounts import create_store, make_user
from tests.support.infra import Databases, Vhost
from tests.support.one_car import eventually, ok
from tests.support.otlp import Collector, Span
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.heavy]


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    collector, vhost, databases = Collector(), Vhost().create(), Databases().create(migrated=True)
    stack = Stack(vhost.uri, databases.env(), tmp_path_factory.mktemp("traced"),
                  extra_env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"})
    try:
        yield stack.start(), collector
    finally:
        stack.kill()
        databases.drop()
        vhost.drop()
        collector.close()


def one(spans: list[Span], **match) -> Span:
    found = [span for span in spans if all(getattr(span, key) == value for key, value in match.items())]
    assert len(found) == 1, (match, spans)
    return found[0]


def test_a_check_in_is_one_trace_from_the_gateway_through_sales_to_crms_event_handler(traced):
    stack, collector = traced
    admin = stack.login()
    store = create_store(stack, admin, "广州天河店")
    advisor = make_user(stack, admin, "service_advisor", [store["id"]])
    customer = ok(advisor.post(f"{stack.url}/v1/customers", json={"name": "周杰", "mobile": data.mobile()}))
    vehicle = ok(advisor.post(f"{stack.url}/v1/customers/{customer['id']}/vehicles", json={"plate": data.plate()}))
    request_id = f"trace-{uuid.uuid4().hex}"
    ok(advisor.post(f"{stack.url}/v1/visits", headers={"X-Request-ID": request_id}, json={
        "store_id": store["id"], "customer_id": customer["id"], "vehicle_id": vehicle["id"], "needs": ["maintenance"]}))

    def the_trace() -> list[Span]:
        roots = [span for span in collector.spans if span.attributes.get("request.id") == request_id
                 and span.service == "gateway"]
        return collector.trace(roots[0].trace_id) if roots else []

    spans = eventually(the_trace, lambda spans: any(span.kind == "CONSUMER" and span.service == "crm"
                                                    for span in spans), "crm's handler span in the request's trace")
    request = one(spans, service="gateway", kind="SERVER")
    assert request.name == "POST /v1/visits" and request.parent_id == ""
    assert request.attributes["http.response.status_code"] == 201
    by_id = {span.span_id: span for span in spans}
    sales = [span for span in spans if span.service == "sales" and span.kind == "SERVER"]
    for span in sales:  # each answers an RPC the gateway made within the request
        call = by_id[span.parent_id]
        assert (call.service, call.kind, call.parent_id) == ("gateway", "CLIENT", request.span_id)
        assert call.name == span.name and span.attributes["request.id"] == request_id
    published = one(spans, service="sales", kind="PRODUCER", name="sales.visit_checked_in publish")
    check_in = by_id[published.parent_id]
    assert check_in in sales
    assert any(span.kind == "CLIENT" and span.parent_id == check_in.span_id and "INSERT" in span.name
               for span in spans if span.service == "sales"), "sales' statements are spans of its RPC"
    handled = one(spans, service="crm", kind="CONSUMER", parent_id=published.span_id)
    assert handled.name.startswith("crm.") and handled.attributes["request.id"] == request_id
    assert any(span.parent_id == handled.span_id for span in spans if span.service == "crm"), "crm's statements"
    # the services' timers (outbox sweeps every 2 s) ran meanwhile: none of their statements began a trace
    assert {span.kind for span in collector.spans if not span.parent_id} <= {"SERVER", "CONSUMER"}
