"""workshop's entrypoints with nameko's worker_factory and a real SQLite session (no broker):
work orders from sales' events, dispatch, the clock, QC, completion and delivery."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import event, func, select

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.outbox import OUTBOX
from services.contracts.workshop import VehicleDelivered, WorkOrderCompleted
from services.workshop.models import Base, TimeEntry, WorkOrder
from services.workshop.service import WorkshopService

STORE = "s1"
MANAGER = Caller(user_id="u-manager", role="store_manager", store_ids=frozenset({STORE}), request_id="r-1")
ADVISOR = Caller(user_id="u-advisor", role="service_advisor", store_ids=frozenset({STORE}))
OUTSIDER = Caller(user_id="u-other", role="service_advisor", store_ids=frozenset({"s2"}))
SYSTEM = Caller()
ALWAYS = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]


@pytest.fixture
def session():
    session = sqlite_session()
    yield session
    session.close()


def sqlite_session():
    from tests.support.service import sqlite_session as make
    return make(Base.metadata, "workshop", MANAGER.to_context())


class FakeFinance:
    """finance.get_order_balance: settled unless told otherwise."""

    def __init__(self, balance=None):
        self.balance = balance or {"invoice_id": "inv-1", "total_fen": 20000, "due_fen": 0}
        self.calls = []

    def get_order_balance(self, order_id):
        self.calls.append(order_id)
        return self.balance


def workshop(session, caller=MANAGER, finance=None):
    return worker_factory(WorkshopService, db=session, caller=caller, finance=finance or FakeFinance())


def as_tech(user_id):
    return Caller(user_id=user_id, role="technician", store_ids=frozenset({STORE}))


def envelope(fact_type: str, payload: dict, event_id: str | None = None) -> dict:
    return {"event_id": event_id or str(uuid.uuid4()), "type": fact_type, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": payload.get("store_id"),
            "request_id": None, "payload": payload}


def labour(op_code, skill, hours="1.5", description="保养", category="repair"):
    return {"line_id": str(uuid.uuid4()), "kind": "labour", "description": description, "op_code": op_code,
            "op_category": category, "skill": skill, "hours": hours, "sku": None, "qty": 1, "unit_price_fen": 20000,
            "discount_fen": 0,
            "tax_rate": "0.06", "tax_fen": 1132, "total_fen": 20000}


def part(sku, qty="4"):
    return {"line_id": str(uuid.uuid4()), "kind": "part", "description": f"part {sku}", "op_code": None,
            "skill": None, "hours": None, "sku": sku, "qty": qty, "unit_price_fen": 5000, "discount_fen": 0,
            "tax_rate": "0.13", "tax_fen": 575, "total_fen": 5000}


def order_confirmed(lines=None, vehicle_id="v1", order_id=None, store_id=STORE):
    order_id = order_id or str(uuid.uuid4())
    return {"order_id": order_id, "order_number": f"SO-{order_id[:6]}", "store_id": store_id, "visit_id": "visit-1",
            "quote_id": "q1", "customer_id": "c1", "vehicle_id": vehicle_id, "advisor_id": "u-advisor",
            "promised_at": (datetime.now(timezone.utc) + timedelta(hours=4)).isoformat(),
            "lines": lines if lines is not None else [labour("OIL", "maintenance"), labour("BRK", "brakes", "2"),
                                                      part("OIL-5W30"), part("FLT-1", "1")],
            "totals": {"subtotal_fen": 1, "discount_fen": 0, "tax_fen": 0, "total_fen": 1, "currency": "CNY"},
            "deposit": None, "confirmed_at": datetime.now(timezone.utc).isoformat()}


def open_work_order(service, **kwargs) -> dict:
    payload = order_confirmed(**kwargs)
    service.on_order_confirmed(envelope("sales.order_confirmed", payload))
    return service.list_work_orders({"order_id": payload["order_id"]})["items"][0]


def technician(service, name, skills, user_id=None, **extra):
    return service.create_technician({"store_id": STORE, "name": name, "level": "senior", "hourly_cost_fen": 6000,
                                      "skills": skills, "shifts": ALWAYS, "user_id": user_id, **extra})


def dispatch_all(service, wo, shares_by_job):
    return service.dispatch(wo["id"], {"jobs": [{"job_id": job["id"], "technicians": shares_by_job[i]}
                                                for i, job in enumerate(wo["jobs"])]})


@pytest.fixture
def crew(session):
    service = workshop(session)
    return {"li": technician(service, "李师傅", ["maintenance", "brakes"], user_id="u-li"),
            "wang": technician(service, "王师傅", ["maintenance"], user_id="u-wang"),
            "zhao": technician(service, "赵师傅", ["brakes"], user_id="u-zhao")}


def test_confirmed_order_opens_one_work_order_with_a_job_per_labour_line_and_the_parts(session):
    service = workshop(session, SYSTEM)
    payload = order_confirmed()
    event = envelope("sales.order_confirmed", payload)
    service.on_order_confirmed(event)
    service.on_order_confirmed(event)  # redelivered
    service.on_order_confirmed(envelope("sales.order_confirmed", payload))  # republished with a new id
    assert session.scalar(select(func.count()).select_from(WorkOrder)) == 1
    wo = service.list_work_orders({})["items"][0]
    assert wo["status"] == "open" and wo["order_id"] == payload["order_id"] and not wo["waiting_parts"]
    assert [(j["op_code"], j["skill"], j["billed_hours"]) for j in wo["jobs"]] == [
        ("OIL", "maintenance", 1.5), ("BRK", "brakes", 2)]
    assert [(p["sku"], p["qty"]) for p in wo["parts"]] == [("OIL-5W30", 4), ("FLT-1", 1)]
    assert wo["history"][0]["to_status"] == "open"


def test_cancelled_order_cancels_its_work_order_even_if_the_cancellation_arrives_first(session):
    service = workshop(session, SYSTEM)
    wo = open_work_order(service)
    service.on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": wo["order_id"], "store_id": STORE, "reason": "客户取消", "cancelled_at": "2026-11-26T10:00:00Z"}))
    cancelled = service.get_work_order(wo["id"])
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "客户取消"

    early = order_confirmed()
    service.on_order_cancelled(envelope("sales.order_cancelled", {
        "order_id": early["order_id"], "store_id": STORE, "reason": "改期", "cancelled_at": "2026-11-26T10:00:00Z"}))
    service.on_order_confirmed(envelope("sales.order_confirmed", early))
    assert service.list_work_orders({"order_id": early["order_id"]})["items"][0]["status"] == "cancelled"


def test_stock_shortage_sets_and_reservation_clears_waiting_parts(session):
    service = workshop(session, SYSTEM)
    wo = open_work_order(service)
    line = {"sku": "OIL-5W30", "qty_requested": 4, "qty_reserved": 1, "qty_short": 3}
    service.on_stock_shortage(envelope("inventory.stock_shortage", {"order_id": wo["order_id"], "store_id": STORE,
                                                                    "lines": [line]}))
    short = service.get_work_order(wo["id"])
    assert short["waiting_parts"] is True and short["parts"][0]["qty_short"] == 3
    service.on_stock_reserved(envelope("inventory.stock_reserved", {"order_id": wo["order_id"], "store_id": STORE,
                                                                    "lines": [{**line, "qty_reserved": 4,
                                                                               "qty_short": 0}]}))
    assert service.get_work_order(wo["id"])["waiting_parts"] is False


def test_shortage_reported_before_the_work_order_opens_is_applied_when_it_opens(session):
    service = workshop(session, SYSTEM)
    payload = order_confirmed()
    service.on_stock_shortage(envelope("inventory.stock_shortage", {
        "order_id": payload["order_id"], "store_id": STORE,
        "lines": [{"sku": "FLT-1", "qty_requested": 1, "qty_reserved": 0, "qty_short": 1}]}))
    service.on_order_confirmed(envelope("sales.order_confirmed", payload))
    assert service.list_work_orders({"order_id": payload["order_id"]})["items"][0]["waiting_parts"] is True


def test_dispatch_with_split_moves_to_dispatched_and_refuses_bad_splits_and_missing_skills(session, crew):
    service = workshop(session)
    wo = open_work_order(service)
    oil, brakes = wo["jobs"]
    with pytest.raises(Invalid) as bad_sum:
        service.dispatch(wo["id"], {"jobs": [{"job_id": oil["id"], "technicians": [
            {"technician_id": crew["li"]["id"], "split_pct": 60},
            {"technician_id": crew["wang"]["id"], "split_pct": 30}]}]})
    assert "split_pct" in bad_sum.value.fields
    with pytest.raises(Invalid) as no_skill:
        service.dispatch(wo["id"], {"jobs": [{"job_id": brakes["id"], "technicians": [
            {"technician_id": crew["wang"]["id"], "split_pct": 100}]}]})
    assert "brakes" in no_skill.value.fields["technicians"][0]

    partly = service.dispatch(wo["id"], {"jobs": [{"job_id": oil["id"], "technicians": [
        {"technician_id": crew["li"]["id"], "split_pct": "66.667"},
        {"technician_id": crew["wang"]["id"], "split_pct": "33.333"}]}]})
    assert partly["status"] == "open"  # one job still has nobody
    done = service.dispatch(wo["id"], {"jobs": [{"job_id": brakes["id"], "technicians": [
        {"technician_id": crew["zhao"]["id"], "split_pct": 100}]}]})
    assert done["status"] == "dispatched"
    assert [(t["name"], t["split_pct"]) for t in done["jobs"][0]["technicians"]] in (
        [("李师傅", 66.667), ("王师傅", 33.333)], [("王师傅", 33.333), ("李师傅", 66.667)])
    with pytest.raises(Conflict):
        service.dispatch(wo["id"], {"jobs": [], "expected_version": done["version"] - 1})


def test_suggestion_lists_on_shift_technicians_with_the_skill_least_loaded_first(session, crew):
    service = workshop(session)
    technician(service, "夜班钱", ["brakes"], shifts=[{"weekday": d, "start": "22:00", "end": "23:00"}
                                                    for d in range(7)])
    busy_wo = open_work_order(service, lines=[labour("X1", "brakes", "6")])
    service.dispatch(busy_wo["id"], {"jobs": [{"job_id": busy_wo["jobs"][0]["id"], "technicians": [
        {"technician_id": crew["li"]["id"], "split_pct": 100}]}]})
    wo = open_work_order(service)
    noon_shanghai = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)
    suggested = service.suggest_technicians(wo["id"], wo["jobs"][1]["id"], {"at": noon_shanghai.isoformat()})
    assert suggested["skill"] == "brakes"
    assert [s["name"] for s in suggested["items"]] == ["赵师傅", "李师傅"]  # 钱 is off shift; 李 carries 6 h
    assert suggested["items"][1]["load_hours"] == 6
    late = datetime(2026, 11, 26, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
    assert "夜班钱" in [s["name"] for s in service.suggest_technicians(
        wo["id"], wo["jobs"][1]["id"], {"at": late.isoformat()})["items"]]


def started(service, crew):
    wo = open_work_order(service)
    dispatch_all(service, wo, [[{"technician_id": crew["li"]["id"], "split_pct": 70},
                                {"technician_id": crew["wang"]["id"], "split_pct": 30}],
                               [{"technician_id": crew["zhao"]["id"], "split_pct": 100}]])
    return service.get_work_order(wo["id"])


def test_clock_in_starts_the_work_order_and_a_technician_cannot_be_in_two_jobs(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    li = workshop(session, as_tech("u-li"))
    entry = li.clock_in(wo["id"], wo["jobs"][0]["id"], {})
    assert entry["technician_id"] == crew["li"]["id"] and entry["ended_at"] is None
    seen = service.get_work_order(wo["id"])
    assert seen["status"] == "in_progress" and seen["jobs"][0]["status"] == "working"
    assert seen["jobs"][0]["clocked_in"][0]["name"] == "李师傅"
    with pytest.raises(Conflict):
        li.clock_in(wo["id"], wo["jobs"][0]["id"], {})
    other = started(service, crew)
    with pytest.raises(Conflict):
        li.clock_in(other["id"], other["jobs"][0]["id"], {})
    with pytest.raises(Forbidden):  # technicians clock only themselves
        li.clock_in(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["wang"]["id"]})
    with pytest.raises(Conflict):  # 赵 is not on the oil job
        service.clock_in(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["zhao"]["id"]})
    out = li.clock_out(wo["id"], wo["jobs"][0]["id"], {"note": "done"})
    assert out["ended_at"] is not None and out["hours"] >= 0
    li.clock_in(other["id"], other["jobs"][0]["id"], {})  # free again


def test_a_work_order_is_read_in_seven_statements_whoever_works_on_it(session, crew):
    """The order, its jobs, parts, history and assignments (their technicians joined, by name), the clock and the QC
    rounds: not the technicians' skills, shifts, certifications, trainings and days off."""
    service = workshop(session)
    wo = started(service, crew)
    workshop(session, as_tech("u-li")).clock_in(wo["id"], wo["jobs"][0]["id"], {})
    session.commit()
    session.expire_all()
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    seen = service.get_work_order(wo["id"])
    assert {t["name"] for job in seen["jobs"] for t in job["technicians"]} == {"李师傅", "王师傅", "赵师傅"}
    assert seen["jobs"][0]["clocked_in"][0]["name"] == "李师傅"
    assert len(statements) == 7, statements


def test_the_clock_reads_the_technician_s_row_not_their_skills_shifts_or_papers(session, crew):
    """Clocking in and out names the technician: their own row, not the five collections a technician's record
    holds (the demo history clocks every job of months of cars)."""
    service = workshop(session)
    wo = started(service, crew)
    session.commit()
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))
    for clock in ("clock_in", "clock_out"):
        session.expire_all()
        statements.clear()
        getattr(service, clock)(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
        assert any("FROM technicians" in s for s in statements), statements
        assert not [s for s in statements if "FROM technician_" in s], statements


def test_transitions_outside_the_state_machine_are_conflicts_naming_the_state(session, crew):
    service = workshop(session)
    wo = open_work_order(service)
    for attempt in (lambda: service.complete(wo["id"], {}),
                    lambda: service.deliver(wo["id"], {"mileage_out_km": 1, "accepted_by": "x", "satisfied": True}),
                    lambda: service.request_qc(wo["id"], {}),
                    lambda: service.record_qc(wo["id"], {"passed": True})):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert "open" in refused.value.message and refused.value.fields["status"] == ["open"]


def test_qc_by_the_jobs_technician_is_refused_fail_sends_back_with_reasons_then_pass_complete_deliver(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    li, zhao = workshop(session, as_tech("u-li")), workshop(session, as_tech("u-zhao"))
    li.clock_in(wo["id"], wo["jobs"][0]["id"], {})
    with pytest.raises(Conflict):  # still clocked in
        service.request_qc(wo["id"], {})
    li.clock_out(wo["id"], wo["jobs"][0]["id"], {})
    assert service.request_qc(wo["id"], {})["status"] == "qc"
    with pytest.raises(Forbidden):
        zhao.record_qc(wo["id"], {"passed": True})
    failed = service.record_qc(wo["id"], {"passed": False, "checklist": [{"item": "刹车异响", "passed": False}],
                                          "reasons": ["左前刹车异响"]})
    assert failed["status"] == "in_progress" and failed["rework_count"] == 1
    assert failed["qc_result"]["reasons"] == ["左前刹车异响"] and "左前刹车异响" in failed["history"][-1]["reason"]
    with pytest.raises(Conflict):
        service.complete(wo["id"], {})
    service.request_qc(wo["id"], {})
    outsider_tech = workshop(session, as_tech("u-qc"))
    technician(service, "质检孙", ["maintenance"], user_id="u-qc")
    passed = outsider_tech.record_qc(wo["id"], {"passed": True, "checklist": [{"item": "刹车异响", "passed": True}]})
    assert passed["qc_passed"] and passed["status"] == "qc"

    done = service.complete(wo["id"], {"labour": [{"job_id": wo["jobs"][1]["id"], "technician_id": crew["zhao"]["id"],
                                                   "hours": "1.75"}],
                                       "parts_used": [{"sku": "OIL-5W30", "qty": "3.5"}, {"sku": "WIPER", "qty": 1}]})
    assert done["status"] == "completed"
    everything = session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope).order_by(OUTBOX.c.created_at)).all()
    moves = [event["payload"]["to_status"] for fact, event in everything if fact == "work_order_status_changed"]
    assert moves == ["open", "dispatched", "in_progress", "qc", "in_progress", "qc", "completed"]  # the board's moves
    published = [(fact, event) for fact, event in everything if fact != "work_order_status_changed"]
    assert [fact for fact, _event in published] == ["work_started", "work_order_completed"]  # started once only
    assert published[0][1]["payload"]["order_id"] == wo["order_id"]
    event = published[1][1]
    assert event["store_id"] == STORE
    payload = WorkOrderCompleted().load(event["payload"])
    assert payload["order_id"] == wo["order_id"] and payload["comeback"] is False
    zhao_line = payload["jobs"][1]["technicians"][0]
    assert zhao_line["hours"] == Decimal("1.75") and zhao_line["split_pct"] == 100 and zhao_line["user_id"] == "u-zhao"
    assert {t["technician_id"]: t["split_pct"] for t in payload["jobs"][0]["technicians"]} == {
        crew["li"]["id"]: 70, crew["wang"]["id"]: 30}
    assert [(p["sku"], p["qty"]) for p in payload["parts_used"]] == [("OIL-5W30", Decimal("3.5")), ("WIPER", 1)]

    delivered = service.deliver(wo["id"], {"mileage_out_km": 45210, "accepted_by": "张伟", "satisfied": True})
    assert delivered["status"] == "delivered" and delivered["mileage_out_km"] == 45210
    event = session.execute(select(OUTBOX.c.envelope).where(OUTBOX.c.type == "vehicle_delivered")).scalar_one()
    assert VehicleDelivered().load(event["payload"])["mileage_out_km"] == 45210
    with pytest.raises(Conflict):
        service.deliver(wo["id"], {"mileage_out_km": 1, "accepted_by": "x", "satisfied": True})


def test_a_car_with_an_open_balance_leaves_only_on_a_managers_override_with_a_reason_which_is_audited(
        session, crew):
    service = workshop(session)
    wo = started(service, crew)
    li = workshop(session, as_tech("u-li"))
    li.clock_in(wo["id"], wo["jobs"][0]["id"], {})
    li.clock_out(wo["id"], wo["jobs"][0]["id"], {})
    service.request_qc(wo["id"], {})
    service.record_qc(wo["id"], {"passed": True})
    service.complete(wo["id"], {})
    handover = {"mileage_out_km": 45210, "accepted_by": "张伟", "satisfied": True}
    owing = FakeFinance({"invoice_id": "inv-1", "total_fen": 20000, "due_fen": 5000})
    not_issued = FakeFinance({"invoice_id": None, "total_fen": None, "due_fen": None})
    for finance in (owing, not_issued):
        for caller in (ADVISOR, MANAGER):
            with pytest.raises(Conflict) as refused:
                workshop(session, caller, finance).deliver(wo["id"], handover)
            assert refused.value.code == "delivery_balance_open" and "override_reason" in refused.value.message
    assert owing.calls[0] == wo["order_id"]
    with pytest.raises(Forbidden) as advisor:
        workshop(session, ADVISOR, owing).deliver(wo["id"], {**handover, "override_reason": "老客户月结"})
    assert advisor.value.code == "delivery_override_needs_manager"
    assert service.get_work_order(wo["id"])["status"] == "completed"

    delivered = workshop(session, MANAGER, owing).deliver(wo["id"], {**handover, "override_reason": "老客户月结"})
    assert delivered["status"] == "delivered"
    [entry] = service.list_audit({"document_type": "work_order", "document_id": wo["id"]})["items"]
    assert entry["action"] == "delivered_with_open_balance" and entry["user_id"] == MANAGER.user_id
    assert entry["details"] == {"order_id": wo["order_id"], "invoice_id": "inv-1", "due_fen": 5000,
                                "reason": "老客户月结"}


def test_same_vehicle_and_repair_within_30_days_is_a_comeback(session, crew):
    service = workshop(session)
    first = open_work_order(service, vehicle_id="car-7", lines=[labour("BRK", "brakes"), labour("OIL", "maintenance")])
    row = session.get(WorkOrder, first["id"])
    row.status, row.completed_at = "delivered", datetime.now(timezone.utc) - timedelta(days=10)
    session.commit()
    again = open_work_order(service, vehicle_id="car-7", lines=[
        labour("BRK", "brakes"), labour("OIL", "maintenance", category="maintenance")])
    assert again["comeback"] is True and again["comeback_of_id"] == first["id"]
    assert [j["comeback"] for j in again["jobs"]] == [True, False]
    other_op = open_work_order(service, vehicle_id="car-7", lines=[labour("TYR", "tyres")])
    assert other_op["comeback"] is False
    row.completed_at = datetime.now(timezone.utc) - timedelta(days=31)
    session.commit()
    assert open_work_order(service, vehicle_id="car-7", lines=[labour("BRK", "brakes")])["comeback"] is False


def test_a_routine_service_done_again_is_not_a_comeback(session, crew):
    """A second oil change ten days after the first (the customer asked for it) is maintenance, not
    rework; so is anything the order does not say is a repair."""
    service = workshop(session)
    first = open_work_order(service, vehicle_id="car-8", lines=[
        labour("OIL-CHG", "maintenance", category="maintenance"), labour("INSP", "general", category="inspection"),
        labour("ALIGN", "alignment", category=None)])
    row = session.get(WorkOrder, first["id"])
    row.status, row.completed_at = "delivered", datetime.now(timezone.utc) - timedelta(days=10)
    session.commit()
    again = open_work_order(service, vehicle_id="car-8", lines=[
        labour("OIL-CHG", "maintenance", category="maintenance"), labour("INSP", "general", category="inspection"),
        labour("ALIGN", "alignment", category=None)])
    assert again["comeback"] is False and again["comeback_of_id"] is None
    assert [j["comeback"] for j in again["jobs"]] == [False, False, False]


def test_inspection_records_findings_with_conditions_notes_and_photos(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    inspection = workshop(session, as_tech("u-li")).record_inspection(wo["id"], {"mileage_km": 45000, "findings": [
        {"area": "brakes", "item": "前刹车片", "condition": "red", "notes": "剩余2mm", "photo_refs": ["p/1.jpg"]},
        {"area": "tyres", "item": "左前轮胎", "condition": "yellow"},
        {"area": "lights", "item": "大灯", "condition": "green"}]})
    assert inspection["summary"] == {"green": 1, "yellow": 1, "red": 1}
    assert inspection["technician_id"] == crew["li"]["id"] and inspection["findings"][0]["photo_refs"] == ["p/1.jpg"]
    listed = service.list_inspections(wo["id"])
    assert listed["items"][0]["id"] == inspection["id"]
    assert [(f["item"], f["condition"]) for f in listed["attention"]] == [("前刹车片", "red"), ("左前轮胎", "yellow")]
    assert listed["attention"][0]["inspection_id"] == inspection["id"]
    with pytest.raises(Invalid):
        service.record_inspection(wo["id"], {"findings": [{"area": "brakes", "item": "x", "condition": "blue"}]})


def test_work_orders_and_technicians_of_another_store_are_forbidden(session, crew):
    wo = open_work_order(workshop(session, SYSTEM))
    outsider = workshop(session, OUTSIDER)
    with pytest.raises(Forbidden):
        outsider.get_work_order(wo["id"])
    with pytest.raises(Forbidden):
        outsider.list_work_orders({"store_id": STORE})
    assert outsider.list_work_orders({})["items"] == []
    with pytest.raises(Forbidden):
        outsider.get_technician(crew["li"]["id"])
    with pytest.raises(NotFound):
        outsider.get_work_order("nope")
    with pytest.raises(Forbidden):  # advisors do not create technicians
        workshop(session, ADVISOR).create_technician({"store_id": STORE, "name": "x", "level": "junior",
                                                      "hourly_cost_fen": 1})


def test_bays_are_occupied_by_one_work_order_in_progress_and_listed_in_the_day_plan(session, crew):
    service = workshop(session)
    bay = service.create_bay({"store_id": STORE, "code": "B1", "kind": "lift"})
    with pytest.raises(Conflict):
        service.create_bay({"store_id": STORE, "code": "B1"})
    first, second = started(service, crew), started(service, crew)
    service.dispatch(first["id"], {"bay_id": bay["id"]})
    service.dispatch(second["id"], {"bay_id": bay["id"]})
    service.clock_in(first["id"], first["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
    with pytest.raises(Conflict):
        service.clock_in(second["id"], second["jobs"][1]["id"], {"technician_id": crew["zhao"]["id"]})
    today = datetime.now(timezone.utc).date().isoformat()
    plan = service.bay_plan({"store_id": STORE, "date": today, "time_zone": "UTC"})
    [row] = plan["bays"]
    assert row["occupied_by"] == first["id"] and {w["id"] for w in row["work_orders"]} == {first["id"], second["id"]}


def test_job_board_lists_a_technicians_jobs_across_work_orders(session, crew):
    service = workshop(session)
    first, second = started(service, crew), started(service, crew)
    board = workshop(session, as_tech("u-li")).job_board()
    assert board["technician"]["id"] == crew["li"]["id"]
    assert {item["work_order_id"] for item in board["items"]} == {first["id"], second["id"]}
    assert all(item["split_pct"] == 70 for item in board["items"])


def test_certification_adds_its_skill_and_training_is_recorded(session, crew):
    service = workshop(session)
    service.add_certification(crew["wang"]["id"], {"name": "新能源高压电工证", "skill": "ev_high_voltage",
                                                   "issued_on": "2025-01-01", "expires_on": "2028-01-01"})
    service.add_training(crew["wang"]["id"], {"course": "岗前培训", "kind": "onboarding", "completed_on": "2024-03-01",
                                              "hours": 16})
    seen = service.get_technician(crew["wang"]["id"])
    assert "ev_high_voltage" in seen["skills"] and seen["trainings"][0]["hours"] == 16
    assert service.list_technicians({"skill": "ev_high_voltage"})["items"][0]["id"] == crew["wang"]["id"]
    with pytest.raises(Conflict):
        technician(service, "重复", ["paint"], user_id="u-li")


def test_labour_cost_is_shown_to_managers_only(session, crew):
    assert workshop(session).get_technician(crew["li"]["id"])["hourly_cost_fen"] == 6000
    assert workshop(session, ADVISOR).get_technician(crew["li"]["id"])["hourly_cost_fen"] is None
    board = workshop(session, as_tech("u-li")).job_board()
    assert board["technician"]["hourly_cost_fen"] is None


def test_progress_shows_clocked_hours_per_technician_and_job(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    service.clock_in(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["wang"]["id"]})
    service.clock_out(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["wang"]["id"]})
    entry = session.execute(select(TimeEntry)).scalar_one()
    entry.started_at -= timedelta(minutes=90)
    entry.hours = Decimal("1.5")
    session.commit()
    seen = service.get_work_order(wo["id"])
    by_name = {t["name"]: t["clocked_hours"] for t in seen["jobs"][0]["technicians"]}
    assert by_name == {"李师傅": 0, "王师傅": 1.5} and seen["jobs"][0]["clocked_hours"] == 1.5
    assert seen["time_entries"][0]["technician_name"] == "王师傅"


def test_a_technician_on_a_day_off_is_not_suggested(session, crew):
    service = workshop(session)
    wo = open_work_order(service)
    noon_shanghai = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)
    service.update_technician(crew["zhao"]["id"], {"days_off": ["2026-11-26"]})
    names = [s["name"] for s in service.suggest_technicians(
        wo["id"], wo["jobs"][1]["id"], {"at": noon_shanghai.isoformat()})["items"]]
    assert names == ["李师傅"]
    assert service.get_technician(crew["zhao"]["id"])["days_off"] == ["2026-11-26"]


def test_work_orders_list_newest_first_with_a_cursor_and_filters(session, crew):
    service = workshop(session)
    ids = [open_work_order(service)["id"] for _ in range(3)]
    first = service.list_work_orders({"limit": 2})
    second = service.list_work_orders({"limit": 2, "cursor": first["next_cursor"]})
    assert [w["id"] for w in first["items"] + second["items"]] == ids[::-1] and second["next_cursor"] is None
    dispatch_all(service, service.get_work_order(ids[0]), [[{"technician_id": crew["li"]["id"], "split_pct": 100}],
                                                           [{"technician_id": crew["zhao"]["id"], "split_pct": 100}]])
    assert [w["id"] for w in service.list_work_orders({"status": "dispatched"})["items"]] == [ids[0]]
    assert first["items"][0]["overdue"] is False and "time_entries" not in first["items"][0]


def test_a_job_needing_the_general_skill_can_go_to_anyone_on_shift(session, crew):
    service = workshop(session)
    wo = open_work_order(service, lines=[labour("WASH", "general")])
    noon_shanghai = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)
    names = {s["name"] for s in service.suggest_technicians(wo["id"], wo["jobs"][0]["id"],
                                                            {"at": noon_shanghai.isoformat()})["items"]}
    assert names == {"李师傅", "王师傅", "赵师傅"}
    assert service.dispatch(wo["id"], {"jobs": [{"job_id": wo["jobs"][0]["id"], "technicians": [
        {"technician_id": crew["wang"]["id"], "split_pct": 100}]}]})["status"] == "dispatched"


def test_a_job_marked_finished_shows_done_and_a_qc_fail_reopens_only_the_jobs_to_redo(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    oil, brakes = wo["jobs"]
    li, zhao = workshop(session, as_tech("u-li")), workshop(session, as_tech("u-zhao"))
    li.clock_in(wo["id"], oil["id"], {})
    li.clock_out(wo["id"], oil["id"], {"job_finished": True})
    zhao.clock_in(wo["id"], brakes["id"], {})
    seen = service.get_work_order(wo["id"])
    assert [j["status"] for j in seen["jobs"]] == ["done", "working"] and seen["jobs"][0]["finished_at"]
    zhao.clock_out(wo["id"], brakes["id"], {})
    assert [j["status"] for j in service.request_qc(wo["id"], {})["jobs"]] == ["done", "done"]
    failed = service.record_qc(wo["id"], {"passed": False, "reasons": ["刹车异响"], "rework_job_ids": [brakes["id"]]})
    assert [j["status"] for j in failed["jobs"]] == ["done", "assigned"]
    service.request_qc(wo["id"], {})
    with pytest.raises(Invalid):
        service.record_qc(wo["id"], {"passed": False, "reasons": ["x"], "rework_job_ids": ["nope"]})


def completed_after_a_failed_qc(service, crew) -> dict:
    """`started`'s work order clocked, failed at QC once, then passed and completed (1.05 h, 0.5 h, 2.5 h)."""
    wo = started(service, crew)
    service.clock_in(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
    service.clock_out(wo["id"], wo["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
    service.request_qc(wo["id"], {})
    service.record_qc(wo["id"], {"passed": False, "reasons": ["漏油"]})
    service.request_qc(wo["id"], {})
    service.record_qc(wo["id"], {"passed": True})
    service.complete(wo["id"], {"labour": [
        {"job_id": wo["jobs"][0]["id"], "technician_id": crew["li"]["id"], "hours": "1.05"},
        {"job_id": wo["jobs"][0]["id"], "technician_id": crew["wang"]["id"], "hours": "0.5"},
        {"job_id": wo["jobs"][1]["id"], "technician_id": crew["zhao"]["id"], "hours": "2.5"}]})
    return wo


def test_stats_give_comeback_rate_first_time_qc_pass_and_technician_efficiency(session, crew):
    service = workshop(session)
    completed_after_a_failed_qc(service, crew)
    today = datetime.now(timezone.utc).date().isoformat()
    numbers = service.workshop_stats({"store_id": STORE, "from": today, "to": today, "time_zone": "UTC"})
    assert numbers["completed"] == 1 and numbers["reworked"] == 1 and numbers["first_time_qc_pass_pct"] == 0
    assert numbers["comebacks"] == 0 and numbers["comeback_rate_pct"] == 0
    by_name = {t["name"]: t for t in numbers["technicians"]}
    assert by_name["李师傅"]["billed_hours"] == 1.05 and by_name["李师傅"]["efficiency_pct"] == 100  # 70% of 1.5 h
    assert by_name["赵师傅"]["billed_hours"] == 2 and by_name["赵师傅"]["efficiency_pct"] == 80
    empty = service.workshop_stats({"store_id": STORE, "from": "2020-01-01", "to": "2020-01-31"})
    assert empty["completed"] == 0 and empty["comeback_rate_pct"] is None
    with pytest.raises(Forbidden):
        workshop(session, OUTSIDER).workshop_stats({"store_id": STORE, "from": today, "to": today})
    # several stores in one call (the chain's KPI report): the same figures per store
    hq = workshop(session, Caller(user_id="u-hq", role="hq_admin"))
    batch = hq.workshop_stats_for_stores({"from": today, "to": today, "stores": [
        {"store_id": STORE, "time_zone": "UTC"}, {"store_id": "s-empty", "time_zone": "Asia/Shanghai"}]})["items"]
    assert batch[0] == numbers and batch[1]["store_id"] == "s-empty" and batch[1]["completed"] == 0
    with pytest.raises(Forbidden):
        workshop(session, OUTSIDER).workshop_stats_for_stores({"from": today, "to": today,
                                                               "stores": [{"store_id": STORE}]})
    with pytest.raises(Invalid):
        service.workshop_stats_for_stores({"from": today, "to": today, "stores": []})
    with pytest.raises(Invalid):
        service.workshop_stats_for_stores({"from": today, "to": today, "stores": [
            {"store_id": f"s{n}"} for n in range(51)]})


def test_crew_board_shows_who_is_clocked_into_what_and_their_load(session, crew):
    service = workshop(session)
    wo = started(service, crew)
    service.clock_in(wo["id"], wo["jobs"][1]["id"], {"technician_id": crew["zhao"]["id"]})
    noon_shanghai = datetime(2026, 11, 26, 4, 0, tzinfo=timezone.utc)
    board = service.crew_board({"store_id": STORE, "at": noon_shanghai.isoformat()})["items"]
    assert [row["name"] for row in board][0] == "赵师傅"
    zhao = board[0]
    assert zhao["clocked_into"]["work_order_id"] == wo["id"] and zhao["clocked_into"]["job_id"] == wo["jobs"][1]["id"]
    assert zhao["load_hours"] == 2 and zhao["on_shift"] is True
    li = next(row for row in board if row["name"] == "李师傅")
    assert li["clocked_into"] is None and li["load_hours"] == 1.05 and li["active_jobs"] == 1
    with pytest.raises(Forbidden):
        workshop(session, OUTSIDER).crew_board({"store_id": STORE})


def test_a_customers_erasure_drops_who_took_the_car_and_what_they_said_once_per_event(session):
    service = workshop(session)
    mine, theirs = open_work_order(service), open_work_order(service)
    for row in (session.get(WorkOrder, mine["id"]), session.get(WorkOrder, theirs["id"])):
        row.status, row.accepted_by, row.customer_comment = "delivered", "张伟", "张伟说很满意 13812345678"
    session.get(WorkOrder, theirs["id"]).customer_id = "c2"
    session.commit()
    erased = envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": datetime.now(timezone.utc).isoformat()})
    workshop(session, SYSTEM).on_customer_erased(erased)
    workshop(session, SYSTEM).on_customer_erased(erased)  # redelivered
    seen = service.get_work_order(mine["id"])
    assert (seen["accepted_by"], seen["customer_comment"]) == (None, None)
    assert seen["status"] == "delivered" and len(seen["jobs"]) == 2  # the repair record stays
    kept = service.get_work_order(theirs["id"])
    assert (kept["accepted_by"], kept["customer_comment"]) == ("张伟", "张伟说很满意 13812345678")


def test_stats_per_day_week_or_month_count_each_work_order_in_its_completion_period(session, crew):
    """The KPI report's trends: per period the same figures as for that period alone, read once."""
    service = workshop(session)
    shanghai = timezone(timedelta(hours=8))
    for day, comeback, rework in ((datetime(2026, 11, 29, 23, 30, tzinfo=shanghai), True, 0),  # Sunday, week 48
                                  (datetime(2026, 11, 30, 0, 30, tzinfo=shanghai), False, 1),  # Monday, week 49
                                  (datetime(2026, 12, 2, 10, 0, tzinfo=shanghai), False, 0)):
        row = session.get(WorkOrder, open_work_order(service, vehicle_id=str(uuid.uuid4()))["id"])
        row.status, row.completed_at, row.comeback, row.rework_count = "completed", day, comeback, rework
    session.commit()
    hq = workshop(session, Caller(user_id="u-hq", role="hq_admin"))

    def stats(group, first="2026-11-29", last="2026-12-02"):
        return hq.workshop_stats_for_stores({"from": first, "to": last, "group": group,
                                             "stores": [{"store_id": STORE, "time_zone": "Asia/Shanghai"}]})["items"]
    days = stats("day")
    assert [(d["period"], d["completed"], d["comebacks"], d["reworked"]) for d in days] == [
        ("2026-11-29", 1, 1, 0), ("2026-11-30", 1, 0, 1), ("2026-12-01", 0, 0, 0), ("2026-12-02", 1, 0, 0)]
    weeks = stats("week")
    assert [(w["period"], w["from"], w["to"], w["completed"], w["comeback_rate_pct"], w["first_time_qc_pass_pct"])
            for w in weeks] == [("2026-W48", "2026-11-29", "2026-11-29", 1, 100, 100),
                                ("2026-W49", "2026-11-30", "2026-12-02", 2, 0, 50)]
    [month_11, month_12] = stats("month")
    [whole] = stats(None)
    assert whole["period"] is None and whole["completed"] == 3 and whole["comebacks"] == 1
    assert (month_11["completed"], month_12["completed"]) == (2, 1)
    assert sum(d["available_hours"] for d in days) == pytest.approx(whole["available_hours"], abs=0.01)  # 3 × 4 days
    for week in weeks:  # a period's figures are those of the period asked for alone
        [alone] = stats(None, week["from"], week["to"])
        assert {k: v for k, v in week.items() if k != "period"} == {k: v for k, v in alone.items() if k != "period"}


def test_scorecards_count_each_technicians_work_and_blame_a_comeback_on_who_did_the_repeated_operation(
        session, crew):
    service = workshop(session)
    completed_after_a_failed_qc(service, crew)  # OIL: 李 70 % + 王 30 %; BRK (2 h): 赵
    again = open_work_order(service, vehicle_id="v1", lines=[labour("BRK", "brakes", "1")])  # the brakes again
    assert again["comeback"] is True
    dispatch_all(service, again, [[{"technician_id": crew["li"]["id"], "split_pct": 100}]])
    service.clock_in(again["id"], again["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
    service.clock_out(again["id"], again["jobs"][0]["id"], {"technician_id": crew["li"]["id"]})
    service.request_qc(again["id"], {})
    service.record_qc(again["id"], {"passed": True})
    service.complete(again["id"], {"labour": [
        {"job_id": again["jobs"][0]["id"], "technician_id": crew["li"]["id"], "hours": "1.25"}]})
    today = datetime.now(timezone.utc).date().isoformat()
    cards = service.technician_scorecards({"store_id": STORE, "from": today, "to": today, "time_zone": "UTC"})
    by_name = {card["name"]: card for card in cards["technicians"]}
    li, wang, zhao = by_name["李师傅"], by_name["王师傅"], by_name["赵师傅"]
    assert (li["jobs"], li["work_orders"], li["reworked"], li["comebacks"]) == (2, 2, 1, 0)
    assert li["billed_hours"] == 2.05 and li["clocked_hours"] == 2.3 and li["user_id"] == "u-li"  # 1.05 + 1
    assert (wang["work_orders"], wang["reworked"], wang["billed_hours"]) == (1, 1, 0.45)
    assert (zhao["jobs"], zhao["comebacks"], zhao["billed_hours"]) == (1, 1, 2)  # his brakes came back
    assert cards["finding_quotes"] == []
    idle = service.technician_scorecards({"store_id": STORE, "from": "2020-01-01", "to": "2020-01-31"})
    assert {card["name"]: card["jobs"] for card in idle["technicians"]} == {"李师傅": 0, "王师傅": 0, "赵师傅": 0}
    with pytest.raises(Forbidden):
        workshop(session, OUTSIDER).technician_scorecards({"store_id": STORE, "from": today, "to": today})
