"""finance's customer channel with a real SQLite session and the WeChat Pay sandbox in the test's
process: a car owner pays exactly what their own invoice owes by H5 (a second tap is the same link),
nothing once it is paid, and another customer's invoice does not exist for them."""
from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services.common.context import Caller
from services.common.errors import Conflict, NotFound
from services.finance.models import Base
from services.finance.accounts import PaymentAccounts
from services.finance.service import FinanceService
from tests.service.test_finance_service import SYSTEM, issue
from tests.support.service import sqlite_session
from tests.support.wechatpay import wechatpay_world

OWNER = Caller(user_id="cust-1", role="customer", request_id="r-1")
STRANGER = Caller(user_id="cust-2", role="customer", request_id="r-2")


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", OWNER.to_context()) as opened:
        yield opened


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with wechatpay_world(tmp_path_factory.mktemp("wechatpay")) as running:
        yield running


def finance(session, world, caller=OWNER):
    return worker_factory(FinanceService, db=session, caller=caller,
                          providers=PaymentAccounts({"wechat": world.provider}))


def test_the_owner_pays_the_whole_due_once_by_h5_and_nothing_after(session, world):
    invoice = issue(session)
    owner = finance(session, world)
    shown = owner.customer_invoice(invoice["id"])
    assert sum(line["total_fen"] for line in shown["lines"]) == shown["total_fen"] == shown["due_fen"]
    intent = owner.customer_pay_invoice(invoice["id"], client_ip="10.0.0.9")
    assert (intent["amount_fen"], intent["channel"], intent["status"]) == (invoice["due_fen"], "h5", "pending")
    assert intent["pay_url"].startswith(world.url) and "code_url" not in intent
    assert owner.customer_pay_invoice(invoice["id"])["id"] == intent["id"]  # a second tap: the same link
    before = len(world.receiver.received)
    world.pay(intent["pay_url"])
    headers, body = world.receiver.received[before]
    assert finance(session, world, SYSTEM).payment_notified("wechat", headers, body) == {"ack": None}
    assert owner.customer_payment_intent(intent["id"])["status"] == "paid"
    paid = owner.customer_invoice(invoice["id"])
    assert (paid["status"], paid["due_fen"], [p["method"] for p in paid["payments"]]) == ("paid", 0, ["wechat"])
    with pytest.raises(Conflict) as refused:
        owner.customer_pay_invoice(invoice["id"])
    assert refused.value.code == "invoice_state"


def test_another_customers_invoice_is_unknown(session, world):
    invoice = issue(session)
    stranger = finance(session, world, STRANGER)
    for ask in (lambda: stranger.customer_invoice(invoice["id"]), lambda: stranger.customer_pay_invoice(invoice["id"])):
        with pytest.raises(NotFound):
            ask()
    assert stranger.customer_invoices({})["items"] == []
    assert [i["id"] for i in finance(session, world).customer_invoices({})["items"]] == [invoice["id"]]


def test_inside_wechat_the_owner_pays_by_jsapi_with_the_openid_and_the_notification_records_it(session, world):
    invoice = issue(session)
    owner = finance(session, world)
    with pytest.raises(Conflict) as refused:  # an openid of an account this merchant does not take
        owner.customer_pay_invoice(invoice["id"], channel="jsapi", payer={"appid": "wxother", "openid": "oX"})
    assert refused.value.code == "wechat_openid_needed"
    payer = {"appid": world.provider.settings.appid, "openid": "oOwnerAtTheAccount"}
    intent = owner.customer_pay_invoice(invoice["id"], channel="jsapi", payer=payer)
    assert (intent["channel"], intent["status"], intent["pay_url"]) == ("jsapi", "pending", None)
    params = intent["jsapi"]
    assert params["appId"] == payer["appid"] and params["package"].startswith("prepay_id=wx")
    again = owner.customer_pay_invoice(invoice["id"], channel="jsapi", payer=payer)
    assert again["id"] == intent["id"] and again["jsapi"]["package"] == params["package"]  # the same order
    assert owner.customer_payment_intent(intent["id"]).get("jsapi") is None  # signed only when asked to pay
    before = len(world.receiver.received)
    world.sandbox.jsapi_pay(params, 1)
    headers, body = world.receiver.received[before]
    assert finance(session, world, SYSTEM).payment_notified("wechat", headers, body) == {"ack": None}
    paid = owner.customer_invoice(invoice["id"])
    assert (paid["status"], [p["method"] for p in paid["payments"]]) == ("paid", ["wechat"])
