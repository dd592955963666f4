"""The sales area of the gateway with a fake RPC client: roles and store scope checked before
any RPC, bodies validated with sales' own schemas, what the client sent forwarded as is, and
the OpenAPI document."""
from __future__ import annotations

from tests.unit.test_crm_gateway_routes import login_as, new_store


def test_technicians_read_quotes_but_never_change_them(app):  # noqa: F811
    store = new_store(app, "SA1")
    technician = login_as(app, "technician", [store])
    app.deps.rpc.calls.clear()
    for path, body in (("/v1/quotes", {"visit_id": "v1"}), ("/v1/quotes/q1/lines", {"kind": "labour", "hours": 1,
                                                                                     "description": "x"}),
                       ("/v1/quotes/q1/discount", {"kind": "percent", "value": 5, "reason": "x"}),
                       ("/v1/quotes/q1/contract", {"payment_method": "cash", "signed_by": "张伟"})):
        assert app.simulate_post(path, json=body, headers=technician).status_code == 403, path
    assert app.deps.rpc.calls == []
    app.deps.rpc.behaviour[("sales", "get_quote")] = {"id": "q1"}
    assert app.simulate_get("/v1/quotes/q1", headers=technician).status_code == 200


def test_only_managers_approve_discounts(app):  # noqa: F811
    store = new_store(app, "SA2")
    advisor = login_as(app, "service_advisor", [store])
    assert app.simulate_post("/v1/quotes/q1/discount/approve", json={}, headers=advisor).status_code == 403
    manager = login_as(app, "store_manager", [store])
    app.deps.rpc.behaviour[("sales", "approve_quote_discount")] = {"id": "q1", "approval_status": "approved"}
    reply = app.simulate_post("/v1/quotes/q1/discount/approve", json={"note": "同意"}, headers=manager)
    assert reply.status_code == 200
    assert app.deps.rpc.calls[-1][1:] == ("approve_quote_discount", app.deps.rpc.calls[-1][2],
                                          {"quote_id": "q1", "data": {"note": "同意"}})


def test_another_stores_documents_are_refused_before_any_rpc(app):  # noqa: F811
    mine, theirs = new_store(app, "SA3"), new_store(app, "SB3")
    advisor = login_as(app, "service_advisor", [mine])
    app.deps.rpc.calls.clear()
    assert app.simulate_post("/v1/visits", json={"store_id": theirs, "customer_id": "c1", "needs": ["repair"]},
                             headers=advisor).status_code == 403
    for path in ("/v1/quotes", "/v1/orders", "/v1/appointments", "/v1/visits"):
        assert app.simulate_get(path, params={"store_id": theirs}, headers=advisor).status_code == 403, path
    assert app.simulate_get(f"/v1/sales-settings/{theirs}", headers=advisor).status_code == 403
    assert app.deps.rpc.calls == []


def test_bodies_are_validated_before_the_service_and_forwarded_as_sent(app):  # noqa: F811
    bad = app.simulate_post("/v1/quotes/q1/lines", json={"kind": "part", "sku": "OIL", "qty": 0.0001})
    assert bad.status_code == 422 and "qty" in bad.json["error"]["fields"]
    no_sku = app.simulate_post("/v1/quotes/q1/lines", json={"kind": "part", "qty": 1})
    assert no_sku.status_code == 422 and "sku" in no_sku.json["error"]["fields"]
    no_reason = app.simulate_post("/v1/quotes/q1/discount", json={"kind": "percent", "value": 12.5})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    floats = app.simulate_post("/v1/quotes/q1/lines", json={"kind": "fee", "description": "x", "unit_price_fen": 1.5})
    assert floats.status_code == 422 and "unit_price_fen" in floats.json["error"]["fields"]
    assert app.deps.rpc.calls == []
    app.deps.rpc.behaviour[("sales", "add_quote_line")] = {"id": "q1"}
    body = {"kind": "labour", "op_code": "OIL-CHG"}
    assert app.simulate_post("/v1/quotes/q1/lines", json=body).status_code == 201
    assert app.deps.rpc.calls[-1][3] == {"quote_id": "q1", "data": body}  # no defaults added by the gateway


def test_contract_is_a_201_with_the_orders_location(app):  # noqa: F811
    app.deps.rpc.behaviour[("sales", "contract_quote")] = {"id": "o1", "state": "confirmed"}
    reply = app.simulate_post("/v1/quotes/q1/contract", json={"payment_method": "wechat", "signed_by": "张伟"})
    assert reply.status_code == 201 and reply.headers["Location"] == "/v1/orders/o1"


def test_openapi_documents_the_counter_and_the_catalogue(app):  # noqa: F811
    spec = app.simulate_get("/openapi.json").json
    paths = spec["paths"]
    for path in ("/v1/visits", "/v1/appointments", "/v1/test-drives", "/v1/quotes/{quote_id}/lines/{line_id}",
                 "/v1/quotes/{quote_id}/discount/approve", "/v1/quotes/{quote_id}/decision",
                 "/v1/declined-work", "/v1/orders/{order_id}/cancel", "/v1/labour-operations", "/v1/packages",
                 "/v1/price-lists", "/v1/quotes/{quote_id}/packages", "/v1/sales-settings/{store_id}"):
        assert path in paths, path
    contract = paths["/v1/quotes/{quote_id}/contract"]["post"]
    assert any(p.get("name") == "Idempotency-Key" for p in contract["parameters"])
    assert "signed_by" in spec["components"]["schemas"]["ContractBody"]["required"]


def test_a_rule_s_own_code_and_params_reach_the_client(app):  # noqa: F811
    """Issue 18: clients word the counter's refusals from a stable code, not from the message."""
    from gateway.rpc import RemoteError
    from gateway.schemas import ERROR_CODES
    store = new_store(app, "SA9")
    advisor = login_as(app, "service_advisor", [store])
    hours = {"opens_at": "08:30", "closes_at": "18:00"}
    app.deps.rpc.behaviour[("sales", "book_appointment")] = RemoteError("sales", "Invalid", "outside", [
        "outside", {"slot_start": ["Outside the store's opening hours."]}, "slot_outside_opening_hours", hours])
    reply = app.simulate_post("/v1/appointments", headers=advisor, json={
        "store_id": store, "customer_id": "c1", "slot_start": "2026-12-30T03:00:00+08:00"})
    assert reply.status_code == 422
    assert reply.json["error"] == {"code": "slot_outside_opening_hours", "message": "outside",
                                   "fields": {"slot_start": ["Outside the store's opening hours."]}, "params": hours}
    assert "slot_outside_opening_hours" in ERROR_CODES
    app.deps.rpc.behaviour[("sales", "book_appointment")] = RemoteError("sales", "Conflict", "full", ["full", {}])
    reply = app.simulate_post("/v1/appointments", headers=advisor, json={
        "store_id": store, "customer_id": "c1", "slot_start": "2026-12-30T10:00:00+08:00"})
    assert reply.status_code == 409 and reply.json["error"]["code"] == "conflict"
    assert "params" not in reply.json["error"]


def test_a_client_asking_in_chinese_reads_the_rule_in_the_console_s_words(app):
    """Issue 19: `Accept-Language: zh-CN` words the message from the code and its params; English stays."""
    from gateway.rpc import RemoteError
    store = new_store(app, "SA8")
    advisor = login_as(app, "service_advisor", [store])
    app.deps.rpc.behaviour[("sales", "book_appointment")] = RemoteError("sales", "Invalid", "outside", [
        "outside", {}, "slot_outside_opening_hours", {"opens_at": "08:30", "closes_at": "18:00"}])
    body = {"store_id": store, "customer_id": "c1", "slot_start": "2026-12-30T03:00:00+08:00"}
    said = {language: app.simulate_post("/v1/appointments", json=body, headers={
        **advisor, "Accept-Language": language}).json["error"]["message"] for language in ("zh-CN", "en-US", "")}
    assert said == {"zh-CN": "不在门店营业时间内（08:30–18:00）", "en-US": "outside", "": "outside"}
