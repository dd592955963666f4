"""Repair health records (汽车维修电子健康档案): after each settlement of a repair, its record goes to the
provincial system in the shape JT/T 1132 and the provinces' 接口规范 give it (services/finance/
health_record_provider.py speaks the protocol).

- **Never lost**: `queue_upload` writes the upload row (`health_record_uploads`) in the transaction that
  settles the invoice (the one that records `finance.invoice_paid`), once per settlement number.
- **Read, then send**: finance's timer (`upload_health_records`, it owns the transactions) reads the due rows,
  asks crm for the cars (plate, VIN) and sales for the visits (送修日期, 送修里程, the customer's words as the
  fault) in one call each for the whole batch, then per row claims it with a conditional update (two finance
  instances never send one twice), builds and checks the record (`build_record`, `problems`: plain functions)
  and calls the system with no transaction open. A record that fails the checks is `failed` with reason codes
  and never sent; one the system refuses is `failed` with its words; a system that is down leaves the row
  `queued`, tried again after `HEALTH_RECORD_RETRY_SECONDS`, twice as long each time (at most an hour).
- **Idempotent on the settlement number**: the invoice's number is the record's `costlistcode`; a row per
  number, and the system answers a number it already holds as accepted (a resend after a lost answer).
- A failed row goes back to `queued` once the data is fixed (`retry`, a manager): the record is built anew
  from what crm and sales hold then.
- **Which stores**: only 一类/二类/三类 repair shops upload (the store's `repair_category` in finance's settings;
  交办运〔2021〕82号); a store whose category is unset or `none` queues nothing. Settlements from before its
  category was set are queued on a manager's request (`backfill`, a range of settled days), once each.
- **After the upload**: the interface offers no correction or withdrawal of a record (only login, shop
  registration and `lcipprocarfixrecordadd`), so a refund of an uploaded settlement leaves a notice on the row
  (`refunded_after_upload`) for the manager instead (`note_refund`)."""
from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.audit import record_audit
from services.common.config import health_record_retry_seconds
from services.common.context import Caller
from services.common.db import rowcount, utcnow
from services.common.errors import Conflict, Invalid

from ..models import HealthRecordUpload, Invoice, StoreSettings
from .common import get_locked, get_or_404, illegal, newest_first, require_manager

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_RETRY = 3600.0
DEFAULT_TIME_ZONE = "Asia/Shanghai"
VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
LICENCE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff()（）\-]{6,40}")
PROBLEMS = ("licence_missing", "licence_invalid", "company_name_missing", "vehicle_missing", "plate_missing",
            "vin_missing", "vin_invalid", "mileage_missing", "fault_missing", "items_missing")
"""Why a record is not sent (stable codes, worded by the console): checked in this order."""
NEED_WORDS = {"maintenance": "保养", "repair": "维修", "inspection": "检测", "tyres": "轮胎", "car_care": "美容"}
"""The reception's need codes (the console's check boxes) as the record words them; typed needs are kept as typed."""
BACKFILL_DAYS = 366
"""The longest range of settled days one backfill asks for."""
FAILURES = PROBLEMS + ("rejected", "login_refused")
"""Every `failure_code`: the checks', the system refusing the record (`rejected`, its words in `failure`) or
refusing the shop's login (`login_refused`: companycode or password wrong)."""


# -- the settlement writes the row -------------------------------------------------------------------
def queue_upload(session: Session, invoice: Invoice) -> HealthRecordUpload | None:
    """In the settling transaction: the upload row of a paid invoice, once per settlement number; none for a
    store that is not a 一类/二类/三类 repair shop (or has not said which it is)."""
    settings = session.get(StoreSettings, invoice.store_id)
    if settings is None or not settings.uploads_health_records:
        return None
    found = session.execute(select(HealthRecordUpload).where(
        HealthRecordUpload.settlement_no == invoice.number)).scalar_one_or_none()
    if found is not None:
        return found
    return _queue(session, invoice)


def _queue(session: Session, invoice: Invoice) -> HealthRecordUpload:
    row = HealthRecordUpload(store_id=invoice.store_id, invoice_id=invoice.id, settlement_no=invoice.number,
                             order_id=invoice.order_id, customer_id=invoice.customer_id,
                             vehicle_id=invoice.vehicle_id, settled_at=invoice.paid_at or utcnow(), status="queued",
                             attempts=0, next_attempt_at=utcnow())
    session.add(row)
    session.flush()
    return row


def backfill(session: Session, caller: Caller, store_id: str, first: date, last: date) -> dict:
    """A manager's request: every settlement of the store on the days `first`..`last` (store-local, by the day
    it was paid) that has no upload yet is queued now. Idempotent on the settlement number (asked twice, the
    second queues nothing); the store's settings row is locked so two requests never queue one twice."""
    caller.require_store(store_id)
    require_manager(caller, "Uploading past settlements")
    if last < first or (last - first).days >= BACKFILL_DAYS:
        raise Invalid("The range runs from its first day to its last, at most a year.", fields={"to": [str(last)]},
                      code="health_record_range", params={"days": BACKFILL_DAYS})
    settings = session.execute(select(StoreSettings).where(StoreSettings.store_id == store_id)
                               .with_for_update()).scalar_one_or_none()
    if settings is None or not settings.uploads_health_records:
        raise Conflict("The store's repair category does not upload health records.",
                       code="health_record_not_required",
                       params={"category": settings.repair_category if settings else None})
    zone = ZoneInfo(settings.time_zone or DEFAULT_TIME_ZONE)
    start = datetime.combine(first, time.min, zone).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(timezone.utc)
    settled = session.scalars(select(Invoice).where(  # paid_at is set once an invoice is paid in full
        Invoice.store_id == store_id, Invoice.paid_at >= start, Invoice.paid_at < end).order_by(Invoice.paid_at))
    invoices = list(settled)
    have = set(session.scalars(select(HealthRecordUpload.settlement_no).where(
        HealthRecordUpload.store_id == store_id, HealthRecordUpload.settlement_no.in_(
            [invoice.number for invoice in invoices])))) if invoices else set()
    queued = [_queue(session, invoice) for invoice in invoices if invoice.number not in have]
    for row in queued:
        record_audit(session, caller, "health_record_backfilled", "invoice", row.invoice_id, store_id=store_id,
                     details={"upload_id": row.id, "from": first.isoformat(), "to": last.isoformat()})
    return {"store_id": store_id, "from_": first, "to": last, "queued": len(queued), "already": len(have)}


def note_refund(session: Session, invoice: Invoice) -> HealthRecordUpload | None:
    """In the refund's transaction: a settlement whose record the system already holds keeps it (no correction
    interface); its upload carries a notice the manager sees. A record not yet sent goes as settled (the
    repair was done)."""
    row = session.execute(select(HealthRecordUpload).where(
        HealthRecordUpload.invoice_id == invoice.id, HealthRecordUpload.status == "uploaded")).scalar_one_or_none()
    if row is None or row.notice is not None:
        return row
    row.notice, row.notice_at = "refunded_after_upload", utcnow()
    record_audit(session, None, "health_record_refunded_after_upload", "invoice", invoice.id,
                 store_id=invoice.store_id, details={"upload_id": row.id, "settlement_no": row.settlement_no,
                                                     "refunded_fen": invoice.refunded_fen})
    return row


# -- the record ------------------------------------------------------------------------------------
def _day(moment: datetime | str | None, time_zone: str) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y%m%d")


def _number(value) -> float | int:
    quantity = Decimal(str(value or 0)).normalize()
    return int(quantity) if quantity == quantity.to_integral_value() else float(quantity)


def build_record(facts: dict) -> dict:
    """The record as the system takes it (`lcipprocarfixrecordadd`'s `basicInfo`, `repairprojectlist`,
    `vehiclepartslist`), from plain facts: `settlement_no`, `settled_at`, `time_zone`, `company_name`,
    `vehicle` ({plate, vin} or None), `visit` ({mileage_km, needs, notes, checked_in_at} or None) and the
    invoice's `lines` ({kind, description, sku, hours, qty}). Dates are the store's local days (yyyyMMdd)."""
    zone = facts.get("time_zone") or DEFAULT_TIME_ZONE
    vehicle, visit = facts.get("vehicle") or {}, facts.get("visit") or {}
    needs = [NEED_WORDS.get(need.strip(), need.strip()) for need in visit.get("needs") or [] if need and need.strip()]
    fault = "；".join(needs) or (visit.get("notes") or "").strip()
    settled = _day(facts["settled_at"], zone)
    basic = {"companyname": facts.get("company_name") or "", "vehicleplatenumber": vehicle.get("plate") or "",
             "vin": (vehicle.get("vin") or "").upper(),
             "repairdate": _day(visit.get("checked_in_at"), zone) or settled,
             "repairmileage": str(visit["mileage_km"]) if visit.get("mileage_km") else "",
             "settledate": settled, "faultdescription": fault[:200], "costlistcode": facts["settlement_no"]}
    projects = [{"repairproject": line["description"][:50], "workinghours": _number(line.get("hours") or line["qty"])}
                for line in facts.get("lines") or [] if line["kind"] == "labour"]
    parts = [{"partsname": line["description"][:50], "partscode": line.get("sku") or "",
              "partsquantity": _number(line["qty"])} for line in facts.get("lines") or [] if line["kind"] == "part"]
    return {"basicInfo": basic, "repairprojectlist": projects, "vehiclepartslist": parts}


def problems(record: dict, licence_no: str | None, vehicle_known: bool) -> list[str]:
    """Why the record cannot be sent (codes of PROBLEMS, in their order); empty when it can."""
    basic = record["basicInfo"]
    found = []
    if not licence_no:
        found.append("licence_missing")
    elif not LICENCE.fullmatch(licence_no):
        found.append("licence_invalid")
    if not basic["companyname"]:
        found.append("company_name_missing")
    if not vehicle_known:
        found.append("vehicle_missing")
    else:
        if not basic["vehicleplatenumber"]:
            found.append("plate_missing")
        if not basic["vin"]:
            found.append("vin_missing")
        elif not VIN.fullmatch(basic["vin"]):
            found.append("vin_invalid")
    if not basic["repairmileage"]:
        found.append("mileage_missing")
    if not basic["faultdescription"]:
        found.append("fault_missing")
    if not record["repairprojectlist"] and not record["vehiclepartslist"]:
        found.append("items_missing")
    return found


# -- reading ---------------------------------------------------------------------------------------
def list_uploads(session: Session, stores: list[str] | None, params: dict) -> list[HealthRecordUpload]:
    return newest_first(session, HealthRecordUpload, stores, params, ("status", "invoice_id"))


def get_upload(session: Session, caller: Caller, upload_id: str) -> HealthRecordUpload:
    row = get_or_404(session, HealthRecordUpload, upload_id, "health-record upload")
    caller.require_store(row.store_id)
    return row


def retry(session: Session, caller: Caller, upload_id: str) -> HealthRecordUpload:
    """A failed upload queued again (after its data was fixed): built anew from what the owners hold then."""
    row = get_locked(session, HealthRecordUpload, upload_id, "health-record upload")
    caller.require_store(row.store_id)
    require_manager(caller, "Sending a health record again")
    if row.status != "failed":
        raise illegal("health_record", row.status, "sent again")
    before = {"failure_code": row.failure_code, "failure": row.failure}
    row.status, row.failure_code, row.failure, row.attempts, row.last_error = "queued", None, None, 0, None
    row.next_attempt_at = utcnow()
    record_audit(session, caller, "health_record_retried", "invoice", row.invoice_id, store_id=row.store_id,
                 details={"upload_id": row.id, **before})
    return row


# -- the worker ------------------------------------------------------------------------------------
# finance's `upload_health_records` timer owns the transactions: `due`'s read, each `prepare` (the claim and
# the checked record) and each `record_step` commit on their own; the crm and sales reads and the call to
# the system happen with none open.
def due(session: Session, now: datetime, limit: int = 20) -> list[dict]:
    """Rows whose upload is due, with what the reads need (ids of the car and the order)."""
    rows = session.execute(select(HealthRecordUpload.id, HealthRecordUpload.next_attempt_at,
                                  HealthRecordUpload.vehicle_id, HealthRecordUpload.order_id).where(
        HealthRecordUpload.status == "queued", HealthRecordUpload.next_attempt_at <= now)
        .order_by(HealthRecordUpload.next_attempt_at).limit(limit))
    return [{"id": row.id, "seen": row.next_attempt_at, "vehicle_id": row.vehicle_id, "order_id": row.order_id}
            for row in rows]


def prepare(session: Session, upload_id: str, seen: datetime, now: datetime, vehicles: dict[str, dict],
            visits: dict[str, dict]) -> dict | None:
    """Claim the row (a conditional UPDATE) and build its record from the invoice, the store's settings and
    what crm and sales answered. None when another worker claimed it first or the record failed the checks
    (then the row is `failed` with its codes); else {id, company_code, record} to send."""
    claimed = rowcount(session.execute(update(HealthRecordUpload).where(
        HealthRecordUpload.id == upload_id, HealthRecordUpload.next_attempt_at == seen,
        HealthRecordUpload.status == "queued").values(next_attempt_at=now + LEASE)))
    if not claimed:
        return None
    row = session.get_one(HealthRecordUpload, upload_id, populate_existing=True)
    invoice = session.get_one(Invoice, row.invoice_id)
    settings = session.get(StoreSettings, row.store_id)
    vehicle = vehicles.get(row.vehicle_id or "")
    facts = {"settlement_no": row.settlement_no, "settled_at": row.settled_at,
             "time_zone": settings.time_zone if settings else DEFAULT_TIME_ZONE,
             "company_name": settings.repair_company_name if settings else None, "vehicle": vehicle,
             "visit": visits.get(row.order_id),
             "lines": [{"kind": line.kind, "description": line.description, "sku": line.sku, "hours": line.hours,
                        "qty": line.qty} for line in invoice.lines]}
    record = build_record(facts)
    licence = settings.repair_licence_no if settings else None
    row.record, row.plate = record, record["basicInfo"]["vehicleplatenumber"] or row.plate
    found = problems(record, licence, vehicle is not None)
    if found:
        _fail(session, row, found[0], ",".join(found))
        return None
    return {"id": row.id, "store_id": row.store_id, "company_code": licence, "record": record}


def _fail(session: Session, row: HealthRecordUpload, code: str, failure: str) -> None:
    row.status, row.failure_code, row.failure = "failed", code, failure[:500]
    record_audit(session, None, "health_record_failed", "invoice", row.invoice_id, store_id=row.store_id,
                 details={"upload_id": row.id, "failure_code": code, "failure": row.failure})


def after_error(attempts: int, down: bool, code: str, message: str, now: datetime) -> dict:
    """The changes after the system answered with an error: down → queued again later (backing off);
    a refused login or record → failed with its words."""
    if not down:
        return {"status": "failed", "failure_code": "login_refused" if code == "login" else "rejected",
                "failure": message[:500]}
    attempts += 1
    return {"attempts": attempts, "last_error": message[:200],
            "next_attempt_at": now + timedelta(seconds=min(health_record_retry_seconds() * 2 ** (attempts - 1),
                                                           MAX_RETRY))}


def record_step(session: Session, upload_id: str, changes: dict) -> str:
    """What the system answered, written under the row's lock; answers the new status."""
    row = get_locked(session, HealthRecordUpload, upload_id, "health-record upload")
    if changes.get("status") == "failed":
        _fail(session, row, changes["failure_code"], changes["failure"])
        return row.status
    for name, value in changes.items():
        setattr(row, name, value)
    if changes.get("status") == "uploaded":
        record_audit(session, None, "health_record_uploaded", "invoice", row.invoice_id, store_id=row.store_id,
                     details={"upload_id": row.id, "settlement_no": row.settlement_no})
    return row.status


def get_or_none_attempts(session: Session, upload_id: str) -> int:
    """How many sends found the system down so far."""
    row = session.get(HealthRecordUpload, upload_id, populate_existing=True)
    return row.attempts if row is not None else 0


def forget_customer(session: Session, customer_id: str) -> int:
    """`crm.customer_erased`: the plate and VIN copied into the customer's uploads are dropped (the record the
    provincial system holds is its own, a repair record the law keeps); a failed one sent again is built anew
    from crm's anonymised car. Answers how many uploads were changed."""
    rows = session.scalars(select(HealthRecordUpload).where(HealthRecordUpload.customer_id == customer_id)).all()
    for row in rows:
        row.plate = None
        if row.record:
            basic = {**row.record.get("basicInfo", {}), "vehicleplatenumber": "", "vin": ""}
            row.record = {**row.record, "basicInfo": basic}
    return len(rows)
