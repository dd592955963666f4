"""QC (质检): the work order goes to QC when the work is done (nobody clocked in); a checklist
result is recorded by someone who did not work on it. A fail sends it back to in_progress with the
reasons and counts a rework; a pass makes it completable."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.context import Caller
from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, Invalid

from ..models import Assignment, QcResult, Technician, TimeEntry, WorkOrder
from .work_orders import IN_PROGRESS, QC, get_work_order, require_state, touch, transition


def technicians_on(session: Session, work_order: WorkOrder) -> list[Technician]:
    """Everyone dispatched to, or clocked on, any job of the work order."""
    job_ids = [job.id for job in work_order.jobs]
    if not job_ids:
        return []
    ids = set(session.scalars(select(Assignment.technician_id).where(Assignment.job_id.in_(job_ids))))
    ids |= set(session.scalars(select(TimeEntry.technician_id).where(TimeEntry.work_order_id == work_order.id)))
    return list(session.scalars(select(Technician).where(Technician.id.in_(ids)))) if ids else []


def inspector_problem(user_id: str | None, worked_on_by: set[str]) -> str | None:
    if user_id and user_id in worked_on_by:
        return "QC must be done by someone other than the job's technicians."
    return None


def request_qc(session: Session, caller: Caller, work_order_id: str, note: str | None = None) -> WorkOrder:
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    if work_order.status == IN_PROGRESS:
        still_in = list(session.scalars(select(TimeEntry).where(
            TimeEntry.work_order_id == work_order.id, TimeEntry.ended_at.is_(None))))
        if still_in:
            names = sorted({entry.technician.name for entry in still_in})
            raise Conflict(f"Still clocked in: {', '.join(names)}; clock out before QC.",
                           fields={"technicians": names}, code="technician_clocked_in", params={"technicians": names})
    transition(session, work_order, QC, by=caller.user_id, reason=note, action="send it to QC")
    work_order.qc_passed = False
    now = utcnow()
    for job in work_order.jobs:
        job.finished_at = job.finished_at or now
    return work_order


def record_qc(session: Session, caller: Caller, work_order_id: str, data: dict) -> QcResult:
    work_order = get_work_order(session, work_order_id, caller, lock=True)
    require_state(work_order, (QC,), "record a QC result")
    if work_order.qc_passed:
        raise Conflict("QC has already passed; complete the work order.", fields={"status": [QC]},
                       code="qc_already_passed")
    worked_on_by = {t.user_id for t in technicians_on(session, work_order) if t.user_id}
    problem = inspector_problem(caller.user_id, worked_on_by)
    if problem:
        raise Forbidden(problem, code="qc_by_own_technician")
    failed_items = [item["item"] for item in data.get("checklist", []) if not item["passed"]]
    reasons = list(data.get("reasons") or [])
    if data["passed"] and failed_items:
        raise Invalid("A QC with failed checklist items cannot pass.", fields={"checklist": failed_items},
                      code="qc_checklist_failed", params={"items": failed_items})
    if not data["passed"]:
        reasons = reasons or [f"{item} failed" for item in failed_items]
        if not reasons:
            raise Invalid("Say why QC failed.", fields={"reasons": ["At least one reason when QC fails."]},
                          code="qc_reason_required")
    result = QcResult(work_order_id=work_order.id, round=work_order.rework_count + 1, passed=data["passed"],
                      checklist=[{"item": i["item"], "passed": i["passed"], "note": i.get("note")}
                                 for i in data.get("checklist", [])],
                      reasons=reasons, inspector_user_id=caller.user_id, inspector_role=caller.role,
                      notes=data.get("notes"))
    session.add(result)
    if data["passed"]:
        work_order.qc_passed = True
        touch(work_order)
    else:
        reopen = set(data.get("rework_job_ids") or []) or {job.id for job in work_order.jobs}
        unknown = reopen - {job.id for job in work_order.jobs}
        if unknown:
            raise Invalid("Unknown jobs to rework.", fields={"rework_job_ids": sorted(unknown)}, code="unknown_job")
        for job in work_order.jobs:
            if job.id in reopen:
                job.finished_at = None
        work_order.rework_count += 1
        transition(session, work_order, IN_PROGRESS, by=caller.user_id, reason="QC failed: " + "; ".join(reasons),
                   action="send it back to work")
    session.flush()
    return result


def results_of(session: Session, work_order_id: str) -> list[QcResult]:
    return list(session.scalars(select(QcResult).where(QcResult.work_order_id == work_order_id)
                                .order_by(QcResult.round, QcResult.created_at)))
