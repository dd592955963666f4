"""Costs of goods sold (from `inventory.stock_issued`: Dr 5001 COGS · Cr 1405 inventory) and store
expenses (Dr the category's expense account · Cr cash or bank)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller

from ..models import CostOfSale, Expense
from . import kpi_days, ledger
from .common import newest_first
from .ledger import BANK, CASH, COGS, EXPENSE_ACCOUNTS, INVENTORY, credit, debit

PAID_FROM = {"cash": CASH, "bank": BANK}


def record_cost_of_sale(session: Session, issued: dict) -> CostOfSale | None:
    cost = issued["cost_fen"]
    day = ledger.business_date(session, issued["store_id"])
    record = CostOfSale(order_id=issued["order_id"], work_order_id=issued.get("work_order_id"),
                        store_id=issued["store_id"], cost_fen=cost, business_date=day,
                        lines=[{**line, "qty": str(line["qty"]),
                                **({"qty_unissued": str(line["qty_unissued"])} if "qty_unissued" in line else {})}
                               for line in issued["lines"]])
    session.add(record)
    session.flush()
    kpi_days.count_cost(session, record.store_id, day, cost)
    ledger.post_journal_entry(session, issued["store_id"], [debit(COGS, cost), credit(INVENTORY, cost)],
                              source_type="cogs", source_id=record.id,
                              memo=f"Parts issued for order {issued['order_id']}", day=day)
    return record


def record_expense(session: Session, caller: Caller, data: dict) -> Expense:
    caller.require_store(data["store_id"])
    day = ledger.business_date(session, data["store_id"])
    expense = Expense(store_id=data["store_id"], category=data["category"], amount_fen=data["amount_fen"],
                      currency=data.get("currency", "CNY"), paid_from=data["paid_from"],
                      incurred_on=data.get("incurred_on") or day, business_date=day, vendor=data.get("vendor"),
                      description=data.get("description"), attachments=data.get("attachments") or [],
                      created_by=caller.user_id)
    session.add(expense)
    session.flush()
    ledger.post_journal_entry(session, expense.store_id, [
        debit(EXPENSE_ACCOUNTS[expense.category], expense.amount_fen),
        credit(PAID_FROM[expense.paid_from], expense.amount_fen)],
        source_type="expense", source_id=expense.id, memo=f"{expense.category}: {expense.vendor or ''}", day=day)
    record_audit(session, caller, "expense_recorded", "expense", expense.id, store_id=expense.store_id, details={
        "category": expense.category, "amount_fen": expense.amount_fen, "paid_from": expense.paid_from,
        "incurred_on": expense.incurred_on})
    return expense


def list_expenses(session: Session, stores: list[str] | None, params: dict) -> list[Expense]:
    span = []
    if params.get("from_"):
        span.append(Expense.incurred_on >= params["from_"])
    if params.get("to"):
        span.append(Expense.incurred_on <= params["to"])
    return newest_first(session, Expense, stores, params, ("category",), *span)
