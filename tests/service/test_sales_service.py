"""sales' entrypoints with nameko's worker_factory, a real SQLite session and fakes for what
lies outside sales (crm's customers and vehicles, inventory's parts)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from nameko.exceptions import RemoteError
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, update

from services.common.context import Caller
from services.common.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from services.common.outbox import OUTBOX
from services.sales.domain.quotes import lines as quote_lines
from services.contracts.sales import OrderCancelled, OrderConfirmed, VisitCheckedIn
from services.sales.models import Base, Order, Visit
from services.sales.service import SalesService
from tests.support.service import guarded, sqlite_session

ADVISOR = Caller(user_id="adv", role="service_advisor", store_ids=frozenset({"s1"}), request_id="r-1")
MANAGER = Caller(user_id="mgr", role="store_manager", store_ids=frozenset({"s1"}))
TECH = Caller(user_id="tec", role="technician", store_ids=frozenset({"s1"}))
HQ = Caller(user_id="hq", role="hq_admin")
OTHER = Caller(user_id="adv2", role="service_advisor", store_ids=frozenset({"s2"}))
SYSTEM = Caller()
SHANGHAI = ZoneInfo("Asia/Shanghai")


class FakeCrm:
    def __init__(self):
        self.calls = []
        self.customers = {"c1": {"id": "c1", "name": "张伟"}, "c2": {"id": "c2", "name": "李娜"}}
        self.vehicles = {"v1": {"id": "v1", "customer_id": "c1", "plate": "粤B12345", "make": "丰田",
                                "model": "凯美瑞"},
                         "v2": {"id": "v2", "customer_id": "c1", "plate": "粤B54321", "make": "丰田",
                                "model": "汉兰达"},
                         "v3": {"id": "v3", "customer_id": "c1", "plate": "粤B33333", "make": "本田", "model": "飞度"},
                         "v9": {"id": "v9", "customer_id": "c2", "plate": "粤B99999", "make": "本田", "model": "雅阁"}}

    def get_customer(self, customer_id):
        self.calls.append(("get_customer", customer_id))
        if customer_id not in self.customers:
            raise RemoteError("NotFound", f"No customer {customer_id}.")
        return self.customers[customer_id]

    def get_vehicle(self, vehicle_id):
        self.calls.append(("get_vehicle", vehicle_id))
        if vehicle_id not in self.vehicles:
            raise RemoteError("NotFound", f"No vehicle {vehicle_id}.")
        return self.vehicles[vehicle_id]


class FakeInventory:
    """inventory.quote_parts as agreed: one call for every SKU of a request."""

    def __init__(self):
        self.calls = []
        self.parts = {
            "OIL-5W30-1L": {"name": "机油 5W-30 1L", "unit": "L", "unit_price_fen": 6800, "cost_fen": 3500,
                            "available": 40},
            "OIL-0W20-1L": {"name": "机油 0W-20 1L", "unit": "L", "unit_price_fen": 8800, "cost_fen": 4800,
                            "available": 12},
            "FILTER-OIL": {"name": "机油滤清器", "unit": "个", "unit_price_fen": 4500, "cost_fen": 2000,
                           "available": 5},
            "PAD-FRONT": {"name": "前刹车片", "unit": "套", "unit_price_fen": 38000, "cost_fen": 30000, "available": 0},
        }

    def quote_parts(self, store_id, skus):
        self.calls.append((store_id, list(skus)))
        items = [{"sku": sku, "part_id": f"p-{sku}", **part} for sku, part in self.parts.items() if sku in skus]
        return {"items": items, "unknown": [sku for sku in skus if sku not in self.parts]}

    def catalogue_parts(self, skus):
        self.calls.append(("catalogue", list(skus)))
        known = [sku for sku in skus if sku in self.parts]
        return {"items": [{"sku": sku, "name": self.parts[sku]["name"], "active": self.parts[sku].get("active", True)}
                          for sku in known], "unknown": [sku for sku in skus if sku not in self.parts]}


@pytest.fixture
def session():
    session = sqlite_session(Base.metadata, "sales", ADVISOR.to_context())
    yield session
    session.close()


@pytest.fixture
def crm():
    return FakeCrm()


@pytest.fixture
def inventory():
    return FakeInventory()


@pytest.fixture
def sales(session, crm, inventory):
    def make(caller=ADVISOR):
        return worker_factory(SalesService, db=session, caller=caller, crm=guarded(crm, "crm", session),
                              inventory=guarded(inventory, "inventory", session))
    return make


def events(session, fact=None):
    rows = session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope).order_by(OUTBOX.c.created_at)).all()
    return [envelope for kind, envelope in rows if fact is None or kind == fact]


def envelope(source_fact: str, payload: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": source_fact, "version": 1,
            "occurred_at": datetime.now(timezone.utc).isoformat(), "store_id": "s1", "request_id": None,
            "payload": payload}


def delivered(order: dict) -> dict:
    """workshop's `vehicle_delivered` of the order, now."""
    return envelope("workshop.vehicle_delivered", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": order["store_id"],
        "customer_id": order["customer_id"], "delivered_at": datetime.now(timezone.utc).isoformat()})


def visit(sales, vehicle_id="v1", **extra):
    return sales().check_in({"store_id": "s1", "customer_id": "c1", "vehicle_id": vehicle_id, "mileage_km": 35000,
                             "needs": ["maintenance", "刹车异响"], "budget_fen": 80000, **extra})


def quote_with_lines(sales, vehicle_id="v1"):
    """A quote of 0.5 h labour (¥120/h), 4 L oil (¥68), a filter (¥45) and shop supplies (¥15)."""
    service = sales()
    quote = service.create_quote({"visit_id": visit(sales, vehicle_id)["id"]})
    service.add_quote_line(quote["id"], {"kind": "labour", "description": "更换机油机滤", "hours": 0.5})
    service.add_quote_line(quote["id"], {"kind": "part", "sku": "OIL-5W30-1L", "qty": 4})
    service.add_quote_line(quote["id"], {"kind": "part", "sku": "FILTER-OIL", "qty": 1})
    return service.add_quote_line(quote["id"], {"kind": "fee", "description": "辅料费", "unit_price_fen": 1500})


def contract(sales, quote_id, caller=ADVISOR, **extra):
    return sales(caller).contract_quote(quote_id, {"payment_method": "wechat", "deposit_fen": 10000,
                                                   "signed_by": "张伟", **extra})


def line_ids(quote, kind=None):
    return [line["id"] for line in quote["lines"] if kind is None or line["kind"] == kind]


# -- reception --------------------------------------------------------------------------------

def test_check_in_verifies_customer_and_vehicle_with_one_crm_call_each_and_announces_the_visit(sales, session, crm):
    checked = visit(sales)
    assert crm.calls == [("get_customer", "c1"), ("get_vehicle", "v1")]
    assert checked["plate"] == "粤B12345" and checked["vehicle_class"] == "sedan"
    [event] = events(session, "visit_checked_in")
    assert event["type"] == "sales.visit_checked_in" and event["store_id"] == "s1" and event["request_id"] == "r-1"
    payload = VisitCheckedIn().load(event["payload"])
    assert payload["visit_id"] == checked["id"] and payload["mileage_km"] == 35000
    assert payload["needs"] == ["maintenance", "刹车异响"]


def test_check_in_refuses_unknown_customers_and_someone_elses_car(sales, session):
    with pytest.raises(Invalid) as unknown:
        sales().check_in({"store_id": "s1", "customer_id": "nobody", "needs": ["repair"]})
    assert "customer_id" in unknown.value.fields
    with pytest.raises(Invalid) as not_theirs:
        sales().check_in({"store_id": "s1", "customer_id": "c1", "vehicle_id": "v9", "needs": ["repair"]})
    assert "vehicle_id" in not_theirs.value.fields
    with pytest.raises(Invalid):
        sales().check_in({"store_id": "s1", "customer_id": "c1", "needs": []})
    assert events(session) == []


def test_visits_belong_to_their_store(sales):
    checked = visit(sales)
    with pytest.raises(Forbidden):
        sales(OTHER).get_visit(checked["id"])
    with pytest.raises(Forbidden):
        sales(OTHER).check_in({"store_id": "s1", "customer_id": "c1", "needs": ["repair"]})
    assert sales(HQ).get_visit(checked["id"])["id"] == checked["id"]
    assert sales(OTHER).list_visits({})["items"] == []
    with pytest.raises(Forbidden):
        sales(OTHER).list_visits({"store_id": "s1"})


# -- quotes and pricing -----------------------------------------------------------------------

def test_quote_prices_labour_parts_and_fees_on_the_server(sales, inventory):
    quote = quote_with_lines(sales)
    labour, oil, filt, fee = quote["lines"]
    assert (labour["qty"], labour["unit_price_fen"], labour["gross_fen"], labour["price_source"]) == (
        0.5, 12000, 6000, "store_rate")
    assert (oil["description"], oil["gross_fen"], oil["available"], oil["price_source"]) == (
        "机油 5W-30 1L", 27200, True, "inventory")
    assert (filt["gross_fen"], fee["gross_fen"]) == (4500, 1500)
    # tax-inclusive at 13%: 690 + 3129 + 518 + 173
    assert quote["tax_rate"] == "0.13" and quote["tax_inclusive"] is True
    assert quote["totals"] == {"subtotal_fen": 39200, "discount_fen": 0, "tax_fen": 4510,
                               "total_excl_tax_fen": 34690, "total_fen": 39200, "currency": "CNY"}
    assert inventory.calls == [("s1", ["OIL-5W30-1L"]), ("s1", ["FILTER-OIL"])]


def test_a_quote_opened_with_its_lines_prices_every_part_in_one_inventory_call(sales, inventory):
    quote = sales().create_quote({"visit_id": visit(sales)["id"], "lines": [
        {"kind": "labour", "description": "更换机油机滤", "hours": 0.5},
        {"kind": "part", "sku": "OIL-5W30-1L", "qty": 4},
        {"kind": "part", "sku": "FILTER-OIL", "qty": 1},
        {"kind": "fee", "description": "辅料费", "unit_price_fen": 1500}]})
    assert quote["totals"] == quote_with_lines(sales, vehicle_id="v2")["totals"]
    assert [line["description"] for line in quote["lines"]] == ["更换机油机滤", "机油 5W-30 1L", "机油滤清器", "辅料费"]
    assert inventory.calls[0] == ("s1", ["OIL-5W30-1L", "FILTER-OIL"])


def test_an_unknown_part_is_refused_and_an_out_of_stock_one_is_quoted_as_unavailable(sales):
    service = sales()
    quote = service.create_quote({"visit_id": visit(sales)["id"]})
    with pytest.raises(Invalid) as unknown:
        service.add_quote_line(quote["id"], {"kind": "part", "sku": "NO-SUCH", "qty": 1})
    assert "NO-SUCH" in unknown.value.fields["sku"][0]
    quote = service.add_quote_line(quote["id"], {"kind": "part", "sku": "PAD-FRONT", "qty": 1})
    assert quote["lines"][0]["available"] is False and quote["lines"][0]["available_qty"] == 0


def test_exclusive_pricing_store_adds_vat_on_top(sales):
    sales(MANAGER).save_sales_settings("s1", {"tax_inclusive": False, "vat_rate": "0.06", "labour_rate_fen": 15000})
    service = sales()
    quote = service.create_quote({"visit_id": visit(sales)["id"]})
    quote = service.add_quote_line(quote["id"], {"kind": "labour", "description": "检测", "hours": 1.25})
    assert quote["lines"][0]["gross_fen"] == 18750
    assert quote["totals"]["tax_fen"] == 1125 and quote["totals"]["total_fen"] == 19875  # 18750 × 6%
    assert quote["totals"]["total_excl_tax_fen"] == 18750


def test_a_discount_above_the_advisors_limit_blocks_presenting_until_a_manager_approves(sales, session):
    quote = quote_with_lines(sales)
    quote = sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 15, "reason": "老客户"})
    assert quote["approval_status"] == "pending" and "15.0%" in quote["approval_reasons"][0]
    assert quote["totals"]["discount_fen"] == 5880  # 15% of 39200
    with pytest.raises(Conflict) as blocked:
        sales().present_quote(quote["id"])
    assert blocked.value.code == "discount_approval_pending" and "approval" in blocked.value.message
    assert sales().get_quote(quote["id"])["state"] == "draft"
    with pytest.raises(Forbidden):
        sales().approve_quote_discount(quote["id"], {})
    approved = sales(MANAGER).approve_quote_discount(quote["id"], {"note": "同意"})
    assert approved["approval_status"] == "approved" and approved["approved_by"] == "mgr"
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    assert contract(sales, quote["id"])["totals"]["discount_fen"] == 5880
    assert session.scalar(select(func.count()).select_from(Order)) == 1


def test_a_manager_rejects_a_discount_with_a_reason_until_the_advisor_changes_it(sales):
    """The approval queue: what waits is listed with its needs as codes; a rejection is the manager's,
    blocks presenting with its reason, and a changed discount asks again."""
    quote = sales().set_quote_discount(quote_with_lines(sales)["id"],
                                       {"kind": "percent", "value": 15, "reason": "老客户"})
    assert quote["approval_needs"] == [{"code": "discount_above_limit", "pct": "15.0", "limit": "10",
                                        "role": "service_advisor"}]
    queue = sales(MANAGER).list_quotes({"store_id": "s1", "approval_status": "pending"})["items"]
    assert [q["id"] for q in queue] == [quote["id"]]
    with pytest.raises(Forbidden):
        sales().reject_quote_discount(quote["id"], {"reason": "太多"})
    with pytest.raises(Invalid):
        sales(MANAGER).reject_quote_discount(quote["id"], {"reason": ""})
    rejected = sales(MANAGER).reject_quote_discount(quote["id"], {"reason": "最多给 10%"})
    assert rejected["approval_status"] == "rejected" and rejected["rejection_reason"] == "最多给 10%"
    assert rejected["rejected_by"] == "mgr" and rejected["rejected_at"]
    assert not sales(MANAGER).list_quotes({"store_id": "s1", "approval_status": "pending"})["items"]
    with pytest.raises(Conflict) as again:  # decided already: neither approved nor rejected twice
        sales(MANAGER).approve_quote_discount(quote["id"], {})
    assert again.value.code == "approval_not_pending" and again.value.params == {"status": "rejected"}
    sales().add_quote_line(quote["id"], {"kind": "fee", "description": "环保处理费", "unit_price_fen": 1000})
    with pytest.raises(Conflict) as blocked:  # a new line does not lift the rejection
        sales().present_quote(quote["id"])
    assert blocked.value.code == "discount_rejected" and blocked.value.params == {"reason": "最多给 10%"}
    asked = sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 12, "reason": "老客户"})
    assert asked["approval_status"] == "pending" and asked["rejection_reason"] is None
    within = sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 10, "reason": "老客户"})
    assert within["approval_status"] == "not_required"
    sales().present_quote(quote["id"])


def test_a_discount_within_the_limit_needs_no_approval_and_a_manager_has_a_wider_one(sales):
    quote = quote_with_lines(sales)
    assert sales().set_quote_discount(quote["id"], {"kind": "amount", "value": 3920, "reason": "活动"})[
        "approval_status"] == "not_required"  # exactly 10%
    assert sales(MANAGER).set_quote_discount(quote["id"], {"kind": "percent", "value": 25, "reason": "投诉补偿"})[
        "approval_status"] == "not_required"
    deep = sales(MANAGER).set_quote_discount(quote["id"], {"kind": "percent", "value": 35, "reason": "x"})
    assert deep["approval_status"] == "pending"
    with pytest.raises(Forbidden):  # above the manager's own 30%: HQ's call
        sales(MANAGER).approve_quote_discount(quote["id"], {})
    assert sales(HQ).approve_quote_discount(quote["id"], {})["approval_status"] == "approved"


def test_a_line_below_cost_needs_a_manager(sales):
    service = sales()
    quote = service.create_quote({"visit_id": visit(sales)["id"]})
    quote = service.add_quote_line(quote["id"], {"kind": "part", "sku": "PAD-FRONT", "qty": 1,
                                                 "discount": {"kind": "amount", "value": 3000, "reason": "清库存"}})
    assert quote["approval_status"] == "not_required"  # 35000 incl. VAT = 30973 excl., above the ¥300 cost
    quote = service.set_quote_discount(quote["id"], {"line_id": quote["lines"][0]["id"], "kind": "amount",
                                                     "value": 3700, "reason": "清库存"})
    assert quote["approval_status"] == "not_required"  # 34300 → 30354 excl., 9.7% off: still fine
    quote = service.set_quote_discount(quote["id"], {"line_id": quote["lines"][0]["id"], "kind": "amount",
                                                     "value": 3800, "reason": "清库存"})
    assert quote["totals"]["total_fen"] == 34200 and quote["approval_status"] == "not_required"  # 10.0%, 30265 excl.
    quote = service.set_quote_discount(quote["id"], {"line_id": quote["lines"][0]["id"], "kind": "percent",
                                                     "value": 10, "reason": "清库存"})
    assert quote["approval_status"] == "not_required"
    quote = service.set_quote_discount(quote["id"], {"kind": "amount", "value": 200, "reason": "再让"})
    # 34000 incl. → 34000 − round(34000 × 0.13 / 1.13 = 3911.5) = 30088 excl.: above cost, but 10.5% off → limit
    assert quote["approval_reasons"] == ["A discount of 10.5% is above the 10% a service_advisor may give."]
    quote = sales(MANAGER).set_quote_discount(quote["id"], {"kind": "amount", "value": 600, "reason": "再让"})
    # 33600 incl. → 29735 excl. < 30000 cost: a manager may give 11.6%, but below cost still needs approving
    assert quote["approval_reasons"] == ["前刹车片 is priced below its cost."]
    assert sales(MANAGER).approve_quote_discount(quote["id"], {})["approval_status"] == "approved"


def test_amount_discounts_larger_than_the_quote_are_refused(sales):
    quote = quote_with_lines(sales)
    with pytest.raises(Invalid):
        sales().set_quote_discount(quote["id"], {"kind": "amount", "value": 39201, "reason": "x"})
    with pytest.raises(Invalid):
        sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 10})  # no reason


def test_partial_approval_orders_only_the_approved_lines_and_keeps_the_declined_as_declined_work(sales, session):
    quote = quote_with_lines(sales)
    labour, oil, filt, fee = line_ids(quote)
    sales().present_quote(quote["id"])
    decided = sales().decide_quote(quote["id"], {"approved_line_ids": [labour, oil, fee], "declined_line_ids": [filt]})
    assert decided["state"] == "partially_approved"
    assert decided["totals"]["total_fen"] == 39200 - 4500
    order = contract(sales, quote["id"], promised_at="2026-12-01T18:00:00+08:00")
    assert [line["id"] for line in order["lines"]] == [labour, oil, fee]
    assert order["state"] == "confirmed" and order["totals"]["total_fen"] == 34700 and order["deposit_fen"] == 10000

    [event] = events(session, "order_confirmed")
    payload = OrderConfirmed().load(event["payload"])
    assert payload["order_id"] == order["id"] and [line["line_id"] for line in payload["lines"]] == [labour, oil, fee]
    assert payload["lines"][1]["sku"] == "OIL-5W30-1L" and payload["lines"][1]["qty"] == Decimal(4)
    assert payload["lines"][0]["hours"] == Decimal("0.5") and payload["lines"][0]["tax_rate"] == "0.13"
    assert payload["totals"]["total_fen"] == 34700 and payload["deposit"]["amount_fen"] == 10000
    assert sum(line["total_fen"] for line in payload["lines"]) == payload["totals"]["total_fen"]

    declined = sales().list_declined_work({"vehicle_id": "v1"})["items"]
    assert [(d["description"], d["total_fen"], d["status"]) for d in declined] == [("机油滤清器", 4500, "open")]
    sales(SYSTEM).on_vehicle_delivered(delivered(order))
    next_visit = visit(sales)  # the car came back after its delivery: a new visit
    assert [d["id"] for d in next_visit["declined_work"]] == [declined[0]["id"]]
    assert visit(sales, vehicle_id="v2")["declined_work"] == []  # another car of the same customer


def test_declined_work_keeps_the_price_the_quote_shows_for_it_without_a_share_of_the_quote_discount(sales):
    quote = quote_with_lines(sales)
    labour, oil, filt, fee = line_ids(quote)
    quote = sales().set_quote_discount(quote["id"], {"kind": "percent", "value": 10, "reason": "活动"})
    assert next(line for line in quote["lines"] if line["id"] == filt)["total_fen"] == 4050  # its share while open
    sales().present_quote(quote["id"])
    decided = sales().decide_quote(quote["id"], {"approved_line_ids": [labour, oil, fee], "declined_line_ids": [filt]})
    declined_line = next(line for line in decided["lines"] if line["id"] == filt)
    assert declined_line["total_fen"] == 4500 and declined_line["discount_fen"] == 0
    [declined] = sales().list_declined_work({"vehicle_id": "v1"})["items"]
    assert declined["total_fen"] == declined_line["total_fen"] == 4500


def test_declined_work_quoted_again_is_closed_when_contracted(sales):
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    ids = line_ids(quote)
    sales().decide_quote(quote["id"], {"approved_line_ids": ids[:2], "declined_line_ids": ids[2:]})
    contract(sales, quote["id"])
    declined = sales().list_declined_work({"customer_id": "c1"})["items"]
    again = sales().create_quote({"visit_id": visit(sales)["id"]})
    filter_work = next(d for d in declined if d["sku"] == "FILTER-OIL")
    again = sales().add_quote_line(again["id"], {"kind": "part", "sku": "FILTER-OIL",
                                                 "declined_work_id": filter_work["id"]})
    sales().present_quote(again["id"])
    sales().decide_quote(again["id"], {"approved_line_ids": line_ids(again), "declined_line_ids": []})
    contract(sales, again["id"], deposit_fen=0)
    still_open = sales().list_declined_work({"customer_id": "c1", "status": "open"})["items"]
    assert [d["description"] for d in still_open] == ["辅料费"]


def test_contracting_twice_gives_one_order_and_one_event(sales, session):
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    first = contract(sales, quote["id"])
    second = contract(sales, quote["id"], signed_by="别人")
    assert first["id"] == second["id"] and first["number"] == second["number"]
    assert session.scalar(select(func.count()).select_from(Order)) == 1
    assert len(events(session, "order_confirmed")) == 1
    assert sales().get_quote(quote["id"])["order_id"] == first["id"]


def test_transitions_outside_the_state_machine_are_conflicts_naming_the_state(sales):
    quote = quote_with_lines(sales)
    with pytest.raises(Conflict) as early:
        contract(sales, quote["id"])
    assert "draft" in early.value.message
    with pytest.raises(Conflict):
        sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote)})
    sales().present_quote(quote["id"])
    with pytest.raises(Conflict) as again:
        sales().present_quote(quote["id"])
    assert "presented" in again.value.message
    with pytest.raises(Conflict):
        sales().add_quote_line(quote["id"], {"kind": "fee", "description": "x", "unit_price_fen": 1})
    with pytest.raises(Invalid):  # every line decided
        sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote)[:1]})
    sales().decide_quote(quote["id"], {"approved_line_ids": [], "declined_line_ids": line_ids(quote)})
    with pytest.raises(Conflict) as declined:
        contract(sales, quote["id"])
    assert "declined" in declined.value.message


def test_changing_a_presented_quote_makes_a_new_version_and_keeps_the_old(sales):
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    second = sales().revise_quote(quote["id"])
    assert second["version"] == 2 and second["state"] == "draft" and second["number"] == quote["number"]
    assert [line["gross_fen"] for line in second["lines"]] == [line["gross_fen"] for line in quote["lines"]]
    second = sales().add_quote_line(second["id"], {"kind": "fee", "description": "环保处理费", "unit_price_fen": 800})
    old = sales().get_quote(quote["id"])
    assert old["state"] == "expired" and old["superseded_by_id"] == second["id"] and len(old["lines"]) == 4
    assert [(v["version"], v["state"]) for v in second["versions"]] == [(1, "expired"), (2, "draft")]
    assert second["totals"]["total_fen"] == old["totals"]["total_fen"] + 800


def test_quotes_and_orders_of_another_store_are_out_of_reach(sales):
    quote = quote_with_lines(sales)
    for call in (lambda s: s.get_quote(quote["id"]),
                 lambda s: s.add_quote_line(quote["id"], {"kind": "fee", "description": "x", "unit_price_fen": 1}),
                 lambda s: s.set_quote_discount(quote["id"], {"kind": "percent", "value": 5, "reason": "x"}),
                 lambda s: s.present_quote(quote["id"])):
        with pytest.raises(Forbidden):
            call(sales(OTHER))
    assert sales(OTHER).list_quotes({})["items"] == []
    with pytest.raises(NotFound):
        sales().get_quote("nope")


def test_overdue_quotes_expire_and_cannot_be_contracted(sales, session):
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    from services.sales.models import Quote
    session.get(Quote, quote["id"]).valid_until = datetime.now(timezone.utc) - timedelta(minutes=1)
    session.commit()
    with pytest.raises(Conflict) as late:
        contract(sales, quote["id"])
    assert "expired" in late.value.message
    quote2 = quote_with_lines(sales)
    session.get(Quote, quote2["id"]).valid_until = datetime.now(timezone.utc) - timedelta(minutes=1)
    session.commit()
    sales().expire_quotes()
    assert sales().get_quote(quote2["id"])["state"] == "expired"


# -- orders -----------------------------------------------------------------------------------

def confirmed_order(sales):
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    return contract(sales, quote["id"])


def test_cancelling_announces_it_and_is_refused_after_completion(sales, session):
    order = confirmed_order(sales)
    cancelled = sales().cancel_order(order["id"], {"reason": "客户改期"})
    assert cancelled["state"] == "cancelled" and cancelled["status_line"] == "Cancelled: 客户改期"
    [event] = events(session, "order_cancelled")
    assert OrderCancelled().load(event["payload"])["reason"] == "客户改期"
    with pytest.raises(Conflict):
        sales().cancel_order(order["id"], {"reason": "again"})

    done = confirmed_order(sales)
    sales(SYSTEM).on_work_order_completed(envelope("workshop.work_order_completed", {
        "work_order_id": "wo1", "order_id": done["id"], "store_id": "s1", "customer_id": "c1", "vehicle_id": "v1",
        "jobs": [], "parts_used": [], "comeback": False, "completed_at": datetime.now(timezone.utc).isoformat()}))
    with pytest.raises(Conflict) as late:
        sales().cancel_order(done["id"], {"reason": "太晚"})
    assert "completed" in late.value.message
    with pytest.raises(Invalid):
        sales().cancel_order(done["id"], {})


def test_order_status_follows_the_workshop_and_finance_once_per_event(sales):
    order = confirmed_order(sales)
    now = datetime.now(timezone.utc).isoformat()
    completed = envelope("workshop.work_order_completed", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1", "vehicle_id": "v1",
        "jobs": [], "parts_used": [], "comeback": False, "completed_at": now})
    service = sales(SYSTEM)
    service.on_work_order_completed(completed)
    service.on_work_order_completed(completed)  # redelivered
    assert sales().get_order(order["id"])["state"] == "completed"
    service.on_vehicle_delivered(envelope("workshop.vehicle_delivered", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1",
        "mileage_out_km": 35010, "delivered_at": now}))
    seen = sales().get_order(order["id"])
    assert seen["state"] == "delivered" and "payment" in seen["status_line"]
    service.on_invoice_paid(envelope("finance.invoice_paid", {
        "invoice_id": "inv1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1",
        "total_fen": order["totals"]["total_fen"], "paid_at": now}))
    closed = sales().get_order(order["id"])
    assert closed["state"] == "closed" and closed["invoice_id"] == "inv1" and closed["work_order_id"] == "wo1"


def test_an_order_paid_before_delivery_closes_on_delivery(sales):
    order = confirmed_order(sales)
    now = datetime.now(timezone.utc).isoformat()
    service = sales(SYSTEM)
    service.on_work_order_completed(envelope("workshop.work_order_completed", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1",
        "jobs": [], "parts_used": [], "comeback": False, "completed_at": now}))
    service.on_invoice_paid(envelope("finance.invoice_paid", {
        "invoice_id": "inv1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1", "total_fen": 1,
        "paid_at": now}))
    assert sales().get_order(order["id"])["state"] == "completed"
    service.on_vehicle_delivered(envelope("workshop.vehicle_delivered", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1", "delivered_at": now}))
    assert sales().get_order(order["id"])["state"] == "closed"
    service.on_work_order_completed(envelope("workshop.work_order_completed", {  # unknown order: ignored
        "work_order_id": "wo2", "order_id": "nope", "store_id": "s1", "customer_id": "c1",
        "jobs": [], "parts_used": [], "comeback": False, "completed_at": now}))


def test_an_invoice_paid_again_after_a_reopening_changes_nothing_on_its_order(sales):
    """finance announces an invoice paid again (a new event id) when it is settled again after a claim's void
    reopened it: the order stays closed once, paid and closed when it first was."""
    order = confirmed_order(sales)
    first, later = datetime.now(timezone.utc) - timedelta(hours=2), datetime.now(timezone.utc)
    service = sales(SYSTEM)
    service.on_work_order_completed(envelope("workshop.work_order_completed", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1",
        "jobs": [], "parts_used": [], "comeback": False, "completed_at": first.isoformat()}))
    service.on_vehicle_delivered(envelope("workshop.vehicle_delivered", {
        "work_order_id": "wo1", "order_id": order["id"], "store_id": "s1", "customer_id": "c1",
        "delivered_at": first.isoformat()}))

    def paid(at):
        return envelope("finance.invoice_paid", {"invoice_id": "inv1", "order_id": order["id"], "store_id": "s1",
                                                 "customer_id": "c1", "total_fen": 1, "paid_at": at.isoformat()})

    service.on_invoice_paid(paid(first))
    closed = sales().get_order(order["id"])
    service.on_invoice_paid(paid(later))  # a new envelope: a new event id
    assert sales().get_order(order["id"]) == closed
    assert closed["state"] == "closed"
    assert datetime.fromisoformat(closed["paid_at"]) == datetime.fromisoformat(closed["closed_at"]) == first


def test_orders_list_by_store_and_state(sales):
    first, second = confirmed_order(sales), confirmed_order(sales)
    sales().cancel_order(first["id"], {"reason": "x"})
    assert [o["id"] for o in sales().list_orders({"store_id": "s1", "state": "confirmed"})["items"]] == [second["id"]]
    assert sales(OTHER).list_orders({})["items"] == []
    assert sales(TECH).get_order(second["id"])["number"].startswith("SO")


# -- appointments -----------------------------------------------------------------------------

def slot(days=1, hour=10):
    day = datetime.now(SHANGHAI).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).isoformat()


def test_a_full_slot_is_refused_unless_a_manager_overbooks(sales, crm):
    sales(MANAGER).save_sales_settings("s1", {"slot_capacity": 2})
    booking = {"store_id": "s1", "customer_id": "c1", "vehicle_id": "v1", "slot_start": slot(), "services": ["保养"]}
    for car in ("v1", "v2"):
        sales().book_appointment({**booking, "vehicle_id": car})
    booking["vehicle_id"] = "v3"
    with pytest.raises(Conflict) as full:
        sales().book_appointment(booking)
    assert "2 of 2" in full.value.message and full.value.code == "slot_full"
    with pytest.raises(Forbidden):
        sales().book_appointment({**booking, "override_capacity": True})
    extra = sales(MANAGER).book_appointment({**booking, "override_capacity": True})
    assert extra["overbooked"] is True
    assert sales().book_appointment({**booking, "slot_start": slot(hour=11)})["overbooked"] is False
    with pytest.raises(Invalid):
        sales().book_appointment({**booking, "slot_start": slot(hour=10)[:11] + "10:30:00+08:00"})
    with pytest.raises(Invalid):
        sales().book_appointment({**booking, "customer_id": "ghost"})
    day = sales().list_appointments({"store_id": "s1", "date": slot()[:10], "limit": 2})
    rest = sales().list_appointments({"store_id": "s1", "date": slot()[:10], "cursor": day["next_cursor"]})
    hours = [a["slot_start"][11:13] for a in day["items"] + rest["items"]]
    assert len(hours) == 4 and hours == sorted(hours)


def test_check_in_from_an_appointment_marks_it_arrived_and_cancelled_slots_free_up(sales):
    sales(MANAGER).save_sales_settings("s1", {"slot_capacity": 1})
    booking = {"store_id": "s1", "customer_id": "c1", "vehicle_id": "v1", "slot_start": slot(hour=9)}
    first = sales().book_appointment(booking)
    sales().cancel_appointment(first["id"], {"reason": "客户有事"})
    second = sales().book_appointment(booking)
    checked = visit(sales, appointment_id=second["id"])
    arrived = sales().get_appointment(second["id"])
    assert arrived["state"] == "arrived" and arrived["visit_id"] == checked["id"]
    with pytest.raises(Conflict):
        visit(sales, appointment_id=second["id"])


# -- settings ---------------------------------------------------------------------------------

def test_store_settings_default_and_only_hq_sets_discount_limits(sales):
    defaults = sales(TECH).get_sales_settings("s1")
    assert defaults["vat_rate"] == "0.13" and defaults["tax_inclusive"] is True
    with pytest.raises(Forbidden):
        sales(MANAGER).save_sales_settings("s1", {"discount_limits": {"service_advisor": 50}})
    with pytest.raises(Forbidden):
        sales(OTHER).get_sales_settings("s1")
    saved = sales(HQ).save_sales_settings("s1", {"discount_limits": {"service_advisor": 20, "store_manager": 40}})
    assert saved["discount_limits"]["service_advisor"] == 20 and saved["labour_rate_fen"] == 12000
    with pytest.raises(Invalid):
        sales(MANAGER).save_sales_settings("s1", {"vat_rate": "1.3"})


# -- catalogue (issue 12) ---------------------------------------------------------------------

@pytest.fixture
def catalogue(sales):
    hq = sales(HQ)
    hq.set_vehicle_class({"make": "丰田", "model": "汉兰达", "vehicle_class": "suv"})
    hq.create_labour_operation({"code": "OIL-CHG", "name": "更换机油机滤", "name_en": "Oil and filter change",
                                "category": "maintenance", "standard_hours": 0.5, "hours_by_class": {"suv": 0.8},
                                "skill": "general"})
    return hq.create_package({
        "code": "PKG-MINOR", "name": "小保养", "category": "maintenance", "pricing": "fixed", "fixed_price_fen": 39900,
        "items": [{"kind": "labour", "op_code": "OIL-CHG"},
                  {"kind": "part", "sku": "OIL-5W30-1L", "sku_options": ["OIL-0W20-1L"], "qty": 4},
                  {"kind": "part", "sku": "FILTER-OIL"},
                  {"kind": "fee", "fee_code": "SUPPLIES", "description": "辅料费", "unit_price_fen": 1500}]})


def add_minor_service(sales, vehicle_id="v1", **extra):
    quote = sales().create_quote({"visit_id": visit(sales, vehicle_id)["id"]})
    return sales().add_quote_package(quote["id"], {"package": "PKG-MINOR", **extra})


def test_a_package_adds_its_lines_priced_for_a_sedan_and_an_suv(sales, catalogue, inventory):
    sedan = add_minor_service(sales)
    assert [line["kind"] for line in sedan["lines"]] == ["labour", "part", "part", "fee"]
    assert sedan["lines"][0]["hours"] == 0.5 and sedan["lines"][0]["gross_fen"] == 6000
    assert inventory.calls[-1] == ("s1", ["OIL-5W30-1L", "FILTER-OIL"])  # one call for the package
    # lines sum to 6000 + 27200 + 4500 + 1500 = 39200 < the fixed 39900: sold at the sum, no discount
    assert sedan["totals"]["total_fen"] == 39200 and sedan["totals"]["discount_fen"] == 0
    suv = add_minor_service(sales, vehicle_id="v2")
    assert suv["vehicle_class"] == "suv" and suv["lines"][0]["hours"] == 0.8 and suv["lines"][0]["gross_fen"] == 9600
    # 9600 + 27200 + 4500 + 1500 = 42800 → the package price 39900: 2900 shown as the package discount
    assert suv["totals"]["total_fen"] == 39900 and suv["totals"]["discount_fen"] == 2900
    assert suv["approval_status"] == "not_required"
    assert sum(line["discount_fen"] for line in suv["lines"]) == 2900


def test_a_package_part_can_be_swapped_for_an_allowed_grade(sales, catalogue):
    quote = add_minor_service(sales, part_choices={"1": "OIL-0W20-1L"})
    assert quote["lines"][1]["sku"] == "OIL-0W20-1L" and quote["lines"][1]["gross_fen"] == 35200
    with pytest.raises(Invalid):
        add_minor_service(sales, part_choices={"1": "PAD-FRONT"})


def test_store_override_and_scheduled_price_change_apply_from_their_dates(sales, catalogue, monkeypatch):
    today = datetime.now(SHANGHAI).date()
    hq, manager = sales(HQ), sales(MANAGER)
    hq.create_price_entry({"kind": "labour_rate", "key": "general", "price_fen": 13000,
                           "effective_from": today.isoformat(), "min_fen": 10000, "max_fen": 16000})
    hq.create_price_entry({"kind": "labour_rate", "key": "general", "price_fen": 14000,
                           "effective_from": (today + timedelta(days=30)).isoformat()})
    with pytest.raises(Forbidden):
        manager.create_price_entry({"kind": "part", "key": "FILTER-OIL", "price_fen": 1,
                                    "effective_from": today.isoformat()})
    with pytest.raises(Invalid):  # outside HQ's limits
        manager.create_price_entry({"kind": "labour_rate", "key": "general", "store_id": "s1", "price_fen": 9000,
                                    "effective_from": today.isoformat()})
    with pytest.raises(Forbidden):
        sales(OTHER).create_price_entry({"kind": "labour_rate", "key": "general", "store_id": "s1", "price_fen": 11000,
                                         "effective_from": today.isoformat()})
    hq.create_price_entry({"kind": "part", "key": "FILTER-OIL", "price_fen": 3900, "effective_from": today.isoformat()})
    hq.create_price_entry({"kind": "fee", "key": "SUPPLIES", "price_fen": 2000, "effective_from": today.isoformat()})

    now = add_minor_service(sales)
    assert [line["unit_price_fen"] for line in now["lines"]] == [13000, 6800, 3900, 2000]
    assert [line["price_source"] for line in now["lines"]] == ["price_list", "inventory", "price_list", "price_list"]
    presented = sales().present_quote(now["id"])

    manager.create_price_entry({"kind": "labour_rate", "key": "general", "store_id": "s1", "price_fen": 11000,
                                "effective_from": today.isoformat()})
    assert add_minor_service(sales)["lines"][0]["unit_price_fen"] == 11000  # the store's override wins
    monkeypatch.setattr(quote_lines, "store_today", lambda settings: today + timedelta(days=30))
    manager.create_price_entry({"kind": "labour_rate", "key": "general", "store_id": "s1", "price_fen": 15000,
                                "effective_from": (today + timedelta(days=30)).isoformat()})
    assert add_minor_service(sales)["lines"][0]["unit_price_fen"] == 15000  # scheduled, now in force
    assert sales().get_quote(presented["id"])["lines"] == presented["lines"]  # the presented quote never changes


def test_a_scheduled_chain_price_does_not_apply_before_its_date(sales, catalogue):
    tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
    sales(HQ).create_price_entry({"kind": "labour_rate", "key": "general", "price_fen": 20000,
                                  "effective_from": tomorrow.isoformat()})
    assert add_minor_service(sales)["lines"][0]["unit_price_fen"] == 12000  # the store's rate today


def test_catalogue_codes_are_unique_and_packages_name_real_operations(sales, catalogue):
    with pytest.raises(Conflict):
        sales(HQ).create_labour_operation({"code": "OIL-CHG", "name": "x", "category": "maintenance",
                                           "standard_hours": 1})
    with pytest.raises(Invalid):
        sales(HQ).create_package({"code": "PKG-X", "name": "x", "items": [{"kind": "labour", "op_code": "NOPE"}]})
    listed = sales(TECH).list_labour_operations({"q": "OIL"})["items"]
    assert [o["code"] for o in listed] == ["OIL-CHG"] and listed[0]["hours_by_class"] == {"suv": 0.8}
    assert sales(TECH).get_package("PKG-MINOR")["items"][1]["sku_options"] == ["OIL-0W20-1L"]


def test_hq_changes_a_package_and_new_quotes_take_the_change(sales, catalogue):
    before = add_minor_service(sales)
    with pytest.raises(Invalid) as fixed:  # (HQ only: the gateway's roles, as for every catalogue write)
        sales(HQ).update_package("PKG-MINOR", {"code": "PKG-OTHER"})
    assert fixed.value.code == "package_code_fixed"
    with pytest.raises(Invalid):  # an item must still name a real operation
        sales(HQ).update_package("PKG-MINOR", {"items": [{"kind": "labour", "op_code": "NOPE"}]})
    with pytest.raises(Invalid):
        sales(HQ).update_package(catalogue["id"], {"fixed_price_fen": None})
    changed = sales(HQ).update_package(catalogue["id"], {
        "name": "小保养（全合成）", "fixed_price_fen": 45900,
        "items": [{"kind": "labour", "op_code": "OIL-CHG"}, {"kind": "part", "sku": "OIL-0W20-1L", "qty": 4}]})
    assert changed["name"] == "小保养（全合成）" and [i["kind"] for i in changed["items"]] == ["labour", "part"]
    assert changed["code"] == "PKG-MINOR" and sales(TECH).get_package("PKG-MINOR")["items"][1]["qty"] == 4
    after = add_minor_service(sales)
    assert [line["sku"] for line in after["lines"] if line["kind"] == "part"] == ["OIL-0W20-1L"]
    assert len(sales().get_quote(before["id"])["lines"]) == 4  # a quote made before keeps its lines
    assert sales(HQ).update_package("PKG-MINOR", {"active": False})["active"] is False


def test_a_package_offered_by_some_stores_is_quoted_and_listed_only_there(sales, catalogue):
    only_s2 = sales(HQ).update_package("PKG-MINOR", {"store_ids": ["s2", "s2", "s3"]})
    assert only_s2["store_ids"] == ["s2", "s3"]
    assert "PKG-MINOR" not in [p["code"] for p in sales().list_packages({"store_id": "s1"})["items"]]
    assert "PKG-MINOR" in [p["code"] for p in sales().list_packages({"store_id": "s2"})["items"]]
    with pytest.raises(Conflict) as refused:  # the quote is of store s1
        add_minor_service(sales)
    assert refused.value.code == "package_not_offered_here" and refused.value.params == {"package": "小保养"}
    assert sales(HQ).update_package("PKG-MINOR", {"store_ids": None})["store_ids"] is None  # every store again
    assert "PKG-MINOR" in [p["code"] for p in sales().list_packages({"store_id": "s1"})["items"]]
    assert [line["kind"] for line in add_minor_service(sales)["lines"]][0] == "labour"


def test_labour_line_from_an_operation_takes_hours_for_the_vehicle_class(sales, catalogue):
    quote = sales().create_quote({"visit_id": visit(sales, "v2")["id"]})
    quote = sales().add_quote_line(quote["id"], {"kind": "labour", "op_code": "OIL-CHG"})
    line = quote["lines"][0]
    assert (line["description"], line["hours"], line["skill"], line["gross_fen"]) == (
        "更换机油机滤", 0.8, "general", 9600)
    flat = sales().add_quote_line(quote["id"], {"kind": "labour", "description": "四轮定位", "flat_price_fen": 19800})
    assert flat["lines"][1]["gross_fen"] == 19800 and flat["lines"][1]["price_source"] == "flat"
    removed = sales().remove_quote_line(quote["id"], line["id"])
    assert [line["description"] for line in removed["lines"]] == ["四轮定位"]


# -- test drives ------------------------------------------------------------------------------

def test_a_test_drive_goes_out_and_comes_back(sales):
    drive = sales().book_test_drive({"store_id": "s1", "customer_id": "c1", "vehicle_description": "试驾车 汉 EV",
                                     "licence_number": "440301198504120011"})
    assert drive["state"] == "booked"
    out = sales().start_test_drive(drive["id"], {"mileage_out_km": 1200})
    assert out["state"] == "out" and out["time_out"]
    with pytest.raises(Invalid):
        sales().return_test_drive(drive["id"], {"mileage_in_km": 1100})
    back = sales().return_test_drive(drive["id"], {"mileage_in_km": 1215, "notes": "客户满意"})
    assert back["state"] == "returned" and back["mileage_in_km"] == 1215
    with pytest.raises(Conflict):
        sales().return_test_drive(drive["id"], {})
    with pytest.raises(Forbidden):
        sales(OTHER).get_test_drive(drive["id"])


def test_crm_or_inventory_that_do_not_answer_give_a_clear_error_instead_of_hanging(sales, session, monkeypatch):
    import eventlet
    from services.common import upstream
    monkeypatch.setattr(upstream, "UPSTREAM_TIMEOUT", 0.05)

    class Silent:
        def __getattr__(self, _name):
            return lambda *args: eventlet.sleep(5)

    quote = sales().create_quote({"visit_id": visit(sales)["id"]})
    silent = worker_factory(SalesService, db=session, caller=ADVISOR, crm=Silent(), inventory=Silent())
    started = datetime.now(timezone.utc)
    with pytest.raises(Unavailable) as crm_down:
        silent.check_in({"store_id": "s1", "customer_id": "c1", "needs": ["repair"]})
    with pytest.raises(Unavailable) as inventory_down:
        silent.add_quote_line(quote["id"], {"kind": "part", "sku": "FILTER-OIL"})
    assert "crm" in crm_down.value.message and "Inventory" in inventory_down.value.message
    assert datetime.now(timezone.utc) - started < timedelta(seconds=3)
    missing = worker_factory(SalesService, db=session, caller=ADVISOR, crm=FakeCrm(), inventory=MethodNotFound())
    with pytest.raises(Unavailable):
        missing.add_quote_line(quote["id"], {"kind": "part", "sku": "FILTER-OIL"})


class MethodNotFound:
    def quote_parts(self, store_id, skus):
        raise RemoteError("MethodNotFound", "quote_parts")


def test_appointments_check_the_car_is_the_customers_and_no_shows_come_after_the_slot(sales, session):
    with pytest.raises(Invalid) as not_theirs:
        sales().book_appointment({"store_id": "s1", "customer_id": "c1", "vehicle_id": "v9", "slot_start": slot()})
    assert "vehicle_id" in not_theirs.value.fields
    booked = sales().book_appointment({"store_id": "s1", "customer_id": "c1", "slot_start": slot()})
    with pytest.raises(Conflict):
        sales().mark_no_show(booked["id"])
    from services.sales.models import Appointment
    session.get(Appointment, booked["id"]).slot_start = datetime.now(timezone.utc) - timedelta(hours=1)
    session.commit()
    assert sales().mark_no_show(booked["id"])["state"] == "no_show"
    with pytest.raises(Forbidden):
        sales(OTHER).get_appointment(booked["id"])


def test_store_overrides_are_visible_to_their_store_and_hq_only(sales):
    today = datetime.now(SHANGHAI).date().isoformat()
    sales(HQ).create_price_entry({"kind": "fee", "key": "SUPPLIES", "price_fen": 1500, "effective_from": today})
    sales(MANAGER).create_price_entry({"kind": "fee", "key": "SUPPLIES", "store_id": "s1", "price_fen": 1200,
                                       "effective_from": today})
    assert {e["price_fen"] for e in sales().list_price_entries({})["items"]} == {1500, 1200}
    assert {e["price_fen"] for e in sales(OTHER).list_price_entries({})["items"]} == {1500}
    assert {e["price_fen"] for e in sales(HQ).list_price_entries({"store_id": ""})["items"]} == {1500}
    with pytest.raises(Forbidden):
        sales(OTHER).list_price_entries({"store_id": "s1"})


def test_quote_lists_carry_versions_and_orders(sales):
    first = confirmed_order(sales)
    draft = quote_with_lines(sales)
    listed = {q["id"]: q for q in sales().list_quotes({"store_id": "s1"})["items"]}
    assert listed[first["quote_id"]]["order_id"] == first["id"] and listed[draft["id"]]["order_id"] is None
    assert listed[draft["id"]]["versions"] == [{"id": draft["id"], "version": 1, "state": "draft"}]
    assert listed[draft["id"]]["totals"]["total_fen"] == 39200


def test_parts_are_quoted_under_the_catalogues_sku_and_inactive_ones_refused(sales, inventory):
    inventory.parts["OLD-PART"] = {"name": "停产件", "unit": "个", "unit_price_fen": 100, "cost_fen": None,
                                   "available": 3, "active": False}
    original = inventory.quote_parts

    def canonical(store_id, skus):
        asked = {sku.upper(): sku for sku in skus}
        answer = original(store_id, list(asked))
        for item in answer["items"]:
            item["catalogue_sku"], item["sku"] = item["sku"], asked[item["sku"]]
        return answer

    inventory.quote_parts = canonical
    quote = sales().create_quote({"visit_id": visit(sales)["id"]})
    quote = sales().add_quote_line(quote["id"], {"kind": "part", "sku": "filter-oil"})
    assert quote["lines"][0]["sku"] == "FILTER-OIL"
    with pytest.raises(Invalid) as inactive:
        sales().add_quote_line(quote["id"], {"kind": "part", "sku": "OLD-PART"})
    assert "no longer sold" in inactive.value.message


def test_only_the_customers_own_declined_work_can_be_quoted_again(sales):
    quote = sales().create_quote({"visit_id": visit(sales)["id"]})
    with pytest.raises(Invalid) as unknown:
        sales().add_quote_line(quote["id"], {"kind": "fee", "description": "x", "unit_price_fen": 1,
                                             "declined_work_id": "nope"})
    assert "declined_work_id" in unknown.value.fields


def test_a_package_picks_the_part_that_fits_the_car(sales, session):
    hq = sales(HQ)
    hq.create_labour_operation({"code": "AIR", "name": "更换空滤", "category": "maintenance", "standard_hours": 0.2})
    hq.create_package({"code": "PKG-AIR", "name": "空滤更换", "items": [
        {"kind": "labour", "op_code": "AIR"},
        {"kind": "part", "sku": "FILTER-OIL", "sku_by_vehicle": {"丰田 汉兰达": "PAD-FRONT", "本田": "OIL-0W20-1L"}}]})
    camry = sales().create_quote({"visit_id": visit(sales, "v1")["id"]})  # 丰田 凯美瑞: the default part
    assert sales().add_quote_package(camry["id"], {"package": "PKG-AIR"})["lines"][1]["sku"] == "FILTER-OIL"
    highlander = sales().create_quote({"visit_id": visit(sales, "v2")["id"]})  # 丰田 汉兰达: by make and model
    assert sales().add_quote_package(highlander["id"], {"package": "PKG-AIR"})["lines"][1]["sku"] == "PAD-FRONT"
    override = sales().create_quote({"visit_id": visit(sales, "v2")["id"]})
    chosen = sales().add_quote_package(override["id"], {"package": "PKG-AIR", "part_choices": {"1": "FILTER-OIL"}})
    assert chosen["lines"][1]["sku"] == "FILTER-OIL"


def test_close_ratio_of_several_stores_in_one_call_equals_each_store_alone(sales):
    approved, declined = quote_with_lines(sales), quote_with_lines(sales, vehicle_id="v2")
    for quote in (approved, declined):
        sales().present_quote(quote["id"])
    sales().decide_quote(approved["id"], {"approved_line_ids": line_ids(approved), "declined_line_ids": []})
    today = datetime.now(timezone.utc).date().isoformat()
    alone = sales(MANAGER).quote_stats({"store_id": "s1", "from": today, "to": today, "time_zone": "UTC"})
    assert (alone["presented"], alone["approved"], alone["close_ratio_pct"]) == (2, 1, 50)
    both = sales(HQ).quote_stats_for_stores({"from": today, "to": today, "stores": [
        {"store_id": "s1", "time_zone": "UTC"}, {"store_id": "s2", "time_zone": "Asia/Shanghai"}]})["items"]
    assert both[0] == alone
    assert (both[1]["store_id"], both[1]["presented"], both[1]["close_ratio_pct"]) == ("s2", 0, None)
    with pytest.raises(Forbidden):
        sales(MANAGER).quote_stats_for_stores({"from": today, "to": today, "stores": [{"store_id": "s2"}]})
    with pytest.raises(Invalid):
        sales(HQ).quote_stats_for_stores({"from": today, "to": "2020-01-01", "stores": [{"store_id": "s1"}]})


def test_advisor_scorecards_count_each_advisors_quotes_value_finding_quotes_and_name_the_orders_advisors(sales):
    won, lost = quote_with_lines(sales), quote_with_lines(sales, vehicle_id="v2")
    for quote in (won, lost):
        sales().present_quote(quote["id"])
    [labour_line] = [line for line in won["lines"] if line["kind"] == "labour"]
    sales().decide_quote(won["id"], {"approved_line_ids": [labour_line["id"]],
                                     "declined_line_ids": [i for i in line_ids(won) if i != labour_line["id"]]})
    sales().decide_quote(lost["id"], {"approved_line_ids": [], "declined_line_ids": line_ids(lost)})
    order = contract(sales, won["id"], deposit_fen=0)  # only the labour approved: less than the usual deposit
    today = datetime.now(timezone.utc).date().isoformat()
    found = sales(MANAGER).advisor_scorecards({"store_id": "s1", "from": today, "to": today, "time_zone": "UTC",
                                               "finding_quotes": [won["id"], lost["id"]],
                                               "order_ids": [order["id"], "no-such-order"]})
    [mine] = found["advisors"]
    assert (mine["advisor_id"], mine["presented"], mine["approved"]) == ("adv", 2, 1)
    asked = sum(line["net_fen"] for quote in (won, lost) for line in sales().get_quote(quote["id"])["lines"])
    assert mine["inspection_quoted_fen"] == asked
    assert mine["inspection_approved_fen"] == next(line["net_fen"] for line in sales().get_quote(won["id"])["lines"]
                                                   if line["id"] == labour_line["id"]) > 0
    assert found["order_advisors"] == {order["id"]: "adv"}
    with pytest.raises(Forbidden):
        sales(OTHER).advisor_scorecards({"store_id": "s1", "from": today, "to": today})


# -- privacy ----------------------------------------------------------------------------------

def test_a_customers_erasure_reaches_every_copy_sales_keeps_once_per_event(sales, session):
    """crm's customer_erased: visits' name and plate, the contract's signatory, the test drive's
    licence and every note about the customer go; another customer's documents are untouched."""
    order = confirmed_order(sales)
    noted = visit(sales, notes="张伟 13812345678", expectations="张伟要求下午取车")
    appointment = sales().book_appointment({"store_id": "s1", "customer_id": "c1", "vehicle_id": "v1",
                                            "slot_start": slot(), "services": ["保养"], "notes": "张伟 来电预约"})
    drive = sales().book_test_drive({"store_id": "s1", "customer_id": "c1", "vehicle_description": "试驾车 汉 EV",
                                     "licence_number": "440301198504120011", "notes": "张伟 试驾"})
    other = sales().check_in({"store_id": "s1", "customer_id": "c2", "vehicle_id": "v9", "needs": ["保养"]})
    erased = envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": datetime.now(timezone.utc).isoformat()})
    sales(SYSTEM).on_customer_erased(erased)
    sales(SYSTEM).on_customer_erased(erased)  # redelivered: nothing more happens

    documents = [sales().get_visit(noted["id"]), sales().get_order(order["id"]), sales().get_quote(order["quote_id"]),
                 sales().get_test_drive(drive["id"]),
                 *sales().list_appointments({"store_id": "s1", "date": slot()[:10]})["items"]]
    visits = [v for v in sales().list_visits({"store_id": "s1"})["items"] if v["customer_id"] == "c1"]
    text = str(documents + visits)
    for personal in ("张伟", "粤B12345", "13812345678", "440301198504120011"):
        assert personal not in text, personal
    assert {v["customer_name"] for v in visits} == {"已删除客户"} and {v["plate"] for v in visits} == {None}
    assert sales().get_order(order["id"])["totals"] == order["totals"]  # the contract's terms stay
    assert appointment["id"] in text
    kept = sales().get_visit(other["id"])
    assert (kept["customer_name"], kept["plate"]) == ("李娜", "粤B99999")


def test_a_drawn_contract_signature_matches_until_the_contract_changes_and_its_signer_is_erased(sales, session):
    """The signature is kept with the hash of the contract it signs; reading recomputes it: a contract
    changed behind the service's back no longer matches; erasing the customer blanks the signer, the hash holds."""
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    image = {"id": "s-01signature000000000000000", "storage_key": "s1/s-01signature000000000000000",
             "content_type": "image/png", "kind": "image", "size": 68, "sha256": "a" * 64, "signer": "张伟"}
    order = sales().contract_quote(quote["id"], {"payment_method": "cash", "signed_by": "张伟"}, signature=image)
    signature = order["signature"]
    assert (signature["id"], signature["signer"], signature["matches"]) == (image["id"], "张伟", True)
    again = sales().contract_quote(quote["id"], {"payment_method": "cash", "signed_by": "张伟"},
                                   signature={**image, "id": "s-01signature000000000000001"})
    assert again["signature"]["id"] == image["id"]  # a repeated contract keeps the first signature

    erased = envelope("crm.customer_erased", {"customer_id": "c1", "erased_at": datetime.now(timezone.utc).isoformat()})
    sales(SYSTEM).on_customer_erased(erased)
    kept = sales().get_order(order["id"])["signature"]
    assert (kept["signer"], kept["matches"]) == ("已删除客户", True)

    session.execute(update(Order).where(Order.id == order["id"]).values(deposit_fen=order["deposit_fen"] + 100))
    session.commit()
    tampered = sales().get_order(order["id"])["signature"]
    assert tampered["matches"] is False and tampered["current_sha256"] != tampered["document_sha256"]


def test_the_catalogues_operations_are_read_by_their_codes_at_once(sales):
    """finance's fapiao worker reads the tax codes of an invoice's labour in one call; unknown codes are left out."""
    for code, tax_code in (("ALIGN", "3040409990000000001"), ("WASH", None)):
        sales(HQ).create_labour_operation({"code": code, "name": code, "category": "repair", "standard_hours": 1,
                                           **({"tax_code": tax_code} if tax_code else {})})
    found = sales().catalogue_operations(["WASH", "ALIGN", "NO-SUCH", "ALIGN"])["items"]
    assert [(item["code"], item["tax_code"]) for item in found] == [("ALIGN", "3040409990000000001"), ("WASH", None)]
    assert sales().catalogue_operations([])["items"] == []
    with pytest.raises(Invalid):
        sales().catalogue_operations("ALIGN")


def test_an_inspection_finding_is_quoted_with_the_parts_its_operation_needs(sales, inventory):
    """A red finding recommending a brake job becomes a quote of the labour and the brake pads, as
    the brake package would bring them; a finding without a recommended operation adds nothing."""
    sales(HQ).create_labour_operation({
        "code": "BRK-PAD-F", "name": "更换前刹车片", "category": "repair", "standard_hours": 1, "skill": "brakes",
        "parts": [{"sku": "PAD-FRONT", "qty": 1}, {"sku": "OIL-5W30-1L", "qty": 0.5}]})
    assert sales().get_labour_operation("BRK-PAD-F")["parts"] == [{"sku": "PAD-FRONT", "qty": 1},
                                                                  {"sku": "OIL-5W30-1L", "qty": 0.5}]
    with pytest.raises(Invalid) as unknown:  # the parts it names must exist
        sales(HQ).create_labour_operation({"code": "X-1", "name": "x", "category": "repair", "standard_hours": 1,
                                           "parts": [{"sku": "NO-SUCH-PART"}]})
    assert unknown.value.code == "unknown_part" and "0" in unknown.value.fields["parts"]
    with pytest.raises(Invalid):
        sales(HQ).update_labour_operation("BRK-PAD-F", {"parts": [{"sku": "NO-SUCH-PART"}]})
    quote = quote_with_lines(sales)
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    order = contract(sales, quote["id"])
    findings = [{"area": "brakes", "item": "前刹车片", "condition": "red", "notes": "剩余 2mm",
                 "recommended_op_code": "BRK-PAD-F"},
                {"area": "tyres", "item": "左前轮胎", "condition": "yellow"}]
    second = sales(SYSTEM).quote_findings(order["id"], findings)
    assert [(line["kind"], line["op_code"], line["sku"], line["qty"]) for line in second["lines"]] == [
        ("labour", "BRK-PAD-F", None, 1), ("part", None, "PAD-FRONT", 1), ("part", None, "OIL-5W30-1L", 0.5)]
    pads = second["lines"][1]
    assert pads["unit_price_fen"] == 38000 and pads["available"] is False  # priced and checked by inventory
    assert inventory.calls[-1] == ("s1", ["PAD-FRONT", "OIL-5W30-1L"])


def test_a_confirmed_order_names_each_operations_category_for_the_comeback_rule(sales, session):
    sales(HQ).create_labour_operation({"code": "BRK-PAD-F", "name": "更换前刹车片", "category": "repair",
                                       "standard_hours": 1, "skill": "brakes"})
    service = sales()
    quote = service.create_quote({"visit_id": visit(sales)["id"]})
    service.add_quote_line(quote["id"], {"kind": "labour", "op_code": "BRK-PAD-F"})
    quote = service.add_quote_line(quote["id"], {"kind": "labour", "description": "洗车", "hours": 0.5})
    service.present_quote(quote["id"])
    service.decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    contract(sales, quote["id"])
    [event] = events(session, "order_confirmed")
    lines = OrderConfirmed().load(event["payload"])["lines"]
    assert [(line["op_code"], line["op_category"]) for line in lines] == [("BRK-PAD-F", "repair"), (None, None)]


def test_close_ratio_per_day_week_or_month_counts_a_quote_in_the_period_it_was_presented(sales, session):
    from services.sales.models import Quote
    approved, declined = quote_with_lines(sales), quote_with_lines(sales, vehicle_id="v2")
    for quote in (approved, declined):
        sales().present_quote(quote["id"])
    sales().decide_quote(approved["id"], {"approved_line_ids": line_ids(approved), "declined_line_ids": []})
    shanghai = ZoneInfo("Asia/Shanghai")
    session.get(Quote, approved["id"]).presented_at = datetime(2026, 11, 29, 23, 50, tzinfo=shanghai)  # week 48
    session.get(Quote, declined["id"]).presented_at = datetime(2026, 11, 30, 0, 10, tzinfo=shanghai)  # week 49
    session.commit()

    def stats(group):
        return [(row["period"], row["presented"], row["approved"], row["close_ratio_pct"])
                for row in sales(HQ).quote_stats_for_stores({"from": "2026-11-29", "to": "2026-12-01", "group": group,
                                                             "stores": [{"store_id": "s1"}]})["items"]]
    assert stats("week") == [("2026-W48", 1, 1, 100), ("2026-W49", 1, 0, 0)]
    assert stats("day") == [("2026-11-29", 1, 1, 100), ("2026-11-30", 1, 0, 0), ("2026-12-01", 0, 0, None)]
    assert stats("month") == [("2026-11", 2, 1, 50), ("2026-12", 0, 0, None)]
    assert stats(None) == [(None, 2, 1, 50)]


# -- issue 18: the counter's rules --------------------------------------------------------------

def test_a_car_takes_one_bay_of_a_slot_and_never_two_overlapping_slots(sales, crm):
    booking = {"store_id": "s1", "customer_id": "c1", "vehicle_id": "v1", "slot_start": slot(hour=10)}
    first = sales().book_appointment(booking)
    for caller, extra in ((ADVISOR, {}), (MANAGER, {"override_capacity": True})):  # overbooking is for other cars
        with pytest.raises(Conflict) as again:
            sales(caller).book_appointment({**booking, **extra})
        assert again.value.code == "already_booked" and again.value.params["appointment_id"] == first["id"]
        assert "vehicle_id" in again.value.fields
    assert sales().book_appointment({**booking, "slot_start": slot(hour=11)})["state"] == "booked"
    sales(MANAGER).save_sales_settings("s1", {"slot_minutes": 30})
    with pytest.raises(Conflict) as overlapping:  # 10:30–11:00 lies within the 60-minute 10:00 booking
        sales().book_appointment({**booking, "slot_start": slot(hour=10)[:11] + "10:30:00+08:00"})
    assert overlapping.value.code == "already_booked"
    walk_in = {"store_id": "s1", "customer_id": "c2", "slot_start": slot(hour=14)}  # no car named: the customer
    sales().book_appointment(walk_in)
    with pytest.raises(Conflict):
        sales().book_appointment(walk_in)
    sales().cancel_appointment(first["id"], {})
    assert sales().book_appointment(booking)["state"] == "booked"  # a cancelled booking frees the car


def test_slots_follow_the_stores_opening_hours(sales):
    hours = sales(TECH).get_sales_settings("s1")
    assert (hours["opens_at"], hours["closes_at"]) == ("08:30", "18:00")
    booking = {"store_id": "s1", "customer_id": "c1", "vehicle_id": "v1"}
    for hour in (3, 8, 18, 23):  # 08:00 before opening; 18:00 would end after closing
        with pytest.raises(Invalid) as outside:
            sales().book_appointment({**booking, "slot_start": slot(hour=hour)})
        assert outside.value.code == "slot_outside_opening_hours" and "slot_start" in outside.value.fields
        assert outside.value.params == {"opens_at": "08:30", "closes_at": "18:00"}
    assert sales().book_appointment({**booking, "slot_start": slot(hour=17)})["state"] == "booked"
    sales(MANAGER).save_sales_settings("s1", {"opens_at": "07:00", "closes_at": "21:00"})
    assert sales().book_appointment({**booking, "slot_start": slot(hour=7)})["state"] == "booked"
    with pytest.raises(Invalid) as backwards:
        sales(MANAGER).save_sales_settings("s1", {"opens_at": "22:00"})
    assert backwards.value.code == "opening_hours_invalid"
    with pytest.raises(Invalid):
        sales(MANAGER).save_sales_settings("s1", {"opens_at": "25:00"})


def test_checking_a_car_in_twice_gives_its_open_visit_until_it_leaves(sales, session, crm):
    first = visit(sales)
    assert visit(sales)["id"] == first["id"] and len(events(session, "visit_checked_in")) == 1
    assert visit(sales, vehicle_id="v2")["id"] != first["id"]  # another car
    crm.vehicles["v1"]["customer_id"] = "c2"  # sold while it is here: not the same check-in
    with pytest.raises(Conflict) as sold:
        sales().check_in({"store_id": "s1", "customer_id": "c2", "vehicle_id": "v1", "needs": ["repair"]})
    assert sold.value.code == "visit_already_open" and sold.value.params == {"visit_id": first["id"]}
    crm.vehicles["v1"]["customer_id"] = "c1"
    # a visit of an earlier day without an order under way: the car left, this is a new visit
    session.execute(update(Visit).where(Visit.id == first["id"])
                    .values(checked_in_at=datetime.now(timezone.utc) - timedelta(days=1)))
    session.commit()
    today = visit(sales)
    assert today["id"] != first["id"] and sales().get_visit(first["id"])["closed_at"] is not None
    # a car in the workshop for days keeps its visit until it is delivered
    quote = sales().create_quote({"visit_id": today["id"]})
    quote = sales().add_quote_line(quote["id"], {"kind": "fee", "description": "检测费", "unit_price_fen": 5000})
    sales().present_quote(quote["id"])
    sales().decide_quote(quote["id"], {"approved_line_ids": line_ids(quote), "declined_line_ids": []})
    order = contract(sales, quote["id"], deposit_fen=0)
    session.execute(update(Visit).where(Visit.id == today["id"])
                    .values(checked_in_at=datetime.now(timezone.utc) - timedelta(days=3)))
    session.commit()
    assert visit(sales)["id"] == today["id"]
    sales(SYSTEM).on_vehicle_delivered(delivered(order))
    assert sales().get_visit(today["id"])["closed_at"] is not None
    assert visit(sales)["id"] not in (first["id"], today["id"])


def test_a_part_line_is_available_only_when_the_stock_covers_the_quantity(sales, inventory, catalogue):
    quote = sales().create_quote({"visit_id": visit(sales)["id"]})
    for qty in (5, 6):  # 5 filters free at the store
        quote = sales().add_quote_line(quote["id"], {"kind": "part", "sku": "FILTER-OIL", "qty": qty})
    assert [(line["qty"], line["available"], line["available_qty"]) for line in quote["lines"]] == [
        (5, True, 5), (6, False, 5)]
    inventory.parts["OIL-0W20-1L"]["available"] = 2
    package = sales().add_quote_package(quote["id"], {"package": "PKG-MINOR", "part_choices": {"1": "OIL-0W20-1L"}})
    oil = next(line for line in package["lines"] if line["sku"] == "OIL-0W20-1L")
    assert (oil["qty"], oil["available"], oil["available_qty"]) == (4, False, 2)  # 4 L asked, 2 L free


def test_inactive_operations_unknown_parts_and_stray_part_choices_are_refused_by_name(sales, catalogue):
    quote = sales().create_quote({"visit_id": visit(sales)["id"]})
    sales(HQ).update_labour_operation("OIL-CHG", {"active": False})
    with pytest.raises(Invalid) as inactive:
        sales().add_quote_line(quote["id"], {"kind": "labour", "op_code": "OIL-CHG"})
    assert inactive.value.code == "operation_inactive" and "op_code" in inactive.value.fields
    with pytest.raises(Invalid) as unknown_op:
        sales().add_quote_line(quote["id"], {"kind": "labour", "op_code": "NO-SUCH-OP"})
    assert unknown_op.value.code == "unknown_operation" and "op_code" in unknown_op.value.fields
    with pytest.raises(Invalid) as in_package:  # a package holding it cannot be quoted either
        sales().add_quote_package(quote["id"], {"package": "PKG-MINOR"})
    assert in_package.value.code == "operation_inactive"
    with pytest.raises(Invalid) as packaged:
        sales(HQ).create_package({"code": "PKG-OLD", "name": "旧", "items": [{"kind": "labour", "op_code": "OIL-CHG"}]})
    assert packaged.value.code == "operation_inactive" and packaged.value.fields == {
        "items": {"0": {"op_code": ["Inactive operation OIL-CHG."]}}}
    sales(HQ).update_labour_operation("OIL-CHG", {"active": True})
    for item in ({"kind": "part", "sku": "NO-SUCH-SKU"},
                 {"kind": "part", "sku": "FILTER-OIL", "sku_options": ["NO-SUCH-SKU"]},
                 {"kind": "part", "sku": "FILTER-OIL", "sku_by_vehicle": {"丰田": "NO-SUCH-SKU"}}):
        with pytest.raises(Invalid) as unknown_part:
            sales(HQ).create_package({"code": "PKG-BAD", "name": "坏", "items": [
                {"kind": "labour", "op_code": "OIL-CHG"}, item]})
        assert unknown_part.value.code == "unknown_part" and unknown_part.value.params == {"skus": ["NO-SUCH-SKU"]}
        assert "1" in unknown_part.value.fields["items"]
    assert sales(TECH).list_packages({})["items"][0]["code"] == "PKG-MINOR"  # nothing half-created
    for stray in ("0", "3", "9"):  # the labour item, the fee item, no item at all
        with pytest.raises(Invalid) as not_a_part:
            sales().add_quote_package(quote["id"], {"package": "PKG-MINOR", "part_choices": {stray: "OIL-0W20-1L"}})
        assert not_a_part.value.code == "not_a_part_item" and stray in not_a_part.value.fields["part_choices"]
