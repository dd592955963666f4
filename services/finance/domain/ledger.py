"""The double-entry journal: a chart of accounts, balanced entries per store, business days in the
store's time zone (a closed day is never posted to: the next open day takes the entry), the trial
balance."""
from __future__ import annotations

import zlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.contracts.rpc.finance.reconciliation import (AR as AR, IN_TRANSIT as IN_TRANSIT,
                                                           INVENTORY as INVENTORY, PAYABLES as PAYABLES,
                                                           TO_REFUND as TO_REFUND)

from ..models import DailyClose, JournalEntry, JournalLine, MonthClose, StoreSettings
from .common import newest_first

DEFAULT_TIME_ZONE = "Asia/Shanghai"
DEFAULT_REFUND_LIMIT_FEN = 50_000

# code: (name, type). Asset/expense/contra-revenue accounts are debit-normal, the rest credit-normal.
# 1191 carries a debit at the store that shipped a transfer and a credit at the one that received it
# (it nets to zero over the chain).
CHART: dict[str, tuple[str, str]] = {
    "1001": ("Cash on hand 库存现金", "asset"),
    "1002": ("Bank deposits 银行存款", "asset"),
    "1011": ("Bank card clearing 银行卡待清算", "asset"),
    "1012": ("WeChat Pay clearing 微信待清算", "asset"),
    "1013": ("Alipay clearing 支付宝待清算", "asset"),
    "1099": ("Receipts to reconcile 待核对收款", "asset"),
    "1122": ("Accounts receivable 应收账款", "asset"),
    "1171": ("Input VAT to deduct 待抵扣进项税额", "asset"),
    "1190": ("Due from other stores 应收门店往来", "asset"),
    "1191": ("Stock transfers between stores 门店调拨往来", "asset"),
    "1402": ("Goods in transit 在途物资", "asset"),
    "1405": ("Inventory 库存商品", "asset"),
    "2202": ("Accounts payable 应付账款", "liability"),
    "2190": ("Due to other stores 应付门店往来", "liability"),
    "2203": ("Customer deposits 预收定金", "liability"),
    "2205": ("Stored-value liability 储值卡负债", "liability"),
    "2206": ("Service-package liability 套餐卡负债", "liability"),
    "2209": ("Goods received not invoiced 暂估应付款", "liability"),
    "2221": ("VAT payable 应交增值税", "liability"),
    "2241": ("Provider receipts to refund 待退扫码款", "liability"),
    "3999": ("Opening balances 期初余额", "equity"),
    "4001": ("Revenue: labour 工时收入", "revenue"),
    "4002": ("Revenue: parts 配件收入", "revenue"),
    "4003": ("Revenue: fees 其他收费", "revenue"),
    "4101": ("Discounts and card bonus 折扣与赠送", "contra_revenue"),
    "4102": ("Refunds and allowances 退款与折让", "contra_revenue"),
    "5001": ("Cost of goods sold: parts 配件成本", "expense"),
    "5002": ("Purchase price variance 采购价差", "expense"),
    "6601": ("Expense: rent 房租", "expense"),
    "6602": ("Expense: utilities 水电", "expense"),
    "6603": ("Expense: wages 工资", "expense"),
    "6604": ("Expense: purchases 采购杂项", "expense"),
    "6605": ("Expense: marketing 营销", "expense"),
    "6606": ("Expense: maintenance 维修维护", "expense"),
    "6699": ("Expense: other 其他费用", "expense"),
    "6711": ("Cash over/short 现金长短款", "expense"),
    "6712": ("Inventory gains and losses 存货盘盈盘亏", "expense"),
}
DEBIT_NORMAL = {"asset", "expense", "contra_revenue"}

# AR (1122), INVENTORY (1405), IN_TRANSIT (1402) and PAYABLES (2202) are declared with the reconciliation,
# whose answers name them (services/contracts/rpc/finance/reconciliation.py), and imported above.
CASH, BANK, DUE_FROM = "1001", "1002", "1190"
DUE_TO, DEPOSITS, STORED_VALUE, PACKAGES, VAT = "2190", "2203", "2205", "2206", "2221"
REVENUE = {"labour": "4001", "part": "4002", "fee": "4003"}
DISCOUNTS, REFUNDS, COGS, CASH_OVER_SHORT = "4101", "4102", "5001", "6711"
TRANSFERS, GRNI, OPENING, STOCK_GAINS_LOSSES = "1191", "2209", "3999", "6712"
INPUT_VAT, PRICE_VARIANCE = "1171", "5002"
EXPENSE_ACCOUNTS = {"rent": "6601", "utilities": "6602", "wages": "6603", "purchases": "6604",
                    "marketing": "6605", "maintenance": "6606", "other": "6699"}
METHOD_ACCOUNTS = {"cash": CASH, "card": "1011", "wechat": "1012", "alipay": "1013"}
"""Money-in methods and where the money lands; stored_value and package draw on card liabilities."""
SUSPENSE = "1099"


def money_account(method: str) -> str:
    """Where money taken by `method` lands. Deposits come from sales, which also knows bank transfers
    (to the bank) and card methods without naming the card (held to reconcile by finance staff)."""
    return METHOD_ACCOUNTS.get(method) or {"transfer": BANK}.get(method) or SUSPENSE


def debit(account: str, fen: int) -> tuple[str, int, int]:
    return (account, fen, 0)


def credit(account: str, fen: int) -> tuple[str, int, int]:
    return (account, 0, fen)


def check_balanced(lines: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The lines worth posting: each netted to one positive side (a negative debit is a credit), zero
    lines dropped. Refuses unknown accounts, non-integer amounts and entries whose sides differ."""
    kept = []
    for account, dr, cr in lines:
        if account not in CHART:
            raise ValueError(f"unknown account {account}")
        if not isinstance(dr, int) or not isinstance(cr, int) or isinstance(dr, bool) or isinstance(cr, bool):
            raise ValueError("journal amounts are integer fen")
        net = dr - cr  # a negative debit is a credit: the books hold positive amounts only
        dr, cr = (net, 0) if net > 0 else (0, -net)
        if dr or cr:
            kept.append((account, dr, cr))
    total_dr = sum(line[1] for line in kept)
    total_cr = sum(line[2] for line in kept)
    if total_dr != total_cr:
        raise ValueError(f"unbalanced entry: debits {total_dr} ≠ credits {total_cr}")
    return kept


def reversal(lines: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    return [(account, cr, dr) for account, dr, cr in lines]


# -- store settings and business days ---------------------------------------------------------------
def settings_of(session: Session, store_id: str) -> StoreSettings:
    found = session.get(StoreSettings, store_id)
    return found or StoreSettings(store_id=store_id, time_zone=DEFAULT_TIME_ZONE,
                                  refund_approval_limit_fen=DEFAULT_REFUND_LIMIT_FEN, currency="CNY")


def store_keys(session: Session, store_id: str) -> tuple[str | None, str]:
    """What names a store's own provider keys files (services/common/config.py `provider_settings`): its
    code, then its id."""
    found = session.get(StoreSettings, store_id)
    return (found.store_code if found is not None else None), store_id


def register_store_code(session: Session, store_id: str, code: str) -> StoreSettings:
    """The gateway's code of a store (it names the store's keys files); a store without settings gets them."""
    found = session.get(StoreSettings, store_id)
    if found is None:
        found = settings_of(session, store_id)
        session.add(found)
    found.store_code = code
    session.flush()
    return found


def local_date(at: datetime, time_zone: str) -> date:
    return at.astimezone(ZoneInfo(time_zone)).date()


def today(session: Session, store_id: str | None) -> date:
    """The store's local day now (no store: the chain's default zone)."""
    zone = settings_of(session, store_id).time_zone if store_id else DEFAULT_TIME_ZONE
    return local_date(utcnow(), zone)


def is_closed(session: Session, store_id: str, day: date) -> bool:
    """The day is closed (日结), or its month is (月结): nothing is dated in it any more."""
    if session.execute(select(MonthClose.id).where(MonthClose.store_id == store_id,
                                                   MonthClose.month == f"{day:%Y-%m}")).first() is not None:
        return True
    return session.execute(select(DailyClose.id).where(
        DailyClose.store_id == store_id, DailyClose.business_date == day)).first() is not None


CLOSE_LOCK_CLASS = 7_404  # advisory-lock namespace: finance's store business days


def lock_key(name: str) -> int:
    """An advisory-lock key for a name (a signed int4)."""
    return zlib.crc32(name.encode()) - 2**31


def lock_store_day(session: Session, store_id: str, *, exclusive: bool) -> None:
    """PostgreSQL: money postings of a store hold a shared lock until they commit; closing its day
    takes it exclusively, so the close waits for postings in flight and later postings wait for
    the close and then see the day closed. (SQLite serialises writers anyway.)"""
    if session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:cls, :key)"), {"cls": CLOSE_LOCK_CLASS, "key": lock_key(store_id)})


def business_date(session: Session, store_id: str, at: datetime | None = None) -> date:
    """The store-local day a record made at `at` belongs to: today, or the first open day after a
    closed one or a closed month (late corrections post to the next open day)."""
    lock_store_day(session, store_id, exclusive=False)
    day = local_date(at or utcnow(), settings_of(session, store_id).time_zone)
    closed = set(session.execute(select(DailyClose.business_date).where(
        DailyClose.store_id == store_id, DailyClose.business_date >= day)).scalars())
    months = set(session.execute(select(MonthClose.month).where(
        MonthClose.store_id == store_id, MonthClose.month >= f"{day:%Y-%m}")).scalars())
    while day in closed or f"{day:%Y-%m}" in months:
        day += timedelta(days=1)
    return day


# -- posting ----------------------------------------------------------------------------------------
def post_journal_entry(session: Session, store_id: str, lines: list[tuple[str, int, int]], *,
                       source_type: str, source_id: str, memo: str, day: date | None = None,
                       currency: str = "CNY") -> JournalEntry | None:
    """Post one balanced entry for one store. Nothing to post (all zero) posts nothing."""
    kept = check_balanced(lines)
    if not kept:
        return None
    lock_store_day(session, store_id, exclusive=False)
    day = day or business_date(session, store_id)
    if is_closed(session, store_id, day):
        day = business_date(session, store_id)
    entry = JournalEntry(store_id=store_id, business_date=day, source_type=source_type, source_id=source_id,
                         memo=memo[:200], currency=currency, posted_at=utcnow())
    entry.lines = [JournalLine(store_id=store_id, business_date=day, account=account, debit_fen=dr, credit_fen=cr)
                   for account, dr, cr in kept]
    session.add(entry)
    session.flush()
    return entry


def entries_for(session: Session, source_type: str, source_id: str) -> list[JournalEntry]:
    return list(session.execute(select(JournalEntry).where(
        JournalEntry.source_type == source_type, JournalEntry.source_id == source_id)
        .order_by(JournalEntry.id)).scalars())


def balances(session: Session, store_ids: list[str] | None, *, as_of: date | None = None,
             since: date | None = None) -> dict[str, tuple[int, int]]:
    """account → (debits, credits) over the stores (None: every store) and days."""
    query = select(JournalLine.account, func.coalesce(func.sum(JournalLine.debit_fen), 0),
                   func.coalesce(func.sum(JournalLine.credit_fen), 0)).group_by(JournalLine.account)
    if store_ids is not None:
        query = query.where(JournalLine.store_id.in_(store_ids))
    if as_of is not None:
        query = query.where(JournalLine.business_date <= as_of)
    if since is not None:
        query = query.where(JournalLine.business_date >= since)
    return {account: (int(dr), int(cr)) for account, dr, cr in session.execute(query)}


def trial_balance(session: Session, store_ids: list[str] | None, as_of: date | None = None) -> dict:
    sums = balances(session, store_ids, as_of=as_of)
    accounts: list[dict] = []
    for code in sorted(sums):
        dr, cr = sums[code]
        name, kind = CHART[code]
        net = dr - cr
        accounts.append({"code": code, "name": name, "type": kind, "debit_fen": dr, "credit_fen": cr,
                         "balance_debit_fen": max(net, 0), "balance_credit_fen": max(-net, 0)})
    total_dr = sum(a["balance_debit_fen"] for a in accounts)
    total_cr = sum(a["balance_credit_fen"] for a in accounts)
    return {"as_of": as_of, "accounts": accounts, "total_debit_fen": total_dr, "total_credit_fen": total_cr,
            "balanced": total_dr == total_cr}


def list_entries(session: Session, stores: list[str] | None, params: dict) -> list[JournalEntry]:
    on_the_day = [JournalEntry.business_date == params["date"]] if params.get("date") else []
    return newest_first(session, JournalEntry, stores, params, ("source_type", "source_id"), *on_the_day)
