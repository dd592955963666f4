"""crm's customer care through its entrypoints (worker_factory + real SQLite): the history
projection, follow-ups and complaints, reminders, membership, campaigns, privacy and merge.
Other services' facts are driven by calling the handlers with envelopes."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.outbox import OUTBOX
from services.crm.domain import campaigns, followups, messages
from services.crm.models import AuditEntry, Base, CampaignMessage, Customer, Message, ServiceDue
from services.crm.service import CrmService
from tests.service.test_crm_messages import FakeMessaging, FakeProviders
from tests.support import data
from tests.support.service import sqlite_session

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADVISOR = Caller(user_id="u1", role="service_advisor", store_ids=frozenset({"s1"}), request_id="r-1")
MANAGER = Caller(user_id="m1", role="store_manager", store_ids=frozenset({"s1"}), request_id="r-2")
OTHER_STORE = Caller(user_id="u9", role="service_advisor", store_ids=frozenset({"s2"}))
HQ = Caller(user_id="hq", role="hq_admin")
TECHNICIAN = Caller(user_id="t1", role="technician", store_ids=frozenset({"s1"}))


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "crm", ADVISOR.to_context())
    yield session
    session.close()


def crm(session, caller=ADVISOR, messaging=None):
    return worker_factory(CrmService, db=session, caller=caller, messaging=messaging or FakeMessaging(FakeProviders()))


def run_campaigns(session, now, providers, rate_limits):
    """crm's campaign timer at `now` (its units of work: start, claim / send / record, finish)."""
    crm(session, messaging=FakeMessaging(providers, rate_limits=rate_limits)).send_campaigns(now)


def send_queued(session, now, providers, rate_limits):
    """The timer's sending alone: claim (committed), send, record each outcome (committed)."""
    crm(session, messaging=FakeMessaging(providers, rate_limits=rate_limits))._send_queued_messages(now)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def envelope(fact: str, payload: dict, store_id="s1") -> dict:
    return {"event_id": str(uuid.uuid4()), "type": fact, "version": 1, "store_id": store_id, "request_id": None,
            "occurred_at": iso(datetime.now(timezone.utc)), "payload": payload}


def customer_with_vehicle(service, mileage=10_000, **extra):
    customer = service.register_customer({"name": "张伟", "mobile": data.mobile(), "home_store_id": "s1", **extra})
    vehicle = service.add_vehicle(customer["id"], {"plate": data.plate(), "mileage_km": mileage})
    return customer, vehicle


def order_confirmed(customer, vehicle, order_id, op_code="OIL-CHG", total=58_000, at=None):
    return envelope("sales.order_confirmed", {
        "order_id": order_id, "order_number": "SO-1", "store_id": "s1", "visit_id": None, "quote_id": "q1",
        "customer_id": customer["id"], "vehicle_id": vehicle["id"], "advisor_id": "u1", "promised_at": None,
        "lines": [{"line_id": "l1", "kind": "labour", "description": "更换机油机滤", "op_code": op_code,
                   "skill": "maintenance", "hours": 0.5, "sku": None, "qty": 1, "unit_price_fen": total,
                   "discount_fen": 0, "tax_rate": "0.13", "tax_fen": 0, "total_fen": total}],
        "totals": {"subtotal_fen": total, "discount_fen": 0, "tax_fen": 0, "total_fen": total},
        "deposit": None, "confirmed_at": iso(at or datetime.now(timezone.utc))})


def delivered(customer, vehicle, order_id, mileage, at, work_order_id=None):
    return envelope("workshop.vehicle_delivered", {
        "work_order_id": work_order_id or f"wo-{order_id}", "order_id": order_id, "store_id": "s1",
        "customer_id": customer["id"], "vehicle_id": vehicle["id"], "mileage_out_km": mileage, "satisfied": True,
        "delivered_at": iso(at)})


def invoice_paid(customer, order_id, total_fen):
    return envelope("finance.invoice_paid", {
        "invoice_id": f"inv-{order_id}", "order_id": order_id, "store_id": "s1", "customer_id": customer["id"],
        "total_fen": total_fen, "paid_at": iso(datetime.now(timezone.utc))})


# -- history ---------------------------------------------------------------------------------------
def test_order_delivery_and_payment_make_a_newest_first_history_across_the_chain(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    start = datetime.now(timezone.utc) - timedelta(hours=3)
    service.on_order_confirmed(order_confirmed(customer, vehicle, "o1", at=start))
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 12_345, start + timedelta(hours=2)))
    service.on_invoice_paid(invoice_paid(customer, "o1", 58_000))
    history = crm(session, OTHER_STORE).customer_history(customer["id"], {})["items"]  # chain-wide
    assert [h["kind"] for h in history] == ["payment", "delivery", "order"]
    assert history[2]["amount_fen"] == 58_000 and history[2]["summary"] == "更换机油机滤"
    assert history[1]["mileage_km"] == 12_345 and history[1]["reference_id"] == "wo-o1"
    assert service.get_vehicle(vehicle["id"])["mileage_km"] == 12_345
    by_vehicle = service.vehicle_history(vehicle["id"], {"limit": 2})
    assert len(by_vehicle["items"]) == 2 and by_vehicle["next_cursor"]
    rest = service.vehicle_history(vehicle["id"], {"limit": 2, "cursor": by_vehicle["next_cursor"]})
    assert [h["kind"] for h in rest["items"]] == ["order"] and rest["next_cursor"] is None


def test_a_malformed_fact_is_refused_not_half_applied(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    bad = delivered(customer, vehicle, "o1", 100, datetime.now(timezone.utc))
    del bad["payload"]["delivered_at"]
    with pytest.raises(ValidationError):
        service.on_vehicle_delivered(bad)
    assert service.customer_history(customer["id"], {})["items"] == []


# -- follow-ups and complaints ---------------------------------------------------------------------
def test_delivery_schedules_one_follow_up_after_the_stores_delay(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    at = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    event = delivered(customer, vehicle, "o1", 10_500, at)
    service.on_vehicle_delivered(event)
    service.on_vehicle_delivered(event)  # redelivered: still one
    [follow_up] = service.list_follow_ups({"store_id": "s1"})["items"]
    assert follow_up["due_at"] == iso(at + timedelta(days=3)) and follow_up["status"] == "scheduled"
    assert (follow_up["customer_name"], follow_up["mobile"], follow_up["plate"]) == (
        "张伟", customer["mobile"], vehicle["plate"])  # a call list: who, which number, which car
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.customer_id == customer["id"])) == "read_contact"

    crm(session, MANAGER).update_store_settings("s1", {"follow_up_delay_days": 7})
    service.on_vehicle_delivered(delivered(customer, vehicle, "o2", 10_600, at, work_order_id="wo-x"))
    later = service.list_follow_ups({"store_id": "s1", "customer_id": customer["id"]})["items"]
    assert [f["due_at"] for f in later] == [iso(at + timedelta(days=3)), iso(at + timedelta(days=7))]


def test_the_timer_makes_follow_ups_due_only_when_their_time_comes(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    at = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, at))
    assert followups.mark_due_follow_ups(session, at + timedelta(days=2)) == 0
    assert followups.mark_due_follow_ups(session, at + timedelta(days=3, seconds=1)) == 1
    assert [f["status"] for f in service.list_follow_ups({"status": "due"})["items"]] == ["due"]


def test_a_score_of_one_opens_a_complaint_that_walks_its_states(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, datetime.now(timezone.utc)))
    [follow_up] = service.list_follow_ups({})["items"]
    with pytest.raises(Invalid):
        service.complete_follow_up(follow_up["id"], {"reached": True})  # a score is needed
    done = service.complete_follow_up(follow_up["id"], {"satisfaction": 1, "comment": "洗车没洗干净"})
    assert done["status"] == "completed" and done["complaint_id"]
    with pytest.raises(Conflict):
        service.complete_follow_up(follow_up["id"], {"satisfaction": 5})
    complaint = service.get_complaint(done["complaint_id"])
    assert complaint["status"] == "open" and complaint["description"] == "洗车没洗干净"
    assert complaint["deadline_at"] > complaint["created_at"]

    with pytest.raises(Conflict):
        service.update_complaint(complaint["id"], {"status": "closed"})
    assert service.update_complaint(complaint["id"], {"status": "in_progress"})["owner_id"] == "u1"
    with pytest.raises(Invalid):
        service.update_complaint(complaint["id"], {"status": "resolved"})  # how?
    resolved = service.update_complaint(complaint["id"], {"status": "resolved", "resolution": "免费重新精洗",
                                                          "compensation_coupon": "WASH-FREE-1"})
    assert resolved["resolved_at"] and resolved["compensation_coupon"] == "WASH-FREE-1"
    closed = service.update_complaint(complaint["id"], {"status": "closed"})
    assert closed["status"] == "closed"
    with pytest.raises(Conflict):
        service.update_complaint(complaint["id"], {"compensation_fen": 5000})
    lines = service.customer_history(customer["id"], {})["items"]
    assert [h["kind"] for h in lines[:3]] == ["complaint", "complaint", "follow_up"]
    assert lines[0]["summary"] == "resolved: 免费重新精洗" and lines[1]["summary"] == "洗车没洗干净"


def test_a_happy_customer_opens_no_complaint_unless_they_complain(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    now = datetime.now(timezone.utc)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, now))
    service.on_vehicle_delivered(delivered(customer, vehicle, "o2", 10_600, now))
    service.on_vehicle_delivered(delivered(customer, vehicle, "o3", 10_700, now))
    first, second, third = service.list_follow_ups({})["items"]
    assert service.complete_follow_up(first["id"], {"satisfaction": 4, "complaint": False})["complaint_id"] is None
    assert service.complete_follow_up(second["id"], {"satisfaction": 4, "complaint": "等待时间太长"})["complaint_id"]
    flagged = service.complete_follow_up(third["id"], {"satisfaction": 3, "comment": "发票开错", "complaint": True})
    assert service.get_complaint(flagged["complaint_id"])["description"] == "发票开错"
    with pytest.raises(Invalid):
        service.complete_follow_up(third["id"], {"satisfaction": 3, "complaint": 12})


def test_an_unreachable_customer_is_retried_then_given_up(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, datetime.now(timezone.utc)))
    [follow_up] = service.list_follow_ups({})["items"]
    before = datetime.now(timezone.utc)
    first = service.complete_follow_up(follow_up["id"], {"reached": False})
    assert first["status"] == "scheduled" and first["attempts"] == 1 and first["reached"] is False
    due = datetime.fromisoformat(first["due_at"])
    assert before + timedelta(days=1) <= due <= datetime.now(timezone.utc) + timedelta(days=1)
    service.complete_follow_up(follow_up["id"], {"reached": False})
    assert service.complete_follow_up(follow_up["id"], {"reached": False})["status"] == "unreachable"


def test_another_stores_staff_cannot_see_or_complete_a_follow_up(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, datetime.now(timezone.utc)))
    [follow_up] = service.list_follow_ups({})["items"]
    stranger = crm(session, OTHER_STORE)
    assert stranger.list_follow_ups({})["items"] == []  # only their own stores by default
    with pytest.raises(Forbidden):
        stranger.list_follow_ups({"store_id": "s1"})
    with pytest.raises(Forbidden):
        stranger.complete_follow_up(follow_up["id"], {"satisfaction": 5})
    with pytest.raises(Forbidden):
        stranger.open_complaint({"store_id": "s1", "customer_id": customer["id"], "description": "x"})


def three_cars_delivered(session):
    """crm after three deliveries today (orders o0, o1, o2): their follow-ups scheduled."""
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service)
    now = datetime.now(timezone.utc)
    for n in range(3):
        service.on_vehicle_delivered(delivered(customer, vehicle, f"o{n}", 10_500, now))
    return service


def test_order_ratings_list_the_periods_follow_ups_by_order_for_the_people_report(session):
    service = three_cars_delivered(session)
    follow_ups = sorted(service.list_follow_ups({})["items"], key=lambda f: f["order_id"])
    service.complete_follow_up(follow_ups[0]["id"], {"satisfaction": 5})
    service.complete_follow_up(follow_ups[1]["id"], {"satisfaction": 2, "complaint": "等太久"})
    today = date.today()
    days = {"store_id": "s1", "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat()}
    rated = crm(session, MANAGER).order_ratings(days)["follow_ups"]
    assert sorted((r["order_id"], r["satisfaction"], r["complaint"]) for r in rated) == [
        ("o0", 5, False), ("o1", 2, True)]  # o2 not followed up yet
    assert crm(session, MANAGER).order_ratings({**days, "from": "2020-01-01", "to": "2020-01-31"})["follow_ups"] == []
    with pytest.raises(Forbidden):
        crm(session, OTHER_STORE).order_ratings(days)


def test_satisfaction_statistics_per_store_and_period(session):
    service = three_cars_delivered(session)
    for follow_up, score in zip(service.list_follow_ups({})["items"], (5, 4, 2), strict=True):
        service.complete_follow_up(follow_up["id"], {"satisfaction": score})
    today = date.today()
    stats = crm(session, MANAGER).satisfaction_stats({"store_id": "s1", "from": (today - timedelta(days=1)).isoformat(),
                                                      "to": (today + timedelta(days=1)).isoformat()})
    assert stats["total"]["reached"] == 3 and stats["total"]["average_satisfaction"] == pytest.approx(3.67)
    assert stats["total"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert stats["total"]["complaints"] == 1 and stats["stores"][0]["store_id"] == "s1"
    empty = crm(session, MANAGER).satisfaction_stats({"from": "2020-01-01", "to": "2020-01-31"})
    assert empty["total"]["follow_ups"] == 0 and empty["total"]["average_satisfaction"] is None

    # per day: the store's row per local day (the store's time zone) a follow-up was completed on
    from zoneinfo import ZoneInfo

    from services.crm.models import FollowUp
    shanghai = ZoneInfo("Asia/Shanghai")
    local_today = datetime.now(shanghai).date()
    yesterday = local_today - timedelta(days=1)
    first = session.scalars(select(FollowUp).where(FollowUp.satisfaction == 5)).one()
    first.completed_at = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=shanghai)
    session.commit()
    days = crm(session, MANAGER).satisfaction_stats({
        "store_id": "s1", "from": yesterday.isoformat(), "to": (local_today + timedelta(days=1)).isoformat(),
        "group": "day"})["stores"]
    assert [(row["period"], row["reached"], row["average_satisfaction"]) for row in days] == [
        (yesterday.isoformat(), 1, 5), (local_today.isoformat(), 2, 3)]


# -- reminders -------------------------------------------------------------------------------------
def test_an_oil_change_is_due_again_by_date_for_a_car_that_is_rarely_driven(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service, mileage=30_000)
    done = datetime(2026, 5, 10, 3, 0, tzinfo=timezone.utc)
    # visits 100 days apart with 1,000 km: 10 km a day -> 5,000 km takes 500 days; 6 months comes first
    service.on_visit_checked_in(envelope("sales.visit_checked_in", {
        "visit_id": "v0", "store_id": "s1", "customer_id": customer["id"], "vehicle_id": vehicle["id"],
        "mileage_km": 31_000, "needs": ["保养"], "checked_in_at": iso(done - timedelta(days=100))}))
    service.on_order_confirmed(order_confirmed(customer, vehicle, "o1", op_code="oil-chg"))
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 32_000, done))
    [reminder] = service.list_reminders({"store_id": "s1", "due_before": "2026-12-31"})["items"]
    assert reminder["service_type"] == "OIL-CHG" and reminder["reason"] == "date"
    assert reminder["due_on"] == "2026-11-10" and reminder["due_km"] == 37_000
    assert service.list_reminders({"store_id": "s1", "due_before": "2026-11-09"})["items"] == []


def test_a_tyre_rotation_is_due_by_mileage_for_a_car_driven_a_lot(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service, mileage=10_000)
    done = datetime(2026, 11, 1, 3, 0, tzinfo=timezone.utc)
    service.on_visit_checked_in(envelope("sales.visit_checked_in", {
        "visit_id": "v0", "store_id": "s1", "customer_id": customer["id"], "vehicle_id": vehicle["id"],
        "mileage_km": 10_000, "needs": [], "checked_in_at": iso(done - timedelta(days=30))}))
    service.on_order_confirmed(order_confirmed(customer, vehicle, "o1", op_code="TYRE-ROT"))
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 13_000, done))  # 100 km a day
    [reminder] = service.list_reminders({"store_id": "s1", "due_before": "2027-12-31"})["items"]
    assert reminder["reason"] == "mileage" and reminder["due_km"] == 23_000
    assert reminder["due_by_km_on"] == "2027-02-09" and reminder["due_on"] == "2027-02-09"
    assert reminder["due_by_date"] == "2027-05-01"
    with pytest.raises(Forbidden):
        crm(session, OTHER_STORE).list_reminders({"store_id": "s1"})
    assert crm(session, OTHER_STORE).list_reminders({"due_before": "2027-12-31"})["items"] == []


def test_a_delivery_projected_before_its_order_still_moves_the_service_due(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service, mileage=40_000)
    done = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    service.on_vehicle_delivered(delivered(customer, vehicle, "o1", 40_500, done))  # overtook the order
    assert service.list_reminders({"due_before": "2030-01-01"})["items"] == []
    service.on_order_confirmed(order_confirmed(customer, vehicle, "o1", op_code="BRK-FLUID"))
    [reminder] = service.list_reminders({"due_before": "2030-01-01"})["items"]
    assert reminder["last_done_on"] == "2026-11-20" and reminder["due_km"] == 80_500
    assert reminder["due_by_date"] == "2028-11-20"


def test_service_intervals_can_be_changed_by_type(session):
    service = crm(session, HQ)
    service.set_service_interval("wash_wax", {"name": "打蜡", "months": 3})
    assert {"service_type": "WASH_WAX", "name": "打蜡", "months": 3, "km": None} in service.list_service_intervals()
    with pytest.raises(Invalid):
        service.set_service_interval("x", {"name": "无"})


# -- membership ------------------------------------------------------------------------------------
def test_an_invoice_paid_again_after_a_reopening_earns_nothing_more(session):
    """finance announces an invoice paid again, under a new event id, when it is settled again after an insurer's
    claim was voided: the spend, the points and the history count the invoice once (keyed on the invoice)."""
    service = crm(session)
    customer, _ = customer_with_vehicle(service)
    first, again = invoice_paid(customer, "o1", 58_000), invoice_paid(customer, "o1", 58_000)
    assert first["event_id"] != again["event_id"]
    service.on_invoice_paid(first)
    once = service.get_customer(customer["id"])
    service.on_invoice_paid(again)
    twice = service.get_customer(customer["id"])
    assert (twice["points"], twice["spend_fen"]) == (once["points"], once["spend_fen"]) == (580, 58_000)
    history = service.customer_history(customer["id"], {})["items"]
    assert [h["kind"] for h in history] == ["payment"]


def test_paid_invoices_earn_points_and_raise_the_tier_and_refunds_take_them_back(session):
    service = crm(session)
    customer, _ = customer_with_vehicle(service)
    service.on_invoice_paid(invoice_paid(customer, "o1", 499_999))  # 4,999.99 yuan
    after_one = service.get_customer(customer["id"])
    assert (after_one["points"], after_one["tier"], after_one["spend_fen"]) == (4_999, "standard", 499_999)
    service.on_invoice_paid(invoice_paid(customer, "o2", 1_600_001))
    assert service.get_customer(customer["id"])["tier"] == "gold"
    service.on_refund_issued(envelope("finance.refund_issued", {
        "refund_id": "r1", "payment_id": "p1", "invoice_id": "inv-o2", "order_id": "o2", "store_id": "s1",
        "customer_id": customer["id"], "amount_fen": 1_600_001}))
    refunded = service.get_customer(customer["id"])
    assert (refunded["points"], refunded["tier"], refunded["spend_fen"]) == (4_999, "standard", 499_999)


def test_an_invoice_paid_fact_republished_under_a_new_event_id_counts_once(session):
    service = crm(session)
    customer, _ = customer_with_vehicle(service)
    first = invoice_paid(customer, "o1", 100_000)
    service.on_invoice_paid(first)
    service.on_invoice_paid({**first, "event_id": str(uuid.uuid4())})  # the producer retried with a new id
    assert service.get_customer(customer["id"])["points"] == 1_000
    assert [h["kind"] for h in service.customer_history(customer["id"], {})["items"]] == ["payment"]


def test_referrals_and_key_account_owner(session):
    service = crm(session)
    referrer, _ = customer_with_vehicle(service)
    referred = service.register_customer({"name": "李娜", "mobile": data.mobile(), "referred_by_id": referrer["id"]})
    assert service.get_customer(referrer["id"])["referral_count"] == 1
    assert [c["id"] for c in service.list_customers({"referred_by_id": referrer["id"]})["items"]] == [referred["id"]]
    with pytest.raises(Invalid):
        service.update_customer(referrer["id"], {"referred_by_id": referrer["id"]})
    with pytest.raises(Invalid):
        service.register_customer({"name": "王", "mobile": data.mobile(), "referred_by_id": "nobody"})
    owned = service.update_customer(referrer["id"], {"key_account_owner_id": "u1", "tags": ["key_account"]})
    assert owned["key_account_owner_id"] == "u1"
    assert [c["id"] for c in service.list_customers({"key_account_owner_id": "u1"})["items"]] == [referrer["id"]]


# -- campaigns -------------------------------------------------------------------------------------
def daytime() -> datetime:
    """The next 12:00 on Shanghai's clock (out of the stores' quiet hours, and after any campaign made now), so a
    test that sends does so at whatever hour it runs."""
    local = datetime.now(SHANGHAI)
    noon = local.replace(hour=12, minute=0, second=0, microsecond=0)
    return (noon if noon >= local else noon + timedelta(days=1)).astimezone(timezone.utc)


def birthday_this_month(now: datetime) -> str:
    local = now.astimezone(timezone(timedelta(hours=8)))
    return f"1990-{local.month:02d}-01"


def test_a_birthday_campaign_reaches_consenting_customers_once(session):
    now = daytime()
    service = crm(session)
    yes = service.register_customer({"name": "生日甲", "mobile": data.mobile(), "home_store_id": "s1",
                                     "birthday": birthday_this_month(now), "marketing_consent": True})
    service.register_customer({"name": "生日乙", "mobile": data.mobile(), "home_store_id": "s1",
                               "birthday": birthday_this_month(now), "marketing_consent": False})
    other_month = (now.astimezone(timezone(timedelta(hours=8))).month % 12) + 1
    service.register_customer({"name": "非生日", "mobile": data.mobile(), "home_store_id": "s1",
                               "birthday": f"1990-{other_month:02d}-01", "marketing_consent": True})
    manager = crm(session, MANAGER)
    birthdays = {"birthday_this_month": True}
    assert manager.preview_campaign({"segment": birthdays, "store_id": "s1"}) == {
        "audience_count": 1, "without_consent_count": 1}  # 生日乙 refuses marketing: left out, and said so
    campaign = manager.create_campaign({"name": "生日关怀", "channel": "sms", "store_id": "s1",
                                        "template": "{name}您好，祝您生日快乐！", "segment": birthdays})
    sender = FakeProviders(receipt=None)
    limits = {"sms": 100, "wechat": 100}
    run_campaigns(session, now, sender, limits)
    run_campaigns(session, now + timedelta(minutes=5), sender, limits)
    [message] = manager.campaign_messages(campaign["id"], {})["items"]
    assert message["customer_id"] == yes["id"] and message["status"] == "sent"
    assert message["body"] == "生日甲您好，祝您生日快乐！"
    assert [m.mobile for m in sender.sent] == [yes["mobile"]]
    done = manager.get_campaign(campaign["id"])
    assert done["status"] == "completed" and done["messages"] == {"queued": 0, "sent": 1, "delivered": 0, "failed": 0,
                                                             "skipped": 0}
    assert done["audience_count"] == 1


def test_a_monthly_birthday_campaign_schedules_its_next_run_when_it_starts(session):
    service = crm(session)
    service.register_customer({"name": "甲", "mobile": data.mobile(), "home_store_id": "s1", "birthday": "1990-01-05",
                               "marketing_consent": True})
    first_run = datetime(2027, 1, 31, 1, 0, tzinfo=timezone.utc)  # 09:00 on 31 January in Shanghai
    manager = crm(session, MANAGER)
    campaign = manager.create_campaign({"name": "生日", "channel": "sms", "template": "{name}生日快乐",
                                        "segment": {"birthday_this_month": True}, "recurrence": "monthly",
                                        "scheduled_at": iso(first_run)})
    run_campaigns(session, first_run, FakeProviders(receipt=None), {"sms": 10})
    runs = manager.list_campaigns({})["items"]
    assert [(c["status"], c["previous_id"]) for c in runs] == [("scheduled", campaign["id"]), ("completed", None)]
    assert runs[0]["scheduled_at"] == "2027-02-28T01:00:00+00:00" and runs[0]["recurrence"] == "monthly"
    assert runs[1]["audience_count"] == 1
    run_campaigns(session, datetime(2027, 2, 28, 1, 0, tzinfo=timezone.utc), FakeProviders(receipt=None), {"sms": 10})
    newest = manager.list_campaigns({})["items"]
    assert newest[0]["scheduled_at"] == "2027-03-28T01:00:00+00:00"
    assert newest[1]["audience_count"] == 0  # nobody has a February birthday
    manager.cancel_campaign(newest[0]["id"])  # cancelling a run ends the series
    run_campaigns(session, datetime(2027, 4, 1, tzinfo=timezone.utc), FakeProviders(receipt=None), {"sms": 10})
    assert len(manager.list_campaigns({})["items"]) == 3


def test_a_campaign_is_not_sent_before_its_time_nor_twice_to_a_customer(session):
    now = datetime.now(timezone.utc)
    service = crm(session)
    service.register_customer({"name": "甲", "mobile": data.mobile(), "home_store_id": "s1", "tags": ["vip"],
                               "marketing_consent": True})
    manager = crm(session, MANAGER)
    campaign = manager.create_campaign({"name": "VIP", "channel": "wechat", "template": "{name}",
                                        "segment": {"tags": ["vip"]}, "scheduled_at": iso(now + timedelta(hours=1))})
    assert campaign["store_id"] == "s1"
    assert campaigns.start_due_campaigns(session, now) == []
    assert campaigns.start_due_campaigns(session, now + timedelta(hours=2)) == [campaign["id"]]
    assert campaigns.start_due_campaigns(session, now + timedelta(hours=3)) == []  # claimed once
    session.execute(CampaignMessage.__table__.update().values(status="queued"))
    with pytest.raises(IntegrityError):  # the database itself refuses a second message for the same customer
        session.execute(CampaignMessage.__table__.insert().values(
            id="dup", campaign_id=campaign["id"], customer_id=session.scalar(select(Customer.id)), channel="wechat",
            body="x", status="queued", attempts=0, created_at=now))
    session.rollback()


def test_rate_limit_per_channel_spreads_sending_over_minutes(session):
    service = crm(session)
    for n in range(5):
        service.register_customer({"name": f"客{n}", "mobile": data.mobile(), "home_store_id": "s1",
                                   "tags": ["winter"], "marketing_consent": True})
    crm(session, MANAGER).create_campaign({"name": "冬季检查", "channel": "sms", "template": "{name} 冬季免费检测",
                                           "segment": {"tags": ["winter"]}})
    now = daytime()
    sender = FakeProviders(receipt=None)
    run_campaigns(session, now, sender, {"sms": 2})
    run_campaigns(session, now + timedelta(seconds=30), sender, {"sms": 2})
    assert len(sender.sent) == 2
    run_campaigns(session, now + timedelta(seconds=61), sender, {"sms": 2})
    assert len(sender.sent) == 4


def test_consent_withdrawn_after_queueing_is_respected_and_provider_refusals_are_recorded(session):
    service = crm(session)
    quitter = service.register_customer({"name": "甲", "mobile": data.mobile(), "home_store_id": "s1", "tags": ["t"],
                                         "marketing_consent": True})
    service.register_customer({"name": "乙", "mobile": data.mobile(), "home_store_id": "s1", "tags": ["t"],
                               "marketing_consent": True})
    campaign = crm(session, MANAGER).create_campaign({"name": "x", "channel": "sms", "template": "{name}",
                                                      "segment": {"tags": ["t"]}})
    now = daytime()
    assert campaigns.start_due_campaigns(session, now) == [campaign["id"]]
    service.update_customer(quitter["id"], {"marketing_consent": False})

    refusing = FakeProviders(messages.Outcome("refused", detail="isv.MOBILE_NUMBER_ILLEGAL"))
    send_queued(session, now, refusing, {"sms": 10})
    campaigns.finish_campaigns(session, now)
    sent = {m["customer_id"]: m for m in crm(session, MANAGER).campaign_messages(campaign["id"], {})["items"]}
    assert sent[quitter["id"]]["status"] == "failed" and sent[quitter["id"]]["error"] == "no marketing consent"
    assert [m["error"] for m in sent.values() if m["customer_id"] != quitter["id"]] == [
        "provider_refused:isv.MOBILE_NUMBER_ILLEGAL"]
    assert crm(session, MANAGER).get_campaign(campaign["id"])["status"] == "completed"


def test_segments_by_tier_spend_win_back_and_service_due(session):
    now = datetime.now(timezone.utc)
    service = crm(session)
    big, vehicle = customer_with_vehicle(service, marketing_consent=True)
    service.on_invoice_paid(invoice_paid(big, "o1", 2_500_000))
    old_visit = now - timedelta(days=200)
    service.on_visit_checked_in(envelope("sales.visit_checked_in", {
        "visit_id": "v1", "store_id": "s1", "customer_id": big["id"], "vehicle_id": vehicle["id"], "mileage_km": 10_000,
        "needs": [], "checked_in_at": iso(old_visit)}))
    small, _ = customer_with_vehicle(service, marketing_consent=True)
    manager = crm(session, MANAGER)

    def count(segment):
        return manager.preview_campaign({"segment": segment})["audience_count"]

    assert count({"tiers": ["gold"]}) == 1 and count({"spend_min_fen": 1}) == 1 and count({"spend_max_fen": 0}) == 1
    assert count({"last_visit_before_days": 180}) == 1 and count({"last_visit_before_days": 365}) == 0
    assert count({"service_due_within_days": 30}) == 0
    with pytest.raises(Invalid):
        manager.create_campaign({"name": "x", "channel": "sms", "template": "{phone}", "segment": {}})


def test_a_campaign_message_due_in_quiet_hours_stays_queued_until_they_end_unless_the_store_has_none(session):
    """22:30 in Shanghai is in the store's quiet hours (21:00–08:00 by default): the message waits, still queued,
    and goes at 08:00; a store whose crm settings empty its quiet hours sends at once."""
    service = crm(session)
    owner = service.register_customer({"name": "夜甲", "mobile": data.mobile(), "home_store_id": "s1",
                                       "tags": ["night"], "marketing_consent": True})
    late = datetime(2026, 12, 6, 14, 30, tzinfo=timezone.utc)  # 22:30 in Asia/Shanghai
    manager = crm(session, MANAGER)
    campaign = manager.create_campaign({"name": "夜间", "channel": "sms", "template": "{name}您好",
                                        "segment": {"tags": ["night"]}, "scheduled_at": iso(late)})
    sender = FakeProviders(receipt=None)
    run_campaigns(session, late, sender, {"sms": 10})
    run_campaigns(session, late + timedelta(hours=9), sender, {"sms": 10})  # 07:30: still quiet
    assert sender.sent == []
    [waiting] = manager.campaign_messages(campaign["id"], {})["items"]
    morning = datetime(2026, 12, 7, 0, 0, tzinfo=timezone.utc)  # 08:00 in Asia/Shanghai
    assert waiting["status"] == "queued" and waiting["attempts"] == 0 and waiting["sent_at"] is None
    assert waiting["not_before"] == morning.isoformat()
    assert manager.get_campaign(campaign["id"])["status"] == "sending"
    run_campaigns(session, morning, sender, {"sms": 10})
    assert [m.mobile for m in sender.sent] == [owner["mobile"]]
    done = manager.get_campaign(campaign["id"])
    assert done["status"] == "completed" and done["messages"] == {"queued": 0, "sent": 1, "delivered": 0, "failed": 0,
                                                             "skipped": 0}

    assert manager.update_store_settings("s1", {"quiet_from": "00:00", "quiet_until": "00:00"})["quiet_from"] == "00:00"
    night = manager.create_campaign({"name": "夜间二", "channel": "sms", "template": "{name}晚上好",
                                     "segment": {"tags": ["night"]}, "scheduled_at": iso(late + timedelta(days=2))})
    run_campaigns(session, late + timedelta(days=2), sender, {"sms": 10})
    assert [m.params["body"] for m in sender.sent][-1] == "夜甲晚上好"
    assert manager.get_campaign(night["id"])["status"] == "completed"
    with pytest.raises(Invalid):
        manager.update_store_settings("s1", {"quiet_from": "25:00"})


def test_the_weekly_marketing_allowance_counts_campaign_and_reminder_messages_together(session, monkeypatch):
    """Two marketing messages a week to one owner, whichever sender: a reminder and a campaign message fill it, so
    the next campaign skips them (customer_rate_limited, counted as skipped) and reaches the others; two campaign
    messages fill it for a reminder just the same."""
    monkeypatch.setenv("CRM_MARKETING_PER_CUSTOMER_WEEK", "2")
    now = daytime()
    service = crm(session)
    full = service.register_customer({"name": "满甲", "mobile": data.mobile(), "home_store_id": "s1",
                                      "tags": ["week"], "marketing_consent": True})
    fresh = service.register_customer({"name": "新乙", "mobile": data.mobile(), "home_store_id": "s1",
                                       "tags": ["week"], "marketing_consent": True})
    reminder = {"plate": "粤B12345", "service": "机油保养", "due_on": "2026-12-20"}
    messages.queue(session, customer_id=full["id"], store_id="s1", template="service_due", params=reminder,
                   dedupe_key="due:week:1", now=now - timedelta(days=3))
    [going] = messages.claim_due(session, now - timedelta(days=3))
    messages.record_outcome(session, going.id, messages.Outcome("sent", "p"), now - timedelta(days=3), (60,))
    manager = crm(session, MANAGER)
    first = manager.create_campaign({"name": "周一", "channel": "sms", "template": "{name}您好",
                                     "segment": {"tags": ["week"]}, "scheduled_at": iso(now - timedelta(days=1))})
    sender = FakeProviders(receipt=None)
    run_campaigns(session, now - timedelta(days=1), sender, {"sms": 10})
    assert manager.get_campaign(first["id"])["messages"]["sent"] == 2  # the reminder was one of two
    second = manager.create_campaign({"name": "周二", "channel": "sms", "template": "{name}再次您好",
                                      "segment": {"tags": ["week"]}, "scheduled_at": iso(now)})
    run_campaigns(session, now, sender, {"sms": 10})
    done = manager.get_campaign(second["id"])
    assert done["status"] == "completed" and done["messages"] == {"queued": 0, "sent": 1, "delivered": 0, "failed": 0,
                                                             "skipped": 1}
    by_customer = {m["customer_id"]: m for m in manager.campaign_messages(second["id"], {})["items"]}
    assert (by_customer[full["id"]]["status"], by_customer[full["id"]]["error"]) == ("skipped",
                                                                                      "customer_rate_limited")
    assert by_customer[fresh["id"]]["status"] == "sent"
    assert manager.campaign_messages(second["id"], {"status": "skipped"})["items"][0]["customer_id"] == full["id"]
    today = now.astimezone(SHANGHAI).date().isoformat()
    [result] = [row for row in manager.campaign_sends({"from": today, "to": today})["items"]
                if row["campaign_id"] == second["id"]]
    assert (len(result["sends"]), result["skipped"]) == (1, 1)  # the results report counts it too

    # 新乙 had two campaign messages this week: a reminder to them fails as the outbox's own would
    messages.queue(session, customer_id=fresh["id"], store_id="s1", template="service_due", params=reminder,
                   dedupe_key="due:week:2", now=now + timedelta(hours=1))
    assert messages.claim_due(session, now + timedelta(hours=1)) == []
    refused = session.query(Message).filter_by(dedupe_key="due:week:2").one()
    assert (refused.status, refused.failure_code) == ("failed", "customer_rate_limited")
    # a week after the reminder 满甲 has room again; 新乙's two campaign messages are still within the week
    third = manager.create_campaign({"name": "下周", "channel": "sms", "template": "{name}",
                                     "segment": {"tags": ["week"]}, "scheduled_at": iso(now + timedelta(days=5))})
    run_campaigns(session, now + timedelta(days=5), sender, {"sms": 10})
    assert {m["customer_id"]: m["status"] for m in manager.campaign_messages(third["id"], {})["items"]} == {
        full["id"]: "sent", fresh["id"]: "skipped"}


def test_due_service_in_a_campaign_is_the_service_types_name_a_customer_reads(session):
    now = daytime()
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service, marketing_consent=True, tags=["due"])
    today = now.astimezone(SHANGHAI).date()
    session.add(ServiceDue(vehicle_id=vehicle["id"], customer_id=customer["id"], store_id="s1",
                           service_type="OIL-CHG", last_done_on=today, due_on=today + timedelta(days=5),
                           reason="date"))
    session.commit()
    campaign = crm(session, MANAGER).create_campaign({
        "name": "保养到期", "channel": "sms", "template": "{name}您好，{plate}的{due_service}将于{due_on}到期",
        "segment": {"tags": ["due"]}})
    sender = FakeProviders(receipt=None)
    run_campaigns(session, now, sender, {"sms": 10})
    [message] = crm(session, MANAGER).campaign_messages(campaign["id"], {})["items"]
    assert message["body"] == (f"张伟您好，{vehicle['plate']}的机油保养将于{(today + timedelta(days=5)).isoformat()}"
                               "到期")
    assert [m.params["body"] for m in sender.sent] == [message["body"]]


# -- privacy ---------------------------------------------------------------------------------------
def test_full_phone_reads_and_changes_are_audited_masked_reads_are_not(session):
    service = crm(session)
    customer, _ = customer_with_vehicle(service)
    service.get_customer(customer["id"])
    crm(session, TECHNICIAN).get_customer(customer["id"])
    service.list_customers({"phone": customer["mobile"]})
    service.update_customer(customer["id"], {"notes": "喜欢周末来"})
    log = crm(session, MANAGER).customer_audit(customer["id"], {})["items"]
    assert [(e["action"], e["user_id"], e["fields"]) for e in log] == [
        ("update", "u1", ["notes"]), ("read_contact", "u1", None), ("read_contact", "u1", None)]
    assert log[0]["request_id"] == "r-1"


def test_erase_anonymises_the_person_and_keeps_the_records(session):
    service = crm(session)
    customer, vehicle = customer_with_vehicle(service, birthday="1980-02-03", notes="住天河", tags=["vip"],
                                              marketing_consent=True)
    service.on_invoice_paid(invoice_paid(customer, "o1", 100_000))
    vin = data.vin()
    service.add_vehicle(customer["id"], {"plate": data.plate(), "vin": vin, "mileage_km": 1})
    erased = crm(session, MANAGER).erase_customer(customer["id"])
    assert erased["name"] == "已删除客户"
    assert erased["mobile"] != customer["mobile"] and not erased["mobile"].startswith("1")
    assert (erased["birthday"], erased["notes"], erased["tags"], erased["marketing_consent"]) == (None, None, [], False)
    assert erased["spend_fen"] == 100_000 and erased["erased_at"]
    assert erased["vehicles"][0]["plate"] != vehicle["plate"] and vin not in str(erased)
    assert {v["vin"] for v in erased["vehicles"]} == {None}
    assert [h["kind"] for h in service.customer_history(customer["id"], {})["items"]] == ["payment"]
    assert service.list_customers({"phone": customer["mobile"]})["items"] == []
    service.register_customer({"name": "新客", "mobile": customer["mobile"]})  # the number is free again
    with pytest.raises(Conflict):
        crm(session, MANAGER).erase_customer(customer["id"])
    facts = [row.type for row in session.execute(select(OUTBOX.c.type))]
    assert "customer_erased" in facts
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.customer_id == customer["id"],
                                                          AuditEntry.action == "erase")) == "erase"


# -- duplicates ------------------------------------------------------------------------------------
def test_merge_keeps_vehicles_history_spend_and_sends_late_facts_to_the_survivor(session):
    service = crm(session)
    survivor, car_a = customer_with_vehicle(service, tags=["vip"], marketing_consent=True)
    duplicate, car_b = customer_with_vehicle(service, tags=["fleet"], birthday="1985-04-12", marketing_consent=True)
    service.on_invoice_paid(invoice_paid(duplicate, "o1", 600_000))
    service.on_vehicle_delivered(delivered(duplicate, car_b, "o1", 20_000, datetime.now(timezone.utc)))
    merged = crm(session, MANAGER).merge_customers(survivor["id"], {"duplicate_id": duplicate["id"]})
    assert sorted(v["id"] for v in merged["vehicles"]) == sorted([car_a["id"], car_b["id"]])
    assert sorted(merged["tags"]) == ["fleet", "vip"] and merged["birthday"] == "1985-04-12"
    assert merged["spend_fen"] == 600_000 and merged["tier"] == "silver"
    kinds = [h["kind"] for h in service.customer_history(survivor["id"], {})["items"]]
    assert sorted(kinds) == ["delivery", "merge", "payment"]
    assert service.list_follow_ups({"customer_id": survivor["id"]})["items"]
    gone = service.get_customer(duplicate["id"])
    assert gone["merged_into_id"] == survivor["id"]
    assert duplicate["id"] not in [c["id"] for c in service.list_customers({})["items"]]
    service.on_invoice_paid(invoice_paid(duplicate, "o2", 100))  # a late fact about the old id
    assert service.get_customer(survivor["id"])["spend_fen"] == 600_100
    with pytest.raises(Conflict):
        crm(session, MANAGER).merge_customers(survivor["id"], {"duplicate_id": duplicate["id"]})
    with pytest.raises(Invalid):
        crm(session, MANAGER).merge_customers(survivor["id"], {"duplicate_id": survivor["id"]})


def test_messages_are_sent_with_no_transaction_open_and_a_lost_send_is_claimed_again(session):
    """The SMS/WeChat provider is a network call: the claim is committed before it (a slow provider
    holds no lock), and a message whose send never finished is sent again after the lease."""
    service = crm(session)
    for n in range(2):
        service.register_customer({"name": f"客{n}", "mobile": data.mobile(), "home_store_id": "s1", "tags": ["t"],
                                   "marketing_consent": True})
    crm(session, MANAGER).create_campaign({"name": "x", "channel": "sms", "template": "{name}",
                                           "segment": {"tags": ["t"]}})
    now = daytime()
    campaigns.start_due_campaigns(session, now)
    session.commit()
    seen = []

    class Checking(FakeProviders):
        def send(self, item):
            seen.append(session.in_transaction())
            if len(seen) == 1:
                raise KeyboardInterrupt  # the process dies in the middle of the first send
            return super().send(item)

    with pytest.raises(KeyboardInterrupt):
        send_queued(session, now, Checking(), {"sms": 10})
    session.rollback()
    assert seen == [False]
    send_queued(session, now + timedelta(minutes=1), Checking(), {"sms": 10})
    assert seen == [False]  # the whole claimed batch waits for its lease
    send_queued(session, now + campaigns.SENDING_LEASE + timedelta(minutes=1), Checking(), {"sms": 10})
    assert seen == [False, False, False]
    assert session.scalar(select(func.count()).select_from(CampaignMessage)
                          .where(CampaignMessage.status == "sent")) == 2


def test_campaign_sends_are_scoped_to_the_callers_stores_chain_wide_ones_by_home_store(session):
    """A store's campaign counts every send; a chain-wide one, asked about by store, only its sends to that
    store's home customers; HQ sees them all; the day of each send is local; managers only."""
    now = daytime()
    service = crm(session)
    tag = f"活动{uuid.uuid4().hex[:6]}"
    here = service.register_customer({"name": "活甲", "mobile": data.mobile(), "home_store_id": "s1",
                                      "marketing_consent": True, "tags": [tag]})
    there = crm(session, HQ).register_customer({"name": "活乙", "mobile": data.mobile(), "home_store_id": "s2",
                                                "marketing_consent": True, "tags": [tag]})
    own = crm(session, MANAGER).create_campaign({"name": "本店活动", "channel": "sms", "store_id": "s1",
                                                 "template": "{name}您好", "segment": {"tags": [tag]}})
    chain = crm(session, HQ).create_campaign({"name": "全连锁活动", "channel": "sms", "store_id": None,
                                              "template": "{name}您好", "segment": {"tags": [tag]}})
    for tick in (now, now + timedelta(minutes=5)):
        run_campaigns(session, tick, FakeProviders(receipt=None), {"sms": 100, "wechat": 100})
    today = now.astimezone(timezone(timedelta(hours=8))).date().isoformat()
    asked = {"from": today, "to": today}

    def sends(caller, query=asked):
        return {row["campaign_id"]: sorted(send["customer_id"] for send in row["sends"])
                for row in crm(session, caller).campaign_sends(query)["items"] if row["campaign_id"] in
                (own["id"], chain["id"])}

    assert sends(MANAGER) == {own["id"]: [here["id"]], chain["id"]: [here["id"]]}
    assert sends(HQ) == {own["id"]: [here["id"]], chain["id"]: sorted([here["id"], there["id"]])}
    assert sends(HQ, {**asked, "store_id": "s2"}) == {chain["id"]: [there["id"]]}
    [row] = [row for row in crm(session, MANAGER).campaign_sends(asked)["items"] if row["campaign_id"] == own["id"]]
    assert row["sends"] == [{"customer_id": here["id"], "day": today}] and row["name"] == "本店活动"
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    assert sends(MANAGER, {"from": yesterday, "to": yesterday}) == {}
    with pytest.raises(Forbidden):
        crm(session, ADVISOR).campaign_sends(asked)
    with pytest.raises(Forbidden):
        crm(session, MANAGER).campaign_sends({**asked, "store_id": "s2"})
