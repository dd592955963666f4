"""Scheduled reports through crm's entrypoints (worker_factory + real SQLite, finance faked): a manager's daily
summary is composed from finance's KPI rows and texted once per period however often the timer ticks; finance is
asked once per span and grouping whatever the number of subscriptions; the store and role rules hold; a changed
mobile is where the next one goes, and an account that may no longer have it loses it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from nameko.testing.services import worker_factory

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, NotFound
from services.crm.models import Base, Message
from services.crm.service import CrmService
from tests.service.test_crm_messages import FakeMessaging, FakeProviders
from tests.support.service import sqlite_session

MANAGER = Caller(user_id="m1", role="store_manager", store_ids=frozenset({"s1"}), request_id="r-1")
HQ = Caller(user_id="hq", role="hq_admin")
SYSTEM = Caller()
SUBSCRIBED = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)
TICK = datetime.fromisoformat("2026-12-07T08:05:00+08:00")  # Monday: Sunday's day and last week are due


class FakeFinance:
    """KPI rows per span as finance's `kpis` answers them; counts the calls."""

    def __init__(self):
        self.calls = []

    def kpis(self, query):
        self.calls.append(("kpis", query["from"], query["to"], query["group"]))
        today = query["from"] == "2026-12-06"
        row = {"sales_fen": 123456 if today else 100000, "car_count": 3 if today else 2,
               "aro_fen": 41152 if today else 50000}
        return {"items": [{**row, "store_id": None if query["group"] == "chain" else "s1", "period": None}]}

    def kpi_targets_over(self, query):
        self.calls.append(("targets", query["from"], query["to"], tuple(query["store_ids"])))
        return {"stores": {"s1": {"sales_fen": 150000}}}


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "crm", MANAGER.to_context())
    yield session
    session.close()


def crm(session, caller=MANAGER, providers=None, finance=None):
    return worker_factory(CrmService, db=session, caller=caller, finance=finance or FakeFinance(),
                          messaging=FakeMessaging(providers or FakeProviders()))


def subscribe(service, session, **data):
    made = service.subscribe_report({"store_id": "s1", "period": "daily", "mobile": "13800138000",
                                     "scope_name": "天河店", **data})
    table = Base.metadata.tables["report_subscriptions"]
    session.execute(table.update().where(table.c.id == made["id"]).values(created_at=SUBSCRIBED))
    session.commit()
    return made


def test_the_daily_summary_is_texted_once_per_period_however_often_the_timer_ticks(session):
    providers, finance = FakeProviders(), FakeFinance()
    subscribe(crm(session), session)
    timer = crm(session, SYSTEM, providers, finance)
    assert timer.send_reports(TICK) == 1
    assert timer.send_reports(TICK) == 0  # a second tick, or a restart: the period's key is taken
    timer.send_messages()
    timer.send_messages()
    assert [(item.template, item.mobile) for item in providers.sent] == [("staff_report", "13800138000")]
    assert providers.sent[0].params == {
        "scope": "天河店", "period": "12月6日", "revenue": "¥1,234.56", "change": "较上期+23.5%", "cars": "3",
        "ticket": "¥411.52", "target": "目标 ¥1,500.00，达成 82.3%"}
    listed = crm(session).own_report_subscriptions()["items"]
    assert [(s["period"], s["last_period"], s["last_status"]) for s in listed] == [("daily", "2026-12-06", "sent")]
    assert crm(session).list_messages({"store_id": "s1"})["items"] == []  # the car owners' log stays theirs


def test_finance_is_asked_per_span_and_grouping_not_per_subscription(session):
    finance = FakeFinance()
    subscribe(crm(session), session)
    subscribe(crm(session, HQ), session, period="weekly")
    subscribe(crm(session, HQ), session, store_id=None, period="weekly")
    assert crm(session, SYSTEM, finance=finance).send_reports(TICK) == 3
    assert sorted(call for call in finance.calls if call[0] == "kpis") == sorted([
        ("kpis", "2026-12-06", "2026-12-06", "store"), ("kpis", "2026-12-05", "2026-12-05", "store"),
        ("kpis", "2026-11-30", "2026-12-06", "store"), ("kpis", "2026-11-23", "2026-11-29", "store"),
        ("kpis", "2026-11-30", "2026-12-06", "chain"), ("kpis", "2026-11-23", "2026-11-29", "chain")])
    assert len([call for call in finance.calls if call[0] == "targets"]) == 2


def test_a_period_that_ended_before_subscribing_is_not_sent(session):
    crm(session).subscribe_report({"store_id": "s1", "period": "daily", "mobile": "13800138000",
                                   "scope_name": "天河店"})  # made now: its first period has not ended
    assert crm(session, SYSTEM).send_reports(datetime.now(timezone.utc)) == 0


def test_who_may_subscribe_to_what(session):
    advisor = Caller(user_id="a1", role="service_advisor", store_ids=frozenset({"s1"}))
    body = {"store_id": "s1", "period": "daily", "mobile": "13800138000", "scope_name": "天河店"}
    with pytest.raises(Forbidden):
        crm(session, advisor).subscribe_report(body)
    with pytest.raises(Forbidden):
        crm(session).subscribe_report({**body, "store_id": "s2"})
    with pytest.raises(Forbidden):
        crm(session).subscribe_report({**body, "store_id": None})  # the chain is HQ's
    crm(session).subscribe_report(body)
    with pytest.raises(Conflict):
        crm(session).subscribe_report(body)
    made = crm(session).own_report_subscriptions()["items"][0]
    with pytest.raises(NotFound):
        crm(session, HQ).unsubscribe_report(made["id"])  # another's
    crm(session).unsubscribe_report(made["id"])
    assert crm(session).own_report_subscriptions()["items"] == []


def test_a_new_mobile_is_where_it_goes_and_a_store_left_ends_it(session):
    providers = FakeProviders()
    subscribe(crm(session), session)
    changed = {"mobile": "13900139000", "active": True, "role": "store_manager", "store_ids": ["s1"]}
    assert crm(session).report_recipient_changed("m1", changed) == {"ended": 0}
    timer = crm(session, SYSTEM, providers)
    timer.send_reports(TICK)
    timer.send_messages()
    assert [item.mobile for item in providers.sent] == ["13900139000"]
    assert crm(session, HQ).report_recipient_changed("m1", {**changed, "store_ids": ["s2"]}) == {"ended": 1}
    assert session.query(Message).one().status == "sent"
