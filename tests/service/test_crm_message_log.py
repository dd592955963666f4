"""A customer's messages in one list — the outbox's and campaigns' — for staff of their stores and for the owner
on the phone, paged newest first across both; and the store's per-minute marketing allowance held by campaigns and
the outbox together (marketing.Allowance)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone


from services.common.config import MessageLimits
from services.common.context import Caller
from services.crm.domain import campaigns, messages
from services.crm.models import CampaignMessage, Message
from tests.service.test_crm_messages import ADVISOR, OTHER_STORE
from tests.service.test_crm_messages import session as db  # noqa: F401  (fixture)
from tests.service.test_crm_messages import crm as outbox_crm
from tests.support import data

MANAGER = Caller(user_id="m1", role="store_manager", store_ids=frozenset({"s1"}), request_id="r-2")
HQ = Caller(user_id="hq", role="hq_admin")
NOON = datetime(2026, 12, 7, 4, 0, tzinfo=timezone.utc)  # 12:00 in Asia/Shanghai: no quiet hours


def crm(session, caller=ADVISOR):
    return outbox_crm(session, caller=caller)


def owner(service, store="s1"):
    return service.register_customer({"name": "钱七", "mobile": data.mobile(), "home_store_id": store,
                                      "marketing_consent": True})


def campaign(session, name: str, store: str | None, at: datetime) -> str:
    made = crm(session, MANAGER if store else HQ).create_campaign({
        "name": name, "channel": "sms", "template": "{name}您好，冬季免费检测", "segment": {},
        **({"store_id": store} if store else {}), "scheduled_at": at.isoformat()})
    campaigns.start_due_campaigns(session, at)
    return made["id"]


def receipt(session, customer_id: str, n: int, at: datetime) -> None:
    messages.queue(session, customer_id=customer_id, store_id="s1", template="payment_receipt",
                   params={"amount": "¥1.00", "method": "现金", "due": "¥0.00"}, dedupe_key=f"pay:{n}", now=at)


def test_a_customers_campaign_messages_are_on_their_record_with_the_outboxs_paged_newest_first(db):  # noqa: F811
    session = db
    service = crm(session)
    customer = owner(service)
    receipt(session, customer["id"], 1, NOON)
    winter = campaign(session, "冬季关怀", "s1", NOON)
    receipt(session, customer["id"], 2, NOON)
    chain = campaign(session, "全国会员日", None, NOON)  # chain-wide: of the customer's home store
    claimed = campaigns.claim_messages(session, NOON, "sms", 100, 0)
    campaigns.record_outcome(session, claimed[0].id, messages.Outcome("sent", "biz-9"), NOON, (60,))
    session.commit()

    log = service.list_messages({"customer_id": customer["id"]})
    assert [(m["kind"], m["template"], m["campaign_name"]) for m in log["items"]] == [
        ("campaign", "campaign", "全国会员日"), ("outbox", "payment_receipt", None),
        ("campaign", "campaign", "冬季关怀"), ("outbox", "payment_receipt", None)]
    first = log["items"][2]
    assert (first["status"], first["channel"], first["campaign_id"], first["store_id"]) == ("sent", "sms", winter, "s1")
    assert first["sent_at"] is not None and first["customer_name"] == "钱七" and first["marketing"] is True
    assert log["items"][0]["campaign_id"] == chain and log["items"][0]["status"] == "queued"

    pages, cursor = [], None
    while True:  # two at a time, across both tables: each line once, in order
        page = service.list_messages({"customer_id": customer["id"], "limit": 1, **({"cursor": cursor} if cursor
                                                                                   else {})})
        pages += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [m["id"] for m in log["items"]]
    assert [m["campaign_name"] for m in service.list_messages({"template": "campaign"})["items"]] == [
        "全国会员日", "冬季关怀"]
    assert [m["template"] for m in service.list_messages({"status": "sent"})["items"]] == ["campaign"]
    assert crm(session, OTHER_STORE).list_messages({"customer_id": customer["id"]})["items"] == []

    phone = crm(session, Caller(user_id=customer["id"], role="customer"))
    mine = phone.customer_messages({})["items"]
    assert [(m["kind"], m["campaign_name"]) for m in mine] == [
        ("campaign", "全国会员日"), ("outbox", None), ("campaign", "冬季关怀"), ("outbox", None)]
    assert mine[2]["text"] == "钱七您好，冬季免费检测 回T退订" and mine[2]["status"] == "sent"
    stranger = owner(service)
    assert crm(session, Caller(user_id=stranger["id"], role="customer")
               ).customer_messages({})["items"] == []


def test_a_cancelled_or_refused_campaign_message_says_why_in_the_outboxs_words(db):  # noqa: F811
    session = db
    service = crm(session)
    customer = owner(service)
    cancelled = campaign(session, "取消的活动", "s1", NOON)
    crm(session, MANAGER).cancel_campaign(cancelled)
    [line] = service.list_messages({"customer_id": customer["id"]})["items"]
    assert (line["status"], line["failure_code"]) == ("failed", "campaign_cancelled")
    session.query(CampaignMessage).update({"status": "failed", "error": "provider_refused:isv.MOBILE_NUMBER_ILLEGAL"})
    [line] = service.list_messages({"customer_id": customer["id"]})["items"]
    assert (line["failure_code"], line["failure_detail"]) == ("provider_refused", "isv.MOBILE_NUMBER_ILLEGAL")


def test_campaigns_and_the_outbox_share_the_stores_marketing_a_minute(db):  # noqa: F811
    """Two a minute for the store: a reminder went out, so one campaign message goes and the other waits a minute;
    then the outbox's reminder waits behind the campaign's."""
    session = db
    limits = MessageLimits(per_customer_week=5, per_store_minute=2)
    service = crm(session)
    first, second, third = owner(service), owner(service), owner(service)
    due = {"plate": "粤B12345", "service": "小保养", "due_on": "2026-12-20"}
    messages.queue(session, customer_id=first["id"], store_id="s1", template="service_due", params=due,
                   dedupe_key="due:1", now=NOON)
    [reminder] = messages.claim_due(session, NOON, limits)
    messages.record_outcome(session, reminder.id, messages.Outcome("sent", "p"), NOON, (60,))
    campaign(session, "冬季关怀", "s1", NOON)
    claimed = campaigns.claim_messages(session, NOON, "sms", 100, 0, limits)
    assert len(claimed) == 1  # the reminder counted: one left this minute
    campaigns.record_outcome(session, claimed[0].id, messages.Outcome("sent", "biz-1"), NOON, (60,))
    waiting = session.query(CampaignMessage).filter(CampaignMessage.sent_at.is_(None)).all()
    assert len(waiting) == 2 and {m.status for m in waiting} == {"queued"}
    assert {m.not_before.replace(tzinfo=timezone.utc) for m in waiting} == {NOON + timedelta(minutes=1)}
    assert campaigns.claim_messages(session, NOON + timedelta(seconds=30), "sms", 100, 0, limits) == []

    messages.queue(session, customer_id=second["id"], store_id="s1", template="service_due", params=due,
                   dedupe_key="due:2", now=NOON)
    assert messages.claim_due(session, NOON + timedelta(seconds=30), limits) == []  # the campaign's counted
    held = session.query(Message).filter_by(dedupe_key="due:2").one()
    assert held.status == "queued" and held.next_attempt_at.replace(tzinfo=timezone.utc) == NOON + timedelta(
        seconds=90)

    later = NOON + timedelta(minutes=2)
    assert len(campaigns.claim_messages(session, later, "sms", 100, 0, limits)) == 2
    assert third["id"] in {m.customer_id for m in session.query(CampaignMessage).filter(
        CampaignMessage.sent_at == later)}
