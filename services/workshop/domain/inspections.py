"""Digital vehicle inspection (DVI): findings per vehicle area with a condition (green = fine,
yellow = soon, red = now), notes and photo references. Red and yellow findings are what the
advisor turns into a new quote for the same visit (`findings_to_quote`, then sales' `quote_findings`)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common.context import CUSTOMER_ROLE, Caller
from services.common.errors import Conflict, Invalid, NotFound
from services.contracts.rpc.workshop.inspections import CONDITIONS

from ..models import Finding, Inspection, WorkOrder
from .technicians import technician_of_user
from .work_orders import ACTIVE, COMPLETED, get_work_order, require_state

INSPECTABLE = (*ACTIVE, COMPLETED)


def summary(findings) -> dict[str, int]:
    counts = dict.fromkeys(CONDITIONS, 0)
    for finding in findings:
        counts[finding.condition] += 1
    return counts


def record_inspection(session: Session, caller: Caller, work_order_id: str, data: dict) -> Inspection:
    work_order = get_work_order(session, work_order_id, caller)
    require_state(work_order, INSPECTABLE, "record an inspection")
    technician = technician_of_user(session, caller.user_id)
    inspection = Inspection(work_order_id=work_order.id, store_id=work_order.store_id,
                            vehicle_id=work_order.vehicle_id, mileage_km=data.get("mileage_km"),
                            inspected_by=caller.user_id, technician_id=technician.id if technician else None,
                            notes=data.get("notes"))
    inspection.findings = [Finding(position=i, area=f["area"], item=f["item"], condition=f["condition"],
                                   notes=f.get("notes"), photo_refs=list(f.get("photo_refs") or []),
                                   recommended_op_code=f.get("recommended_op_code"))
                           for i, f in enumerate(data["findings"])]
    session.add(inspection)
    session.flush()
    return inspection


def inspections_of(session: Session, caller: Caller, work_order_id: str) -> list[Inspection]:
    get_work_order(session, work_order_id, caller)
    return list(session.scalars(select(Inspection).where(Inspection.work_order_id == work_order_id)
                                .order_by(Inspection.created_at, Inspection.id)))


def needing_attention(inspections: list[Inspection]) -> list[dict]:
    """Red findings first, then yellow, newest inspection first within each; those already quoted
    are left out."""
    found = [(inspection, finding) for inspection in inspections for finding in inspection.findings
             if finding.condition in ("red", "yellow") and not finding.quote_id]
    found.sort(key=lambda pair: (pair[1].condition != "red", -pair[0].created_at.timestamp(), pair[1].position))
    return [{**{column: getattr(finding, column) for column in (
        "id", "area", "item", "condition", "notes", "photo_refs", "recommended_op_code", "quote_id")},
        "inspection_id": inspection.id, "inspected_at": inspection.created_at} for inspection, finding in found]


def findings_to_quote(session: Session, caller: Caller, work_order_id: str,
                      finding_ids: list[str] | None) -> tuple[str, list[Finding]]:
    """The red/yellow findings not yet quoted (all of them, or the ones named), with the order
    they belong to: what sales is asked to quote."""
    work_order = get_work_order(session, work_order_id, caller)
    open_findings = [finding for inspection in inspections_of(session, caller, work_order_id)
                     for finding in inspection.findings if finding.condition in ("red", "yellow")]
    if finding_ids:
        by_id = {finding.id: finding for finding in open_findings}
        unknown = [f for f in finding_ids if f not in by_id]
        if unknown:
            raise Invalid("Only red or yellow findings of this work order can be quoted.",
                          fields={"finding_ids": [f"Not a red/yellow finding here: {f}" for f in unknown]},
                          code="finding_not_quotable")
        chosen = [by_id[f] for f in dict.fromkeys(finding_ids)]
    else:
        chosen = open_findings
    chosen = [finding for finding in chosen if not finding.quote_id]
    if not chosen:
        raise Conflict("Every red or yellow finding of this work order is already quoted.",
                       code="findings_already_quoted")
    return work_order.order_id, chosen


def mark_quoted(session: Session, findings: list[Finding], quote_id: str) -> None:
    """Record the quote on findings still unquoted (sales was asked outside any transaction, so a
    concurrent request may have quoted some meanwhile: theirs stays)."""
    session.execute(update(Finding).where(Finding.id.in_([f.id for f in findings]), Finding.quote_id.is_(None))
                    .values(quote_id=quote_id).execution_options(synchronize_session="fetch"))


def finding_owner(session: Session, caller: Caller, work_order_id: str, finding_id: str) -> dict:
    """A finding as the owner of photos: the work order's store scope applies, and the finding must
    belong to one of its inspections; photos are added while the order can still be inspected."""
    work_order = get_work_order(session, work_order_id, caller)
    finding = session.scalars(select(Finding).join(Inspection).where(
        Finding.id == finding_id, Inspection.work_order_id == work_order.id)).first()
    if finding is None:
        raise NotFound(f"No finding {finding_id} on work order {work_order_id}.")
    require_state(work_order, INSPECTABLE, "add a photo to a finding")
    return {"store_id": work_order.store_id, "owner_type": "finding", "owner_id": finding.id,
            "parent_id": work_order.id}


def findings_of_quote(session: Session, caller: Caller, quote_id: str) -> list[Finding]:
    """The findings a quote was opened for, in the order they were found, of work orders the caller sees
    (staff: their stores; a customer: their own cars)."""
    query = (select(Finding, WorkOrder.store_id).join(Inspection, Finding.inspection_id == Inspection.id)
             .join(WorkOrder, Inspection.work_order_id == WorkOrder.id).where(Finding.quote_id == quote_id)
             .order_by(Inspection.created_at, Finding.position))
    if caller.role == CUSTOMER_ROLE:
        return list(session.scalars(query.where(WorkOrder.customer_id == caller.require_customer())))
    found = []
    for finding, store_id in session.execute(query):
        caller.require_store(store_id)
        found.append(finding)
    return found


def customer_finding_photo(session: Session, caller: Caller, row: dict, quote_id: str | None = None) -> dict:
    """An attachment row that is a photo of a finding on the signed-in customer's own car (with `quote_id`: of
    a finding that quote was opened for), else NotFound."""
    query = (select(WorkOrder.customer_id).join(Inspection, Inspection.work_order_id == WorkOrder.id)
             .join(Finding, Finding.inspection_id == Inspection.id).where(Finding.id == row["owner_id"]))
    if quote_id is not None:
        query = query.where(Finding.quote_id == quote_id)
    owner = session.execute(query).scalar() if row["owner_type"] == "finding" else None
    if owner is None or owner != caller.require_customer():
        raise NotFound(f"No attachment {row['id']}.")
    return row
