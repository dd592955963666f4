"""finance's repair health-record worker (`upload_health_records`) against fakes of crm, sales and the
provincial system, real SQLite: the settlement queues the upload in its own transaction (once per settlement
number), the worker reads the cars and receptions in one call each with no transaction open, claims each row
once, sends it with no transaction open; the system down then back (queued with an attempt counted, then
uploaded, never sent twice); a record failing its checks is failed with its reasons and never sent, and goes
again once the data is fixed and a manager retries it. Only 一类/二类/三类 stores upload; a manager backfills
the settlements of days before the category was set (once each); a refund after the upload leaves a notice
(the interface has no correction)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import select, update

from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid
from services.finance.domain import health_records
from services.finance.models import Base, HealthRecordUpload, Invoice, Payment
from services.finance.providers import ProviderError
from services.finance.service import FinanceService
from tests.service.test_finance_service import CASHIER, MANAGER, STORE, SYSTEM, finance, issue
from tests.support.service import guarded, sqlite_session

VIN = "LSVAU2180N2183294"
LICENCE = "440106000123"


class Crm:
    def __init__(self, session, vin: str | None = VIN):
        self.session, self.vin, self.calls = session, vin, []

    def vehicles_for_records(self, ids):
        self.calls.append(sorted(ids))
        return {"items": [{"vehicle_id": vehicle_id, "plate": "粤A12345", "vin": self.vin} for vehicle_id in ids]}


class Sales:
    def __init__(self, mileage: int | None = 30100):
        self.mileage, self.calls = mileage, []

    def visits_for_orders(self, ids):
        self.calls.append(sorted(ids))
        return {"items": [{"order_id": order_id, "visit_id": "v-1", "checked_in_at": "2026-12-06T01:00:00+00:00",
                           "mileage_km": self.mileage, "needs": ["刹车异响"], "notes": None} for order_id in ids]}


class System:
    """The provincial system: records what it was sent, whether a transaction was open meanwhile."""

    def __init__(self, session):
        self.session, self.down, self.sent, self.open_during_call = session, False, [], []

    def upload(self, company_code: str, record: dict) -> str:
        self.open_during_call.append(self.session.in_transaction())
        if self.down:
            raise ProviderError(503, "unavailable")
        self.sent.append((company_code, record["basicInfo"]["costlistcode"]))
        return "新增成功"


class FakeSystem:
    def __init__(self, provider):
        self.provider = provider

    def for_store(self, *store_keys):
        return self.provider

    def configured(self):
        return self.provider is not None


@pytest.fixture
def session():
    with sqlite_session(Base.metadata, "finance", CASHIER.to_context()) as opened:
        yield opened


def settle(session, licence: str | None = LICENCE, category: str | None = "class_2") -> Invoice:
    finance(session, MANAGER).update_settings(STORE, {"repair_category": category})
    if licence:
        finance(session, MANAGER).update_settings(STORE, {"repair_licence_no": licence,
                                                          "repair_company_name": "广州天河汽车服务有限公司"})
    invoice = issue(session)
    finance(session, CASHIER).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["due_fen"]})
    session.commit()
    return session.get_one(Invoice, invoice["id"])


def upload_of(session, invoice: Invoice) -> HealthRecordUpload:
    return session.execute(select(HealthRecordUpload).where(HealthRecordUpload.invoice_id == invoice.id)
                           .execution_options(populate_existing=True)).scalar_one()


def tick(session, system: System, crm: Crm | None = None, sales: Sales | None = None, due: bool = True):
    """The timer once (the rows due now whatever their last attempt scheduled, unless `due` is False)."""
    if due:
        session.execute(update(HealthRecordUpload).where(HealthRecordUpload.status == "queued")
                        .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    crm, sales = crm or Crm(session), sales or Sales()
    worker_factory(FinanceService, db=session, caller=SYSTEM, health_record_system=FakeSystem(system),
                   crm=guarded(crm, "crm", session), sales=guarded(sales, "sales", session)).upload_health_records()
    return crm, sales


def test_the_settlement_queues_one_upload_per_settlement_number_in_its_own_transaction(session):
    invoice = settle(session)
    row = upload_of(session, invoice)
    assert (row.status, row.settlement_no, row.vehicle_id) == ("queued", invoice.number, "veh-1")
    assert health_records.queue_upload(session, invoice).id == row.id  # settled again: the same row
    session.commit()
    assert session.scalars(select(HealthRecordUpload)).all() == [row]


def test_the_system_down_then_back_uploads_once_with_no_transaction_open(session):
    invoice = settle(session)
    system = System(session)
    system.down = True
    crm, sales = tick(session, system)
    row = upload_of(session, invoice)
    assert (row.status, row.attempts) == ("queued", 1) and row.next_attempt_at > utcnow() and row.last_error
    assert crm.calls == [["veh-1"]] and sales.calls == [[invoice.order_id]]  # one call each for the batch
    tick(session, system, due=False)  # not due yet: backing off
    assert system.open_during_call == [False]
    system.down = False
    tick(session, system)
    row = upload_of(session, invoice)
    assert row.status == "uploaded" and row.uploaded_at is not None and row.plate == "粤A12345"
    assert row.record["basicInfo"]["repairmileage"] == "30100" and row.record["basicInfo"]["vin"] == VIN
    assert system.sent == [(LICENCE, invoice.number)] and system.open_during_call == [False, False]
    tick(session, system)
    assert system.sent == [(LICENCE, invoice.number)]  # uploaded: never sent again


def test_a_row_is_claimed_by_one_worker_only(session):
    invoice = settle(session)
    [due] = health_records.due(session, utcnow() + timedelta(seconds=1))
    session.commit()
    facts = ({"veh-1": {"plate": "粤A12345", "vin": VIN}},
             {invoice.order_id: {"mileage_km": 1, "needs": ["保养"], "checked_in_at": None}})
    first = health_records.prepare(session, due["id"], due["seen"], utcnow(), *facts)
    session.commit()
    second = health_records.prepare(session, due["id"], due["seen"], utcnow(), *facts)
    assert first is not None and first["company_code"] == LICENCE and second is None


def test_a_record_failing_its_checks_is_failed_with_its_reasons_never_sent_and_goes_again_once_fixed(session):
    invoice = settle(session)
    system = System(session)
    tick(session, system, crm=Crm(session, vin=None), sales=Sales(mileage=None))
    row = upload_of(session, invoice)
    assert (row.status, row.failure_code, row.failure) == ("failed", "vin_missing", "vin_missing,mileage_missing")
    assert system.sent == []
    assert finance(session, MANAGER).list_health_record_uploads({"store_id": STORE, "status": "failed"})[
        "items"][0]["failure_codes"] == ["vin_missing", "mileage_missing"]
    with pytest.raises(Forbidden):
        finance(session, CASHIER).retry_health_record_upload(row.id)
    assert finance(session, MANAGER).retry_health_record_upload(row.id)["status"] == "queued"
    session.commit()
    with pytest.raises(Conflict):
        finance(session, MANAGER).retry_health_record_upload(row.id)
    session.rollback()
    tick(session, system)  # the VIN and the mileage entered meanwhile
    assert upload_of(session, invoice).status == "uploaded" and system.sent == [(LICENCE, invoice.number)]


def test_a_store_without_its_licence_number_fails_with_that_reason(session):
    invoice = settle(session, licence=None)
    tick(session, System(session))
    row = upload_of(session, invoice)
    assert (row.status, row.failure_code) == ("failed", "licence_missing")
    assert "company_name_missing" in row.failure


def test_an_erased_customers_plate_and_vin_leave_the_uploads(session):
    invoice = settle(session)
    tick(session, System(session))
    assert upload_of(session, invoice).record["basicInfo"]["vin"] == VIN
    finance(session, SYSTEM).on_customer_erased({"event_id": "e-erase", "type": "crm.customer_erased",
                                                 "version": 1, "occurred_at": utcnow().isoformat(),
                                                 "store_id": None, "request_id": None,
                                                 "payload": {"customer_id": invoice.customer_id,
                                                             "erased_at": utcnow().isoformat()}})
    session.commit()
    row = upload_of(session, invoice)
    assert row.plate is None and (row.record["basicInfo"]["vin"], row.record["basicInfo"]["vehicleplatenumber"]) == (
        "", "")
    assert row.status == "uploaded" and row.record["basicInfo"]["costlistcode"] == invoice.number


def uploads_of(session, invoice: Invoice) -> list[HealthRecordUpload]:
    return list(session.scalars(select(HealthRecordUpload).where(HealthRecordUpload.invoice_id == invoice.id)))


@pytest.mark.parametrize("category", [None, "none"])
def test_a_store_that_is_not_a_class_1_2_or_3_repair_shop_uploads_nothing(session, category):
    invoice = settle(session, category=category)
    assert uploads_of(session, invoice) == []
    settings = finance(session, MANAGER).get_settings(STORE)
    assert (settings["repair_category"], settings["uploads_health_records"]) == (category, False)


def test_a_manager_backfills_the_settlements_of_days_before_the_category_was_set_once_each(session):
    before = [settle(session, category="none"), settle(session, category=None)]
    assert all(uploads_of(session, invoice) == [] for invoice in before)
    today = date.today()
    with pytest.raises(Conflict) as refused:  # still not a repair shop that uploads
        finance(session, MANAGER).backfill_health_records({"store_id": STORE, "from": str(today), "to": str(today)})
    assert refused.value.code == "health_record_not_required"
    session.rollback()
    after = settle(session, category="class_3")  # uploaded as settled
    span = {"store_id": STORE, "from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
    with pytest.raises(Forbidden):
        finance(session, CASHIER).backfill_health_records(span)
    session.rollback()
    answer = finance(session, MANAGER).backfill_health_records(span)
    session.commit()
    assert answer["queued"] >= 2 and answer["already"] >= 1
    assert all(len(uploads_of(session, invoice)) == 1 for invoice in [*before, after])
    assert finance(session, MANAGER).backfill_health_records(span)["queued"] == 0  # asked again: nothing new
    session.commit()
    system = System(session)
    tick(session, system)
    sent = [number for _, number in system.sent]
    assert sorted(sent) == sorted({*sent}) and {invoice.number for invoice in [*before, after]} <= {*sent}


def test_a_backfill_range_runs_forwards_and_at_most_a_year(session):
    settle(session)
    for first, last in ((date(2026, 3, 2), date(2026, 3, 1)), (date(2025, 1, 1), date(2026, 1, 2))):
        with pytest.raises(Invalid) as refused:
            finance(session, MANAGER).backfill_health_records({"store_id": STORE, "from": str(first),
                                                               "to": str(last)})
        assert refused.value.code == "health_record_range"
        session.rollback()


def test_a_refund_after_the_upload_leaves_a_notice_for_the_manager(session):
    uploaded, waiting = settle(session), settle(session)
    tick(session, System(session), due=True)
    row = upload_of(session, uploaded)
    assert row.status == "uploaded"
    session.execute(update(HealthRecordUpload).where(HealthRecordUpload.invoice_id == waiting.id)
                    .values(status="queued", uploaded_at=None))  # as if the system had not answered yet
    session.commit()
    for invoice in (uploaded, waiting):
        payment = session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)).one()
        finance(session, MANAGER).refund_payment(payment.id, {"amount_fen": 100, "reason": "返工"})
        session.commit()
    listed = finance(session, MANAGER).get_health_record_upload(row.id)
    assert (listed["status"], listed["notice"]) == ("uploaded", "refunded_after_upload") and listed["notice_at"]
    assert upload_of(session, waiting).notice is None  # not at the system yet: it goes as settled
