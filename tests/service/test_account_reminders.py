"""Overdue company accounts (挂账逾期): a charge past its due date (its month's end + the account's
terms) is overdue; the account's list and page say how much and for how many days, the receivables
ageing puts it in its bucket; the daily job sends one reminder per account and day however often it
runs (finance's `company_account_overdue`), and crm texts the contact once (the customer with the
contact's mobile, else one of the account's people) with the Chinese template."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.common.messaging.templates import TEMPLATES
from services.common.outbox import OUTBOX
from services.crm.models import Message
from services.finance.domain import ledger
from services.finance.models import AccountCharge, AccountReminder
from tests.service.test_company_accounts import finance, opened
from tests.service.test_crm_messages import FakeProviders, crm
from tests.service.test_crm_messages import session as crm_db  # noqa: F401  (fixture)
from tests.service.test_finance_service import HQ, MANAGER, issue
from tests.service.test_finance_service import session as books  # noqa: F401  (fixture)
from tests.support import data


def overdue_events(session) -> list[dict]:
    return [envelope for kind, envelope in session.execute(select(OUTBOX.c.type, OUTBOX.c.envelope))
            if kind == "company_account_overdue"]


def charged(session, account: dict, days_late: int) -> dict:
    """An invoice charged to the account whose due date passed `days_late` days ago."""
    invoice = issue(session, customer_id="cust-9")
    finance(session).charge_invoice_to_account(invoice["id"], {"account_id": account["id"],
                                                               "amount_fen": invoice["total_fen"]})
    charge = session.scalars(select(AccountCharge).where(AccountCharge.invoice_id == invoice["id"])).one()
    charge.due_on = ledger.today(session, None) - timedelta(days=days_late)
    session.commit()
    return invoice


def test_an_overdue_account_is_marked_aged_and_reminded_once_a_day(books):  # noqa: F811
    session = books
    account = opened(session)
    finance(session, MANAGER).add_company_account_member(account["id"], {"vehicle_id": "veh-1"})
    quiet = opened(session, name="宁波无联系人公司", tax_number="91110000600037341L", contact_phone=None)
    assert finance(session).get_company_account(account["id"])["overdue_fen"] == 0
    invoice = charged(session, account, days_late=10)
    on_time = issue(session, customer_id="cust-9")  # charged today: due after this month ends
    finance(session).charge_invoice_to_account(on_time["id"], {"account_id": account["id"], "amount_fen": 1_000})

    listed = {row["id"]: row for row in finance(session).list_company_accounts({})["items"]}
    assert (listed[account["id"]]["overdue_fen"], listed[account["id"]]["overdue_days"]) == (invoice["total_fen"], 10)
    assert (listed[quiet["id"]]["overdue_fen"], listed[quiet["id"]]["overdue_days"]) == (0, 0)
    assert finance(session).get_company_account(account["id"])["overdue_days"] == 10
    ageing = finance(session, HQ).receivables_ageing({})
    [row] = [row for row in ageing["accounts"] if row["account_id"] == account["id"]]
    assert (row["days_1_30_fen"], row["current_fen"]) == (invoice["total_fen"], 1_000)

    service = finance(session, HQ)
    service.remind_overdue_accounts()
    service.remind_overdue_accounts()  # the job again the same day (another replica, a restart): nothing more
    [reminder] = session.scalars(select(AccountReminder)).all()
    assert (reminder.account_id, reminder.overdue_fen, reminder.days_overdue) == (
        account["id"], invoice["total_fen"], 10)
    [event] = overdue_events(session)
    assert event["payload"] == {
        "account_id": account["id"], "name": "宁波顺达物流有限公司", "contact_name": "王经理",
        "contact_phone": "13812345678", "day": ledger.today(session, None).isoformat(),
        "overdue_fen": invoice["total_fen"], "overdue_days": 10, "member_customer_ids": []}

    # paid up: nothing overdue, no reminder the next day
    finance(session).receive_account_payment(account["id"], {"method": "bank", "amount_fen": invoice["total_fen"]})
    assert finance(session).get_company_account(account["id"])["overdue_fen"] == 0
    session.execute(AccountReminder.__table__.delete())
    service.remind_overdue_accounts()
    assert session.scalars(select(AccountReminder)).all() == [] and len(overdue_events(session)) == 1


def overdue(payload: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "finance.company_account_overdue", "version": 1, "store_id": None,
            "request_id": None, "occurred_at": datetime.now(timezone.utc).isoformat(), "payload": payload}


def test_crm_texts_the_contact_once_in_chinese(crm_db):  # noqa: F811
    providers = FakeProviders()
    service = crm(crm_db, providers)
    contact = service.register_customer({"name": "王经理", "mobile": data.mobile(), "home_store_id": "s1"})
    payload = {"account_id": "acc-1", "name": "宁波顺达物流有限公司", "contact_name": "王经理",
               "contact_phone": contact["mobile"], "day": "2026-12-07", "overdue_fen": 51_000, "overdue_days": 10,
               "member_customer_ids": []}
    service.on_company_account_overdue(overdue(payload))
    service.on_company_account_overdue(overdue(payload))  # the same day's reminder heard twice
    service.send_messages()
    [sent] = providers.sent
    assert (sent.template, sent.mobile) == ("account_overdue", contact["mobile"])
    assert TEMPLATES["account_overdue"].render(sent.params) == (
        "宁波顺达物流有限公司 王经理您好：贵单位挂账欠款 ¥510.00 已逾期 10 天，请尽快结清。如已付款请忽略。")

    # a contact crm does not know: the account's own people are texted instead; nobody at all: nothing
    member = service.register_customer({"name": "李司机", "mobile": data.mobile(), "home_store_id": "s1"})
    service.on_company_account_overdue(overdue({**payload, "account_id": "acc-2", "contact_phone": "13900000000",
                                                "member_customer_ids": [member["id"]]}))
    service.on_company_account_overdue(overdue({**payload, "account_id": "acc-3", "contact_phone": "13900000001"}))
    assert [(m.customer_id, m.dedupe_key) for m in crm_db.scalars(select(Message).order_by(Message.created_at))] == [
        (contact["id"], "overdue:acc-1:2026-12-07"), (member["id"], "overdue:acc-2:2026-12-07")]
