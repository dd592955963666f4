"""crm's message outbox through its entrypoints (worker_factory + real SQLite): step messages queued by
other services' facts, once per event; sending by the timer with the provider down, refusing, or
delivering; consent and quiet hours for marketing; the log as staff read it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from nameko.testing.services import worker_factory

from services.common.config import MessageLimits
from services.common.context import Caller
from services.common.messaging.sms import Delivery
from services.crm.domain import marketing, messages
from services.crm.models import Base, Message, ServiceDue
from services.crm.service import CrmService
from tests.support import data
from tests.support.service import sqlite_session

ADVISOR = Caller(user_id="u1", role="service_advisor", store_ids=frozenset({"s1"}), request_id="r-1")
OTHER_STORE = Caller(user_id="u9", role="service_advisor", store_ids=frozenset({"s2"}))


class FakeProviders:
    """Answers each send with the next scripted outcome (sent by default) and keeps what it was given; a receipt
    says `receipt` (None: the provider never answers)."""

    def __init__(self, *outcomes: messages.Outcome, receipt: str | None = "delivered"):
        self.outcomes, self.sent, self.receipt_status = list(outcomes), [], receipt

    def send(self, item):
        self.sent.append(item)
        return self.outcomes.pop(0) if self.outcomes else messages.Outcome("sent", f"biz-{len(self.sent)}")

    def receipt(self, item):
        if self.receipt_status is None:
            return None
        return Delivery(self.receipt_status, "MOBILE_NOT_ON_SERVICE" if self.receipt_status == "failed" else None)


class FakeMessaging:
    def __init__(self, providers, rate_limits: dict[str, int] | None = None):
        self.providers, self.retry_delays = providers, (0.0, 0.0)
        self.rate_limits = rate_limits or {"sms": 100, "wechat": 100}


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "crm", ADVISOR.to_context())
    yield session
    session.close()


def crm(session, providers=None, caller=ADVISOR):
    return worker_factory(CrmService, db=session, caller=caller, messaging=FakeMessaging(providers or FakeProviders()))


def checked_in(customer, vehicle) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "sales.visit_checked_in", "version": 1, "store_id": "s1",
            "request_id": None, "occurred_at": datetime.now(timezone.utc).isoformat(), "payload": {
                "visit_id": "v1", "store_id": "s1", "customer_id": customer["id"], "vehicle_id": vehicle["id"],
                "mileage_km": 1000, "needs": [], "checked_in_at": datetime.now(timezone.utc).isoformat()}}


def car(service, **extra):
    customer = service.register_customer({"name": "张伟", "mobile": data.mobile(), "home_store_id": "s1", **extra})
    return customer, service.add_vehicle(customer["id"], {"plate": data.plate()})


def test_a_check_in_reads_the_customer_s_row_not_their_tags_or_vehicles(session):
    """Each fact about a customer (the check-in's text and history line, the demo history's months of them) reads
    the vehicle's plate and the owner's row, not the owner's tags and every vehicle they have."""
    service = crm(session)
    customer, vehicle = car(service, tags=["vip"])
    session.expire_all()
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    service.on_visit_checked_in(checked_in(customer, vehicle))
    assert session.query(Message).one().params == {"plate": vehicle["plate"]}
    assert any("FROM vehicles" in s for s in statements), statements
    assert not [s for s in statements if "FROM customer_tags" in s or (
        "FROM vehicles" in s and "vehicles.customer_id IN" in s)], statements


def test_a_check_in_texts_the_owner_once_and_the_receipt_marks_it_delivered(session):
    providers = FakeProviders()
    service = crm(session, providers)
    customer, vehicle = car(service)
    event = checked_in(customer, vehicle)
    service.on_visit_checked_in(event)
    service.on_visit_checked_in({**event})  # redelivered: still one message
    service.send_messages()
    assert [(item.template, item.mobile, item.params) for item in providers.sent] == [
        ("vehicle_checked_in", customer["mobile"], {"plate": vehicle["plate"]})]
    message = session.query(Message).one()
    assert message.status == "sent" and message.provider_id == "biz-1"
    message.next_attempt_at = datetime.now(timezone.utc)
    session.commit()
    service.send_messages()
    session.refresh(message)
    assert message.status == "delivered" and message.delivered_at is not None
    log = service.list_messages({"store_id": "s1"})["items"]
    assert log[0]["to_masked"] == customer["mobile"][:3] + "****" + customer["mobile"][-4:]
    assert log[0]["customer_name"] == "张伟" and log[0]["template"] == "vehicle_checked_in"
    assert crm(session, caller=OTHER_STORE).list_messages({})["items"] == []


def test_a_provider_down_keeps_the_message_queued_with_the_reason_then_it_goes_out(session):
    providers = FakeProviders(messages.Outcome("down", detail="ServiceUnavailable"))
    service = crm(session, providers)
    customer, vehicle = car(service)
    service.on_visit_checked_in(checked_in(customer, vehicle))
    service.send_messages()
    message = session.query(Message).one()
    assert (message.status, message.failure_code, message.failure_detail) == (
        "queued", "provider_down", "ServiceUnavailable")
    service.send_messages()  # the retry delay (0 s here) has passed
    session.refresh(message)
    assert message.status == "sent" and message.failure_code is None and len(providers.sent) == 2


def test_retries_run_out_into_a_visible_failure_and_a_refusal_fails_at_once(session):
    down = messages.Outcome("down", detail="ServiceUnavailable")
    service = crm(session, FakeProviders(down, down, down))
    customer, vehicle = car(service)
    service.on_visit_checked_in(checked_in(customer, vehicle))
    for _ in range(3):
        service.send_messages()
    message = session.query(Message).one()
    assert (message.status, message.failure_code, message.attempts) == ("failed", "retries_exhausted", 3)

    refusing = crm(session, FakeProviders(messages.Outcome("refused", detail="isv.MOBILE_NUMBER_ILLEGAL")))
    other, other_vehicle = car(refusing)
    refusing.on_visit_checked_in(checked_in(other, other_vehicle))
    refusing.send_messages()
    failed = session.query(Message).filter_by(customer_id=other["id"]).one()
    assert (failed.status, failed.failure_code, failed.failure_detail) == (
        "failed", "provider_refused", "isv.MOBILE_NUMBER_ILLEGAL")


def test_an_undelivered_text_is_a_failure_with_the_operators_code(session):
    service = crm(session, FakeProviders(receipt="failed"))
    customer, vehicle = car(service)
    service.on_visit_checked_in(checked_in(customer, vehicle))
    service.send_messages()
    message = session.query(Message).one()
    message.next_attempt_at = datetime.now(timezone.utc)
    session.commit()
    service.send_messages()
    session.refresh(message)
    assert (message.status, message.failure_code, message.failure_detail) == (
        "failed", "undeliverable", "MOBILE_NOT_ON_SERVICE")


def test_a_follower_gets_wechat_and_a_refused_wechat_falls_back_to_a_text(session):
    providers = FakeProviders(messages.Outcome("refused", detail="errcode_43004"))
    service = crm(session, providers)
    customer, vehicle = car(service, wechat_openid="oFollower123")
    service.on_visit_checked_in(checked_in(customer, vehicle))
    service.send_messages()
    service.send_messages()
    assert [item.channel for item in providers.sent] == ["wechat", "sms"]
    assert providers.sent[0].openid == "oFollower123"
    assert session.query(Message).one().status == "sent"


def test_marketing_needs_consent_and_waits_out_the_stores_quiet_hours(session):
    service = crm(session, FakeProviders())
    params = {"plate": "粤B12345", "service": "小保养", "due_on": "2026-12-20"}
    without = service.register_customer({"name": "李四", "mobile": data.mobile(), "marketing_consent": False})
    late = datetime(2026, 12, 6, 14, 30, tzinfo=timezone.utc)  # 22:30 in Asia/Shanghai
    messages.queue(session, customer_id=without["id"], store_id="s1", template="service_due", params=params,
                   dedupe_key="due:1", now=late)
    assert marketing.quiet_until(late, "Asia/Shanghai") == datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)
    assert marketing.quiet_until(late - timedelta(hours=4), "Asia/Shanghai") is None
    consenting = service.register_customer({"name": "王五", "mobile": data.mobile(), "marketing_consent": True})
    messages.queue(session, customer_id=consenting["id"], store_id="s1", template="service_due", params=params,
                   dedupe_key="due:2", now=late)
    assert messages.claim_due(session, late) == []
    refused = session.query(Message).filter_by(customer_id=without["id"]).one()
    waiting = session.query(Message).filter_by(customer_id=consenting["id"]).one()
    assert (refused.status, refused.failure_code) == ("failed", "no_consent")
    assert waiting.status == "queued" and waiting.next_attempt_at == datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)
    assert [item.id for item in messages.claim_due(session, waiting.next_attempt_at)] == [waiting.id]


def test_a_stores_own_quiet_hours_hold_its_marketing_and_none_lets_it_go_at_any_hour(session):
    service = crm(session, FakeProviders())
    params = {"plate": "粤B12345", "service": "机油保养", "due_on": "2026-12-20"}
    owner = service.register_customer({"name": "周七", "mobile": data.mobile(), "marketing_consent": True})
    manager = Caller(user_id="m1", role="store_manager", store_ids=frozenset({"s1"}))
    crm(session, caller=manager).update_store_settings("s1", {"quiet_from": "23:00", "quiet_until": "07:00"})
    late = datetime(2026, 12, 6, 14, 30, tzinfo=timezone.utc)  # 22:30 in Asia/Shanghai: before this store's
    messages.queue(session, customer_id=owner["id"], store_id="s1", template="service_due", params=params,
                   dedupe_key="due:own:1", now=late)
    assert len(messages.claim_due(session, late)) == 1
    later = late + timedelta(hours=1)  # 23:30: in them, until 07:00
    messages.queue(session, customer_id=owner["id"], store_id="s1", template="service_due", params=params,
                   dedupe_key="due:own:2", now=later)
    assert messages.claim_due(session, later) == []
    held = session.query(Message).filter_by(dedupe_key="due:own:2").one()
    assert held.next_attempt_at == datetime(2026, 12, 6, 23, 0, tzinfo=timezone.utc)
    settings = crm(session, caller=manager).update_store_settings("s1", {"quiet_from": "00:00", "quiet_until": "00:00"})
    assert (settings["quiet_from"], settings["quiet_until"]) == ("00:00", "00:00")
    held.next_attempt_at = later
    assert len(messages.claim_due(session, later)) == 1


def test_marketing_is_rationed_per_customer_and_per_store_and_transactional_messages_never_are(session):
    """Two marketing messages a week to one owner (the third fails `customer_rate_limited`); two a minute for one
    store here (the third waits a minute); a step of the owner's car goes whatever was sent."""
    service = crm(session, FakeProviders())
    limits = MessageLimits(per_customer_week=2, per_store_minute=2)
    noon = datetime(2026, 12, 7, 4, 0, tzinfo=timezone.utc)  # 12:00 in Asia/Shanghai, no quiet hours
    owner = service.register_customer({"name": "赵六", "mobile": data.mobile(), "marketing_consent": True})

    def campaign(customer_id: str, n: int, at: datetime) -> None:
        messages.queue(session, customer_id=customer_id, store_id="s1", template="service_due", params={
            "plate": "粤B12345", "service": "小保养", "due_on": "2026-12-20"}, dedupe_key=f"due:{customer_id}:{n}",
            now=at)

    for n, day in enumerate((0, 2)):
        campaign(owner["id"], n, noon + timedelta(days=day))
        [going] = messages.claim_due(session, noon + timedelta(days=day), limits)
        messages.record_outcome(session, going.id, messages.Outcome("sent", "p"), noon + timedelta(days=day), (60,))
    campaign(owner["id"], 2, noon + timedelta(days=4))
    messages.queue(session, customer_id=owner["id"], store_id="s1", template="car_ready",
                   params={"plate": "粤B12345", "store": "一店"}, dedupe_key="ready:1", now=noon + timedelta(days=4))
    claimed = messages.claim_due(session, noon + timedelta(days=4), limits)
    assert [item.template for item in claimed] == ["car_ready"]
    messages.record_outcome(session, claimed[0].id, messages.Outcome("sent", "p"), noon + timedelta(days=4), (60,))
    third = session.query(Message).filter_by(dedupe_key=f"due:{owner['id']}:2").one()
    assert (third.status, third.failure_code) == ("failed", "customer_rate_limited")
    campaign(owner["id"], 3, noon + timedelta(days=8))  # a week after the first: one more is allowed
    [allowed] = messages.claim_due(session, noon + timedelta(days=8), limits)
    messages.record_outcome(session, allowed.id, messages.Outcome("sent", "p"), noon + timedelta(days=8), (60,))

    others = [service.register_customer({"name": f"客户{n}", "mobile": data.mobile(), "marketing_consent": True})
              for n in range(3)]
    later = noon + timedelta(days=20)
    for n, other in enumerate(others):
        campaign(other["id"], n, later)
    assert len(messages.claim_due(session, later, limits)) == 2
    waiting = session.query(Message).filter(Message.status == "queued", Message.attempts == 0).one()
    assert waiting.next_attempt_at.replace(tzinfo=timezone.utc) == later + timedelta(minutes=1)


def test_a_finished_car_and_a_payment_text_the_owner_the_plate_and_the_amounts(session):
    providers = FakeProviders()
    service = crm(session, providers)
    customer, vehicle = car(service)
    now = datetime.now(timezone.utc).isoformat()
    service.on_work_order_completed({**checked_in(customer, vehicle), "type": "workshop.work_order_completed",
                                     "payload": {"work_order_id": "w1", "order_id": "o1", "store_id": "s1",
                                                 "customer_id": customer["id"], "vehicle_id": vehicle["id"],
                                                 "jobs": [], "parts_used": [], "comeback": False,
                                                 "completed_at": now}})
    service.on_payment_received({**checked_in(customer, vehicle), "type": "finance.payment_received",
                                 "payload": {"payment_id": "p1", "invoice_id": "i1", "order_id": "o1",
                                             "store_id": "s1", "customer_id": customer["id"], "method": "wechat",
                                             "amount_fen": 123_450, "due_fen": 5_000}})
    service.send_messages()
    assert [(item.template, item.params) for item in providers.sent] == [
        ("car_ready", {"plate": vehicle["plate"]}),
        ("payment_receipt", {"amount": "¥1,234.50", "method": "微信支付", "due": "¥50.00"})]


def test_a_car_due_within_a_week_reminds_a_consenting_owner_once(session):
    service = crm(session, FakeProviders())
    today = datetime.now(timezone.utc).date()
    dues = {}
    for name, consent, days in (("赵同意", True, 3), ("钱不同意", False, 3), ("孙还早", True, 30)):
        customer, vehicle = car(service, marketing_consent=consent)
        session.add(ServiceDue(vehicle_id=vehicle["id"], customer_id=customer["id"], store_id="s1",
                               service_type="OIL-CHG", last_done_on=today, due_on=today + timedelta(days=days),
                               reason="date"))
        dues[name] = (customer, vehicle)
    session.commit()
    service.queue_service_due_reminders()
    service.queue_service_due_reminders()  # the next hour: nothing new
    queued = session.query(Message).filter_by(template="service_due").all()
    customer, vehicle = dues["赵同意"]
    assert [(m.customer_id, m.marketing) for m in queued] == [(customer["id"], True)]
    assert queued[0].params["plate"] == vehicle["plate"]
    assert queued[0].params["service"] == "机油保养"  # the name the owner reads, not the operation's code
    assert queued[0].params["due_on"] == (today + timedelta(days=3)).isoformat()


def presented(customer, quote_id="q1") -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "sales.quote_presented", "version": 1, "store_id": "s1",
            "request_id": None, "occurred_at": datetime.now(timezone.utc).isoformat(), "payload": {
                "quote_id": quote_id, "quote_number": "Q-1", "store_id": "s1", "customer_id": customer["id"],
                "total_fen": 40_600, "presented_at": datetime.now(timezone.utc).isoformat()}}


def link(service, customer, quote_id="q1", link_id="k1") -> dict:
    return service.queue_quote_link({"quote_id": quote_id, "link_id": link_id, "customer_id": customer["id"],
                                     "store_id": "s1", "number": "Q-1", "url": "https://x/m/#/link/SECRET"})


def test_a_link_sent_soon_after_the_quote_is_presented_becomes_the_one_quote_ready_message(session):
    providers = FakeProviders()
    service = crm(session, providers)
    customer, _ = car(service)
    service.on_quote_presented(presented(customer))
    service.send_messages()
    assert providers.sent == []  # held back for the link
    queued = link(service, customer)
    assert "params" not in queued and queued["to_masked"].startswith(customer["mobile"][:3])
    service.send_messages()
    assert [(item.template, item.params["url"]) for item in providers.sent] == [
        ("quote_ready", "https://x/m/#/link/SECRET")]
    message = session.query(Message).one()  # a link's secret is kept only until the message is out
    assert message.status == "sent" and message.params == {"number": "Q-1", "url": ""}
    link(service, customer, link_id="k2")  # sent again later: a message of its own
    service.on_quote_presented(presented(customer))  # a late or repeated event: nothing more
    assert session.query(Message).count() == 2


def test_a_link_sent_before_crm_hears_the_quote_was_presented_is_still_the_one_quote_message(session):
    """The event comes late (a busy broker): the link already holds the quote's message, so none is added."""
    providers = FakeProviders()
    service = crm(session, providers)
    customer, _ = car(service)
    link(service, customer)
    service.on_quote_presented(presented(customer))
    assert [(m.template, m.dedupe_key) for m in session.query(Message).all()] == [("quote_ready", "quote:q1")]
    service.send_messages()
    assert [item.template for item in providers.sent] == ["quote_ready"]


def test_a_quote_without_a_link_is_announced_after_the_grace_with_its_total(session):
    service = crm(session, FakeProviders())
    customer, _ = car(service)
    service.on_quote_presented(presented(customer, "q2"))
    message = session.query(Message).one()
    later = message.next_attempt_at + timedelta(seconds=1)
    assert [(item.template, item.params) for item in messages.claim_due(session, later)] == [
        ("quote_presented", {"number": "Q-1", "total": "¥406.00"})]
