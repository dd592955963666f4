"""finance against real PostgreSQL with simultaneous callers: two tills paying the full amount of one
invoice at once, a retried payment racing its original, two redeliveries issuing one invoice. The
invoice row lock and the idempotency key keep every outcome consistent and the books balanced."""
from __future__ import annotations

import threading
import uuid

import pytest
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.common.context import Caller
from services.common.db import make_engine
from services.common.errors import Conflict, Invalid
from services.common.migrate import upgrade
from services.finance.domain import ledger
from services.finance.models import CommissionTarget, Invoice, JournalEntry, KpiDay, Payment
from services.finance.service import FinanceService
from tests.service.test_finance_service import completed, envelope, order
from tests.support.service import RecordingRelay

STORE = f"store-{uuid.uuid4().hex[:6]}"
CASHIER = Caller(user_id="c1", role="cashier", store_ids=frozenset({STORE}))
SYSTEM = Caller()


@pytest.fixture(scope="module")
def engine(databases):
    url = databases.urls["finance"]
    upgrade("finance", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    opened = []

    def make():
        session = factory()
        session.info.update({"service": "finance", "relay": RecordingRelay(), "outbox": [], "context": {}})
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


def service(session, caller=CASHIER):
    return worker_factory(FinanceService, db=session, caller=caller)


def new_invoice(sessions) -> dict:
    confirmed = order(store_id=STORE)
    session = sessions()
    service(session, SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    service(session, SYSTEM).on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed)))
    return service(session, SYSTEM).list_invoices({"order_id": confirmed["order_id"]})["items"][0]


def race(sessions, calls, caller=CASHIER):
    """Run each call in its own thread and session, all released at once; (results, errors)."""
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        session = sessions()
        barrier.wait()
        try:
            results.append(call(service(session, caller)))
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def books_balance(sessions) -> bool:
    return ledger.trial_balance(sessions(), [STORE])["balanced"]


def test_two_tills_paying_the_full_amount_at_once_collect_it_once(sessions):
    invoice = new_invoice(sessions)
    full = {"method": "cash", "amount_fen": invoice["total_fen"]}
    results, errors = race(sessions, [lambda s: s.take_payment(invoice["id"], dict(full)),
                                      lambda s: s.take_payment(invoice["id"], {**full, "method": "wechat"})])
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], (Conflict, Invalid)) and "paid" in str(errors[0])
    check = sessions()
    stored = check.get(Invoice, invoice["id"])
    assert stored.status == "paid" and stored.paid_fen == invoice["total_fen"]
    assert check.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice["id"])) == 1
    assert books_balance(sessions)


def test_many_partial_payments_at_once_never_collect_more_than_the_total(sessions):
    invoice = new_invoice(sessions)
    part = invoice["total_fen"] // 3 + 1  # three fit only twice
    results, errors = race(sessions, [lambda s: s.take_payment(invoice["id"], {"method": "cash", "amount_fen": part})
                                      for _ in range(4)])
    assert len(results) == 2 and all(isinstance(e, Invalid) for e in errors)
    stored = sessions().get(Invoice, invoice["id"])
    assert stored.paid_fen == 2 * part <= stored.total_fen and stored.status == "partially_paid"
    assert books_balance(sessions)


def test_a_retry_racing_its_original_pays_once(sessions):
    invoice = new_invoice(sessions)
    body = {"method": "card", "amount_fen": 1_000}
    key = f"c1:{uuid.uuid4()}"
    results, errors = race(sessions, [lambda s: s.take_payment(invoice["id"], dict(body), idempotency_key=key)
                                      for _ in range(2)])
    assert errors == [] and results[0]["payment"]["id"] == results[1]["payment"]["id"]
    assert sessions().get(Invoice, invoice["id"]).paid_fen == 1_000
    assert books_balance(sessions)


@pytest.mark.parametrize("same_event", [True, False], ids=["redelivered", "two-completion-events"])
def test_a_completion_delivered_twice_at_once_issues_one_invoice(sessions, same_event):
    confirmed = order(store_id=STORE)
    service(sessions(), SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    done = completed(confirmed)
    one = envelope("workshop.work_order_completed", done)
    barrier = threading.Barrier(2)
    errors = []

    def deliver():
        session = sessions()
        barrier.wait()
        try:
            service(session, SYSTEM).on_work_order_completed(
                one if same_event else envelope("workshop.work_order_completed", done))
        except Exception as exc:  # noqa: BLE001 - the loser's unique violation is redelivered in production
            session.rollback()
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.order_id == confirmed["order_id"])) == 1
    entries = check.scalar(select(func.count()).select_from(JournalEntry).join(
        Invoice, Invoice.id == JournalEntry.source_id).where(Invoice.order_id == confirmed["order_id"]))
    assert entries == 1
    assert len(errors) <= 1
    assert books_balance(sessions)


def test_one_stored_value_card_spent_at_two_tills_at_once_never_goes_negative(sessions):
    first, second = new_invoice(sessions), new_invoice(sessions)
    card = service(sessions()).issue_card({"kind": "stored_value", "customer_id": "cust-1", "store_id": STORE,
                                           "top_up": {"amount_fen": 10_000, "bonus_fen": 0, "method": "cash"}})
    results, errors = race(sessions, [
        lambda s, invoice=invoice: s.take_payment(invoice["id"], {"method": "stored_value", "amount_fen": 8_000,
                                                                  "card_id": card["id"]})
        for invoice in (first, second)])
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict)
    left = service(sessions()).get_card(card["id"])
    assert left["paid_balance_fen"] == 2_000 and [t["kind"] for t in left["transactions"]] == [
        "issue", "top_up", "payment"]
    assert books_balance(sessions)


def test_closing_the_day_waits_for_a_payment_in_flight_and_counts_it(sessions):
    from services.finance.domain import payments
    store = f"store-{uuid.uuid4().hex[:6]}"
    cashier = Caller(user_id="c9", role="cashier", store_ids=frozenset({store}))
    manager = Caller(user_id="m9", role="store_manager", store_ids=frozenset({store}))
    confirmed = order(store_id=store)
    setup = sessions()
    service(setup, SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    service(setup, SYSTEM).on_work_order_completed(envelope("workshop.work_order_completed", completed(confirmed)))
    invoice = service(setup, SYSTEM).list_invoices({"order_id": confirmed["order_id"]})["items"][0]
    till = sessions()
    payment, _ = payments.take_payment(till, cashier, invoice["id"], {"method": "cash", "amount_fen": 7_000})
    day = payment.business_date  # not committed yet
    outcome = {}

    def close():
        outcome["report"] = service(sessions(), manager).close_day({
            "store_id": store, "date": day.isoformat(), "cash_counted_fen": 7_000})

    closer = threading.Thread(target=close)
    closer.start()
    closer.join(timeout=1.0)
    assert closer.is_alive(), "the close did not wait for the payment in flight"
    till.commit()
    closer.join(timeout=30)
    report = outcome["report"]
    assert report["takings"] == {"cash": 7_000} and report["cash_expected_fen"] == 7_000
    assert report["difference_fen"] == 0
    later = service(sessions(), cashier).take_payment(invoice["id"], {"method": "cash", "amount_fen": 100})
    assert later["payment"]["business_date"] > day.isoformat()  # the closed day takes no more
    assert ledger.trial_balance(sessions(), [store])["balanced"]


def test_invoices_issued_at_once_in_one_store_and_day_are_all_counted_in_the_kpi_day_book(sessions):
    store = f"store-{uuid.uuid4().hex[:6]}"
    orders = [order(store_id=store) for _ in range(6)]
    for confirmed in orders:
        service(sessions(), SYSTEM).on_order_confirmed(envelope("sales.order_confirmed", confirmed))
    _, errors = race(sessions, [
        lambda s, confirmed=confirmed: s.on_work_order_completed(envelope("workshop.work_order_completed",
                                                                          completed(confirmed)))
        for confirmed in orders], caller=SYSTEM)
    assert errors == []
    check = sessions()
    [day] = check.execute(select(KpiDay).where(KpiDay.store_id == store)).scalars()
    issued = check.execute(select(func.count(), func.sum(Invoice.labour_fen), func.sum(Invoice.parts_fen))
                           .where(Invoice.store_id == store)).one()
    assert (day.car_count, day.labour_fen, day.parts_fen) == tuple(issued) and issued[0] == 6


MANAGER = Caller(user_id="m1", role="store_manager", store_ids=frozenset({STORE}))


def test_a_months_targets_set_for_the_first_time_by_two_managers_at_once_are_one_row(sessions):
    """KPI targets and an employee's commission target: both first writes pass (the later one wins), no 500."""
    month = f"2031-{uuid.uuid4().int % 12 + 1:02d}"
    employee = f"e-{uuid.uuid4().hex[:6]}"
    results, errors = race(sessions, [lambda s: s.set_kpi_targets(STORE, month, {"car_count": 300}),
                                      lambda s: s.set_kpi_targets(STORE, month, {"car_count": 320})], MANAGER)
    assert not errors and len(results) == 2
    listed = service(sessions(), MANAGER).kpi_targets(STORE, {"from": month, "to": month})["items"]
    assert len(listed) == 1 and listed[0]["car_count"] in (300, 320)
    results, errors = race(sessions, [
        lambda s: s.set_commission_target(STORE, {"employee_id": employee, "month": month, "target_fen": 100_000}),
        lambda s: s.set_commission_target(STORE, {"employee_id": employee, "month": month, "target_fen": 120_000})],
        MANAGER)
    assert not errors and len(results) == 2
    check = sessions()
    rows = check.scalars(select(CommissionTarget).filter_by(store_id=STORE, employee_id=employee, month=month)).all()
    assert [row.target_fen in (100_000, 120_000) for row in rows] == [True]


def test_two_managers_approving_one_refund_request_at_once_refund_once(sessions):
    from services.finance.models import Refund, RefundRequest
    managers = [Caller(user_id=f"m{n}", role="store_manager", store_ids=frozenset({STORE})) for n in (1, 2)]
    invoice = new_invoice(sessions)  # ¥510.00, above the ¥500.00 limit
    paid = service(sessions()).take_payment(invoice["id"], {"method": "cash", "amount_fen": invoice["total_fen"]})
    request = service(sessions()).request_refund(paid["payment"]["id"], {"amount_fen": invoice["total_fen"],
                                                                         "reason": "整单退款"})
    results, errors = race(sessions, [lambda s, m=m: service(s.db, m).approve_refund_request(request["id"])
                                      for m in managers])
    assert errors == [] and {r["status"] for r in results} == {"refunded"}
    assert len({r["refund_id"] for r in results}) == 1 and len({r["decided_by"] for r in results}) == 1
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Refund).where(
        Refund.payment_id == paid["payment"]["id"])) == 1
    assert check.get(Invoice, invoice["id"]).refunded_fen == invoice["total_fen"]
    assert check.get(RefundRequest, request["id"]).refund_id == results[0]["refund_id"]
    assert books_balance(sessions)


def whole_invoice_claimed(sessions) -> tuple[list[Caller], dict, dict, dict]:
    """Two managers of the store, and a new invoice whose whole amount the till put on a new insurer:
    (managers, invoice, insurer, claim)."""
    from tests.service.test_company_accounts import Crm
    from tests.support.service import guarded
    managers = [Caller(user_id=f"m{n}", role="store_manager", store_ids=frozenset({STORE})) for n in (1, 2)]
    invoice = new_invoice(sessions)
    hq = service(sessions(), Caller(user_id="hq", role="hq_admin"))
    insurer = hq.create_insurer({"name": f"太平洋产险-{uuid.uuid4().hex[:6]}", "store_ids": [STORE]})
    till = service(sessions())
    till.crm = guarded(Crm(), "crm", till.db)
    claim = till.put_invoice_on_insurer(invoice["id"], {"insurer_id": insurer["id"], "amount_fen": invoice["total_fen"],
                                                        "claim_number": f"CPIC{uuid.uuid4().hex[:10]}"})["claim"]
    return managers, invoice, insurer, claim


def test_two_remittances_of_one_claim_at_once_never_pay_it_twice(sessions):
    """An insurer's remittance recorded twice at the same moment (two managers, two screens): the claim row is
    locked before its open amount is read, so the second sees the first and is refused; 1122 stays exact."""
    from services.finance.domain.reconciliation import open_receivables
    from services.finance.models import InsuranceClaim
    managers, invoice, insurer, claim = whole_invoice_claimed(sessions)
    lines = {"method": "bank", "lines": [{"claim_id": claim["id"], "amount_fen": invoice["total_fen"]}]}
    results, errors = race(sessions, [lambda s, m=m: service(s.db, m).receive_claim_remittance(
        insurer["id"], dict(lines), idempotency_key=uuid.uuid4().hex) for m in managers])
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], Conflict) and errors[0].code == "claim_remittance_above_open"
    check = sessions()
    stored = check.get(InsuranceClaim, claim["id"])
    assert (stored.paid_fen, stored.open_fen) == (invoice["total_fen"], 0)
    assert books_balance(sessions)
    sides = ledger.balances(check, [STORE])
    assert sides["1122"][0] - sides["1122"][1] == open_receivables(check, [STORE]).get(STORE, 0)


def test_two_managers_voiding_one_claim_at_once_void_it_once(sessions):
    """A claim put on an insurer by mistake voided at the same moment from two screens: the invoice, the insurer
    and the claim are locked before the claim's state is read, so the second sees the first's void and is
    refused (409 `claim_state`); the share is due on the invoice once, and 1122 stays exact."""
    from services.finance.domain.reconciliation import open_receivables
    from services.finance.models import InsuranceClaim, Insurer
    managers, invoice, insurer, claim = whole_invoice_claimed(sessions)
    results, errors = race(sessions, [lambda s, m=m: service(s.db, m).void_insurance_claim(
        claim["id"], {"reason": "报案号有误"}) for m in managers])
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], Conflict) and errors[0].code == "claim_state"
    check = sessions()
    stored = check.get(InsuranceClaim, claim["id"])
    assert stored.status == "voided" and stored.voided_by in ("m1", "m2")
    paid_back = check.get(Invoice, invoice["id"])
    assert (paid_back.paid_fen, paid_back.status) == (invoice["paid_fen"], invoice["status"])  # as before the claim
    assert check.get(Insurer, insurer["id"]).balance_fen == 0
    assert check.scalar(select(func.count()).select_from(JournalEntry).where(
        JournalEntry.source_type == "insurance_claim_void", JournalEntry.source_id == claim["id"])) == 1
    assert books_balance(sessions)
    sides = ledger.balances(check, [STORE])
    assert sides["1122"][0] - sides["1122"][1] == open_receivables(check, [STORE]).get(STORE, 0)
