"""Daily close (日结) per store and store-local day: takings and refunds per method, invoices issued
and paid, open receivables, cash expected (the day's net cash movement in the journal: payments,
deposits, top-ups, refunds and cash expenses; the till float is not tracked) against cash counted.
The difference posts to 6711 cash over/short on that day; after that the day is closed and anything
later posts to the next open day. On PostgreSQL the close takes the store's business-day lock
exclusively (postings hold it shared), so a payment in flight is either counted or lands on the next day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.errors import Conflict, Invalid

from ..models import CardTransaction, DailyClose, Invoice, JournalEntry, JournalLine, MonthClose, Payment, Refund
from . import ledger, statements
from .common import require_manager
from .ledger import AR, CASH, CASH_OVER_SHORT, credit, debit


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def daily_report(session: Session, store_id: str, day: date) -> dict:
    """The day's close (as it stood when closed, or as it stands), with the providers' statements of the day
    as far as the store's lines go (they arrive the next morning: read now, never frozen into the close)."""
    closed = session.execute(select(DailyClose).where(DailyClose.store_id == store_id,
                                                      DailyClose.business_date == day)).scalar_one_or_none()
    provider_days = {"provider_statements": statements.provider_totals(session, store_id, day)}
    if closed is not None:
        return {**closed.summary, **provider_days, "closed": True, "cash_counted_fen": closed.cash_counted_fen,
                "difference_fen": closed.difference_fen, "closed_by": closed.closed_by,
                "closed_at": closed.closed_at.isoformat(), "note": closed.note}
    return {**compute_summary(session, store_id, day), **provider_days, "closed": False, "cash_counted_fen": None,
            "difference_fen": None, "closed_by": None, "closed_at": None, "note": None}


def compute_summary(session: Session, store_id: str, day: date) -> dict:
    tz = ledger.settings_of(session, store_id).time_zone
    takings: dict[str, int] = {}
    for method, total in session.execute(
            select(Payment.method, func.sum(Payment.amount_fen))
            .where(Payment.store_id == store_id, Payment.business_date == day)
            .group_by(Payment.method)):
        takings[method] = int(total)
    top_ups: dict[str, int] = {}
    for method, total in session.execute(
            select(CardTransaction.method, func.sum(CardTransaction.paid_delta_fen))
            .where(CardTransaction.store_id == store_id, CardTransaction.business_date == day,
                   CardTransaction.kind.in_(("top_up", "issue")), CardTransaction.method.is_not(None))
            .group_by(CardTransaction.method)):
        top_ups[method] = int(total)
    refunds = {method: int(total) for method, total in session.execute(
        select(Refund.method, func.sum(Refund.amount_fen))
        .where(Refund.store_id == store_id, Refund.business_date == day).group_by(Refund.method))}
    issued = session.execute(select(func.count(), func.coalesce(func.sum(Invoice.total_fen), 0)).where(
        Invoice.store_id == store_id, Invoice.business_date == day, Invoice.status != "void")).one()
    start, end = day_bounds(day, tz)
    paid = session.execute(select(func.count(), func.coalesce(func.sum(Invoice.total_fen), 0)).where(
        Invoice.store_id == store_id, Invoice.status == "paid", Invoice.paid_at >= start,
        Invoice.paid_at < end)).one()
    receivable = ledger.balances(session, [store_id], as_of=day).get(AR, (0, 0))
    cash = session.execute(
        select(func.coalesce(func.sum(JournalLine.debit_fen), 0), func.coalesce(func.sum(JournalLine.credit_fen), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.store_id == store_id, JournalLine.business_date == day, JournalLine.account == CASH,
               JournalEntry.source_type != "close")).one()
    return {"store_id": store_id, "date": day.isoformat(), "time_zone": tz,
            "takings": {m: takings[m] for m in sorted(takings)},
            "takings_total_fen": sum(takings.values()),
            "card_sales": {m: top_ups[m] for m in sorted(top_ups)},
            "refunds": {m: refunds[m] for m in sorted(refunds)}, "refunds_total_fen": sum(refunds.values()),
            "invoices_issued": int(issued[0]), "invoiced_fen": int(issued[1]),
            "invoices_paid": int(paid[0]), "paid_invoices_fen": int(paid[1]),
            "open_receivables_fen": receivable[0] - receivable[1],
            "cash_expected_fen": int(cash[0]) - int(cash[1])}


def close_document_id(store_id: str, day: date) -> str:
    """How a store's close of one day is named (journal source, audit trail): `<store_id>:<date>`."""
    return f"{store_id}:{day.isoformat()}"


def close_day(session: Session, caller: Caller, data: dict) -> dict:
    store_id, day = data["store_id"], data["date"]
    caller.require_store(store_id)
    require_manager(caller, "Closing the day")
    ledger.lock_store_day(session, store_id, exclusive=True)  # postings in flight finish first
    tz = ledger.settings_of(session, store_id).time_zone
    if day > ledger.local_date(datetime.now(timezone.utc), tz):
        raise Invalid("A day can be closed once it has begun.", fields={"date": ["In the future."]},
                      code="day_not_begun", params={"date": day.isoformat()})
    if ledger.is_closed(session, store_id, day):
        raise Conflict(f"{day.isoformat()} is already closed for this store.", fields={"status": ["closed"]},
                       code="day_closed", params={"date": day.isoformat()})
    summary = compute_summary(session, store_id, day)
    difference = data["cash_counted_fen"] - summary["cash_expected_fen"]
    if difference:
        lines = [debit(CASH, difference), credit(CASH_OVER_SHORT, difference)]
        ledger.post_journal_entry(session, store_id, lines, source_type="close",
                                  source_id=close_document_id(store_id, day),
                                  memo=f"Cash {'over' if difference > 0 else 'short'} at close {day}", day=day)
    close = DailyClose(store_id=store_id, business_date=day, summary=summary,
                       cash_expected_fen=summary["cash_expected_fen"], cash_counted_fen=data["cash_counted_fen"],
                       difference_fen=difference, note=data.get("note"), closed_by=caller.user_id)
    session.add(close)
    session.flush()
    record_audit(session, caller, "day_closed", "daily_close", close_document_id(store_id, day), store_id=store_id,
                 details={"cash_expected_fen": close.cash_expected_fen, "cash_counted_fen": close.cash_counted_fen,
                          "difference_fen": difference, "takings_total_fen": summary["takings_total_fen"]})
    return daily_report(session, store_id, day)


# -- the month (月结) ----------------------------------------------------------------------------
MONTHS_LISTED = 12


def close_month(session: Session, caller: Caller, store_id: str, month: str) -> dict:
    """Close the store's month once it has ended: postings in flight finish first (the day lock), and every later
    one dated in it lands on the first open day after it (`ledger.business_date`)."""
    caller.require_store(store_id)
    require_manager(caller, "Closing the month")
    ledger.lock_store_day(session, store_id, exclusive=True)
    today = ledger.today(session, store_id)
    if month >= f"{today:%Y-%m}":
        raise Invalid("A month can be closed once it is over.", fields={"month": ["Not over yet."]},
                      code="month_not_over", params={"month": month})
    if session.execute(select(MonthClose.id).where(MonthClose.store_id == store_id,
                                                   MonthClose.month == month)).first() is not None:
        raise Conflict(f"{month} is already closed for this store.", fields={"month": ["closed"]},
                       code="month_closed", params={"month": month})
    closed = MonthClose(store_id=store_id, month=month, closed_by=caller.user_id)
    session.add(closed)
    session.flush()
    record_audit(session, caller, "month_closed", "month_close", closed.id, store_id=store_id,
                 details={"month": month})
    return _month(store_id, month, today, closed)


def month_closes(session: Session, caller: Caller, store_id: str) -> list[dict]:
    """The store's last twelve months (this one first): over or not, closed or not."""
    caller.require_store(store_id)
    today = ledger.today(session, store_id)
    months = [f"{today.year + (today.month - 1 - n) // 12}-{(today.month - 1 - n) % 12 + 1:02d}"
              for n in range(MONTHS_LISTED)]
    closed = {row.month: row for row in session.scalars(select(MonthClose).where(
        MonthClose.store_id == store_id, MonthClose.month.in_(months)))}
    return [_month(store_id, month, today, closed.get(month)) for month in months]


def _month(store_id: str, month: str, today: date, closed: MonthClose | None) -> dict:
    return {"store_id": store_id, "month": month, "over": month < f"{today:%Y-%m}", "closed": closed is not None,
            "closed_at": closed.closed_at if closed else None}
