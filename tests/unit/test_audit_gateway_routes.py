"""GET /v1/audit-trail with a fake RPC client: the document type picks the service that keeps the
trail, only managers and HQ ask, and a bad type or a missing id is refused before any RPC."""
from __future__ import annotations

from services.common.audit import DOCUMENT_OWNERS
from services.common.errors import Forbidden
from tests.unit.test_crm_gateway_routes import login_as, new_store

EMPTY = {"items": [], "next_cursor": None}


def test_each_document_type_is_asked_of_the_service_that_keeps_it(app):  # noqa: F811
    manager = login_as(app, "store_manager", [new_store(app, "AU1")])
    for service in set(DOCUMENT_OWNERS.values()):
        app.deps.rpc.behaviour[(service, "list_audit")] = EMPTY
    for document_type, owner in (("invoice", "finance"), ("transfer", "inventory"), ("quote", "sales")):
        app.deps.rpc.calls.clear()
        reply = app.simulate_get("/v1/audit-trail", params={"document_type": document_type, "document_id": "d-1",
                                                            "limit": "10"}, headers=manager)
        assert reply.status_code == 200 and reply.json == EMPTY
        [(service, method, context, kwargs)] = app.deps.rpc.calls
        assert (service, method) == (owner, "list_audit") and context["role"] == "store_manager"
        assert kwargs["query"] == {"document_type": document_type, "document_id": "d-1", "limit": "10"}


def test_only_managers_and_hq_read_the_trail_and_bad_queries_never_reach_a_service(app):  # noqa: F811
    store = new_store(app, "AU2")
    app.deps.rpc.calls.clear()
    query = {"document_type": "invoice", "document_id": "i-1"}
    for role in ("cashier", "service_advisor", "technician"):
        assert app.simulate_get("/v1/audit-trail", params=query,
                                headers=login_as(app, role, [store])).status_code == 403, role
    for bad in ({"document_type": "invoice"}, {"document_type": "customer", "document_id": "c-1"},
                {"document_id": "i-1"}, {**query, "limit": "0"}):
        assert app.simulate_get("/v1/audit-trail", params=bad).status_code == 422, bad
    assert app.deps.rpc.calls == []


def test_the_services_store_check_comes_back_as_403(app):  # noqa: F811
    manager = login_as(app, "store_manager", [new_store(app, "AU3")])
    app.deps.rpc.behaviour[("finance", "list_audit")] = Forbidden("This document belongs to another store.")
    reply = app.simulate_get("/v1/audit-trail", params={"document_type": "invoice", "document_id": "i-1"},
                             headers=manager)
    assert reply.status_code == 403


def test_the_audit_trail_is_in_the_openapi_document(app):  # noqa: F811
    operation = app.simulate_get("/openapi.json").json["paths"]["/v1/audit-trail"]["get"]
    assert operation["tags"] == ["audit"] and "403" in operation["responses"]
