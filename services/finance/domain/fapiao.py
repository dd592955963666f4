"""Electronic fapiao (数电票): asked for a paid invoice (all its lines, or some), sent to the issuing
provider (services/finance/fapiao_nuonuo.py) by a worker, reversed by a red one (红字) after the
红字确认单 the rules require is confirmed.

The request only writes a row (`fapiaos`, the outbox of the request) in the cashier's short transaction:
the settlement never waits for the provider. The worker (finance's `send_fapiao` timer over `due`, `claim`,
`provider_step`, `record_step`; it owns the transactions) claims a due row with a conditional update (two
finance instances never send one row twice), calls the provider with no transaction open, then writes what
it answered. A provider that is down leaves the row queued and tries again later, each wait twice the last
(`FAPIAO_RETRY_SECONDS`, at most an hour); one that refuses marks it failed with its reason, which frees its
lines for a corrected request.

Steps of a row: blue `queued → issuing → issued`, or `queued → cancelled` when its invoice is refunded whole
before the provider took it (never issued, no red one needed); red `queued` (file the 红字确认单) `→ confirming` (until
the buyer confirms; 01 无需确认 goes straight on) `→ queued` (with the confirmation's number) `→ issuing →
issued`, and its blue one becomes `reversed`. A line's 税收分类编码 is its catalogue item's (the part's in
inventory, the labour operation's in sales), else the one configured for its kind (`FAPIAO_TAX_CODES`)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.config import fapiao_poll_seconds, fapiao_retry_seconds
from services.common.context import Caller
from services.common.db import rowcount, utcnow
from services.common.errors import Conflict, Invalid, NotFound

from ..fapiao_nuonuo import CONFIRMED, WAITING
from ..models import Fapiao, InsuranceClaim, Insurer, Invoice, InvoiceLine
from ..providers import ProviderError, yuan
from .common import by_key, get_locked, illegal, newest_first
from .invoices import PAID
from .ledger import store_keys

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))
ACTIVE = ("queued", "confirming", "issuing", "issued")
"""A blue fapiao in these states covers its lines (failed and reversed ones do not)."""
WORKING = ("queued", "confirming", "issuing")
LEASE = timedelta(seconds=60)
"""How long a claimed row is left alone by other workers (a worker that dies mid-call: retried after it)."""
RED_REASON_CODES = {"error": "1", "refund": "2", "cancelled": "3"}
"""redReason of the 红字确认单: 1 开票有误, 2 销货退回, 3 服务中止."""
LINE_TYPES = {"normal": "pc", "special": "bs"}
"""invoiceLine: pc 数电普票, bs 数电专票."""
MAX_RETRY = 3600.0


# -- asking for one ----------------------------------------------------------------------------------
# A fen of an invoice is on one fapiao at most: a line's amount is shared by the fapiao whose lines name it (an
# insurer's takes part of a line, the customer's the rest), so the fapiao of an invoice never add up to more
# than its lines. A live claim without its own fapiao keeps its share off the customer's: the customer's fapiao
# covers the customer's share only, whichever is asked for first.
def request_fapiao(session: Session, caller: Caller, invoice_id: str, data: dict, key: str | None,
                   codes: dict[str, str]) -> Fapiao:
    """Queue the customer's blue fapiao for (some of) a paid invoice's lines, what of them no other fapiao nor
    an insurer's claim takes. `codes`: 税收分类编码 by `part:<sku>` / `labour:<op code>` (the catalogue's), and by
    kind (the configured ones)."""
    if (found := _requested_before(session, key, invoice_id, None)) is not None:
        return found
    invoice = get_locked(session, Invoice, invoice_id, "invoice")
    caller.require_store(invoice.store_id)
    if invoice.status != PAID:
        raise illegal("invoice", invoice.status, "given a fapiao before it is paid")
    left = _left(session, invoice, _claims_waiting(session, invoice.id))
    lines = invoice.lines
    if data.get("line_ids"):
        unknown = sorted(set(data["line_ids"]) - {line.id for line in lines})
        if unknown:
            raise Invalid("Lines not on this invoice.", fields={"line_ids": unknown}, code="fapiao_lines_unknown",
                          params={"line_ids": unknown})
        lines = [line for line in lines if line.id in set(data["line_ids"])]
        taken = [line.description for line in lines if line.total_fen > 0 and left[line.id] <= 0]
        if taken:
            raise Conflict("Lines already on another fapiao.", fields={"line_ids": taken},
                           code="fapiao_lines_taken", params={"lines": taken})
    pieces = [(line, left[line.id]) for line in lines if line.total_fen > 0 and left[line.id] > 0]
    if not pieces:
        raise Conflict("Every line of the invoice is on a fapiao already.", code="fapiao_nothing_left")
    return _queued(session, caller, invoice, pieces, codes, key, dict(data))


def request_claim_fapiao(session: Session, caller: Caller, claim_id: str, data: dict, key: str | None,
                         codes: dict[str, str]) -> Fapiao:
    """Queue the insurer's blue fapiao for its claim's share (the insurer the buyer, by its name and tax number),
    once per claim while one stands (409 `claim_fapiao_exists`); a voided claim has none (409
    `claim_fapiao_voided`).
    Locks the invoice, then the claim (the order a void locks them in)."""
    seen = session.get(InsuranceClaim, claim_id)
    if seen is None:
        raise NotFound("No such claim.")
    caller.require_store(seen.store_id)
    if (found := _requested_before(session, key, seen.invoice_id, claim_id)) is not None:
        return found
    invoice = get_locked(session, Invoice, seen.invoice_id, "invoice")
    claim = get_locked(session, InsuranceClaim, claim_id, "claim")
    if claim.voided_at is not None:
        raise Conflict(f"Claim {claim.claim_number} is voided; it has no fapiao.", code="claim_fapiao_voided",
                       params={"claim_number": claim.claim_number})
    if claim_fapiao(session, claim.id) is not None:
        raise Conflict(f"Claim {claim.claim_number} has a fapiao already.", code="claim_fapiao_exists",
                       params={"claim_number": claim.claim_number})
    insurer = session.get_one(Insurer, claim.insurer_id)
    if not insurer.tax_number:
        raise Conflict(f"{insurer.name} has no tax number for its fapiao.", fields={"tax_number": ["Required."]},
                       code="insurer_tax_number_missing", params={"insurer": insurer.name})
    left = _left(session, invoice, [amount for other, amount in _claims_waiting(session, invoice.id, with_ids=True)
                                    if other != claim.id])
    pieces = _taken_from(invoice.lines, left, claim.amount_fen)
    if sum(part for _, part in pieces) < claim.amount_fen:
        raise Conflict("The invoice's fapiao leave less than the claim's amount.", code="claim_fapiao_above_left",
                       params={"claim_number": claim.claim_number, "left_fen": sum(part for _, part in pieces)})
    return _queued(session, caller, invoice, pieces, codes, key, {
        "type": data["type"], "buyer_title": insurer.name, "buyer_tax_no": insurer.tax_number,
        "buyer_email": data.get("buyer_email"), "insurance_claim_id": claim.id})


def claim_fapiao(session: Session, claim_id: str) -> Fapiao | None:
    """The claim's blue fapiao that stands (queued, under way or issued; not failed, cancelled or reversed)."""
    return session.scalars(select(Fapiao).where(Fapiao.insurance_claim_id == claim_id, Fapiao.kind == "blue",
                                                Fapiao.status.in_(ACTIVE))).first()


def _requested_before(session: Session, key: str | None, invoice_id: str, claim_id: str | None) -> Fapiao | None:
    found = by_key(session, Fapiao, key)
    if found is not None and (found.invoice_id, found.insurance_claim_id) != (invoice_id, claim_id):
        raise Conflict("This Idempotency-Key was already used for another fapiao.", code="idempotency_key_reused")
    return found


def _claims_waiting(session: Session, invoice_id: str, with_ids: bool = False) -> list:
    """The invoice's live claims without a fapiao standing: their amounts (with their ids)."""
    standing = select(Fapiao.insurance_claim_id).where(Fapiao.invoice_id == invoice_id, Fapiao.kind == "blue",
                                                       Fapiao.status.in_(ACTIVE),
                                                       Fapiao.insurance_claim_id.is_not(None))
    rows = session.execute(select(InsuranceClaim.id, InsuranceClaim.amount_fen).where(
        InsuranceClaim.invoice_id == invoice_id, InsuranceClaim.voided_at.is_(None),
        InsuranceClaim.id.not_in(standing)).order_by(InsuranceClaim.id)).tuples().all()
    return list(rows) if with_ids else [amount for _, amount in rows]


def _left(session: Session, invoice: Invoice, reserved: list[int]) -> dict[str, int]:
    """Line id → what of it no standing blue fapiao covers, less the `reserved` amounts (taken line by line)."""
    covered = _covered(session, invoice.id)
    left = {line.id: max(line.total_fen, 0) - covered.get(line.id, 0) for line in invoice.lines}
    for amount in reserved:
        _taken_from(invoice.lines, left, amount)
    return left


def _covered(session: Session, invoice_id: str) -> dict[str, int]:
    """Line id → what of it the standing blue fapiao cover."""
    covered: dict[str, int] = {}
    for row in _blues(session, invoice_id):
        for line in row.lines:
            covered[line["line_id"]] = covered.get(line["line_id"], 0) + line["total_fen"]
    return covered


def _taken_from(lines: list[InvoiceLine], left: dict[str, int], amount: int) -> list[tuple[InvoiceLine, int]]:
    """Take `amount` off what the lines leave, line by line in order: the (line, part) taken."""
    pieces = []
    for line in lines:
        part = min(left[line.id], amount)
        if part > 0:
            pieces.append((line, part))
            left[line.id] -= part
            amount -= part
    return pieces


def _queued(session: Session, caller: Caller, invoice: Invoice, pieces: list[tuple[InvoiceLine, int]],
            codes: dict[str, str], key: str | None, data: dict) -> Fapiao:
    """The blue row of the parts of lines in `pieces` (a part's tax its share of the line's, rounded so the parts
    of a line add up to its tax), queued with the buyer in `data`."""
    lines = [line for line, _ in pieces]
    goods_codes = {line.id: codes.get(f"{line.kind}:{line.sku if line.kind == 'part' else line.op_code}")
                   or codes.get(line.kind) for line in lines}
    missing = sorted({line.kind for line in lines if not goods_codes[line.id]})
    if missing:
        raise Conflict("No tax classification code for these kinds of line.", code="fapiao_tax_code_missing",
                       params={"kinds": missing})
    covered = _covered(session, invoice.id)
    sent = [{"line_id": line.id, "description": line.description, "goods_code": goods_codes[line.id],
             "qty": str(line.qty.normalize() if line.qty else 1), "tax_rate": line.tax_rate,
             "tax_fen": _tax_share(line, covered.get(line.id, 0), part), "total_fen": part} for line, part in pieces]
    row = Fapiao(store_id=invoice.store_id, invoice_id=invoice.id, invoice_number=invoice.number,
                 customer_id=invoice.customer_id, kind="blue", type=data["type"], buyer_title=data["buyer_title"],
                 buyer_tax_no=data.get("buyer_tax_no"), buyer_email=data.get("buyer_email"), lines=sent,
                 insurance_claim_id=data.get("insurance_claim_id"),
                 amount_fen=sum(line["total_fen"] for line in sent), tax_fen=sum(line["tax_fen"] for line in sent),
                 status="queued", next_attempt_at=utcnow(), requested_by=caller.user_id, idempotency_key=key)
    session.add(row)
    session.flush()
    record_audit(session, caller, "fapiao_requested", "invoice", invoice.id, store_id=invoice.store_id,
                 details={"fapiao_id": row.id, "type": row.type, "amount_fen": row.amount_fen,
                          "insurance_claim_id": row.insurance_claim_id})
    return row


def _tax_share(line, covered: int, part: int) -> int:
    """The tax of `part` of a line after the `covered` fen other fapiao take: the line's tax up to the part's end
    less its tax up to its start (rounded down), so the parts of a line add up to its tax."""
    return line.tax_fen * (covered + part) // line.total_fen - line.tax_fen * covered // line.total_fen


def red_letter(session: Session, caller: Caller, fapiao_id: str, reason: str) -> Fapiao:
    """Queue the red fapiao that reverses an issued blue one (its 红字确认单 first)."""
    blue = get_locked(session, Fapiao, fapiao_id, "fapiao")
    caller.require_store(blue.store_id)
    if blue.kind != "blue" or blue.status != "issued":
        raise illegal("fapiao", blue.status if blue.kind == "blue" else "red", "reversed")
    if session.execute(select(Fapiao.id).where(Fapiao.original_id == blue.id,
                                               Fapiao.status.in_(ACTIVE))).first():
        raise Conflict("A red fapiao for it is already under way.", code="fapiao_red_exists")
    return _red_for(session, caller, blue, reason)


def _red_for(session: Session, caller: Caller | None, blue: Fapiao, reason: str) -> Fapiao:
    """The red row of an issued blue one (locked by the caller), queued."""
    row = Fapiao(store_id=blue.store_id, invoice_id=blue.invoice_id, invoice_number=blue.invoice_number,
                 customer_id=blue.customer_id, kind="red", original_id=blue.id, type=blue.type,
                 insurance_claim_id=blue.insurance_claim_id,
                 buyer_title=blue.buyer_title, buyer_tax_no=blue.buyer_tax_no, buyer_email=blue.buyer_email,
                 lines=[{**line, "qty": f"-{line['qty']}", "tax_fen": -line["tax_fen"], "total_fen": -line["total_fen"]}
                        for line in blue.lines],
                 amount_fen=-blue.amount_fen, tax_fen=-blue.tax_fen, status="queued", red_reason=reason,
                 next_attempt_at=utcnow(), requested_by=caller.user_id if caller else None)
    session.add(row)
    session.flush()
    record_audit(session, caller, "fapiao_red_requested", "invoice", blue.invoice_id, store_id=blue.store_id,
                 details={"fapiao_id": row.id, "original_id": blue.id, "reason": reason})
    return row


TITLES_KEPT = 5


def buyer_titles(session: Session, customer_id: str) -> list[dict]:
    """The titles (抬头, tax number, e-mail, type) on the customer's earlier fapiao, the most recent first, each
    once: the till offers them instead of having them typed again."""
    rows = session.execute(select(Fapiao.type, Fapiao.buyer_title, Fapiao.buyer_tax_no, Fapiao.buyer_email,
                                  func.max(Fapiao.created_at).label("last"))
                           .where(Fapiao.customer_id == customer_id, Fapiao.kind == "blue")
                           .group_by(Fapiao.type, Fapiao.buyer_title, Fapiao.buyer_tax_no, Fapiao.buyer_email)
                           .order_by(func.max(Fapiao.created_at).desc()).limit(TITLES_KEPT))
    return [{"type": row.type, "buyer_title": row.buyer_title, "buyer_tax_no": row.buyer_tax_no,
             "buyer_email": row.buyer_email, "last_used_at": row.last} for row in rows]


def reverse_refunded(session: Session, caller: Caller, invoice_id: str) -> list[Fapiao]:
    """An invoice refunded whole owes no fapiao, in the refund's own transaction: each issued blue one not yet
    reversed gets its red one queued (reason `refund`, 销货退回); each one still queued (the provider down, or
    not yet sent) is cancelled and never issued, unless a send of it may have reached the provider (its answer
    lost): that one goes on, and is reversed once issued (`record_step`), as is one the provider is issuing now.
    A partial refund is left to staff (red, then a new blue)."""
    blues = session.scalars(select(Fapiao).where(Fapiao.invoice_id == invoice_id, Fapiao.kind == "blue",
                                                 Fapiao.status.in_(("queued", "issued")))
                            .order_by(Fapiao.id).with_for_update()).all()
    reversing = set(session.scalars(select(Fapiao.original_id).where(
        Fapiao.invoice_id == invoice_id, Fapiao.kind == "red", Fapiao.status.in_(ACTIVE))))
    reds = []
    for blue in blues:
        if blue.status == "issued" and blue.id not in reversing:
            reds.append(red_letter(session, caller, blue.id, "refund"))
        elif blue.status == "queued" and not _maybe_at_provider(blue):
            blue.status = "cancelled"
            record_audit(session, caller, "fapiao_cancelled", "invoice", invoice_id, store_id=blue.store_id,
                         details={"fapiao_id": blue.id, "reason": "refund", "attempts": blue.attempts})
    return reds


def _maybe_at_provider(row: Fapiao) -> bool:
    """Whether a queued blue one's last send may have been issued after all: its answer was lost (a timeout, an
    answer without its 流水号), not refused at the door (no connection, a 5xx, no token). 诺诺 knows it by its
    `orderNo` (the row's id), so it is sent again rather than forgotten."""
    error = row.last_error or ""
    return error.startswith("0 ") and not any(word in error for word in (
        "ConnectionError", "ConnectTimeout", "provider_not_configured"))


def _blues(session: Session, invoice_id: str) -> list[Fapiao]:
    return list(session.scalars(select(Fapiao).where(Fapiao.invoice_id == invoice_id, Fapiao.kind == "blue",
                                                     Fapiao.status.in_(ACTIVE))))


def get_fapiao(session: Session, caller: Caller, fapiao_id: str) -> Fapiao:
    row = session.get(Fapiao, fapiao_id)
    if row is None:
        raise NotFound("No such fapiao.")
    caller.require_store(row.store_id)
    return row


def list_fapiao(session: Session, stores: list[str] | None, params: dict) -> list[Fapiao]:
    return newest_first(session, Fapiao, stores, params, ("status", "invoice_id"))


# -- the worker ------------------------------------------------------------------------------------
# finance's `send_fapiao` timer owns the transactions: it commits `due`'s read and each `claim` on its
# own, ends the read before `provider_step` calls the provider (none is open while it is called),
# rolls back after a provider error and commits each `record_step`.
def due(session: Session, now: datetime, limit: int = 20) -> list[tuple[str, datetime]]:
    """Rows whose next step is due: (id, next_attempt_at) for the claim."""
    rows = session.execute(select(Fapiao.id, Fapiao.next_attempt_at).where(
        Fapiao.status.in_(WORKING), Fapiao.next_attempt_at <= now).order_by(Fapiao.next_attempt_at).limit(limit))
    return [(row.id, row.next_attempt_at) for row in rows]


def claim(session: Session, fapiao_id: str, seen: datetime, now: datetime) -> Fapiao | None:
    """The row, leased to this worker (a conditional UPDATE: the caller commits it before the provider
    is called), or None when another worker claimed it first."""
    claimed = rowcount(session.execute(update(Fapiao).where(Fapiao.id == fapiao_id, Fapiao.next_attempt_at == seen,
                                                            Fapiao.status.in_(WORKING))  # not cancelled since
                                       .values(next_attempt_at=now + LEASE)))
    return session.get(Fapiao, fapiao_id, populate_existing=True) if claimed else None


def provider_step(session: Session, provider, settings, row: Fapiao, now: datetime) -> dict:
    """One step of a claimed row at the provider: the changes to record (`record_step`). Raises
    ProviderError (`after_provider_error` gives the changes then)."""
    if provider is None:
        raise ProviderError(0, "provider_not_configured")
    return _step(session, provider, settings, row, now)


def after_provider_error(session: Session, fapiao_id: str, exc: ProviderError, now: datetime) -> dict:
    """A provider that is down: try again later, backing off; one that refused: failed."""
    row = session.get_one(Fapiao, fapiao_id, populate_existing=True)
    if not exc.down:
        return {"status": "failed", "failure": str(exc)[:500]}
    attempts = row.attempts + 1
    log.warning("fapiao %s: the provider is down (%s); attempt %s", fapiao_id, exc, attempts)
    return {"attempts": attempts, "last_error": str(exc)[:200],
            "next_attempt_at": now + timedelta(seconds=min(fapiao_retry_seconds() * 2 ** (attempts - 1), MAX_RETRY))}


def record_step(session: Session, fapiao_id: str, changes: dict) -> str:
    """The step's changes, written under the row's lock; answers the new status. A blue one cancelled (its invoice
    refunded whole) while its send was under way stays cancelled unless the provider took it (`issuing`): then it
    is followed to the end, and an issued blue one whose invoice is refunded whole gets its red one queued."""
    row = get_locked(session, Fapiao, fapiao_id, "fapiao")
    if row.status == "cancelled":
        if changes.get("status") != "issuing":
            return row.status
        record_audit(session, None, "fapiao_cancel_too_late", "invoice", row.invoice_id, store_id=row.store_id,
                     details={"fapiao_id": row.id, "serial_no": changes.get("serial_no")})
    for name, value in changes.items():
        setattr(row, name, value)
    if changes.get("status") == "issued" and row.kind == "red" and row.original_id is not None:
        get_locked(session, Fapiao, row.original_id, "fapiao").status = "reversed"
    if changes.get("status") == "issued" and row.kind == "blue":
        invoice = session.get_one(Invoice, row.invoice_id)
        if invoice.refunded_fen >= invoice.total_fen:
            _red_for(session, None, row, "refund")
    if changes.get("status") in ("issued", "failed"):
        record_audit(session, None, f"fapiao_{changes['status']}", "invoice", row.invoice_id, store_id=row.store_id,
                     details={"fapiao_id": row.id, "kind": row.kind, "number": row.number, "failure": row.failure})
    return row.status


def _step(session: Session, provider, settings, row: Fapiao, now: datetime) -> dict:
    later = now + timedelta(seconds=fapiao_poll_seconds())
    if row.status == "issuing":
        result = provider.query(row.serial_no)
        if result.state == "issued":
            issued_at = datetime.fromtimestamp(result.issued_at_ms / 1000, timezone.utc) if result.issued_at_ms \
                else now
            return {"status": "issued", "number": result.number, "issued_at": issued_at, "pdf_url": result.pdf_url,
                    "ofd_url": result.ofd_url, "last_error": None}
        if result.state == "failed":
            return {"status": "failed", "failure": result.reason}
        return {"next_attempt_at": later}
    if row.status == "confirming":
        state, bill_no = provider.query_red_confirm(row.confirm_bill_id)
        return _after_confirm(state, bill_no, now, later)
    seller = {"seller_tax_num": settings.tax_num, "seller_name": settings.seller_name}
    if row.kind == "red":
        blue, _reason = _reversed(session, row)
        if blue.seller_tax_num and blue.seller_tax_num != settings.tax_num:
            return {"status": "failed", "failure": _seller_changed(blue, settings.tax_num)}
    if row.kind == "red" and not row.confirm_bill_no:
        bill_id, state = provider.apply_red_confirm(_confirm_form(session, settings, row, now))
        return {"status": "confirming", "confirm_bill_id": bill_id, "confirm_state": state, "next_attempt_at": now,
                "last_error": None, **seller}
    serial = provider.issue(_order(session, settings, row, now))
    return {"status": "issuing", "serial_no": serial, "next_attempt_at": later, "last_error": None, **seller}


def account_keys(session: Session, row: Fapiao) -> tuple[str | None, ...]:
    """The keys of the account a fapiao is sent with: the store's (its code, then its id); a red one's first
    the blue one's seller — a file `nuonuo/<销方税号>.json` keeps a seller the store has left (a new legal
    entity, a new tax number) able to reverse what it issued."""
    keys = store_keys(session, row.store_id)
    if row.kind == "red" and row.original_id is not None:
        seller = session.get_one(Fapiao, row.original_id).seller_tax_num
        return (seller, *keys) if seller else keys
    return keys


def _seller_changed(blue: Fapiao, tax_num: str | None) -> str:
    """Why a red fapiao is not filed: only the seller of the blue one may reverse it (shown to staff as it is)."""
    return (f"原发票销方为{blue.seller_name or ''}（税号 {blue.seller_tax_num}），"
            f"门店现开票账户税号为 {tax_num or '未设置'}：红字发票须由原销方开具，"
            "请联系总部恢复原销方的开票账户后重新申请")


def _after_confirm(state: str, bill_no: str | None, now: datetime, later: datetime) -> dict:
    """Confirmed (or needing no confirmation): on to the red fapiao; awaiting the buyer: ask again later."""
    if state in CONFIRMED:
        return {"status": "queued", "confirm_state": state, "confirm_bill_no": bill_no, "next_attempt_at": now,
                "last_error": None}
    if state in WAITING:
        return {"status": "confirming", "confirm_state": state, "next_attempt_at": later, "last_error": None}
    return {"status": "failed", "confirm_state": state, "failure": f"红字确认单 {state}"}


def _local(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _order(session: Session, settings, row: Fapiao, now: datetime) -> dict:
    """requestBillingNew's `order`: the buyer, the seller, and each line tax included."""
    order = {"buyerName": row.buyer_title, "buyerTaxNum": row.buyer_tax_no or "", "buyerEmail": row.buyer_email or "",
             "salerTaxNum": settings.tax_num, "orderNo": row.id, "invoiceDate": _local(now), "clerk": settings.clerk,
             "pushMode": "-1", "invoiceType": "1" if row.kind == "blue" else "2",
             "invoiceLine": LINE_TYPES[row.type], "invoiceDetail": [{
                 "goodsName": line["description"], "goodsCode": line["goods_code"], "num": line["qty"],
                 "price": _price(line), "withTaxFlag": "1", "taxRate": line["tax_rate"], "tax": yuan_signed(
                     line["tax_fen"]), "taxIncludedAmount": yuan_signed(line["total_fen"]),
                 "taxExcludedAmount": yuan_signed(line["total_fen"] - line["tax_fen"]), "invoiceLineProperty": "0"}
                 for line in row.lines]}
    if row.kind == "red":
        blue, reason = _reversed(session, row)
        order.update(invoiceNum=blue.number, billInfoNo=row.confirm_bill_no, redReason=reason)
    return order


def _reversed(session: Session, row: Fapiao) -> tuple[Fapiao, str]:
    """A red fapiao's blue one and the provider's code of its reason (every red one keeps both)."""
    if row.original_id is None or row.red_reason is None:
        raise ValueError(f"Fapiao {row.id} reverses nothing.")
    return session.get_one(Fapiao, row.original_id), RED_REASON_CODES[row.red_reason]


def _confirm_form(session: Session, settings, row: Fapiao, now: datetime) -> dict:
    """saveInvoiceRedConfirm's content: the seller files it (applySource 0) against the blue fapiao."""
    blue, reason = _reversed(session, row)
    return {"applySource": "0", "blueInvoiceLine": LINE_TYPES[blue.type], "blueInvoiceNumber": blue.number,
            "billTime": _local(now), "sellerTaxNo": settings.tax_num, "sellerName": settings.seller_name,
            "buyerTaxNo": blue.buyer_tax_no or "", "buyerName": blue.buyer_title,
            "redReason": reason, "autoInvoice": "0", "orderNo": row.id,
            "amount": yuan_signed(row.amount_fen), "taxAmount": yuan_signed(row.tax_fen)}


def yuan_signed(fen: int) -> str:
    return f"-{yuan(-fen)}" if fen < 0 else yuan(fen)


def _price(line: dict) -> str:
    """The unit price tax included, to 8 places as the provider takes it (a red line's price stays positive)."""
    price = Decimal(abs(line["total_fen"])) / 100 / abs(Decimal(line["qty"] or "1"))
    return f"{price.quantize(Decimal('0.00000001')).normalize():f}"
