"""crm's customer channel with a real SQLite session: the car owner answers their own follow-up (the
record staff complete; 2 or less opens a complaint the store lists), files a complaint, reads their
reminders and switches their consent; another customer's follow-up is unknown to them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common.context import Caller
from services.common.errors import Conflict, NotFound
from services.crm.models import Base, WeChatOpenid
from tests.service.test_crm_care_service import ADVISOR, crm, customer_with_vehicle, delivered, order_confirmed
from tests.support.service import sqlite_session


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "crm", ADVISOR.to_context())
    yield session
    session.close()


def owner(customer: dict) -> Caller:
    return Caller(user_id=customer["id"], role="customer", request_id="r-c")


def test_a_rating_of_two_completes_the_follow_up_and_opens_a_complaint_the_store_lists(session):
    staff = crm(session)
    customer, vehicle = customer_with_vehicle(staff)
    stranger, _ = customer_with_vehicle(staff)
    staff.on_order_confirmed(order_confirmed(customer, vehicle, "o1"))
    staff.on_vehicle_delivered(delivered(customer, vehicle, "o1", 10_500, datetime.now(timezone.utc)))
    me = crm(session, owner(customer))
    [follow_up] = me.customer_follow_ups({})["items"]
    with pytest.raises(NotFound):
        crm(session, owner(stranger)).customer_rate(follow_up["id"], {"satisfaction": 5})
    rated = me.customer_rate(follow_up["id"], {"satisfaction": 2, "comment": "等车太久"})
    assert (rated["status"], rated["satisfaction"]) == ("completed", 2) and rated["complaint_id"]
    with pytest.raises(Conflict):
        me.customer_rate(follow_up["id"], {"satisfaction": 5})
    staff_view = staff.get_follow_up(follow_up["id"])
    assert (staff_view["satisfaction"], staff_view["completed_by"]) == (2, customer["id"])
    listed = staff.list_complaints({"store_id": "s1"})["items"]
    assert [(c["id"], c["channel"]) for c in listed] == [(rated["complaint_id"], "follow_up")]
    assert [r["service_type"] for r in me.customer_reminders()["items"]] == ["OIL-CHG"]
    assert crm(session, owner(stranger)).customer_reminders()["items"] == []


def test_a_complaint_of_ones_own_and_consent_switched_by_the_customer(session):
    staff = crm(session)
    customer, vehicle = customer_with_vehicle(staff)
    stranger, strangers_car = customer_with_vehicle(staff)
    me = crm(session, owner(customer))
    filed = me.customer_complain({"store_id": "s1", "vehicle_id": vehicle["id"], "description": "电话打不通"})
    assert (filed["channel"], filed["status"]) == ("online", "open")
    with pytest.raises(NotFound):
        me.customer_complain({"store_id": "s1", "vehicle_id": strangers_car["id"], "description": "x"})
    assert [c["id"] for c in staff.list_complaints({"store_id": "s1"})["items"]] == [filed["id"]]
    assert me.customer_profile()["marketing_consent"] is False
    assert me.customer_set_consent({"marketing_consent": True})["marketing_consent"] is True
    assert staff.get_customer(customer["id"])["marketing_consent"] is True
    assert staff.get_customer(stranger["id"])["marketing_consent"] is False


def test_the_owners_openid_is_kept_per_official_account_replaced_and_gone_with_erasure(session):
    staff = crm(session)
    customer, _ = customer_with_vehicle(staff)
    stranger, _ = customer_with_vehicle(staff)
    me = crm(session, owner(customer))
    assert me.customer_wechat_openid("wxpay") == {"appid": "wxpay", "openid": None}
    me.customer_remember_wechat_openid({"appid": "wxpay", "openid": "oOld"})
    me.customer_remember_wechat_openid({"appid": "wxpay", "openid": "oNew"})  # asked again: the latest
    me.customer_remember_wechat_openid({"appid": "wxother", "openid": "oThere"})
    assert me.customer_wechat_openid("wxpay")["openid"] == "oNew"
    assert me.customer_wechat_openid("wxother")["openid"] == "oThere"
    assert crm(session, owner(stranger)).customer_wechat_openid("wxpay")["openid"] is None  # one's own alone
    staff.erase_customer(customer["id"])
    session.commit()
    assert session.query(WeChatOpenid).count() == 0
