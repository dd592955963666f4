"""Time clock: a technician clocks in and out of a job; the first clock-in of a dispatched work
order starts it (in_progress, in its bay). A technician is clocked into at most one job at a time:
checked under a row lock on the technician and guaranteed by a unique column that holds the
technician's id only while an entry is open."""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid
from services.common.outbox import record_event

from ..models import Job, Technician, TimeEntry, WorkOrder
from . import bays as bay_rules
from .technicians import get_technician, technician_of_user
from .work_orders import DISPATCHED, IN_PROGRESS, get_job, get_work_order, touch, transition

SECONDS_PER_HOUR = Decimal(3600)


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Elapsed hours to the thousandth (3.6 seconds), never negative."""
    seconds = Decimal(str(max((end - start).total_seconds(), 0)))
    return (seconds / SECONDS_PER_HOUR).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def resolve_technician(session: Session, caller: Caller, technician_id: str | None) -> Technician:
    """A technician clocks only themselves (their account is linked to a technician record); a
    manager or advisor (the foreman's terminal) names the technician."""
    if caller.role == "technician":
        own = technician_of_user(session, caller.user_id)
        if own is None:
            raise Forbidden("Your account is not linked to a technician record.", code="account_not_a_technician")
        if technician_id and technician_id != own.id:
            raise Forbidden("Technicians clock only themselves.", code="clock_only_yourself")
        return get_technician(session, own.id, caller, lock=True, by_name=True)
    if not technician_id:
        raise Invalid("Name the technician.", fields={"technician_id": ["Required unless you are the technician."]},
                      code="name_the_technician")
    return get_technician(session, technician_id, caller, lock=True, by_name=True)


def open_entry(session: Session, technician_id: str) -> TimeEntry | None:
    """The technician's running entry, its technician by name (`CLOCKED_BY_NAME`)."""
    return session.scalars(select(TimeEntry).where(
        TimeEntry.technician_id == technician_id, TimeEntry.ended_at.is_(None)).options(CLOCKED_BY_NAME)).first()


def clock_in(session: Session, caller: Caller, work_order_id: str, job_id: str, technician_id: str | None = None,
             note: str | None = None) -> TimeEntry:
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    job = get_job(work_order, job_id)
    technician = resolve_technician(session, caller, technician_id)
    if work_order.status not in (DISPATCHED, IN_PROGRESS):
        raise Conflict(f"The work order is {work_order.status}; cannot clock in.",
                       fields={"status": [work_order.status]}, code="work_order_state",
                       params={"status": work_order.status})
    if technician.id not in {a.technician_id for a in job.assignments}:
        raise Conflict(f"{technician.name} is not dispatched to this job.", fields={"technician_id": [technician.id]},
                       code="technician_not_on_job", params={"technician": technician.name, "job": job.description})
    current = open_entry(session, technician.id)
    if current is not None:
        where = ("this job" if current.job_id == job.id
                 else f"job {current.job_id} of work order {current.work_order_id}")
        other = session.get(Job, current.job_id)
        raise Conflict(f"{technician.name} is already clocked into {where} since {current.started_at.isoformat()}.",
                       fields={"technician_id": [f"clocked into {current.job_id}"]},
                       code="technician_already_clocked_in",
                       params={"technician": technician.name, "job": other.description if other else "",
                               "order": (other.work_order.order_number or "") if other else ""})
    now = utcnow()
    job.finished_at = None  # back on it (more work, or rework after QC)
    if work_order.status == DISPATCHED:
        bay_rules.ensure_free(session, work_order)
        transition(session, work_order, IN_PROGRESS, by=caller.user_id, action="clock in", at=now)
        if work_order.started_at is None:  # the first clock-in starts the work: sales' order follows
            work_order.started_at = now
            record_event(session, "work_started", {
                "work_order_id": work_order.id, "order_id": work_order.order_id, "store_id": work_order.store_id,
                "started_at": now.isoformat()}, store_id=work_order.store_id)
    entry = TimeEntry(work_order_id=work_order.id, job_id=job.id, technician_id=technician.id,
                      open_technician_id=technician.id, started_at=now, note=note, clocked_by=caller.user_id)
    session.add(entry)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent clock-in of the same technician won the race
        raise Conflict(f"{technician.name} is already clocked into a job.",
                       fields={"technician_id": ["already clocked in"]}, code="technician_already_clocked_in",
                       params={"technician": technician.name, "job": "", "order": ""}) from exc
    touch(work_order)
    return entry


def _close(entry: TimeEntry, now: datetime, note: str | None) -> None:
    entry.ended_at = now
    entry.hours = hours_between(entry.started_at, now)
    entry.open_technician_id = None
    if note:
        entry.note = f"{entry.note}; {note}" if entry.note else note


def clock_out(session: Session, caller: Caller, work_order_id: str, job_id: str, technician_id: str | None = None,
              note: str | None = None, job_finished: bool = False) -> TimeEntry:
    """Clock out; `job_finished` tells the advisor the job is done (once nobody else is on it)."""
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    job = get_job(work_order, job_id)
    technician = resolve_technician(session, caller, technician_id)
    entry = open_entry(session, technician.id)
    if entry is None or entry.job_id != job.id:
        raise Conflict(f"{technician.name} is not clocked into this job.", fields={"technician_id": [technician.id]},
                       code="technician_not_clocked_in", params={"technician": technician.name, "job": job.description})
    now = utcnow()
    _close(entry, now, note)
    if job_finished:
        job.finished_at = now
    touch(work_order)
    session.flush()
    return entry


def close_open_entries(session: Session, work_order: WorkOrder, now: datetime, note: str) -> list[TimeEntry]:
    entries = list(session.scalars(select(TimeEntry).where(
        TimeEntry.work_order_id == work_order.id, TimeEntry.ended_at.is_(None))))
    for entry in entries:
        _close(entry, now, note)
    return entries


CLOCKED_BY_NAME = joinedload(TimeEntry.technician).lazyload("*")
"""Who clocked, by name (as `work_orders.TECHNICIANS_BY_NAME`)."""


def entries_of(session: Session, work_order_id: str) -> list[TimeEntry]:
    return list(session.scalars(select(TimeEntry).where(TimeEntry.work_order_id == work_order_id)
                                .options(CLOCKED_BY_NAME).order_by(TimeEntry.started_at, TimeEntry.id)))


def clocked_hours(entries: list[TimeEntry]) -> dict[tuple[str, str], Decimal]:
    """(job, technician) → closed hours."""
    totals: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        if entry.hours is not None:
            key = (entry.job_id, entry.technician_id)
            totals[key] = totals.get(key, Decimal(0)) + entry.hours
    return totals
