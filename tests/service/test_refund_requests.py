"""Refund requests with a real SQLite session: a cashier's refund above the store's limit is asked of a
manager (with a reason; within the limit the till refunds it itself; never more than is left less what
already waits), waits in the store's queue, and is approved (the refund made once, as the cashier's
request, approved by the manager; a second approval changes nothing) or declined with a reason (nothing
refunded). Another store's manager cannot decide it. An Alipay payment's request is refunded through
Alipay when approved. The books balance. (Two managers at once on PostgreSQL:
tests/integration/test_finance_concurrency.py.)"""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid
from services.finance.models import Refund
from services.finance.accounts import PaymentAccounts
from services.finance.service import FinanceService
from tests.service.test_finance_service import (CASHIER, MANAGER, OTHER, STORE, assert_books_balance, events, issue,
                                                session)
from tests.service.test_provider_payments import paid_by, worlds

__all__ = ["session", "worlds"]  # fixtures

OTHER_MANAGER = Caller(user_id="manager-2", role="store_manager", store_ids=frozenset({OTHER}))


def finance(session, caller=CASHIER, providers=None):
    return worker_factory(FinanceService, db=session, caller=caller, providers=PaymentAccounts(providers or {}))


def paid_in_cash(session) -> dict:
    invoice = issue(session)  # ¥510.00; the store's limit is ¥500.00
    return finance(session).take_payment(invoice["id"], {"method": "cash", "amount_fen": 51_000})["payment"]


def test_above_the_limit_a_cashier_asks_and_the_request_waits_in_the_queue(session):
    payment = paid_in_cash(session)
    with pytest.raises(Forbidden):
        finance(session).refund_payment(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    with pytest.raises(Conflict) as within:
        finance(session).request_refund(payment["id"], {"amount_fen": 50_000, "reason": "返工"})
    assert within.value.code == "refund_within_limit" and within.value.params == {"limit_fen": 50_000}
    request = finance(session).request_refund(payment["id"], {"amount_fen": 50_001, "reason": "返工不满意"},
                                              idempotency_key="k-1")
    assert finance(session).request_refund(payment["id"], {"amount_fen": 50_001, "reason": "返工不满意"},
                                           idempotency_key="k-1")["id"] == request["id"]
    assert (request["status"], request["requested_by"], request["method"]) == ("pending", CASHIER.user_id, "cash")
    assert request["invoice_number"] and request["vehicle_id"] == "veh-1" and request["amount_fen"] == 50_001
    with pytest.raises(Invalid) as beyond:  # what waits is held: never more than is left
        finance(session).request_refund(payment["id"], {"amount_fen": 1_000, "reason": "再退"})
    assert beyond.value.code == "refund_above_left"
    queue = finance(session, MANAGER).list_refund_requests({"store_id": STORE, "status": "pending"})["items"]
    assert [r["id"] for r in queue] == [request["id"]]
    assert [e["status"] for e in events(session, "refund_request_changed")] == ["pending"]
    assert session.scalars(select(Refund)).all() == []


def test_a_manager_approves_and_the_refund_is_made_once(session):
    payment = paid_in_cash(session)
    request = finance(session).request_refund(payment["id"], {"amount_fen": 50_001, "reason": "返工不满意"})
    with pytest.raises(Forbidden):
        finance(session).approve_refund_request(request["id"])
    approved = finance(session, MANAGER).approve_refund_request(request["id"])
    assert (approved["status"], approved["decided_by"]) == ("refunded", MANAGER.user_id)
    again = finance(session, MANAGER).approve_refund_request(request["id"])  # a second approval: nothing more
    assert again["refund_id"] == approved["refund_id"]
    [refund] = session.scalars(select(Refund)).all()
    assert (refund.id, refund.amount_fen, refund.requested_by, refund.approved_by) == (
        approved["refund_id"], 50_001, CASHIER.user_id, MANAGER.user_id)
    assert finance(session).get_invoice(payment["invoice_id"])["refunded_fen"] == 50_001
    assert [e["status"] for e in events(session, "refund_request_changed")] == ["pending", "refunded"]
    assert [e["amount_fen"] for e in events(session, "refund_issued")] == [50_001]
    with pytest.raises(Conflict):
        finance(session, MANAGER).decline_refund_request(request["id"], {"reason": "不退"})
    assert finance(session).list_refund_requests({"store_id": STORE, "status": "pending"})["items"] == []
    assert_books_balance(session)


def test_a_manager_declines_with_a_reason_and_nothing_is_refunded(session):
    payment = paid_in_cash(session)
    request = finance(session).request_refund(payment["id"], {"amount_fen": 51_000, "reason": "整单退"})
    with pytest.raises(Invalid):
        finance(session, MANAGER).decline_refund_request(request["id"], {})
    declined = finance(session, MANAGER).decline_refund_request(request["id"], {"reason": "已返工，不予退款"})
    assert (declined["status"], declined["decline_reason"]) == ("declined", "已返工，不予退款")
    with pytest.raises(Conflict):
        finance(session, MANAGER).approve_refund_request(request["id"])
    assert session.scalars(select(Refund)).all() == []
    seen = finance(session).list_refund_requests({"invoice_id": payment["invoice_id"]})["items"]
    assert [(r["status"], r["decline_reason"]) for r in seen] == [("declined", "已返工，不予退款")]
    # declined: the amount is free again for another request
    again = finance(session).request_refund(payment["id"], {"amount_fen": 50_500, "reason": "部分退"})
    assert again["status"] == "pending"


def test_another_stores_manager_cannot_see_or_decide_it(session):
    payment = paid_in_cash(session)
    request = finance(session).request_refund(payment["id"], {"amount_fen": 50_001, "reason": "返工"})
    for call in (lambda s: s.get_refund_request(request["id"]), lambda s: s.approve_refund_request(request["id"]),
                 lambda s: s.decline_refund_request(request["id"], {"reason": "不行"}),
                 lambda s: s.list_refund_requests({"store_id": STORE})):
        with pytest.raises(Forbidden):
            call(finance(session, OTHER_MANAGER))
    assert finance(session, OTHER_MANAGER).list_refund_requests({})["items"] == []
    assert finance(session).get_refund_request(request["id"])["status"] == "pending"


def test_an_approved_alipay_request_is_refunded_through_alipay(session, worlds):
    providers = {name: world.provider for name, world in worlds.items()}
    invoice = issue(session)
    payment = paid_by(session, worlds, "alipay", invoice)
    request = finance(session, providers=providers).request_refund(payment["id"], {"amount_fen": 50_001,
                                                                                   "reason": "返工"})
    approved = finance(session, MANAGER, providers).approve_refund_request(request["id"])
    assert approved["status"] == "refunded" and approved["provider_refund_id"]
    [order] = [o for o in worlds["alipay"].sandbox.orders.values() if o.get("trade_no") == payment["reference"]]
    assert order["refunded_fen"] == 50_001
    [refund] = session.scalars(select(Refund)).all()
    assert (refund.requested_by, refund.approved_by) == (CASHIER.user_id, MANAGER.user_id)
    assert_books_balance(session)


def test_an_approved_wechat_request_waits_for_wechat_pay_which_may_refund_refuse_or_fail_it(session, worlds):
    from services.finance.domain import refunds
    from services.finance.providers import RefundState
    providers = {name: world.provider for name, world in worlds.items()}

    def approved_request(reason):
        payment = paid_by(session, worlds, "wechat", issue(session))
        asked = finance(session, providers=providers).request_refund(payment["id"], {"amount_fen": 50_001,
                                                                                     "reason": reason})
        return payment, asked, finance(session, MANAGER, providers).approve_refund_request(asked["id"])

    _, first, approved = approved_request("返工")
    assert approved["status"] == "approved" and approved["provider_refund_id"]  # WeChat Pay: PROCESSING
    assert finance(session, MANAGER, providers).approve_refund_request(first["id"])["status"] == "approved"
    refunds.apply_refund_state(session, "wechat", RefundState(approved["provider_refund_id"], "succeeded", "WX-1"))
    done = finance(session).get_refund_request(first["id"])
    [refund] = session.scalars(select(Refund)).all()
    assert (done["status"], done["refund_id"]) == ("refunded", refund.id) and refund.requested_by == CASHIER.user_id

    payment, second, approved = approved_request("整单退")
    refunds.apply_refund_state(session, "wechat", RefundState(approved["provider_refund_id"], "failed"))
    assert finance(session).get_refund_request(second["id"])["status"] == "failed"
    assert len(session.scalars(select(Refund)).all()) == 1
    # asked again: WeChat Pay refuses it (its order counts the first as refunded); the request waits again
    third = finance(session, providers=providers).request_refund(payment["id"], {"amount_fen": 50_001,
                                                                                 "reason": "再申请"})
    with pytest.raises(Conflict) as refused:
        finance(session, MANAGER, providers).approve_refund_request(third["id"])
    assert refused.value.code == "payment_provider_refused"
    assert finance(session).get_refund_request(third["id"])["status"] == "pending"
    assert [e["status"] for e in events(session, "refund_request_changed")] == [
        "pending", "approved", "refunded", "pending", "approved", "failed", "pending", "approved", "pending"]
    assert_books_balance(session)
