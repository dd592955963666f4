"""The gateway's own copies of an erased customer: stored answers of idempotent requests that name
the customer (in-process gateway, fake RPC) go when the customer is erased; others stay."""
from __future__ import annotations

from sqlalchemy import select

from gateway.models import IdempotencyRecord


def stored_answers(app) -> list[dict]:
    with app.deps.identity_db() as session:
        return list(session.scalars(select(IdempotencyRecord.response)))


def test_erasing_a_customer_drops_the_stored_answers_that_name_them(app):
    rpc = app.deps.rpc
    for customer_id, name in (("c-erased", "张伟"), ("c-kept", "李娜")):
        rpc.behaviour[("crm", "register_customer")] = {"id": customer_id, "name": name, "mobile": "13812345678"}
        reply = app.simulate_post("/v1/customers", json={"name": name, "mobile": "13812345678"},
                                  headers={**app.headers, "Idempotency-Key": f"new-{customer_id}"})
        assert reply.status_code == 201
    assert len(stored_answers(app)) == 2
    rpc.behaviour[("crm", "erase_customer")] = {"id": "c-erased", "name": "已删除客户"}
    assert app.simulate_post("/v1/customers/c-erased/erase").status_code == 200
    assert [answer["id"] for answer in stored_answers(app)] == ["c-kept"]
    registered = [call for call in rpc.calls if call[1] == "register_customer"]
    app.simulate_post("/v1/customers", json={"name": "张伟", "mobile": "13812345678"},
                      headers={**app.headers, "Idempotency-Key": "new-c-erased"})
    assert len([call for call in rpc.calls if call[1] == "register_customer"]) == len(registered) + 1  # not replayed
