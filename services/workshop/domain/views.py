"""What an advisor sees of a work order: per job who is on it, since when and the hours so far,
plus the time entries and QC rounds (plain dicts for the response schemas)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.db import utcnow

from ..models import TimeEntry, WorkOrder
from .clock import CLOCKED_BY_NAME, entries_of
from .qc import results_of
from .work_orders import ACTIVE


def work_order_views(session: Session, work_orders: list[WorkOrder]) -> list[dict]:
    """A page of work orders without time entries and QC rounds, with one query for the clock."""
    ids = [wo.id for wo in work_orders]
    entries: dict[str, list[TimeEntry]] = {i: [] for i in ids}
    if ids:
        for entry in session.scalars(select(TimeEntry).where(TimeEntry.work_order_id.in_(ids))
                                     .options(CLOCKED_BY_NAME).order_by(TimeEntry.started_at, TimeEntry.id)):
            entries[entry.work_order_id].append(entry)
    return [work_order_view(session, wo, detail=False, entries=entries[wo.id]) for wo in work_orders]


def work_order_view(session: Session, work_order: WorkOrder, *, detail: bool = True,
                    entries: list[TimeEntry] | None = None) -> dict:
    entries = entries if entries is not None else entries_of(session, work_order.id)
    jobs = []
    for job in work_order.jobs:
        mine = [e for e in entries if e.job_id == job.id]
        open_now = [e for e in mine if e.ended_at is None]
        jobs.append({
            "id": job.id, "line_id": job.line_id, "op_code": job.op_code, "description": job.description,
            "skill": job.skill, "billed_hours": job.billed_hours, "comeback": job.comeback,
            "status": "working" if open_now else "done" if job.finished_at else (
                "assigned" if job.assignments else "unassigned"),
            "finished_at": job.finished_at,
            "technicians": [{"technician_id": a.technician_id, "name": a.technician.name,
                             "user_id": a.technician.user_id, "split_pct": a.split_pct,
                             "clocked_hours": sum((e.hours for e in mine if e.hours is not None
                                                   and e.technician_id == a.technician_id), Decimal(0)),
                             "actual_hours": a.actual_hours, "assigned_at": a.assigned_at} for a in job.assignments],
            "clocked_in": [{"technician_id": e.technician_id, "name": e.technician.name, "since": e.started_at}
                           for e in open_now],
            "clocked_hours": sum((e.hours for e in mine if e.hours is not None), Decimal(0)),
        })
    view = {column: getattr(work_order, column) for column in (
        "id", "store_id", "order_id", "order_number", "visit_id", "quote_id", "customer_id", "vehicle_id",
        "advisor_id", "promised_at", "status", "status_changed_at", "version", "waiting_parts", "comeback",
        "comeback_of_id", "rework_count", "qc_passed", "bay_id", "scheduled_start", "cancel_reason",
        "mileage_out_km", "accepted_by", "accepted_at", "satisfied", "customer_comment", "opened_at", "started_at",
        "completed_at", "delivered_at", "cancelled_at", "parts", "history")}
    view["jobs"] = jobs
    view["overdue"] = bool(work_order.promised_at and work_order.status in ACTIVE
                           and work_order.promised_at < utcnow())
    if detail:
        view["time_entries"] = entries
        view["qc_results"] = results_of(session, work_order.id)
    return view
