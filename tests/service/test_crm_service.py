"""crm's entrypoints with nameko's worker_factory and a real SQLite session (no broker)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError
from nameko.testing.services import worker_factory
from sqlalchemy import func, select

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import OUTBOX, PROCESSED_EVENTS
from services.crm.models import Base, HistoryEntry
from services.contracts.rpc.crm.customers import SOURCES
from services.crm.service import CrmService
from tests.support import data
from tests.support.service import sqlite_session

ADVISOR = Caller(user_id="u1", role="service_advisor", store_ids=frozenset({"s1"}), request_id="r-1")


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "crm", ADVISOR.to_context())
    yield session
    session.close()


def crm(session, caller=ADVISOR):
    return worker_factory(CrmService, db=session, caller=caller)


def outbox_rows(session):
    return session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope, OUTBOX.c.sent_at)).all()


def test_registration_writes_the_customer_and_its_event_in_one_transaction(session):
    customer = crm(session).register_customer({"name": "张三", "mobile": "+86 138 0000 1111", "home_store_id": "s1"})
    assert customer["mobile"] == "13800001111"
    [(fact, envelope, sent_at)] = outbox_rows(session)
    assert fact == "customer_registered" and sent_at is None  # the relay marks it sent, not the writer
    assert envelope["type"] == "crm.customer_registered" and envelope["store_id"] == "s1"
    assert envelope["request_id"] == "r-1" and envelope["payload"]["customer_id"] == customer["id"]
    assert session.info["relay"].published == [envelope["event_id"]]


def test_a_refused_registration_leaves_no_event(session):
    service = crm(session)
    service.register_customer({"name": "张三", "mobile": "13800001111"})
    with pytest.raises(Conflict):
        service.register_customer({"name": "李四", "mobile": "13800001111"})
    with pytest.raises(Invalid) as invalid:
        service.register_customer({"name": "", "mobile": "123"})
    assert set(invalid.value.fields) == {"name", "mobile"}
    assert len(outbox_rows(session)) == 1


def test_staff_register_customers_only_for_their_own_stores(session):
    with pytest.raises(Forbidden):
        crm(session).register_customer({"name": "王五", "mobile": data.mobile(), "home_store_id": "other"})


def test_technicians_get_masked_phones(session):
    created = crm(session).register_customer({"name": "张三", "mobile": "13812345678"})
    technician = Caller(user_id="t", role="technician", store_ids=frozenset({"s1"}))
    seen = crm(session, technician).get_customer(created["id"])
    assert seen["mobile"] == "138****5678" and seen["mobile_masked"] is True


def test_plate_and_vin_are_unique_in_the_chain(session):
    service = crm(session)
    first = service.register_customer({"name": "甲", "mobile": data.mobile()})
    second = service.register_customer({"name": "乙", "mobile": data.mobile()})
    vin, plate = data.vin(), data.plate()
    service.add_vehicle(first["id"], {"plate": plate, "vin": vin})
    with pytest.raises(Conflict) as same_plate:
        service.add_vehicle(second["id"], {"plate": plate})
    with pytest.raises(Conflict) as same_vin:
        service.add_vehicle(second["id"], {"plate": data.plate(), "vin": vin})
    assert "plate" in same_plate.value.fields and "vin" in same_vin.value.fields
    with pytest.raises(NotFound):
        service.add_vehicle("nobody", {"plate": data.plate()})


def test_patch_changes_only_what_was_sent(session):
    service = crm(session)
    customer = service.register_customer({"name": "甲", "mobile": data.mobile(), "tags": ["vip"],
                                          "marketing_consent": True})
    patched = service.update_customer(customer["id"], {"name": "甲乙"})
    assert patched["name"] == "甲乙" and patched["tags"] == ["vip"] and patched["marketing_consent"] is True


def visit_event(customer_id, vehicle_id, mileage, event_id=None):
    return {"event_id": event_id or str(uuid.uuid4()), "type": "sales.visit_checked_in", "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": "s1", "request_id": None,
            "payload": {"visit_id": "v1", "customer_id": customer_id, "vehicle_id": vehicle_id, "store_id": "s1",
                        "mileage_km": mileage, "needs": ["保养"],
                        "checked_in_at": datetime.now(timezone.utc).isoformat()}}


def test_a_redelivered_event_is_applied_once(session):
    service = crm(session)
    customer = service.register_customer({"name": "甲", "mobile": data.mobile()})
    vehicle = service.add_vehicle(customer["id"], {"plate": data.plate(), "mileage_km": 100})
    event = visit_event(customer["id"], vehicle["id"], 5000)
    service.on_visit_checked_in(event)
    service.on_visit_checked_in(event)
    assert session.scalar(select(func.count()).select_from(HistoryEntry)) == 1
    assert session.scalar(select(func.count()).select_from(PROCESSED_EVENTS)) == 1
    assert service.get_vehicle(vehicle["id"])["mileage_km"] == 5000


def test_mileage_never_goes_backwards_from_events(session):
    service = crm(session)
    customer = service.register_customer({"name": "甲", "mobile": data.mobile()})
    vehicle = service.add_vehicle(customer["id"], {"plate": data.plate(), "mileage_km": 9000})
    service.on_visit_checked_in(visit_event(customer["id"], vehicle["id"], 8000))
    assert service.get_vehicle(vehicle["id"])["mileage_km"] == 9000


def test_a_failing_handler_records_nothing(session):
    service = crm(session)
    with pytest.raises(ValidationError):
        service.on_visit_checked_in(visit_event("no-such-customer", None, 1)
                                    | {"payload": {"customer_id": "x"}})  # malformed: no checked_in_at
    assert session.scalar(select(func.count()).select_from(PROCESSED_EVENTS)) == 0


def test_customers_are_found_by_any_part_of_a_plate_a_mobile_number_or_a_name(session):
    service = crm(session)
    wang = service.register_customer({"name": "欧阳小明", "mobile": "13812345678"})
    li = service.register_customer({"name": "李明华", "mobile": "13998760000"})
    service.add_vehicle(wang["id"], {"plate": "粤B3K7Q9"})
    service.add_vehicle(li["id"], {"plate": "京A12345"})

    def found(q: str) -> list[str]:
        return [c["name"] for c in service.list_customers({"q": q})["items"]]

    assert found("3K7") == found("b3k") == found("粤B·3K") == found("2345 678") == found("阳小明") == ["欧阳小明"]
    assert found("A123") == found("9876") == found("李明华") == ["李明华"]
    assert found("明华") == [] and found("欧阳") == ["欧阳小明"]  # shorter than 3: the start of a name only
    assert found("0000") == ["李明华"] and found("%%%") == found("___") == []
    more = [service.register_customer({"name": f"客户{i}", "mobile": f"1370777{i}{i}{i}{i}"})["id"] for i in range(3)]
    first = service.list_customers({"q": "0777", "limit": 2})
    second = service.list_customers({"q": "0777", "limit": 2, "cursor": first["next_cursor"]})
    assert [c["id"] for c in first["items"] + second["items"]] == more[::-1] and second["next_cursor"] is None


def test_search_by_name_prefix_phone_plate_and_tag_with_cursor(session):
    service = crm(session)
    ids = [service.register_customer({"name": f"欧阳{i}", "mobile": data.mobile(), "tags": ["t"]})["id"]
           for i in range(3)]
    plate = data.plate()
    service.add_vehicle(ids[0], {"plate": plate})
    first = service.list_customers({"q": "欧阳", "limit": 2})
    second = service.list_customers({"q": "欧阳", "limit": 2, "cursor": first["next_cursor"]})
    assert [c["id"] for c in first["items"] + second["items"]] == ids[::-1] and second["next_cursor"] is None
    assert [c["id"] for c in service.list_customers({"plate": plate})["items"]] == [ids[0]]
    assert len(service.list_customers({"tag": "t"})["items"]) == 3
    assert service.list_customers({"q": "100%_"})["items"] == []


def test_a_screen_names_the_customers_of_its_rows_in_one_read(session):
    """`ids`: the customers named, whatever else there is (the reception's appointments of a day)."""
    service = crm(session)
    ids = [service.register_customer({"name": f"预约{i}", "mobile": data.mobile()})["id"] for i in range(3)]
    found = service.list_customers({"ids": f"{ids[2]},{ids[0]},no-such-customer", "limit": 100})["items"]
    assert sorted(c["id"] for c in found) == sorted([ids[0], ids[2]])
    with pytest.raises(Invalid):
        service.list_customers({"ids": "a b"})


def test_new_customers_are_counted_by_source_over_local_days_at_the_callers_stores(session):
    """Registered today at s1 by source (unrecorded last), another store's and a merged one left out; a day
    before is not in; only managers read it, and only their stores."""
    manager = Caller(user_id="m1", role="store_manager", store_ids=frozenset({"s1"}))
    hq = Caller(user_id="hq", role="hq_admin")
    ids = {}
    for name, mobile, store, source in (("甲", "13800002001", "s1", "walk_in"), ("乙", "13800002002", "s1", "referral"),
                                        ("丙", "13800002003", "s1", "referral"), ("丁", "13800002004", "s1", None),
                                        ("戊", "13800002005", "s2", "online")):
        ids[name] = crm(session, hq).register_customer({"name": name, "mobile": mobile, "home_store_id": store,
                                                        "source": source})["id"]
    today = datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).date()
    asked = {"from": today.isoformat(), "to": today.isoformat()}
    items = crm(session, manager).new_customers_by_source(asked)["items"]
    assert [row["source"] for row in items] == [*SOURCES, None]
    counts = {row["source"]: sorted(row["customer_ids"]) for row in items if row["customer_ids"]}
    assert counts == {"walk_in": [ids["甲"]], "referral": sorted([ids["乙"], ids["丙"]]), None: [ids["丁"]]}
    chain = crm(session, hq).new_customers_by_source(asked)["items"]
    assert [row["customer_ids"] for row in chain if row["source"] == "online"] == [[ids["戊"]]]
    yesterday = (today - timedelta(days=1)).isoformat()
    assert not any(row["customer_ids"] for row in crm(session, manager).new_customers_by_source(
        {"from": yesterday, "to": yesterday})["items"])
    with pytest.raises(Forbidden):
        crm(session).new_customers_by_source(asked)
    with pytest.raises(Forbidden):
        crm(session, manager).new_customers_by_source({**asked, "store_id": "s2"})
    with pytest.raises(Invalid):
        crm(session, manager).new_customers_by_source({"from": today.isoformat(), "to": yesterday})
