"""Payment reconciliation (对账): a provider's daily statement matched line by line with the payments and
refunds recorded through it, once per provider, merchant account and Beijing day.

A payment line is matched with the payment intent its `out_trade_no` names (ours) by the provider's
transaction number and amount; a refund line with the provider refund its `out_refund_no` names. What
disagrees is a difference, with what to do (`action`, a code the console words):
- `missing_here`: the provider has money we did not record. The intent exists but was never told it was
  paid (`record_payment`: ask the provider about it, the payment is then recorded through the same path as a
  notification), or it was paid by another transaction (`check_intent`), or no intent of ours is named
  (`unknown_order`); a refund not confirmed here (`record_refund`) or not ours (`unknown_refund`);
- `extra_here`: recorded here that day, not on the statement (`check_at_provider`);
- `amount_mismatch`: both have it, for different amounts (`check_amount`).

The run is written in two short transactions around the download (`claim_run`, then `record_statement`),
never one held across it. A second run of the same day matches again into the same rows: a difference
still there stays as it is (resolved ones keep their note), one no longer there is `cleared`, a new one
is added; the totals are the statement's."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid, NotFound

from ..models import PaymentIntent, PaymentReconciliation, PaymentReconciliationDifference, ProviderRefund
from ..providers import Statement, StatementLine
from .common import get_locked, require_manager

CHINA = ZoneInfo("Asia/Shanghai")
"""Both providers' statements are of a Beijing day."""
RUNNING_FOR = timedelta(minutes=10)
"""A run still `running` after this long was interrupted (a worker died mid-download): it may be taken again."""
TOTALS = ("payment_count", "refund_count", "collected_fen", "refunded_fen", "fee_fen")


def beijing_today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(CHINA).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=CHINA)
    return start, start + timedelta(days=1)


# -- matching (no database) ----------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    """A payment (an intent: `key` its id, `reference` its transaction number) or a provider refund (`key`
    its id, the out_refund_no) as finance holds it; `settled` whether the provider's word was recorded."""
    kind: str
    key: str
    reference: str | None
    amount_fen: int
    store_id: str
    settled: bool
    intent_id: str


@dataclass(frozen=True)
class Found:
    kind: str
    line_kind: str
    reference: str
    action: str
    store_id: str | None = None
    out_trade_no: str | None = None
    intent_id: str | None = None
    provider_refund_id: str | None = None
    provider_amount_fen: int | None = None
    recorded_amount_fen: int | None = None


@dataclass
class Matching:
    differences: list[Found] = field(default_factory=list)
    matched: int = 0
    store_totals: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, store_id: str, line: StatementLine) -> None:
        totals = self.store_totals.setdefault(store_id, dict.fromkeys(TOTALS, 0))
        totals[f"{line.kind}_count"] += 1
        totals["collected_fen" if line.kind == "payment" else "refunded_fen"] += line.amount_fen
        totals["fee_fen"] += line.fee_fen


def match(lines: tuple[StatementLine, ...], known: dict[tuple[str, str], Recorded],
          recorded_that_day: list[Recorded]) -> Matching:
    """The statement's `lines` against what finance recorded: `known` every intent or provider refund a line
    names, by (kind, our number); `recorded_that_day` those whose provider's word was recorded on the day."""
    found, on_statement = Matching(), set()
    for line in lines:
        ours = line.out_trade_no if line.kind == "payment" else (line.out_refund_no or "")
        recorded = known.get((line.kind, ours))
        found.count(recorded.store_id if recorded else "", line)
        on_statement.add((line.kind, ours))
        difference = _compare(line, recorded)
        if difference is None:
            found.matched += 1
        else:
            found.differences.append(difference)
    for recorded in recorded_that_day:
        if (recorded.kind, recorded.key) not in on_statement:
            found.differences.append(Found(
                "extra_here", recorded.kind, _reference(recorded), "check_at_provider", recorded.store_id,
                recorded.intent_id, recorded.intent_id, recorded.key if recorded.kind == "refund" else None,
                None, recorded.amount_fen))
    return found


def _reference(recorded: Recorded) -> str:
    return (recorded.reference or recorded.key) if recorded.kind == "payment" else recorded.key


def _compare(line: StatementLine, recorded: Recorded | None) -> Found | None:
    payment = line.kind == "payment"
    reference = line.transaction_id if payment else (line.out_refund_no or line.refund_id or line.transaction_id)
    if recorded is None:
        return Found("missing_here", line.kind, reference, "unknown_order" if payment else "unknown_refund",
                     None, line.out_trade_no, None, None, line.amount_fen, None)
    refund_id = None if payment else recorded.key
    if not recorded.settled:
        return Found("missing_here", line.kind, reference, "record_payment" if payment else "record_refund",
                     recorded.store_id, line.out_trade_no, recorded.intent_id, refund_id, line.amount_fen, None)
    if payment and recorded.reference != line.transaction_id:
        return Found("missing_here", line.kind, reference, "check_intent", recorded.store_id, line.out_trade_no,
                     recorded.intent_id, None, line.amount_fen, recorded.amount_fen)
    if recorded.amount_fen != line.amount_fen:
        return Found("amount_mismatch", line.kind, reference, "check_amount", recorded.store_id, line.out_trade_no,
                     recorded.intent_id, refund_id, line.amount_fen, recorded.amount_fen)
    return None


# -- the run -------------------------------------------------------------------------------------
def claim_run(session: Session, caller: Caller, provider: str, merchant_id: str, day: date, *,
              again: bool) -> str | None:
    """Take the run of (provider, merchant, day) for this worker: created, or taken again (a failed one;
    a done one only when `again`, a run asked for by a person). None when the daily job finds it done or
    another worker running it; a person is told 409 reconciliation_running."""
    if day > beijing_today():
        raise Invalid("A day's statement exists once the day is over.", fields={"date": ["In the future."]},
                      code="statement_not_ready", params={"date": day.isoformat()})
    query = select(PaymentReconciliation).where(PaymentReconciliation.provider == provider,
                                                PaymentReconciliation.merchant_id == merchant_id,
                                                PaymentReconciliation.bill_date == day)
    run = session.execute(query.with_for_update()).scalar_one_or_none()
    if run is None:
        try:
            with session.begin_nested():
                run = PaymentReconciliation(provider=provider, merchant_id=merchant_id, bill_date=day,
                                            status="running", started_by=caller.user_id, store_totals={},
                                            provider_summary={})
                session.add(run)
        except IntegrityError:  # another worker created it first: theirs is running
            run = None
        if run is None:
            if again:
                raise Conflict("This statement is being reconciled right now.", code="reconciliation_running",
                               params={"provider": provider, "date": day.isoformat()})
            return None
        session.flush()
        return run.id
    if run.status == "running" and run.started_at > utcnow() - RUNNING_FOR:
        if again:
            raise Conflict("This statement is being reconciled right now.", code="reconciliation_running",
                           params={"provider": provider, "date": day.isoformat()})
        return None
    if run.status == "done" and not again:
        return None
    run.status, run.started_at, run.started_by, run.error_code = "running", utcnow(), caller.user_id, None
    return run.id


def record_failure(session: Session, run_id: str, code: str) -> PaymentReconciliation:
    run = get_locked(session, PaymentReconciliation, run_id, "payment reconciliation")
    run.status, run.error_code, run.finished_at = "failed", code[:64], utcnow()
    return run


def record_statement(session: Session, run_id: str, statement: Statement, *,
                     chains: bool = True) -> PaymentReconciliation:
    """Match the downloaded statement of the run's merchant account with what was recorded on that account
    (`chains`: it is the chain's account, which also had the orders recorded before accounts were) and store
    the run's totals and differences (one transaction)."""
    run = get_locked(session, PaymentReconciliation, run_id, "payment reconciliation")
    matching = match(statement.lines, _known(session, run.provider, statement.lines),
                     _recorded_on(session, run.provider, run.bill_date, _on_account(run.merchant_id, chains)))
    lines = statement.lines
    run.line_count, run.matched_count = len(lines), matching.matched
    run.payment_count = sum(line.kind == "payment" for line in lines)
    run.refund_count = len(lines) - run.payment_count
    run.collected_fen = sum(line.amount_fen for line in lines if line.kind == "payment")
    run.refunded_fen = sum(line.amount_fen for line in lines if line.kind == "refund")
    run.fee_fen = sum(line.fee_fen for line in lines)
    run.store_totals, run.provider_summary = matching.store_totals, dict(statement.summary)
    run.status, run.error_code, run.finished_at, run.runs = "done", None, utcnow(), run.runs + 1
    _store_differences(session, run, matching.differences)
    session.flush()
    return run


def _known(session: Session, provider: str, lines: tuple[StatementLine, ...]) -> dict[tuple[str, str], Recorded]:
    trade_nos = {line.out_trade_no for line in lines if line.kind == "payment"}
    refund_nos = {line.out_refund_no for line in lines if line.kind == "refund" and line.out_refund_no}
    known: dict[tuple[str, str], Recorded] = {}
    if trade_nos:
        for intent in session.execute(select(PaymentIntent).where(PaymentIntent.id.in_(trade_nos),
                                                                 PaymentIntent.provider == provider)).scalars():
            known["payment", intent.id] = _intent(intent)
    if refund_nos:
        for refund in session.execute(select(ProviderRefund).where(ProviderRefund.id.in_(refund_nos),
                                                                  ProviderRefund.provider == provider)).scalars():
            known["refund", refund.id] = _refund(refund)
    return known


def _on_account(merchant_id: str, chains: bool):
    """Intents opened on the merchant account (and, on the chain's, those from before accounts were recorded)."""
    ours = PaymentIntent.merchant_id == merchant_id
    return or_(ours, PaymentIntent.merchant_id.is_(None)) if chains else ours


def _recorded_on(session: Session, provider: str, day: date, on_account=None) -> list[Recorded]:
    """The intents paid and the provider refunds confirmed here during the Beijing day (on one account)."""
    start, end = day_bounds(day)
    account = on_account if on_account is not None else true()
    intents = session.execute(select(PaymentIntent).where(
        PaymentIntent.provider == provider, PaymentIntent.transaction_id.is_not(None), account,
        PaymentIntent.settled_at >= start, PaymentIntent.settled_at < end)).scalars()
    refunds = session.execute(select(ProviderRefund).where(
        ProviderRefund.provider == provider, ProviderRefund.status == "succeeded",
        ProviderRefund.intent_id.in_(select(PaymentIntent.id).where(account)),
        ProviderRefund.settled_at >= start, ProviderRefund.settled_at < end)).scalars()
    return [*map(_intent, intents), *map(_refund, refunds)]


def _intent(intent: PaymentIntent) -> Recorded:
    return Recorded("payment", intent.id, intent.transaction_id, intent.amount_fen, intent.store_id,
                    intent.transaction_id is not None, intent.id)


def _refund(refund: ProviderRefund) -> Recorded:
    return Recorded("refund", refund.id, refund.provider_refund_id, refund.amount_fen, refund.store_id,
                    refund.status == "succeeded", refund.intent_id)


def _store_differences(session: Session, run: PaymentReconciliation, found: list[Found]) -> None:
    existing = {(row.line_kind, row.reference): row for row in session.execute(
        select(PaymentReconciliationDifference).where(PaymentReconciliationDifference.run_id == run.id)).scalars()}
    now = utcnow()
    for difference in found:
        row = existing.pop((difference.line_kind, difference.reference), None)
        if row is None:
            session.add(PaymentReconciliationDifference(run_id=run.id, **difference.__dict__))
            continue
        if row.status == "cleared":
            row.status, row.resolved_at = "open", None
        if row.status == "open":
            for name, value in difference.__dict__.items():
                setattr(row, name, value)
    for row in existing.values():
        if row.status == "open":
            row.status, row.resolved_at = "cleared", now


# -- reading and resolving ------------------------------------------------------------------------
def list_runs(session: Session, stores: list[str] | None, params: dict) -> list[PaymentReconciliation]:
    """Runs, the newest day first (then provider), at most `limit` + 1; the whole chain sees every run, a
    store's callers the runs of the merchant accounts their stores' lines are on (and those not done: a failed
    download names no store), their totals and differences narrowed to those stores by `shown`."""
    query = (select(PaymentReconciliation)
             .order_by(PaymentReconciliation.bill_date.desc(), PaymentReconciliation.id.desc()))
    if params.get("date"):
        query = query.where(PaymentReconciliation.bill_date == params["date"])
    if params.get("provider"):
        query = query.where(PaymentReconciliation.provider == params["provider"])
    if params.get("cursor"):
        cursor = session.get(PaymentReconciliation, params["cursor"])
        if cursor is not None:
            query = query.where((PaymentReconciliation.bill_date < cursor.bill_date) | (
                (PaymentReconciliation.bill_date == cursor.bill_date) & (PaymentReconciliation.id < cursor.id)))
    found: list[PaymentReconciliation] = []
    for run in session.execute(query.execution_options(yield_per=100)).scalars():
        if stores is None or _concerns(run, stores):
            found.append(run)
            if len(found) > params["limit"]:
                break
    return found


def _concerns(run: PaymentReconciliation, stores: list[str]) -> bool:
    return run.status != "done" or bool(set(run.store_totals or {}) & set(stores)) or any(
        row.store_id in stores for row in run.differences)


def shown(run: PaymentReconciliation, stores: list[str] | None) -> dict:
    """A run as `stores` see it (None: the whole chain's): the statement's totals of those stores and their
    differences (a line naming no intent of ours only for the chain)."""
    if stores is None:
        totals = {name: getattr(run, name) for name in TOTALS}
        differences = list(run.differences)
    else:
        totals = dict.fromkeys(TOTALS, 0)
        for store_id in stores:
            for name, value in (run.store_totals or {}).get(store_id, {}).items():
                totals[name] = totals.get(name, 0) + value
        differences = [row for row in run.differences if row.store_id in stores]
    return {"run": run, "totals": totals, "differences": differences,
            "open_differences": sum(row.status == "open" for row in differences),
            "store_totals": run.store_totals if stores is None else
            {store_id: total for store_id, total in (run.store_totals or {}).items() if store_id in stores}}


def resolve_difference(session: Session, caller: Caller, run_id: str, difference_id: str,
                       note: str) -> PaymentReconciliationDifference:
    """A manager (HQ for a line naming no store of ours) marks a difference dealt with, with a note."""
    row = session.execute(select(PaymentReconciliationDifference).where(
        PaymentReconciliationDifference.id == difference_id, PaymentReconciliationDifference.run_id == run_id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise NotFound("No such reconciliation difference.")
    if row.store_id is None and not caller.is_hq:
        raise Forbidden("A line naming no store of ours is HQ's to resolve.", code="store_out_of_scope")
    caller.require_store(row.store_id)
    require_manager(caller, "Resolving a reconciliation difference")
    if row.status != "open":
        raise Conflict(f"The difference is {row.status}; it cannot be resolved.", fields={"status": [row.status]},
                       code="reconciliation_difference_state", params={"status": row.status})
    row.status, row.note, row.resolved_by, row.resolved_at = "resolved", note, caller.user_id, utcnow()
    session.flush()
    record_audit(session, caller, "reconciliation_difference_resolved", "payment_reconciliation", run_id,
                 store_id=row.store_id, details={"difference_id": row.id, "kind": row.kind,
                                                 "reference": row.reference, "note": note})
    return row


def provider_totals(session: Session, store_id: str, day: date) -> dict[str, dict]:
    """For the daily close, by provider: its statement of the day as far as the store's lines go, and how
    many of its differences are open."""
    runs = session.execute(select(PaymentReconciliation).where(PaymentReconciliation.bill_date == day)
                           .order_by(PaymentReconciliation.provider)).scalars()
    found = {}
    for run in runs:
        open_count = session.execute(select(func.count()).where(
            PaymentReconciliationDifference.run_id == run.id, PaymentReconciliationDifference.store_id == store_id,
            PaymentReconciliationDifference.status == "open")).scalar_one()
        totals = (run.store_totals or {}).get(store_id, {})
        if run.provider in found and not totals:
            continue  # another merchant account's statement (the store's lines are on its own account's)
        found[run.provider] = {"provider": run.provider, "reconciliation_id": run.id, "status": run.status,
                               **{name: int(totals.get(name, 0)) for name in TOTALS},
                               "open_differences": int(open_count)}
    return found
