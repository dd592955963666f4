"""crm's timer work run by two replicas at once on PostgreSQL: a campaign is claimed once,
each message is sent once, and the per-minute budget holds across replicas."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import sessionmaker

from services.common.db import make_engine
from services.common.ids import new_id
from services.common.config import message_retry_seconds
from services.crm.domain import campaigns, followups
from services.crm.domain.messages import Outcome
from services.crm.models import Campaign, CampaignMessage, Customer, CustomerTag, FollowUp
from services.crm.service import CrmService

pytestmark = pytest.mark.integration


class Messaging:
    """The crm service's `messaging` with a provider that records each send (and has no receipts yet)."""

    def __init__(self, providers, rate_limits):
        self.providers, self.rate_limits = providers, rate_limits
        self.retry_delays = message_retry_seconds()


class ThreadSafeProviders:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = []

    def send(self, message) -> Outcome:
        with self.lock:
            self.sent.append(message.id)
            return Outcome("sent", provider_id=f"biz-{len(self.sent)}")

    def receipt(self, message) -> None:
        return None


@pytest.fixture
def crm_sessions(migrated):
    engine = make_engine(migrated.urls["crm"])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        for model in (CampaignMessage, Campaign, FollowUp, CustomerTag):
            session.execute(delete(model))
        session.commit()
    yield factory
    engine.dispose()


def in_parallel(work, times=2):
    barrier = threading.Barrier(times)
    errors = []

    def run():
        try:
            barrier.wait()
            work()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors


def test_two_replicas_claim_a_campaign_once_and_send_each_message_once(crm_sessions):
    now = datetime.now(timezone.utc).replace(hour=4, minute=0)  # 12:00 in Beijing: out of the quiet hours
    tag = f"conc-{new_id()[-6:]}"
    with crm_sessions() as session:
        ids = [new_id() for _ in range(30)]
        session.execute(insert(Customer), [
            {"id": cid, "name": f"客{n}", "mobile": f"136{int(cid[-7:], 36) % 100_000_000:08d}", "gender": "unknown",
             "marketing_consent": True, "tier": "standard", "points": 0, "spend_fen": 0, "created_at": now,
             "updated_at": now} for n, cid in enumerate(ids)])
        session.execute(insert(CustomerTag), [{"customer_id": cid, "tag": tag} for cid in ids])
        campaign = Campaign(name="并发", channel="sms", template="{name}", segment={"tags": [tag]},
                            scheduled_at=now - timedelta(seconds=1), status="scheduled", created_at=now)
        session.add(campaign)
        session.commit()
        campaign_id = campaign.id

    claimed = []

    def start():
        with crm_sessions() as session:
            claimed.extend(campaigns.start_due_campaigns(session, now))
            session.commit()

    in_parallel(start)
    assert claimed == [campaign_id]
    sender = ThreadSafeProviders()

    def send():
        with crm_sessions() as session:
            crm = worker_factory(CrmService, db=session, messaging=Messaging(sender, {"sms": 20, "wechat": 20}))
            crm._send_queued_messages(now)  # the timer's sending: it commits the claims and each outcome

    in_parallel(send)
    assert len(sender.sent) == len(set(sender.sent)) == 20  # the budget held across both replicas
    later = now + timedelta(minutes=2)

    def send_later():
        with crm_sessions() as session:
            crm = worker_factory(CrmService, db=session, messaging=Messaging(sender, {"sms": 20, "wechat": 20}))
            crm._send_queued_messages(later)
            crm._finish_campaigns(later)

    in_parallel(send_later)
    assert len(sender.sent) == len(set(sender.sent)) == 30
    with crm_sessions() as session:
        assert session.scalar(select(func.count()).select_from(CampaignMessage)
                              .where(CampaignMessage.status == "sent")) == 30
        assert session.get(Campaign, campaign_id).status == "completed"


def test_two_replicas_mark_each_follow_up_due_once(crm_sessions):
    now = datetime.now(timezone.utc)
    with crm_sessions() as session:
        customer = Customer(name="甲", mobile="13500000001", marketing_consent=False)
        session.add(customer)
        session.flush()
        session.execute(insert(FollowUp), [
            {"id": new_id(), "store_id": "s1", "customer_id": customer.id, "work_order_id": f"wo-{n}-{new_id()}",
             "delivered_at": now, "due_at": now - timedelta(minutes=1), "status": "scheduled", "attempts": 0,
             "created_at": now} for n in range(10)])
        session.commit()
    counts = []

    def mark():
        with crm_sessions() as session:
            counts.append(followups.mark_due_follow_ups(session, now))
            session.commit()

    in_parallel(mark)
    assert sum(counts) == 10
    with crm_sessions() as session:
        session.execute(delete(FollowUp))
        session.execute(delete(Customer).where(Customer.mobile == "13500000001"))
        session.commit()
